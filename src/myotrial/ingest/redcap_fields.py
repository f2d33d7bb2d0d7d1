"""Fields of a REDCap export resolved against the shipped dictionary, and their values.

Each project field is renamed by the mapping file, then matched to a field of the shipped
dictionary (which names the trial column it fills); a field the shipped dictionary lacks
fills a column of the same name in its instrument's table (kept as an extra column).
Values are typed by the trial column's kind and parsed in the format the project's
dictionary declares (``date_dmy`` reads 31-12-2024). Every cell that breaks a rule
becomes a :class:`~myotrial.errors.Problem`; nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from myotrial.errors import Problem
from myotrial.exchange.redcap.dictionary import (
    DATE_FORMATS,
    FORM_TABLES,
    Field,
    shipped_fields,
)
from myotrial.exchange.redcap.mapping import RedcapMapping

RECORDS = "records.csv"
ISO_DATE = "%Y-%m-%d"


@dataclass(frozen=True)
class ReadField:
    """A project field as the reader uses it (names already mapped)."""

    name: str
    source: str
    form: str
    kind: str
    date_format: str
    codes: tuple[str, ...]
    values: dict[str, str]
    table: str
    column: str
    checkbox: Field | None


def resolve_fields(
    project: list[Field], mapping: RedcapMapping
) -> tuple[dict[str, ReadField], list[Problem]]:
    """Match project fields to trial columns; problems for instruments myotrial lacks."""
    shipped = {f.name: f for f in shipped_fields()}
    resolved: dict[str, ReadField] = {}
    problems: list[Problem] = []
    for number, field in enumerate(project, start=2):
        name = mapping.field_name(field.name)
        target = shipped.get(name, field)
        form = mapping.instruments.get(field.form, field.form)
        table = target.table or FORM_TABLES.get(form)
        if field.field_type == "descriptive":
            continue
        if table is None:
            problems.append(
                Problem(
                    "dictionary.csv",
                    number,
                    "Form Name",
                    field.form,
                    "is not an instrument myotrial knows",
                    f"map it to one of {', '.join(FORM_TABLES)} in the mapping file's "
                    "[instruments], or map the field in [fields]",
                )
            )
            continue
        resolved[name] = _read_field(field, target, name, form, table, mapping)
    return resolved, problems


def _read_field(
    field: Field, target: Field, name: str, form: str, table: str, mapping: RedcapMapping
) -> ReadField:
    kind = target.kind
    date_format = DATE_FORMATS.get(field.validation, ISO_DATE)
    codes = target.codes if target.choices else field.codes
    values = {code: target.trial_value(code) for code in codes}
    # A choice field of a project without a myotrial counterpart keeps its codes as text.
    if kind == "choice" and not codes:
        kind = "text"
    return ReadField(
        name=name,
        source=field.name,
        form=target.form if target is not field else form,
        kind=kind,
        date_format=date_format,
        codes=codes,
        values=values,
        table=table,
        column=target.column or field.name,
        checkbox=target if target.kind == "checkbox" else None,
    )


def cell_problems(
    values: pd.Series, bad: pd.Series, column: str, rule: str, hint: str
) -> list[Problem]:
    """One problem per flagged cell (``bad`` is a boolean mask over ``values``)."""
    return [
        Problem(RECORDS, int(index) + 2, column, str(values[index]), rule, hint)
        for index in values.index[bad]
    ]


def parse_column(
    values: pd.Series, field: ReadField, column: str
) -> tuple[pd.Series, list[Problem]]:
    """Typed values of one records column (empty cells are missing)."""
    blank = values.eq("")
    if field.kind == "date":
        return _parse_dates(values, blank, field, column)
    if field.kind == "number":
        numbers = pd.to_numeric(values.where(~blank), errors="coerce").astype("float64")
        bad = ~blank & numbers.isna()
        return numbers, cell_problems(
            values, bad, column, "is not a number", "write digits with a decimal point, e.g. 12.5"
        )
    if field.kind == "boolean":
        flags = values.map({"1": True, "0": False}).astype("boolean")
        bad = ~blank & ~values.isin(["0", "1"])
        return flags, cell_problems(values, bad, column, "is not a yes/no code", "1 = yes, 0 = no")
    if field.kind == "choice":
        mapped = values.map(field.values)
        bad = ~blank & mapped.isna()
        return mapped.astype(object), cell_problems(
            values,
            bad,
            column,
            "is not a choice code of the field",
            f"codes: {', '.join(field.codes)}",
        )
    return values.where(~blank).astype(object), []


def _parse_dates(
    values: pd.Series, blank: pd.Series, field: ReadField, column: str
) -> tuple[pd.Series, list[Problem]]:
    text = values.str.replace("/", "-", regex=False)
    # A four-digit year first is unambiguous (REDCap's raw exports write Y-M-D whatever
    # the field's display format); anything else must be in the declared order.
    iso = text.str.match(r"^\d{4}-\d{1,2}-\d{1,2}$")
    dates = pd.to_datetime(text.where(iso & ~blank), format=ISO_DATE, errors="coerce")
    declared = pd.to_datetime(text.where(~iso & ~blank), format=field.date_format, errors="coerce")
    dates = dates.fillna(declared).astype("datetime64[ns]")
    bad = ~blank & dates.isna()
    order = field.date_format.replace("%", "").replace("d", "D").replace("m", "M")
    return dates, cell_problems(
        values,
        bad,
        column,
        f"is not a date in {order} order",
        f"the dictionary declares {order}; e.g. 2024-03-31 works in any date field",
    )
