"""One record entered on a form, checked with the trial format's rules and no pandas.

An import checks whole columns at once (:mod:`myotrial.ingest.validate`); a site
entering one visit, adverse event, event or medication has one row, for which building
one-row DataFrames costs far more than the rules themselves. This module applies the
same rules to plain values: the column specifications of :mod:`myotrial.ingest.schema`
(kind, required, allowed values, ranges of the clinical scales), the parse of
:func:`myotrial.ingest.parse.parse_cell`, and the rules across columns and tables of
:mod:`myotrial.ingest.crosscheck` through the predicates, rule texts and hints those
modules define, so a rule and its wording live in one place and the import, the form
and ``myotrial correct`` refuse the same values (``tests/unit/test_ingest_record.py``
compares the two paths value by value).

Only the rules that concern the entry are applied: the columns it gives, the rules
across its columns, and the two rules that look beyond it, given by the caller as a
:class:`RecordContext` read through indexes (the patient's enrolment date; for a visit,
the MMT-8 form of the patient's first visit). Infusions are not entered this way: their
release gating needs the product record (:mod:`myotrial.ingest.product_checks`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from myotrial.config import TrialConfig
from myotrial.domain.entry import Record, RecordContext
from myotrial.errors import Problem
from myotrial.ingest.cells import format_value
from myotrial.ingest.crosscheck import (
    _AFTER_ENROLMENT,
    _ROW_DATE_ORDER,
    DOSE_UNIT_HINT,
    DOSE_UNIT_RULE,
    ENROLMENT_RULE,
    GRADES_RULE,
    MMT_ABOVE_RULE,
    MMT_FORM_RULE,
    date_order_hint,
    enrolment_hint,
    grades_differ,
    grades_hint,
    mmt_above_hint,
    mmt_form_hint,
    needs_uln,
    uln_hint,
    uln_rule,
)
from myotrial.ingest.parse import BLANKS, parse_cell, parse_rule
from myotrial.ingest.schema import (
    TABLE_SPECS,
    ColumnSpec,
    known_columns,
    range_rule,
    value_range,
)
from myotrial.ingest.validate import (
    ALLOWED_HINT,
    REQUIRED_RULE,
    WHOLE_NUMBER_RULE,
    allowed_rule,
    allowed_values,
    outside_range,
    range_hint,
    required_hint,
)
from myotrial.measures.csm import TIS_ENZYMES
from myotrial.measures.mmt import grade_columns, mmt_total

RECORD_TABLES: tuple[str, ...] = ("visits", "adverse_events", "events", "medications")
"""Tables whose every rule this module applies to one record (infusions need the
product record for their release gating, patients the whole trial for the arms)."""


def check_record(
    table: str,
    values: Mapping[str, str],
    file: str,
    config: TrialConfig,
    context: RecordContext,
) -> tuple[Record, list[Problem]]:
    """The record typed, and every rule of the trial format it breaks.

    Parameters
    ----------
    table : str
        One of :data:`RECORD_TABLES`.
    values : mapping of str to str
        The record's fields as text, as a row of the table's CSV file would hold them
        (``""`` for empty); ``patient_id`` included. A field that is not a column of
        the table is a problem.
    file : str
        Name the problems are reported under (they carry no row: a form has none).
    config : TrialConfig
        The trial's configuration (VAS unit, population, MMT-8 form, ULNs).
    context : RecordContext
        The patient's enrolment date and, for a visit, the patient's first visit.

    Returns
    -------
    record : dict
        Every known column given, typed (``None`` for empty); missing required
        columns are absent.
    problems : list of Problem
        Fields the table does not have, then the problems
        :func:`myotrial.ingest.parse_records` and
        :func:`myotrial.ingest.validate.visit_problems` report for the same row, in
        column order; the rules across tables are applied only to a record that keeps
        the rules of its own table, as an import reports them.
    """
    if table not in RECORD_TABLES:
        raise ValueError(f"{table} records are checked with the whole table's rules")
    spec = TABLE_SPECS[table]
    unknown = unknown_fields(table, values, file)
    record: Record = {}
    problems: list[Problem] = []
    unparsed: set[str] = set()
    for column in spec.columns:
        if column.name not in values:
            if column.present:
                problems.append(_missing_column(column, values, file))
            continue
        text = values[column.name]
        value, failed = parse_cell(column, text)
        record[column.name] = value
        if failed:
            rule, hint = parse_rule(column)
            problems.append(Problem(file, None, column.name, text.strip(BLANKS), rule, hint))
            unparsed.add(column.name)
        else:
            problems += _value_problems(column, value, file, config)
    # a cell that did not parse is reported once, not again by a rule across columns
    row = _row_problems(table, record, file, config, values)
    problems += [p for p in row if p.column not in unparsed]
    if not problems and not unknown:
        problems = _beyond_problems(table, record, file, config, context)
    return record, unknown + sorted(problems, key=lambda p: p.column or "")


def unknown_fields(table: str, values: Mapping[str, str], file: str) -> list[Problem]:
    """A problem per field that is not a column of ``table``."""
    noun = "a visit field" if table == "visits" else f"a column of {table}"
    return [
        Problem(
            file,
            None,
            name,
            value,
            f"is not {noun}",
            f"see the {table} table in docs/trial-format.md",
        )
        for name, value in values.items()
        if name not in known_columns(table)
    ]


def _missing_column(column: ColumnSpec, values: Mapping[str, str], file: str) -> Problem:
    lower = {name.lower(): name for name in values}
    hint = f"add a column named {column.name} to the header row"
    if column.name in lower:
        hint = f"found {lower[column.name]!r}: column names are lower case"
    return Problem(file, None, column.name, None, "required column is missing", hint)


def _value_problems(
    column: ColumnSpec, value: object, file: str, config: TrialConfig
) -> list[Problem]:
    """The column rules of :func:`myotrial.ingest.validate.table_problems`, one value."""
    if value is None:
        if column.required:
            return [Problem(file, None, column.name, None, REQUIRED_RULE, required_hint(column))]
        return []
    shown = format_value(value)
    problems = []
    if column.allowed and value not in allowed_values(column):
        problems.append(Problem(file, None, column.name, shown, allowed_rule(column), ALLOWED_HINT))
    if column.kind in ("number", "integer"):
        number = float(value)  # type: ignore[arg-type]
        if column.kind == "integer" and number != math.floor(number):
            problems.append(
                Problem(file, None, column.name, shown, WHOLE_NUMBER_RULE, column.meaning)
            )
        low, high = value_range(column, config)
        below, above = outside_range(number, low, high, column.above_minimum)
        if below or above:
            hint = range_hint(column, config, bool(above))
            problems.append(
                Problem(file, None, column.name, shown, range_rule(column, config), hint)
            )
    return problems


def _row_problems(
    table: str, record: Record, file: str, config: TrialConfig, values: Mapping[str, str]
) -> list[Problem]:
    """The rules across the record's own columns (:func:`row_rule_problems`)."""
    problems = []
    for name, earlier, later, rule, hint in _ROW_DATE_ORDER:
        if name != table or not {earlier, later} <= values.keys():
            continue
        first, second = record.get(earlier), record.get(later)
        if first is not None and second is not None and first > second:  # type: ignore[operator]
            column = earlier if table == "patients" else later
            other = later if column == earlier else earlier
            day = format_value(record[other]) or ""
            shown = format_value(record[column])
            hint = date_order_hint(hint, other, day)
            problems.append(Problem(file, None, column, shown, rule, hint))
    if table == "visits":
        problems += _mmt_problems(record, file, config)
        problems += _uln_problems(record, file, config, values)
    dose_only = record.get("dose") is not None and record.get("unit") is None
    if table == "medications" and {"dose", "unit"} <= values.keys() and dose_only:
        problems.append(Problem(file, None, "unit", None, DOSE_UNIT_RULE, DOSE_UNIT_HINT))
    return problems


def _scale(record: Record, config: TrialConfig) -> float:
    """The visit's MMT-8 maximum: its ``mmt_max``, else the trial's default."""
    given = record.get("mmt_max")
    return float(config.mmt_max) if given is None else float(given)  # type: ignore[arg-type]


def _mmt_problems(record: Record, file: str, config: TrialConfig) -> list[Problem]:
    """A total above its form's maximum, or one its grades do not sum to."""
    total = record.get("mmt8")
    if total is None:
        return []
    scale = _scale(record, config)
    shown = format_value(total)
    if float(total) > scale:  # type: ignore[arg-type]
        return [Problem(file, None, "mmt8", shown, MMT_ABOVE_RULE, mmt_above_hint(scale))]
    grades = {c: v for c, v in record.items() if c.startswith("mmt_") and v is not None}
    grades.pop("mmt_max", None)
    if not grades:
        return []
    # the sum of the grades is the measure's own code (docs/measures.md §1), on a row
    # of the grades given; only an entry with grades pays for the frame
    frame = pd.DataFrame({c: [float(v)] for c, v in grades.items()})  # type: ignore[arg-type]
    if not grade_columns(frame):
        return []
    computed = float(mmt_total(frame, np.array([scale]), problems=[])[0])
    if grades_differ(np.float64(float(total)), np.float64(computed)):  # type: ignore[arg-type]
        return [Problem(file, None, "mmt8", shown, GRADES_RULE, grades_hint(computed))]
    return []


def _uln_problems(
    record: Record, file: str, config: TrialConfig, values: Mapping[str, str]
) -> list[Problem]:
    """Enzymes measured beside others with no upper limit of normal (docs/measures.md §2)."""
    measured = {e: record[e] is not None for e in TIS_ENZYMES if e in values}
    return [
        Problem(file, None, f"{e}_uln", None, uln_rule(e), uln_hint(e, file))
        for e in needs_uln(measured, config)
        if record.get(f"{e}_uln") is None
    ]


def _beyond_problems(
    table: str, record: Record, file: str, config: TrialConfig, context: RecordContext
) -> list[Problem]:
    """The rules across tables that concern the record: enrolment and the MMT-8 form."""
    problems = []
    day = record.get(_AFTER_ENROLMENT.get(table, ""))
    enrolled = context.enrolment_date
    if isinstance(day, dt.date) and enrolled is not None and day < enrolled:
        column = _AFTER_ENROLMENT[table]
        hint = enrolment_hint(enrolled.isoformat())
        problems.append(Problem(file, None, column, format_value(day), ENROLMENT_RULE, hint))
    first = context.first_visit
    if table == "visits" and first is not None and isinstance(day, dt.date) and first[0] < day:
        # a stored visit on the same date is the caller's duplicate; a later one does
        # not set the form; the first visit's form is its mmt_max or the default
        form = float(config.mmt_max) if first[1] is None else float(first[1])
        if _scale(record, config) != form:
            shown = format_value(record.get("mmt_max"))
            problems.append(
                Problem(file, None, "mmt_max", shown, MMT_FORM_RULE, mmt_form_hint(form))
            )
    return problems
