"""Correcting one value of one visit: read the visit, write the checked value, audit it.

The new value is parsed and checked by the use case (:func:`myotrial.services.entry.
correct_visit`) between :func:`read_visit` and :func:`plan_correction`; this module only
knows the stored form.
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
from myotrial.store.columns import KEYS, kinds
from myotrial.store.diff import TableDiff, diff_table
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
    """The visit a correction changes, as stored and as imported, with its patient."""

    stored: pd.DataFrame
    before: pd.DataFrame
    patient: pd.DataFrame
    config: TrialConfig
    layout: dict[str, Any]
    day: pd.Timestamp


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
    meta = repository.read_meta()
    if meta is None:
        raise NotFoundError("the database holds no trial yet (import one first)")
    layout = json.loads(meta["layout"])
    config = TrialConfig.from_dict(json.loads(meta["config"]), source="database")
    _check_field(field, layout["tables"]["visits"])
    typed = [c for c, _, where in layout["tables"]["visits"] if where == "typed"]
    visits = repository.read_table("visits", [*typed, field])
    patients = repository.read_table("patients", _typed(layout, "patients"))
    stored = _the_visit(visits, patients, patient_id, day)
    before = codec.decode_table(stored, _with_field(layout["tables"]["visits"], field))
    patient = codec.decode_table(
        patients[patients["patient_id"] == patient_id], layout["tables"]["patients"]
    )
    return VisitToCorrect(stored, before, patient, config, layout, day)


def plan_correction(
    visit: VisitToCorrect, after: pd.DataFrame, field: str
) -> tuple[TableDiff, Correction, dict[str, Any]]:
    """The visit's rewrite and audit rows, and the layout after the correction.

    ``after`` is the visit with ``field`` set to its checked new value.
    """
    # only the corrected cell changes; every other stored value is kept as it is
    encoded, entries = codec.encode_table("visits", after[[*KEYS["visits"], field]])
    where = next(e[2] for e in entries if e[0] == field)
    name = field if where == "typed" else codec.extra_name(field)
    incoming = visit.stored.drop(columns="id")
    incoming[name] = encoded[name].to_numpy()
    change = diff_table("visits", incoming, visit.stored)
    visits_layout = _merged_layout(visit.layout["tables"]["visits"], entries, field)
    layout = {**visit.layout, "tables": {**visit.layout["tables"], "visits": visits_layout}}
    audit = change.audit
    old = audit["old_value"].iloc[0] if len(audit) else None
    new = audit["new_value"].iloc[0] if len(audit) else codec.as_text(after[field]).iloc[0]
    patient_id = str(visit.stored["patient_id"].iloc[0])
    found = Correction(patient_id, visit.day.date().isoformat(), field, old, new, bool(len(audit)))
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
        repository.update_rows("visits", change.updates, change.compared)
        repository.add_audit(change.audit, changeset, user, at, reason)
        repository.add_layout_columns("visits", layout["tables"]["visits"])
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"the database refused the correction: {exc}") from exc
    return found


def _check_field(field: str, entries: list[list[str]]) -> None:
    names = {e[0] for e in entries} | set(kinds("visits"))
    if field in KEYS["visits"]:
        rule, hint = "is part of the visit's key", "import a corrected trial folder instead"
    elif field not in names:
        rule, hint = "is not a column of visits", "give a column of visits.csv"
    else:
        return
    raise InvalidInputError([Problem(SOURCE, None, "field", field, rule, hint)])


def _typed(layout: dict[str, Any], table: str) -> list[str]:
    return [c for c, _, where in layout["tables"][table] if where == "typed"]


def _the_visit(
    visits: pd.DataFrame, patients: pd.DataFrame, patient_id: str, day: pd.Timestamp
) -> pd.DataFrame:
    if not (patients["patient_id"] == patient_id).any():
        raise NotFoundError(f"no patient {patient_id!r} in the trial (check the patient_id)")
    row = visits[(visits["patient_id"] == patient_id) & (visits["visit_date"] == day)]
    if row.empty:
        dates = visits.loc[visits["patient_id"] == patient_id, "visit_date"]
        known = ", ".join(codec.as_text(dates.sort_values()).fillna("?")) or "none"
        raise NotFoundError(
            f"patient {patient_id!r} has no visit on {day.date().isoformat()} "
            f"(their visits: {known})"
        )
    return row


def _with_field(entries: list[list[str]], field: str) -> list[list[str]]:
    """The visits layout, with a typed column the import did not have added at the end."""
    if any(e[0] == field for e in entries):
        return entries
    return [
        *entries,
        [field, "float64" if kinds("visits")[field] == "number" else "object", "typed"],
    ]


def _merged_layout(
    entries: list[list[str]], new: list[codec.LayoutEntry], field: str
) -> list[list[str]]:
    if any(e[0] == field for e in entries):
        return entries
    added = [list(e) for e in new if e[0] == field]
    return [*entries, *added]
