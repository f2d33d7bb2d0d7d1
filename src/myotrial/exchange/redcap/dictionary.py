"""The REDCap data dictionary: reading one, and the one myotrial ships.

A REDCap data dictionary is a CSV file with REDCap's 18 columns (one row per field).
myotrial ships ``dictionary.csv`` for an MSCT myositis trial; each of its fields names the
trial-format column it carries in the *Field Annotation* column as
``myotrial=<table>.<column>`` (for the checkbox ``haq_aid`` the column is a pattern,
``visits.haq_<code>_aid``). A project whose field names differ maps its names onto these
with a mapping file (:mod:`myotrial.exchange.redcap.mapping`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from myotrial.domain import MMT_SCALES, Scale, table
from myotrial.domain.cdisc import RACES
from myotrial.domain.columns import Column, Kind
from myotrial.errors import InvalidInputError, Problem
from myotrial.exchange.text import format_dates, format_numbers
from myotrial.files import read_text
from myotrial.measures.scales import scale_bounds

DICTIONARY_COLUMNS: tuple[str, ...] = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)

FIELD_TYPES: tuple[str, ...] = (
    "text",
    "notes",
    "dropdown",
    "radio",
    "checkbox",
    "yesno",
    "truefalse",
    "calc",
    "file",
    "slider",
    "descriptive",
    "sql",
)

# REDCap date validation types and the order of their parts (REDCap "Date (Y-M-D)" etc.).
DATE_FORMATS: dict[str, str] = {
    "date_ymd": "%Y-%m-%d",
    "date_mdy": "%m-%d-%Y",
    "date_dmy": "%d-%m-%Y",
}

# Instruments of the shipped project and the trial-format table each one fills.
FORM_TABLES: dict[str, str] = {
    "patient": "patients",
    "visit": "visits",
    "infusion": "infusions",
    "adverse_event": "adverse_events",
    "trial_event": "events",
    "medication": "medications",
}
# Tables whose rows repeat per patient are repeating instruments.
REPEATING_FORMS: tuple[str, ...] = tuple(
    form for form, name in FORM_TABLES.items() if table(name).repeatable
)

# Choice codes are letters, digits and underscores in REDCap; the trial format writes
# "not related" and the race terms with spaces, so those codes are translated.
CHOICE_VALUES: dict[str, dict[str, str]] = {
    "ae_relatedness": {"not_related": "not related"},
    # CDISC CT race (C74457) submission values have spaces and commas
    "race": {value.lower().replace(" ", "_"): value for value in RACES},
}

ANNOTATION_TAG = "myotrial="
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Field:
    """One field (row) of a REDCap data dictionary.

    ``table`` and ``column`` say which trial-format column the field carries (from the
    ``myotrial=`` annotation); ``None`` for a field myotrial does not know.
    """

    name: str
    form: str
    field_type: str
    validation: str
    choices: tuple[tuple[str, str], ...]
    table: str | None
    column: str | None
    cells: tuple[str, ...]

    @property
    def kind(self) -> str:
        """How values are typed: date, number, boolean, choice, checkbox or text."""
        if self.field_type == "checkbox":
            return "checkbox"
        if self.field_type in ("yesno", "truefalse"):
            return "boolean"
        if self.field_type in ("radio", "dropdown"):
            return "choice"
        if self.field_type in ("calc", "slider"):
            return "number"
        if self.validation in DATE_FORMATS:
            return "date"
        if self.validation == "integer" or self.validation.startswith("number"):
            return "number"
        return "text"

    @property
    def codes(self) -> tuple[str, ...]:
        """The choice codes, in dictionary order."""
        return tuple(code for code, _ in self.choices)

    def checkbox_column(self, code: str) -> str:
        """The trial column a checkbox option fills (``haq_<code>_aid`` -> ``haq_dressing_aid``)."""
        pattern = self.column or f"{self.name}_<code>"
        return pattern.replace("<code>", code)

    def trial_value(self, code: str) -> str:
        """The trial-format value of a choice code."""
        return CHOICE_VALUES.get(self.name, {}).get(code, code)


def parse_choices(text: str) -> tuple[tuple[str, str], ...]:
    """Parse REDCap's ``code, label | code, label`` choice text."""
    choices: list[tuple[str, str]] = []
    for part in text.split("|"):
        code, _, label = part.strip().partition(",")
        if code.strip():
            choices.append((code.strip(), label.strip()))
    return tuple(choices)


def field_from_cells(cells: tuple[str, ...]) -> Field:
    """Build a :class:`Field` from the 18 cells of one dictionary row."""
    row = dict(zip(DICTIONARY_COLUMNS, cells, strict=True))
    table = column = None
    for token in row["Field Annotation"].split():
        if token.startswith(ANNOTATION_TAG):
            table, _, column = token[len(ANNOTATION_TAG) :].partition(".")
    field_type = row["Field Type"].strip().lower()
    choices = parse_choices(row["Choices, Calculations, OR Slider Labels"])
    if field_type == "yesno":
        choices = (("1", "Yes"), ("0", "No"))
    elif field_type == "truefalse":
        choices = (("1", "True"), ("0", "False"))
    return Field(
        name=row["Variable / Field Name"].strip(),
        form=row["Form Name"].strip(),
        field_type=field_type,
        validation=row["Text Validation Type OR Show Slider Number"].strip().lower(),
        choices=choices if field_type != "calc" else (),
        table=table or None,
        column=column or None,
        cells=cells,
    )


def read_dictionary_text(text: str, file: str) -> list[Field]:
    """Parse data-dictionary CSV text.

    Raises
    ------
    InvalidInputError
        If the header is not REDCap's 18 columns, or a field name, type or row is invalid.
    """
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(h.strip() for h in rows[0]) != DICTIONARY_COLUMNS:
        header = ",".join(rows[0]) if rows else ""
        raise InvalidInputError(
            [
                Problem(
                    file,
                    1,
                    None,
                    header[:120],
                    "is not a REDCap data dictionary header",
                    "export the dictionary from REDCap (Project Setup > Data Dictionary); it has "
                    "18 columns starting with 'Variable / Field Name'",
                )
            ]
        )
    fields: list[Field] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(DICTIONARY_COLUMNS):
            problems.append(
                Problem(
                    file,
                    number,
                    None,
                    None,
                    f"has {len(cells)} cells instead of 18",
                    "quote cells that contain commas",
                )
            )
            continue
        field = field_from_cells(tuple(cells))
        problems.extend(_field_problems(field, number, file, seen))
        seen.add(field.name)
        fields.append(field)
    if problems:
        raise InvalidInputError(problems)
    return fields


def _field_problems(field: Field, row: int, file: str, seen: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    if not _FIELD_NAME.match(field.name):
        problems.append(
            Problem(
                file,
                row,
                DICTIONARY_COLUMNS[0],
                field.name,
                "is not a REDCap field name",
                "lower-case letters, digits and _; start with a letter",
            )
        )
    elif field.name in seen:
        problems.append(
            Problem(
                file,
                row,
                DICTIONARY_COLUMNS[0],
                field.name,
                "is defined twice",
                "field names are unique in a project",
            )
        )
    if field.field_type not in FIELD_TYPES:
        problems.append(
            Problem(
                file,
                row,
                DICTIONARY_COLUMNS[3],
                field.field_type,
                "is not a REDCap field type",
                f"one of {', '.join(FIELD_TYPES)}",
            )
        )
    return problems


def read_dictionary(path: Path) -> list[Field]:
    """Read a REDCap data dictionary CSV file (see :func:`read_dictionary_text`)."""
    hint = "a REDCap export folder holds dictionary.csv and records.csv"
    text = read_text(path, hint, encoding="utf-8-sig")
    return read_dictionary_text(text, path.name)


@cache
def shipped_dictionary_text() -> str:
    """The text of the dictionary myotrial ships (``exchange/redcap/dictionary.csv``)."""
    return resources.files(__package__).joinpath("dictionary.csv").read_text(encoding="utf-8")


def shipped_fields() -> list[Field]:
    """The fields of the shipped dictionary, in order, their rules from the domain.

    The shipped file gives each field's name, instrument, section, label, note, choice
    labels and the column it carries; the validation type, range and required flag of
    every field are those of its domain column (:func:`domain_rules`), so the domain
    is where a rule changes (a test keeps the shipped file equal to this).
    """
    return [with_domain_rules(f) for f in read_dictionary_text(shipped_dictionary_text(), _NAME)]


_NAME = "dictionary.csv"
_VALIDATION = {Kind.DATE: "date_ymd", Kind.NUMBER: "number", Kind.INTEGER: "integer"}


def format_bound(value: float | None) -> str:
    """A validation bound as REDCap reads it: ``100``, ``0.5``, ``100000000``; empty for none."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def widest_bounds(column: Column) -> tuple[float | None, float | None]:
    """The widest range the trial format allows ``column`` under any trial configuration.

    REDCap checks a field against one fixed range, so it must hold every valid value:
    VAS up to 100 (a trial entering mm), age from 0 (a juvenile trial), the MMT-8 total
    up to the 150 form, a column of allowed numbers between the least and the largest.
    """
    if column.allowed:
        numbers = [float(v) for v in column.allowed]
        return min(numbers), max(numbers)
    if column.scale is Scale.VAS:
        bounds = scale_bounds(column.scale, vas_unit="mm")
    elif column.scale is Scale.AGE:
        bounds = scale_bounds(column.scale, population="juvenile")
    elif column.scale is Scale.MMT_TOTAL:
        return 0.0, float(max(MMT_SCALES))
    elif column.scale is not None:
        bounds = scale_bounds(column.scale)
    else:
        return column.minimum, column.maximum
    return bounds.minimum, bounds.maximum


def domain_rules(column: Column) -> dict[int, str]:
    """Validation type, min, max and required cells of a field carrying ``column``."""
    cells = {7: _VALIDATION.get(column.kind, ""), 8: "", 9: "", 12: "y" if column.required else ""}
    if column.kind in (Kind.NUMBER, Kind.INTEGER):
        low, high = widest_bounds(column)
        cells[8], cells[9] = format_bound(low), format_bound(high)
    return cells


def with_domain_rules(field: Field) -> Field:
    """``field`` with the rules of its domain column (checkboxes and unknown fields as they are).

    A choice field keeps its type and labels; its validation cells stay empty.
    """
    if field.table is None or field.column is None or field.kind in ("checkbox", "choice"):
        return field
    if field.field_type in ("yesno", "truefalse", "notes", "descriptive"):
        required = _required(field)
        return field if required is None else _replaced(field, {12: required})
    column = table(field.table).column(field.column)
    if column is None:
        return field
    return _replaced(field, domain_rules(column))


def _required(field: Field) -> str | None:
    column = table(str(field.table)).column(str(field.column))
    return None if column is None else ("y" if column.required else "")


def _replaced(field: Field, cells: dict[int, str]) -> Field:
    new = list(field.cells)
    for index, value in cells.items():
        new[index] = value
    return field_from_cells(tuple(new))


def shipped_dictionary_expected() -> str:
    """The shipped dictionary's text with every rule from the domain (what the file holds)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DICTIONARY_COLUMNS)
    writer.writerows(f.cells for f in shipped_fields())
    return out.getvalue()


def write_dictionary(fields: list[Field], path: Path) -> None:
    """Write fields as a REDCap data dictionary CSV (REDCap's 18 columns)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(DICTIONARY_COLUMNS)
        writer.writerows(field.cells for field in fields)


def make_field(name: str, form: str, kind: str, table: str, column: str) -> Field:
    """A dictionary field for a column the shipped dictionary does not have.

    ``kind`` is one of ``date``, ``number``, ``boolean`` or ``text``; the label is the
    column name, and the annotation records the trial column so a round trip keeps it.
    """
    field_type = {"boolean": "yesno"}.get(kind, "text")
    validation = {"date": "date_ymd", "number": "number"}.get(kind, "")
    cells = [""] * len(DICTIONARY_COLUMNS)
    cells[0], cells[1], cells[3], cells[4] = name, form, field_type, column
    cells[7] = validation
    cells[17] = f"{ANNOTATION_TAG}{table}.{column}"
    return field_from_cells(tuple(cells))


def format_values(values: pd.Series, field: Field) -> pd.Series:
    """REDCap text for one column of trial values (empty string when missing)."""
    missing = values.isna()
    if field.kind == "date":
        text = format_dates(values)
    elif field.kind in ("boolean", "checkbox"):
        text = values.astype("boolean").map({True: "1", False: "0"})
    elif field.kind == "number":
        text = format_numbers(values)
    elif field.kind == "choice":
        codes = {field.trial_value(code): code for code in field.codes}
        text = values.map(lambda v: codes.get(str(v), str(v)))
    else:
        text = values.astype(str)
    return text.where(~missing, "").astype(object)
