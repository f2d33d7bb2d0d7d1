"""The rules a row entered on a form or corrected must meet: those of an import.

A form's row (an infusion, an adverse event, an event) and a corrected row of any
table but visits are parsed with :func:`myotrial.ingest.parse_records` and checked with
the rules of :func:`myotrial.ingest.validate_trial` over the patient's own rows: the
table's rules (values, ranges, the natural key, dates within the row) and those across
tables (no date before enrolment, release gating of the lot and the protocol's dose).
Visits keep their own, lighter path (:mod:`myotrial.services.visit_rules`). The hard
rules stay the importer's; the soft checks of :func:`soft_problems` only ask the user
to confirm a value that is possible but unusual.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from myotrial.config import TrialConfig
from myotrial.domain import Kind, table
from myotrial.errors import InvalidInputError, Problem
from myotrial.ingest import parse_records
from myotrial.ingest.cells import format_value
from myotrial.ingest.crosscheck import cross_table_problems
from myotrial.ingest.parse import merge_problems
from myotrial.ingest.schema import known_columns
from myotrial.ingest.validate import table_problems
from myotrial.store.correction import SOURCE as CORRECTION
from myotrial.store.correction import RowToCorrect
from myotrial.text import as_text
from myotrial.trialdata import TABLES, TrialData

FORM_NAMES: dict[str, str] = {
    "infusions": "infusion form",
    "adverse_events": "adverse event form",
    "events": "event form",
    "patients": "patient form",
    "medications": "medication form",
    "visits": "visit form",
}
"""The name each table's form gives its problems (the ``file`` of a Problem)."""

CK_SOFT_LIMIT = 50.0
"""A CK above 50 x ULN is asked for confirmation: possible in active myositis or
rhabdomyolysis, but more often a unit or a decimal point typed wrong."""
WEIGHT_SOFT_CHANGE = 0.20
"""A body weight more than 20 % from the last recorded one is asked for confirmation;
the dose per kg is computed from it (docs/server.md)."""
SOFT = "soft check"
"""The ``file`` of a soft-check problem: the value is stored once the user confirms it."""


def check_row(
    trial: TrialData, table_name: str, values: dict[str, str]
) -> tuple[pd.DataFrame, list[Problem]]:
    """A new row of ``table_name`` for the one patient of ``trial``, and its problems.

    Parameters
    ----------
    trial : TrialData
        The patient's own rows (one row of patients) and, for infusions, the lots and
        donors of the trial.
    table_name : str
        infusions, adverse_events, events or medications.
    values : dict of str to str
        The form's fields as text, as the table's CSV file would hold them.

    Returns
    -------
    row : pandas.DataFrame
        The parsed row (one row, typed as an import types it).
    problems : list of Problem
        Unknown fields and every broken rule of the import that concerns the row, with
        the field they concern (no spreadsheet rows); empty when it may be stored.
    """
    file = FORM_NAMES[table_name]
    patient_id = str(trial.patients["patient_id"].iloc[0])
    unknown = [
        Problem(
            file,
            None,
            name,
            value,
            f"is not a field of {table_name}",
            f"see the {table_name} table in docs/trial-format.md",
        )
        for name, value in values.items()
        if name not in known_columns(table_name)
    ]
    stored = trial.table(table_name).reset_index(drop=True)
    at = len(stored)
    raw = pd.DataFrame([{**values, "patient_id": patient_id}], dtype=object, index=[at])
    typed, problems = parse_records(table_name, raw, file, trial.config)
    # as an import, every problem at once: the rules across tables see the parsed
    # values (a cell that did not parse is missing there and reported once)
    across = row_problems(trial, table_name, _appended(stored, typed), at, file)
    problems = unknown + merge_problems(problems, across)
    return typed.reset_index(drop=True), [_unrowed(p) for p in problems]


def row_problems(
    trial: TrialData, table_name: str, rows: pd.DataFrame, at: int, file: str
) -> list[Problem]:
    """The import's problems of row ``at`` of the patient's ``rows`` of ``table_name``."""
    files = {t: t for t in TABLES}
    files[table_name] = file
    combined = trial.with_tables(**{table_name: rows})
    found = table_problems(table_name, rows, file, trial.config)
    found += cross_table_problems(combined, files)
    if table_name == "patients":
        # the patient's own rows are all there is: a new enrolment date that leaves a
        # visit before it is refused on the visit, as an import refuses it
        return found
    return [p for p in found if p.file == file and p.row == at + 2]


def corrected_row(row: RowToCorrect, trial: TrialData, field: str, value: str) -> pd.DataFrame:
    """The row with ``field`` set to ``value``, parsed and checked as an import row.

    ``trial`` holds the patient's rows (and the lots and donors when an infusion is
    corrected), so the rules across tables see the corrected row among them.

    Raises
    ------
    InvalidInputError
        If the value breaks a rule of the trial format or a rule across tables.
    """
    raw = as_text(row.before)
    raw[field] = value
    typed, problems = parse_records(row.table, raw, CORRECTION, row.config)
    if problems:
        raise InvalidInputError([_unrowed(p, CORRECTION) for p in problems])
    name = row.table
    stored = trial.table(name).reset_index(drop=True)
    rows, at = _replaced(stored, row, typed)
    problems = row_problems(trial.with_tables(patients=row.patient), name, rows, at, CORRECTION)
    if problems:
        raise InvalidInputError([_unrowed(p, CORRECTION) for p in problems])
    return typed


def soft_problems(
    table_name: str,
    row: pd.DataFrame,
    trial: TrialData,
    today: dt.date | None = None,
    before: pd.DataFrame | None = None,
) -> list[Problem]:
    """Values that keep every rule but are unusual enough to be confirmed.

    A date after today, a CK above :data:`CK_SOFT_LIMIT` times its upper limit of
    normal, a body weight more than :data:`WEIGHT_SOFT_CHANGE` from the one recorded
    before (``before``: the row as it was, for a correction).

    Returns
    -------
    list of Problem
        One per unusual value, with ``file`` :data:`SOFT`; empty when nothing needs
        confirming.
    """
    record = {str(c): _plain(row[c].iloc[0]) for c in row.columns}
    problems = soft_record_problems(table_name, record, trial.config, today)
    if table_name == "patients" and before is not None:
        problems += _weight_problems(row, before)
    return problems


def soft_record_problems(
    table_name: str,
    record: Mapping[str, object],
    config: TrialConfig,
    today: dt.date | None = None,
) -> list[Problem]:
    """The soft checks of :func:`soft_problems` on one typed record (plain values).

    Returns
    -------
    list of Problem
        A date after today, a CK above :data:`CK_SOFT_LIMIT` times its ULN; empty
        when nothing needs confirming.
    """
    today = today or dt.date.today()
    problems = []
    for column in table(table_name).columns:
        day = record.get(column.name)
        if column.kind == Kind.DATE and isinstance(day, dt.date) and day > today:
            rule = f"is after today ({today.isoformat()})"
            problems.append(_soft(column.name, day, rule, "check the year and the month"))
    if table_name == "visits":
        problems += _ck_problems(record, config)
    return problems


def _plain(value: object) -> object:
    """A frame's cell as a record holds it: dates as ``datetime.date``, None if missing."""
    if value is None or value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def _ck_problems(record: Mapping[str, object], config: TrialConfig) -> list[Problem]:
    ck, own = record.get("ck"), record.get("ck_uln")
    if ck is None:
        return []
    uln = float(own) if own is not None else config.uln.get("ck")  # type: ignore[arg-type]
    ck = float(ck)  # type: ignore[arg-type]
    if uln is None or ck <= CK_SOFT_LIMIT * uln:
        return []
    rule = f"is {ck / uln:.0f} x the upper limit of normal ({uln:g}), above {CK_SOFT_LIMIT:g} x"
    return [_soft("ck", ck, rule, f"check the unit ({config.unit('ck')}) and the digits")]


def _weight_problems(row: pd.DataFrame, before: pd.DataFrame) -> list[Problem]:
    if "weight_kg" not in row or "weight_kg" not in before:
        return []
    new, old = row["weight_kg"].iloc[0], before["weight_kg"].iloc[0]
    if pd.isna(new) or pd.isna(old) or abs(new - old) <= WEIGHT_SOFT_CHANGE * old:
        return []
    change = 100 * (new - old) / old
    rule = f"differs by {change:+.0f} % from the last recorded weight ({old:g} kg)"
    return [_soft("weight_kg", new, rule, "the dose per kg is computed from it")]


def _soft(column: str, value: object, rule: str, hint: str) -> Problem:
    return Problem(SOFT, None, column, format_value(value), rule, hint)


def _appended(stored: pd.DataFrame, typed: pd.DataFrame) -> pd.DataFrame:
    """The stored rows with the new one after them, in the new row's columns."""
    columns = list(dict.fromkeys([*typed.columns, *stored.columns]))
    earlier = stored.reindex(columns=columns)
    for column in typed.columns:
        earlier[column] = earlier[column].astype(typed[column].dtype)
    return pd.concat([earlier, typed.reindex(columns=columns)])


def _replaced(
    stored: pd.DataFrame, row: RowToCorrect, typed: pd.DataFrame
) -> tuple[pd.DataFrame, int]:
    """The patient's rows with the corrected one moved last, and its position."""
    if row.table == "patients":
        return typed.reset_index(drop=True), 0
    position = _position(stored, row)
    others = stored if position is None else stored.drop(index=stored.index[position])
    others = others.reset_index(drop=True)
    return _appended(others, typed.set_axis([len(others)])), len(others)


def _position(stored: pd.DataFrame, row: RowToCorrect) -> int | None:
    keys = [k for k in table(row.table).key if k in stored and k in row.before]
    same = np.ones(len(stored), dtype=bool)
    for key in keys:
        mine = row.before[key].iloc[0]
        column = stored[key]
        same &= (column.isna() if pd.isna(mine) else column == mine).to_numpy(dtype=bool)
    hits = np.flatnonzero(same)
    return int(hits[0]) if len(hits) else None


def _unrowed(problem: Problem, file: str | None = None) -> Problem:
    """A form or a correction has no spreadsheet rows: report the field only."""
    return Problem(
        file or problem.file, None, problem.column, problem.value, problem.rule, problem.hint
    )
