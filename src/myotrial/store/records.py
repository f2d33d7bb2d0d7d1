"""One patient at a time: the reads and the single-visit write of the web service.

The visit arrives parsed and checked by the use case (:mod:`myotrial.services.entry`);
this module writes it with the same audit rows as an import
(:func:`myotrial.store.diff.diff_table`) inside the caller's transaction. The database's
unique key on (patient_id, visit_date) settles two sites racing for one date: one is
stored, the other gets a :class:`~myotrial.errors.ConflictError` naming the key.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

import pandas as pd
import sqlalchemy as sa

from myotrial.config import TrialConfig
from myotrial.domain.entry import Record, RecordContext
from myotrial.errors import ConflictError, NotFoundError, Problem, StoreError
from myotrial.store import codec
from myotrial.store.columns import KEYS, kinds
from myotrial.store.diff import diff_table
from myotrial.store.repository import SqlTrialRepository
from myotrial.store.tables import trial_meta, trial_tables
from myotrial.trialdata import PRODUCT_TABLES

FORM = "visit form"
PATIENT_TABLES: tuple[str, ...] = ("patients", "infusions", "visits", "adverse_events", "events")


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
    """The patient's rows of patients, infusions, visits, adverse events and events."""
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

    As :func:`write_record`, for an infusion, an adverse event, an event or a medication.

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


def entry_context(
    connection: sa.Connection, table: str, patient_id: str
) -> tuple[TrialConfig, RecordContext, str]:
    """The configuration, what the rules beyond one entry of ``table`` need, and the
    stored layout (as text, for :func:`write_record` in the same transaction).

    One statement of index reads: the trial's row, the patient's enrolment date (by its
    key) and, for a visit, the patient's earliest visit (by the key on patient and
    date); never the history.

    Raises
    ------
    NotFoundError
        If the database holds no trial or no such patient.
    """
    row = connection.execute(_CONTEXT[table == "visits"], {"patient_id": patient_id}).first()
    if row is None:
        raise NotFoundError("the database holds no trial yet (import one first)")
    if row.patient is None:
        raise NotFoundError(f"patient {patient_id!r} does not exist")
    first: tuple[dt.date, float | None] | None = None
    if row.first_visit is not None:
        first = (_day(row.first_visit) or dt.date.min, row.first_mmt_max)
    context = RecordContext(_day(row.enrolment_date), first)
    return _stored_config(row.config), context, str(row.layout)


def _context_query(visit: bool) -> sa.Select[Any]:
    """The trial's configuration and layout with the patient's enrolment date and, for
    a visit, the first visit: one statement, each part read by its key."""
    patients, visits = trial_tables["patients"], trial_tables["visits"]
    patient_id = sa.bindparam("patient_id", type_=sa.String)

    def first(column: sa.Column[Any]) -> sa.ColumnElement[Any]:
        if not visit:
            return sa.null()
        earliest = sa.select(column).where(visits.c.patient_id == patient_id)
        return earliest.order_by(visits.c.visit_date).limit(1).scalar_subquery()

    return sa.select(
        trial_meta.c.config,
        trial_meta.c.layout,
        patients.c.id.label("patient"),
        patients.c.enrolment_date,
        first(visits.c.visit_date).label("first_visit"),
        first(visits.c.mmt_max).label("first_mmt_max"),
    ).select_from(trial_meta.outerjoin(patients, patients.c.patient_id == patient_id))


# built once: the statement of every entry, compiled once per process
_CONTEXT = {visit: _context_query(visit) for visit in (False, True)}


def write_record(
    repository: SqlTrialRepository,
    table: str,
    record: Record,
    user: str,
    reason: str,
    layout: str | None = None,
) -> None:
    """Insert one checked record with its audit row, as an import audits an insert.

    One INSERT of the row (SQLAlchemy Core, its row number taken inside it), one of
    the changeset and one of the audit row, in the caller's transaction; the layout
    is extended (under its row lock) only when the record fills a column the trial has
    not used yet (``layout``: the stored layout read earlier in the transaction, to
    spare reading it again). The caller commits.

    Raises
    ------
    ConflictError
        If a row with the record's key is stored (the unique key refused it, also when
        another entry of that key committed first).
    StoreError
        If the database refuses the write for another reason.
    """
    typed = kinds(table)
    given = {c: v for c, v in record.items() if v is not None and c in typed}
    try:
        repository.append_record(table, given)
        changeset, at = repository.add_changeset("entry", user, reason, FORM, "")
        repository.add_audit_row(_insert_audit(table, given), changeset, user, at, reason)
        if not _known_columns(repository, table, given, layout):
            repository.add_layout_columns(table, [_layout_entry(c, typed[c]) for c in given])
    except sa.exc.IntegrityError as exc:
        raise ConflictError([duplicate_record(table, record)]) from exc
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(
            f"the database refused the {table} entry, nothing was written: {exc}"
        ) from exc


def _insert_audit(table: str, given: dict[str, Any]) -> dict[str, Any]:
    """The audit row of an inserted record (as :func:`myotrial.store.diff.diff_table`)."""
    keys = [k for k in KEYS[table]]
    values = {c: _audit_value(v) for c, v in given.items() if c not in keys}
    return {
        "table_name": table,
        "record_key": "|".join(_key_text(given.get(k)) for k in keys),
        "patient_id": given.get("patient_id"),
        "action": "insert",
        "field": None,
        "old_value": None,
        # numbers to 15 significant digits, as an import's audit rows (records_json)
        "new_value": json.dumps(values, ensure_ascii=False, separators=(",", ":")),
    }


def _audit_value(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.15g}")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _key_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_DTYPES = {"number": "float64", "date": "datetime64[ns]", "bool": "boolean", "text": "object"}
"""The dtype each kind is parsed to (``myotrial.ingest.parse_table``): the layout's."""


def _layout_entry(column: str, kind: str) -> list[str]:
    return [column, _DTYPES[kind], "typed"]


def _known_columns(
    repository: SqlTrialRepository, table: str, given: dict[str, Any], layout: str | None
) -> bool:
    """Whether the stored layout shows every column of ``given`` (parsed once per layout).

    A layout another writer extends meanwhile only adds columns, so a column found in
    the layout read earlier in this transaction is still in it.
    """
    if layout is None:
        meta = repository.read_meta()
        if meta is None:
            return False
        layout = str(meta["layout"])
    return given.keys() <= _layout_names(layout, table)


@functools.lru_cache(maxsize=16)
def _layout_names(layout: str, table: str) -> frozenset[str]:
    return frozenset(entry[0] for entry in json.loads(layout)["tables"].get(table, []))


@functools.lru_cache(maxsize=16)
def _stored_config(text: str) -> TrialConfig:
    """The configuration stored as ``text``, parsed once per process (it is immutable)."""
    return TrialConfig.from_dict(json.loads(text), source="database")


def _day(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def duplicate_record(table: str, record: Record) -> Problem:
    """The problem of an entry whose key a stored row of ``table`` has already."""
    if table == "visits":
        day = record["visit_date"]
        return duplicate_visit(str(record["patient_id"]), day)  # type: ignore[arg-type]
    keys = ", ".join(KEYS[table])
    shown = " / ".join(_key_text(record.get(k)) for k in KEYS[table])
    return Problem(
        FORM,
        None,
        keys,
        shown,
        f"is already stored ({keys} must be unique)",
        "correct the stored row instead",
    )


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
