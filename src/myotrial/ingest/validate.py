"""Validation of a typed trial: every rule of the trial format, every problem collected.

Each rule is a vectorised mask over a whole column (no Python loop per row); only the
cells that break a rule become :class:`myotrial.errors.Problem` objects, one per cell,
with the spreadsheet row (``index + 2``: the header is row 1). Values are reported, never
corrected: nothing is clipped, no unit or date is guessed.

Rules within one table live in :func:`table_problems`; rules that need two tables
(unknown patients, dates before enrolment) in :mod:`myotrial.ingest.crosscheck`.

The rules are plain pandas/NumPy masks rather than a pandera schema: pandera's lazy
validation collects failures the same way, but the problems here need the spreadsheet
row, a hint per rule (some per row, such as the enrolment date), ranges that follow the
trial configuration and the visit's own ``mmt_max``, and no second pass to turn failure
cases into messages. The column specifications in :mod:`myotrial.ingest.schema` play the
part of the schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from myotrial.config import TrialConfig
from myotrial.domain import Scale
from myotrial.errors import Problem
from myotrial.ingest.cells import cell_problems, format_value
from myotrial.ingest.crosscheck import cross_table_problems, row_rule_problems
from myotrial.ingest.schema import TABLE_SPECS, ColumnSpec, range_rule, value_range
from myotrial.trialdata import TABLES, TrialData, table_files


def validate_trial(trial: TrialData, files: Mapping[str, str] | None = None) -> list[Problem]:
    """Every problem of ``trial``, in table, row and column order.

    Parameters
    ----------
    trial : TrialData
        Typed tables as :func:`myotrial.ingest.read_trial` produces them; each table's
        index gives the spreadsheet row as ``index + 2``.
    files : mapping of str to str, optional
        Name to report for each table; by default ``<table>.csv``, or
        ``<workbook> sheet <table>`` when ``trial.source`` is an ``.xlsx`` file.

    Returns
    -------
    list of Problem
        Empty when the trial keeps every rule.
    """
    names = dict(files or table_files(trial.source))
    problems: list[Problem] = []
    for table in TABLES:
        problems += table_problems(table, trial.table(table), names[table], trial.config)
    problems += cross_table_problems(trial, names)
    return sort_problems(problems, names)


def visit_problems(
    config: TrialConfig, patient: pd.DataFrame, visits: pd.DataFrame, file: str
) -> list[Problem]:
    """Every problem of some visits of one patient, without the rest of the trial.

    The rules :func:`validate_trial` applies that concern these visits: their table's
    rules (values, ranges, key, MMT-8 total) and the rules across tables (the patient
    exists, no visit before enrolment). A form entering or correcting one visit checks
    it with these, so its cost does not grow with the patient's history or the trial.

    Parameters
    ----------
    config : TrialConfig
        The trial's configuration (ranges, MMT-8 maximum).
    patient : pandas.DataFrame
        The patient's row of patients (typed).
    visits : pandas.DataFrame
        The visits to check (typed).
    file : str
        Name the problems are reported under.

    Returns
    -------
    list of Problem
        Empty when the visits keep every rule.
    """
    none = pd.DataFrame({"patient_id": pd.Series(dtype=object)})
    trial = TrialData(
        config=config,
        patients=patient,
        infusions=none,
        visits=visits,
        adverse_events=none,
        events=none,
        medications=none,
    )
    files = {t: file for t in TABLES}
    return table_problems("visits", visits, file, config) + cross_table_problems(trial, files)


def table_problems(
    table: str, frame: pd.DataFrame, file: str, config: TrialConfig
) -> list[Problem]:
    """Problems of one typed table: columns, values, unique key, rules within a row."""
    spec = TABLE_SPECS[table]
    problems = _missing_columns(table, frame, file)
    for column in spec.columns:
        if column.name in frame.columns:
            problems += _column_problems(column, frame[column.name], file, config)
    problems += _key_problems(table, frame, file)
    problems += row_rule_problems(table, frame, file, config)
    return problems


def sort_problems(problems: list[Problem], files: Mapping[str, str]) -> list[Problem]:
    """Problems in table order, then row (whole-file problems first), then column name."""
    rank = {name: i for i, name in enumerate(files.values())}
    return sorted(
        problems,
        key=lambda p: (rank.get(p.file, -1), p.file, p.row or 0, p.column or ""),
    )


def _missing_columns(table: str, frame: pd.DataFrame, file: str) -> list[Problem]:
    problems = []
    lower = {str(c).lower(): str(c) for c in frame.columns}
    for column in TABLE_SPECS[table].columns:
        if column.present and column.name not in frame.columns:
            hint = f"add a column named {column.name} to the header row"
            if column.name in lower:
                hint = f"found {lower[column.name]!r}: column names are lower case"
            problems.append(
                Problem(file, None, column.name, None, "required column is missing", hint)
            )
    return problems


REQUIRED_RULE = "a value is required"
WHOLE_NUMBER_RULE = "must be a whole number"
ALLOWED_HINT = "values are case-sensitive; write one of the allowed values exactly"


def _column_problems(
    column: ColumnSpec, values: pd.Series, file: str, config: TrialConfig
) -> list[Problem]:
    frame = values.to_frame(column.name)
    given = values.notna().to_numpy()
    problems = []
    if column.required and not given.all():
        problems += cell_problems(
            frame, ~given, column.name, file, REQUIRED_RULE, required_hint(column)
        )
    if column.allowed:
        problems += _allowed_problems(column, frame, given, file)
    if column.kind in ("number", "integer"):
        problems += _number_problems(column, frame, given, file, config)
    return problems


def required_hint(column: ColumnSpec) -> str:
    """The hint of a required value left empty."""
    if column.allowed:
        return f"one of {', '.join(column.allowed)}"
    if column.kind == "date":
        return "a date in YYYY-MM-DD form"
    return column.meaning


def allowed_values(column: ColumnSpec) -> list[object]:
    """The values ``column`` may hold, typed as parsed (numbers as floats)."""
    if column.kind in ("number", "integer"):
        return [float(a) for a in column.allowed]
    return list(column.allowed)


def allowed_rule(column: ColumnSpec) -> str:
    """The rule a value outside the allowed values of ``column`` breaks."""
    return f"is not one of {', '.join(column.allowed)}"


def outside_range(values: Any, low: float | None, high: float | None, above_minimum: bool) -> Any:
    """Masks (below, above) of values outside ``low``-``high``; arrays or single floats.

    The one range rule of the format, used on whole columns and on one entered value
    (NaN, a missing value, is never outside).
    """
    with np.errstate(invalid="ignore"):
        above = values > high if high is not None else np.zeros_like(values, dtype=bool)
        below = np.zeros_like(values, dtype=bool)
        if low is not None:
            below = values <= low if above_minimum else values < low
    return below, above


def not_whole(values: Any) -> Any:
    """Mask of values that are not whole numbers; arrays or single floats (NaN is not)."""
    with np.errstate(invalid="ignore"):
        return values != np.floor(values)


def _allowed_problems(
    column: ColumnSpec, frame: pd.DataFrame, given: np.ndarray, file: str
) -> list[Problem]:
    values = frame[column.name]
    bad = given & ~values.isin(allowed_values(column)).to_numpy()
    return cell_problems(frame, bad, column.name, file, allowed_rule(column), ALLOWED_HINT)


def _number_problems(
    column: ColumnSpec, frame: pd.DataFrame, given: np.ndarray, file: str, config: TrialConfig
) -> list[Problem]:
    values = frame[column.name].to_numpy(dtype=np.float64, na_value=np.nan)
    problems = []
    if column.kind == "integer":
        fractional = given & not_whole(values)
        problems += cell_problems(
            frame, fractional, column.name, file, WHOLE_NUMBER_RULE, column.meaning
        )
    low, high = value_range(column, config)
    below, above = outside_range(values, low, high, column.above_minimum)
    rule = range_rule(column, config)
    for side, upper in ((below, False), (above, True)):
        hint = range_hint(column, config, upper)
        problems += cell_problems(frame, given & side, column.name, file, rule, hint)
    return problems


def range_hint(column: ColumnSpec, config: TrialConfig, upper: bool) -> str:
    """The hint of a value below (``upper`` false) or above the range of ``column``."""
    if column.scale == Scale.VAS:
        if upper and config.vas_unit == "cm":
            # A VAS above 10 in a cm trial is most often entered in mm: say how to
            # declare it, never rescale it.
            return (
                f"{column.meaning} in cm as trial.toml declares (vas_unit); if the values "
                'are in mm, declare vas_unit = "mm"; values are never rescaled or clipped'
            )
        return f"{column.meaning} in {config.vas_unit}; values are never clipped"
    if column.scale == Scale.AGE:
        low, high = value_range(column, config)
        return f"years at enrolment; a {config.population} trial enrols ages {low:g}-{high:g}"
    if column.scale == Scale.ENZYME:
        return "enzyme activity cannot be negative"
    return f"{column.meaning}; values are never clipped" if column.meaning else ""


def _key_problems(table: str, frame: pd.DataFrame, file: str) -> list[Problem]:
    key = list(TABLE_SPECS[table].key)
    if not set(key) <= set(frame.columns) or frame.empty:
        return []
    keys = frame[key]
    # Rows missing a required key part are reported as such; optional parts (an
    # infusion's lot) may be empty and then compare equal to another empty one.
    required = [c for c in key if TABLE_SPECS[table].column(c).required]  # type: ignore[union-attr]
    complete = keys[required].notna().all(axis=1)
    keyed = keys[complete]
    repeated = keyed.duplicated(keep="first")
    if not repeated.any():
        return []
    # The first row holding each key, so the hint can point at it.
    first_row = keyed.assign(_row=keyed.index).groupby(key, sort=False)["_row"].transform("first")
    column = ", ".join(key)
    problems = []
    for index in keyed.index[repeated.to_numpy()]:
        value = " / ".join(str(format_value(v)) for v in keyed.loc[index])
        problems.append(
            Problem(
                file,
                int(index) + 2,
                column,
                value,
                f"repeats the key ({column})",
                f"first given in row {int(first_row[index]) + 2}",
            )
        )
    return problems
