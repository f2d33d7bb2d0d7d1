"""One patient at a time: the reads and the single-visit write the web service needs.

The single-visit write uses the same parser and rules as an import
(:func:`myotrial.ingest.parse_records`, :func:`myotrial.ingest.validate_trial`) and the
same audit rows (:func:`myotrial.store.diff.diff_table`), inside one transaction; the
database's unique key on (patient_id, visit_date) settles two sites racing for one date.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import sqlalchemy as sa

from myotrial.config import TrialConfig
from myotrial.errors import InvalidInputError, NotFoundError, Problem, StoreError
from myotrial.store import codec
from myotrial.store.columns import kinds
from myotrial.store.diff import diff_table
from myotrial.store.repository import SqlTrialRepository
from myotrial.store.tables import trial_tables
from myotrial.store.trial_store import TrialStore
from myotrial.store.unit_of_work import SqlUnitOfWork
from myotrial.trialdata import TABLES, TrialData

FORM = "visit form"
PATIENT_TABLES: tuple[str, ...] = ("patients", "infusions", "visits", "events")


def patient_list(connection: sa.Connection, site: str | None) -> pd.DataFrame:
    """Patients (of one site if given) with their number of visits, by patient_id."""
    patients, visits = trial_tables["patients"], trial_tables["visits"]
    counts = (
        sa.select(visits.c.patient_id, sa.func.count().label("n_visits"))
        .group_by(visits.c.patient_id)
        .subquery()
    )
    query = (
        sa.select(
            patients.c.patient_id,
            patients.c.site,
            patients.c.arm,
            patients.c.diagnosis,
            patients.c.sex,
            patients.c.age,
            patients.c.enrolment_date,
            sa.func.coalesce(counts.c.n_visits, 0).label("n_visits"),
        )
        .outerjoin(counts, counts.c.patient_id == patients.c.patient_id)
        .order_by(patients.c.patient_id)
    )
    if site is not None:
        query = query.where(patients.c.site == site)
    result = connection.execute(query)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def patient_site(connection: sa.Connection, patient_id: str) -> str | None:
    """The site of ``patient_id`` (``None`` when there is no such patient)."""
    patients = trial_tables["patients"]
    site = connection.execute(
        sa.select(patients.c.site).where(patients.c.patient_id == patient_id)
    ).first()
    return None if site is None else str(site[0])


def patient_records(connection: sa.Connection, patient_id: str) -> dict[str, pd.DataFrame]:
    """The patient's rows of patients, infusions, visits and events, as imported."""
    repository = SqlTrialRepository(connection)
    layout = _layout(repository)
    return {t: _decoded(repository, t, patient_id, layout) for t in PATIENT_TABLES}


def patient_trial(
    store: TrialStore, patient_id: str, tables: tuple[str, ...] = TABLES
) -> TrialData:
    """A trial holding one patient only (for scoring and checks of that patient).

    Tables not named in ``tables`` are left empty (a visit's checks need only the
    patient, the infusions and the visits).
    """
    from myotrial.ingest.reader import empty_table

    with store.engine.connect() as connection:
        repository = SqlTrialRepository(connection)
        config = _config(repository)
        layout = _layout(repository)
        frames = {
            t: _decoded(repository, t, patient_id, layout) if t in tables else empty_table(t)
            for t in TABLES
        }
    return TrialData(config=config, source=FORM, **frames)  # type: ignore[arg-type]


class VisitEntry:
    """Enter one visit of one patient through the import rules, with its audit rows."""

    def __init__(self, store: TrialStore) -> None:
        self.store = store

    def check(self, patient_id: str, values: dict[str, str]) -> tuple[TrialData, list[Problem]]:
        """The patient's trial with the visit added, and every problem the visit has."""
        trial = patient_trial(self.store, patient_id, ("patients", "infusions", "visits"))
        if trial.patients.empty:
            raise NotFoundError(f"patient {patient_id!r} does not exist")
        unknown = [
            Problem(
                FORM,
                None,
                name,
                value,
                "is not a visit field",
                "see the visits table in docs/trial-format.md",
            )
            for name, value in values.items()
            if name not in kinds("visits")
        ]
        raw = pd.DataFrame(
            [{**values, "patient_id": patient_id}], dtype=object, index=[len(trial.visits)]
        )
        typed, problems = _parse(raw, trial.config)
        problems = unknown + problems
        visits = pd.concat([trial.visits, typed], ignore_index=True)
        combined = trial.with_tables(visits=visits)
        if not problems:
            from myotrial.ingest import validate_trial

            new_row = len(trial.visits) + 2
            problems = [
                p for p in validate_trial(combined, {t: FORM for t in TABLES}) if p.row == new_row
            ]
        return combined, [_without_row(p) for p in problems]

    def add(
        self, patient_id: str, values: dict[str, str], user: str, reason: str
    ) -> dict[str, Any]:
        """Store the visit and its audit rows; raise InvalidInputError listing problems."""
        combined, problems = self.check(patient_id, values)
        if problems:
            raise InvalidInputError(problems)
        new = combined.visits.iloc[[-1]]
        try:
            self._write(new, user, reason)
        except sa.exc.IntegrityError as exc:
            raise InvalidInputError(
                [
                    Problem(
                        FORM,
                        None,
                        "visit_date",
                        str(new["visit_date"].iloc[0].date()),
                        "is already a visit of this patient",
                        "correct the existing visit instead",
                    )
                ]
            ) from exc
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"the database refused the visit, nothing was written: {exc}") from exc
        record = new.iloc[0].to_dict()
        return {str(k): v for k, v in record.items() if not _missing(v)}

    def _write(self, new: pd.DataFrame, user: str, reason: str) -> None:
        stored, entries = codec.encode_table("visits", new.reset_index(drop=True))
        with SqlUnitOfWork(self.store.engine) as uow:
            connection = uow.trials.connection
            visits = trial_tables["visits"]
            top = connection.execute(sa.select(sa.func.max(visits.c.row_number))).scalar()
            stored["row_number"] = (top if top is not None else -1) + 1
            nothing = stored.iloc[0:0].assign(id=pd.Series(dtype="int64"))
            diff = diff_table("visits", stored, nothing)
            changeset, at = uow.trials.add_changeset("entry", user, reason, FORM, "")
            uow.trials.insert_rows("visits", diff.inserts)
            uow.trials.add_audit(diff.audit, changeset, user, at, reason)
            _extend_layout(uow.trials, entries)
            uow.commit()


def _parse(raw: pd.DataFrame, config: TrialConfig) -> tuple[pd.DataFrame, list[Problem]]:
    from myotrial.ingest import parse_records

    return parse_records("visits", raw, FORM, config)


def _without_row(problem: Problem) -> Problem:
    """A form has no spreadsheet rows: report the field only."""
    return Problem(problem.file, None, problem.column, problem.value, problem.rule, problem.hint)


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))  # type: ignore[call-overload]


def _config(repository: SqlTrialRepository) -> TrialConfig:
    meta = repository.read_meta()
    if meta is None:
        raise NotFoundError("the database holds no trial yet (import one first)")
    return TrialConfig.from_dict(json.loads(meta["config"]), source="database")


def _layout(repository: SqlTrialRepository) -> dict[str, Any]:
    meta = repository.read_meta()
    if meta is None:
        raise NotFoundError("the database holds no trial yet (import one first)")
    layout: dict[str, Any] = json.loads(meta["layout"])
    return layout


def _decoded(
    repository: SqlTrialRepository, table: str, patient_id: str, layout: dict[str, Any]
) -> pd.DataFrame:
    return codec.decode_table(
        repository.read_table(table, patient_id=patient_id), layout["tables"][table]
    )


def _extend_layout(repository: SqlTrialRepository, entries: list[codec.LayoutEntry]) -> None:
    """Record columns the visit filled that the imported layout did not have."""
    meta = repository.read_meta()
    if meta is None:
        return
    layout = json.loads(meta["layout"])
    known = {entry[0] for entry in layout["tables"]["visits"]}
    added = [list(e) for e in entries if e[0] not in known]
    if added:
        layout["tables"]["visits"] += added
        repository.write_layout(codec.dumps(layout))
