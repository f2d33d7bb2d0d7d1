"""The words a form shows for a column: its label, its unit, and a problem said in words.

The labels are those of the REDCap project myotrial ships
(``exchange/redcap/dictionary.csv``, each field annotated with the column it carries),
so the web forms, the REDCap project and its exports name a field alike; a column the
dictionary lacks falls back to the plain words of the trial format
(:attr:`myotrial.domain.Column.meaning`). Units come from the trial format, except those
the trial configures (the VAS unit, each enzyme's declared unit).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from myotrial.config import TrialConfig
from myotrial.domain import Scale, table
from myotrial.errors import Problem
from myotrial.exchange.redcap.dictionary import shipped_fields


@cache
def _dictionary_labels() -> dict[tuple[str, str], str]:
    return {
        (f.table, f.column): f.cells[4]
        for f in shipped_fields()
        if f.table is not None and f.column is not None and "<" not in f.column
    }


def field_label(table_name: str, column: str) -> str:
    """The words a form shows for ``column`` of ``table_name`` (``"Creatine kinase (CK)"``).

    Parameters
    ----------
    table_name, column : str
        A table of the trial format and one of its columns.

    Returns
    -------
    str
        The shipped REDCap field label, else the column's meaning, else the column name
        with its underscores as spaces.
    """
    label = _dictionary_labels().get((table_name, column))
    if label:
        return label
    derived = {name: words for name, words, _, _ in DERIVED_FIELDS.get(table_name, ())}
    if column in derived:
        return derived[column]
    found = table(table_name).column(column)
    if found is not None and found.meaning:
        return found.meaning[0].upper() + found.meaning[1:]
    return column.replace("_", " ").capitalize()


def field_unit(table_name: str, column: str, config: TrialConfig) -> str:
    """The unit printed beside the input of ``column`` (empty when it has none).

    The VAS unit is the trial's (``vas_unit``), an enzyme's the unit ``[units]``
    declares for it; other units are those of the trial format.
    """
    found = table(table_name).column(column)
    if found is None:
        return ""
    if found.scale == Scale.VAS:
        return config.vas_unit
    if found.scale in (Scale.ENZYME, Scale.ULN):
        return config.unit(column.removesuffix("_uln"))
    return found.unit


def problem_in_words(table_name: str, problem: Problem) -> dict[str, Any]:
    """A problem as a form shows it next to its field.

    Returns
    -------
    dict
        ``field`` (the column, to place the message), ``label`` and ``message``: the
        label, the value as typed and the rule in words, with its hint
        (``"Creatine kinase (CK): '-5' enzyme activity ... (cannot be negative)"``).
    """
    column = problem.column or ""
    label = field_label(table_name, column) if column else ""
    text = f"{problem.value!r} {problem.rule}" if problem.value is not None else problem.rule
    if problem.hint:
        text += f" ({problem.hint})"
    return {"field": column, "label": label, "message": f"{label}: {text}" if label else text}


DERIVED_FIELDS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "infusions": (
        (
            "cells_infused",
            "Cells infused",
            "cells",
            "the dose per kg is computed from it and the patient's recorded weight",
        ),
    ),
}
"""Fields a form asks for that are not stored as given: (name, label, unit, note)."""


@cache
def _dictionary_notes() -> dict[tuple[str, str], str]:
    return {
        (f.table, f.column): f.cells[6]
        for f in shipped_fields()
        if f.table is not None and f.column is not None
    }


def form_fields(table_name: str, config: TrialConfig) -> list[dict[str, Any]]:
    """The fields of a table's form: name, label, unit, kind, required, choices, note.

    The patient's code is the form's own (it is in the address), so it is left out;
    a derived field (the cells infused of an infusion) comes first.
    """
    fields: list[dict[str, Any]] = [
        {
            "name": name,
            "label": label,
            "unit": unit,
            "kind": "number",
            "required": False,
            "choices": [],
            "note": note,
        }
        for name, label, unit, note in DERIVED_FIELDS.get(table_name, ())
    ]
    for column in table(table_name).columns:
        if column.name == "patient_id":
            continue
        fields.append(
            {
                "name": column.name,
                "label": field_label(table_name, column.name),
                "unit": field_unit(table_name, column.name, config),
                "kind": str(column.kind),
                "required": column.required,
                "choices": list(column.allowed),
                "note": _dictionary_notes().get((table_name, column.name), ""),
            }
        )
    return fields
