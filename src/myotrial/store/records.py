"""One patient at a time: the reads and the single-visit write of the web service.

The visit arrives parsed and checked by the use case (:mod:`myotrial.services.entry`);
this module writes it with the same audit rows as an import
(:func:`myotrial.store.diff.diff_table`) inside the caller's transaction. The database's
unique key on (patient_id, visit_date) settles two sites racing for one date: one is
stored, the other gets a :class:`~myotrial.errors.ConflictError` naming the key.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import sqlalchemy as sa

from myotrial.config import TrialConfig
from myotrial.errors import ConflictError, NotFoundError, Problem, StoreError
from myotrial.store import codec
from myotrial.store.columns import KEYS
from myotrial.store.diff import diff_table
from myotrial.store.repository import SqlTrialRepository
from myotrial.store.tables import trial_tables
from myotrial.trialdata import PRODUCT_TABLES

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


def patient_tables(
    connection: sa.Connection, patient_id: str, tables: tuple[str, ...]
) -> tuple[TrialConfig, dict[str, pd.DataFrame]]:
    """The trial's configuration and the patient's rows of ``tables``, as imported.

    Raises
    ------
    NotFoundError
        If the database holds no trial.
    """
    repository = SqlTrialRepository(connection)
    layout = _layout(repository)
    frames = {t: _decoded(repository, t, patient_id, layout) for t in tables}
    return _config(repository), frames


def write_row(
    repository: SqlTrialRepository, table: str, new: pd.DataFrame, user: str, reason: str
) -> None:
    """Insert one checked row of a patient's table with its audit rows; the caller commits.

    As :func:`write_visit`, for an infusion, an adverse event, an event or a medication.

    Raises
    ------
    ConflictError
        If the table's unique key refuses the row (the same key stored first).
    StoreError
        If the database refuses the write for another reason.
    """
    try:
        stored, entries = codec.encode_table(table, new.reset_index(drop=True))
        nothing = stored.iloc[0:0].assign(id=pd.Series(dtype="int64"))
        diff = diff_table(table, stored, nothing)
        repository.append_row(table, diff.inserts)
        changeset, at = repository.add_changeset("entry", user, reason, f"{table} form", "")
        repository.add_audit(diff.audit, changeset, user, at, reason)
        repository.add_layout_columns(table, entries)
    except sa.exc.IntegrityError as exc:
        keys = ", ".join(KEYS[table])
        rule = f"is already stored ({keys} must be unique)"
        raise ConflictError([Problem(f"{table} form", None, keys, None, rule)]) from exc
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"the database refused the row, nothing was written: {exc}") from exc


def write_visit(repository: SqlTrialRepository, new: pd.DataFrame, user: str, reason: str) -> None:
    """Insert one checked visit with its audit rows; the caller commits.

    Raises
    ------
    ConflictError
        If the patient already has a visit on that date (the unique key refused it,
        also when another entry of that date committed first).
    StoreError
        If the database refuses the write for another reason.
    """
    try:
        _insert_visit(repository, new, user, reason)
    except sa.exc.IntegrityError as exc:
        day = new["visit_date"].iloc[0].date()
        raise ConflictError([duplicate_visit(str(new["patient_id"].iloc[0]), day)]) from exc
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"the database refused the visit, nothing was written: {exc}") from exc


def _insert_visit(
    repository: SqlTrialRepository, new: pd.DataFrame, user: str, reason: str
) -> None:
    stored, entries = codec.encode_table("visits", new.reset_index(drop=True))
    nothing = stored.iloc[0:0].assign(id=pd.Series(dtype="int64"))
    diff = diff_table("visits", stored, nothing)
    # the visit first: a second entry of the same key fails here, before other writes
    repository.append_row("visits", diff.inserts)
    changeset, at = repository.add_changeset("entry", user, reason, FORM, "")
    repository.add_audit(diff.audit, changeset, user, at, reason)
    repository.add_layout_columns("visits", entries)


DUPLICATE_RULE = "is already a visit of this patient (patient_id, visit_date must be unique)"


def duplicate_visit(patient_id: str, day: dt.date) -> Problem:
    """The problem of a visit whose patient and date a stored visit has already."""
    return Problem(
        FORM,
        None,
        "visit_date",
        day.isoformat(),
        DUPLICATE_RULE,
        f"patient {patient_id} has a visit on that date: correct it instead",
    )


def first_visit(connection: sa.Connection, patient_id: str) -> pd.DataFrame:
    """The patient's earliest visit: patient_id, visit_date, mmt_max (an index read)."""
    visits = trial_tables["visits"]
    query = (
        sa.select(visits.c.patient_id, visits.c.visit_date, visits.c.mmt_max)
        .where(visits.c.patient_id == patient_id)
        .order_by(visits.c.visit_date)
        .limit(1)
    )
    rows = connection.execute(query).all()
    return pd.DataFrame(
        {
            "patient_id": pd.Series([r[0] for r in rows], dtype=object),
            "visit_date": pd.to_datetime(pd.Series([r[1] for r in rows])).astype("datetime64[ns]"),
            "mmt_max": pd.Series([r[2] for r in rows], dtype="float64"),
        }
    )


def has_visit(connection: sa.Connection, patient_id: str, day: dt.date) -> bool:
    """Whether the patient has a visit on ``day`` (one lookup of the unique key)."""
    return SqlTrialRepository(connection).has_row(
        "visits", {"patient_id": patient_id, "visit_date": day}
    )


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
    # a donor or a lot is no patient's: the product record is read whole
    mine = None if table in PRODUCT_TABLES else patient_id
    return codec.decode_table(
        repository.read_table(table, patient_id=mine), layout["tables"][table]
    )
