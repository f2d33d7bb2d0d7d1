"""Correcting one value of one visit: parsed and checked as an import would, then audited."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from myotrial.config import TrialConfig
from myotrial.errors import InvalidInputError, NotFoundError, Problem
from myotrial.store import codec
from myotrial.store.columns import KEYS, kinds
from myotrial.store.diff import TableDiff, diff_table
from myotrial.store.unit_of_work import AbstractUnitOfWork
from myotrial.trialdata import TABLES, TrialData

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
        return pd.Timestamp(dt.date.fromisoformat(value.strip()))
    except ValueError as exc:
        raise InvalidInputError(
            [Problem(SOURCE, None, "visit_date", value, "is not a date", "write YYYY-MM-DD")]
        ) from exc


def plan_correction(
    uow: AbstractUnitOfWork, patient_id: str, day: pd.Timestamp, field: str, value: str
) -> tuple[TableDiff, Correction, dict[str, Any]]:
    """The visit's rewrite and audit rows, and the layout after the correction.

    Raises
    ------
    NotFoundError
        If the patient or the visit does not exist.
    InvalidInputError
        If the field cannot be corrected or the value breaks a rule of the trial format.
    """
    meta = uow.trials.read_meta()
    if meta is None:
        raise NotFoundError("the database holds no trial yet (import one first)")
    layout = json.loads(meta["layout"])
    config = TrialConfig.from_dict(json.loads(meta["config"]), source="database")
    _check_field(field, layout["tables"]["visits"])
    typed = [c for c, _, where in layout["tables"]["visits"] if where == "typed"]
    visits = uow.trials.read_table("visits", [*typed, field])
    patients = uow.trials.read_table("patients", _typed(layout, "patients"))
    stored = _the_visit(visits, patients, patient_id, day)
    before = codec.decode_table(stored, _with_field(layout["tables"]["visits"], field))
    after = _parse(before, field, value, config)
    patient = codec.decode_table(
        patients[patients["patient_id"] == patient_id], layout["tables"]["patients"]
    )
    _check_trial(config, patient, after)
    # only the corrected cell changes; every other stored value is kept as it is
    encoded, entries = codec.encode_table("visits", after[[*KEYS["visits"], field]])
    where = next(e[2] for e in entries if e[0] == field)
    name = field if where == "typed" else codec.extra_name(field)
    incoming = stored.drop(columns="id")
    incoming[name] = encoded[name].to_numpy()
    change = diff_table("visits", incoming, stored)
    layout["tables"]["visits"] = _merged_layout(layout["tables"]["visits"], entries, field)
    audit = change.audit
    old = audit["old_value"].iloc[0] if len(audit) else None
    new = audit["new_value"].iloc[0] if len(audit) else codec.as_text(after[field]).iloc[0]
    found = Correction(patient_id, day.date().isoformat(), field, old, new, bool(len(audit)))
    return change, found, layout


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


def _parse(before: pd.DataFrame, field: str, value: str, config: TrialConfig) -> pd.DataFrame:
    """The visit with ``field`` set to ``value``, parsed and checked as an import row."""
    from myotrial.ingest import parse_records
    from myotrial.ingest.writer import as_text

    raw = as_text(before)
    raw[field] = value
    typed, problems = parse_records("visits", raw, SOURCE, config)
    if problems:
        raise InvalidInputError([_unrowed(p) for p in problems])
    return typed


def _check_trial(config: TrialConfig, patient: pd.DataFrame, visit: pd.DataFrame) -> None:
    """The rules across tables (visit before enrolment, ...), as at import."""
    from myotrial.ingest import parse_records, validate_trial
    from myotrial.ingest.reader import empty_table

    empty = {t: parse_records(t, empty_table(t), SOURCE, config)[0] for t in TABLES}
    trial = TrialData(
        config=config,
        patients=patient,
        infusions=empty["infusions"],
        visits=visit,
        adverse_events=empty["adverse_events"],
        events=empty["events"],
        medications=empty["medications"],
    )
    problems = [p for p in validate_trial(trial) if p.file.startswith("visits")]
    if problems:
        raise InvalidInputError([_unrowed(p) for p in problems])


def _unrowed(problem: Problem) -> Problem:
    return Problem(SOURCE, None, problem.column, problem.value, problem.rule, problem.hint)


def _merged_layout(
    entries: list[list[str]], new: list[codec.LayoutEntry], field: str
) -> list[list[str]]:
    if any(e[0] == field for e in entries):
        return entries
    added = [list(e) for e in new if e[0] == field]
    return [*entries, *added]
