"""Correcting one value of one row: read the row, write the checked value, audit it.

Any row of a patient's tables may be corrected (the patient, an infusion, a visit, an
adverse event, an event, a medication); the row is found by its natural key. The new
value is parsed and checked by the use case (:func:`myotrial.services.entry.
correct_visit`, :func:`myotrial.services.entry.correct_row`) between :func:`read_row`
and :func:`plan_correction`; this module only knows the stored form.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from myotrial.config import TrialConfig
from myotrial.domain.dates import parse_iso_date
from myotrial.errors import InvalidInputError, NotFoundError, Problem, StoreError
from myotrial.store import codec
from myotrial.store.columns import KEYS, kinds, match_keys
from myotrial.store.diff import TableDiff, diff_table, record_keys
from myotrial.store.repository import SqlTrialRepository

SOURCE = "correction"


@dataclass(frozen=True)
class Correction:
    """One corrected value: where, old and new (as the audit trail shows them)."""

    patient_id: str
    visit_date: str
    field: str
    old_value: str | None
    new_value: str | None
    changed: bool
    table: str = "visits"
    record_key: str = ""


def parse_day(value: str) -> pd.Timestamp:
    """A visit date given as ``YYYY-MM-DD``.

    Raises
    ------
    InvalidInputError
        If ``value`` is not an ISO date.
    """
    try:
        return pd.Timestamp(parse_iso_date(value.strip()))
    except ValueError as exc:
        raise InvalidInputError(
            [Problem(SOURCE, None, "visit_date", value, "is not a date", "write YYYY-MM-DD")]
        ) from exc


@dataclass(frozen=True)
class VisitToCorrect:
    """The row a correction changes, as stored and as imported, with its patient.

    ``day`` is the visit's date (``NaT`` for a row of another table); ``table`` the
    row's table and ``record_key`` its natural key as the audit trail writes it.
    """

    stored: pd.DataFrame
    before: pd.DataFrame
    patient: pd.DataFrame
    config: TrialConfig
    layout: dict[str, Any]
    day: pd.Timestamp
    table: str = "visits"
    record_key: str = ""


NO_DAY: pd.Timestamp = pd.Timestamp("NaT")
"""The ``day`` of a row that is not a visit."""

RowToCorrect = VisitToCorrect
"""The row a correction changes, in any table (a visit is one such row)."""


def read_visit(
    repository: SqlTrialRepository, patient_id: str, day: pd.Timestamp, field: str
) -> VisitToCorrect:
    """The visit of ``patient_id`` on ``day`` whose ``field`` is to be corrected.

    Raises
    ------
    NotFoundError
        If there is no trial, no such patient or no visit on that day.
    InvalidInputError
        If ``field`` is part of the visit's key or not a column of visits.
    """
    return read_row(repository, "visits", patient_id, {"visit_date": day}, field)


def read_row(
    repository: SqlTrialRepository,
    table: str,
    patient_id: str,
    match: dict[str, Any],
    field: str,
) -> RowToCorrect:
    """The row of ``patient_id`` in ``table`` whose ``field`` is to be corrected.

    Parameters
    ----------
    repository : SqlTrialRepository
        The store, inside the caller's transaction.
    table : str
        A patient's table (patients, infusions, visits, adverse_events, events,
        medications).
    patient_id : str
        The patient.
    match : dict
        The rest of the row's natural key, typed (dates as ``pandas.Timestamp``; an
        empty lot as ``None``), and ``occurrence`` (0 for the first row of a repeated
        key) for the repeatable tables.
    field : str
        The column to correct.

    Raises
    ------
    NotFoundError
        If there is no trial, no such patient or no such row.
    InvalidInputError
        If ``field`` is part of the row's key or not a column of the table.
    """
    meta = repository.read_meta()
    if meta is None:
        raise NotFoundError("the database holds no trial yet (import one first)")
    layout = json.loads(meta["layout"])
    config = TrialConfig.from_dict(json.loads(meta["config"]), source="database")
    _check_field(table, field, layout["tables"][table])
    typed = [c for c, _, where in layout["tables"][table] if where == "typed"]
    patients = repository.read_table("patients", _typed(layout, "patients"))
    if not (patients["patient_id"] == patient_id).any():
        raise NotFoundError(f"no patient {patient_id!r} in the trial (check the patient_id)")
    if table == "patients":
        rows, stored = patients, patients[patients["patient_id"] == patient_id]
        if field not in typed:
            rows = repository.read_table("patients", [*typed, field])
            stored = rows[rows["patient_id"] == patient_id]
    else:
        rows = repository.read_table(table, [*typed, field], patient_id=patient_id)
        stored = _the_row(table, rows, patient_id, match)
    before = codec.decode_table(stored, _with_field(table, layout["tables"][table], field))
    patient = codec.decode_table(
        patients[patients["patient_id"] == patient_id], layout["tables"]["patients"]
    )
    day = pd.Timestamp(match["visit_date"]) if table == "visits" else NO_DAY
    key = str(record_keys(stored, list(match_keys(table))).iloc[0])
    return RowToCorrect(stored, before, patient, config, layout, day, table, key)


def plan_correction(
    visit: VisitToCorrect, after: pd.DataFrame, field: str
) -> tuple[TableDiff, Correction, dict[str, Any]]:
    """The visit's rewrite and audit rows, and the layout after the correction.

    ``after`` is the visit with ``field`` set to its checked new value.
    """
    table = visit.table
    # only the corrected cell changes; every other stored value is kept as it is
    encoded, entries = codec.encode_table(table, after[[*KEYS[table], field]])
    where = next(e[2] for e in entries if e[0] == field)
    name = field if where == "typed" else codec.extra_name(field)
    incoming = visit.stored.drop(columns="id")
    incoming[name] = encoded[name].to_numpy()
    if "occurrence" in incoming:
        # a repeated key keeps its place among the rows that share it
        incoming["occurrence"] = visit.stored["occurrence"].to_numpy()
    change = diff_table(table, incoming, visit.stored)
    table_layout = _merged_layout(visit.layout["tables"][table], entries, field)
    layout = {**visit.layout, "tables": {**visit.layout["tables"], table: table_layout}}
    audit = change.audit
    old = audit["old_value"].iloc[0] if len(audit) else None
    new = audit["new_value"].iloc[0] if len(audit) else codec.as_text(after[field]).iloc[0]
    patient_id = str(visit.stored["patient_id"].iloc[0])
    day = "" if pd.isna(visit.day) else visit.day.date().isoformat()
    found = Correction(patient_id, day, field, old, new, bool(len(audit)), table, visit.record_key)
    return change, found, layout


def write_correction(
    repository: SqlTrialRepository,
    visit: VisitToCorrect,
    after: pd.DataFrame,
    field: str,
    user: str,
    reason: str,
) -> Correction:
    """Write the corrected value with its audit row (nothing when it is unchanged).

    Raises
    ------
    StoreError
        If the database refuses the write.
    """
    change, found, layout = plan_correction(visit, after, field)
    if not found.changed:
        return found
    try:
        changeset, at = repository.add_changeset("correction", user, reason)
        repository.update_rows(visit.table, change.updates, change.compared)
        repository.add_audit(change.audit, changeset, user, at, reason)
        repository.add_layout_columns(visit.table, layout["tables"][visit.table])
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"the database refused the correction: {exc}") from exc
    return found


def _check_field(table: str, field: str, entries: list[list[str]]) -> None:
    names = {e[0] for e in entries} | set(kinds(table))
    if field in KEYS[table]:
        what = "visit" if table == "visits" else "row"
        rule, hint = f"is part of the {what}'s key", "import a corrected trial folder instead"
    elif field not in names:
        rule, hint = f"is not a column of {table}", f"give a column of {table}.csv"
    else:
        return
    raise InvalidInputError([Problem(SOURCE, None, "field", field, rule, hint)])


def _typed(layout: dict[str, Any], table: str) -> list[str]:
    return [c for c, _, where in layout["tables"][table] if where == "typed"]


def _the_row(
    table: str, rows: pd.DataFrame, patient_id: str, match: dict[str, Any]
) -> pd.DataFrame:
    mine = rows["patient_id"] == patient_id
    found = mine.copy()
    for column, value in match.items():
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            found &= rows[column].isna()
        else:
            found &= rows[column] == value
    if found.any():
        return rows[found]
    if table == "visits":
        day = pd.Timestamp(match["visit_date"])
        dates = rows.loc[mine, "visit_date"]
        known = ", ".join(codec.as_text(dates.sort_values()).fillna("?")) or "none"
        raise NotFoundError(
            f"patient {patient_id!r} has no visit on {day.date().isoformat()} "
            f"(their visits: {known})"
        )
    keys = [k for k in match_keys(table) if k != "patient_id"]
    known = ", ".join(record_keys(rows[mine], list(match_keys(table)))) or "none"
    raise NotFoundError(
        f"patient {patient_id!r} has no row of {table} with that {', '.join(keys)} "
        f"(their rows: {known})"
    )


def _with_field(table: str, entries: list[list[str]], field: str) -> list[list[str]]:
    """The table's layout, with a typed column the import did not have added at the end."""
    if any(e[0] == field for e in entries):
        return entries
    kind = kinds(table)[field]
    dtype = {"number": "float64", "date": "datetime64[ns]", "bool": "boolean"}.get(kind, "object")
    return [*entries, [field, dtype, "typed"]]


def _merged_layout(
    entries: list[list[str]], new: list[codec.LayoutEntry], field: str
) -> list[list[str]]:
    if any(e[0] == field for e in entries):
        return entries
    added = [list(e) for e in new if e[0] == field]
    return [*entries, *added]
