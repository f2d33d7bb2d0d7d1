"""The product project of a REDCap export (``product/``): donors and lots read back.

The project's fields are those :func:`myotrial.exchange.redcap.product.product_fields`
generates from the domain; each value is typed by its trial column's kind and parsed in
the format the project's dictionary declares, as for the patient project. A donor is
a record's non-repeating row; each row of the repeating ``lot`` instrument is a lot of
that donor. Every cell that breaks a rule is a problem located in
``product/records.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from myotrial.errors import Problem
from myotrial.exchange.redcap.dictionary import DATE_FORMATS, Field, read_dictionary
from myotrial.exchange.redcap.product import (
    FOLDER,
    KEY_COLUMNS,
    PRODUCT_FORMS,
    RECORD_KEYS,
    REPEATING,
    product_fields,
)
from myotrial.ingest.redcap_fields import ISO_DATE, ReadField, parse_column

PRODUCT_RECORDS = f"{FOLDER}/records.csv"
"""Where problems of the product project are located."""


@dataclass(frozen=True)
class ProductRead:
    """Donors and lots read from the product project, and where each row came from.

    ``names`` gives the product field carrying each (table, column).
    """

    tables: dict[str, pd.DataFrame]
    source_rows: dict[str, pd.Series]
    names: dict[tuple[str, str], str]
    problems: list[Problem]


def has_product_project(folder: Path) -> bool:
    """Whether a REDCap export folder holds a product project."""
    return (folder / FOLDER / "records.csv").exists()


def _read_fields(folder: Path) -> dict[str, ReadField]:
    declared = {f.name: f for f in read_dictionary(folder / FOLDER / "dictionary.csv")}
    return {f.name: _read_field(f, declared.get(f.name, f)) for f in product_fields()}


def _read_field(field: Field, declared: Field) -> ReadField:
    assert field.table is not None and field.column is not None
    return ReadField(
        name=field.name,
        source=declared.name,
        form=field.form,
        kind=field.kind,
        date_format=DATE_FORMATS.get(declared.validation, ISO_DATE),
        codes=field.codes,
        values={code: code for code in field.codes},
        table=field.table,
        column=field.column,
        checkbox=None,
    )


def _unknown_columns(records: pd.DataFrame, fields: dict[str, ReadField]) -> list[Problem]:
    known = set(KEY_COLUMNS) | set(fields) | {f"{form}_complete" for form in PRODUCT_FORMS}
    return [
        Problem(
            PRODUCT_RECORDS,
            1,
            column,
            None,
            "is not a field of the product project",
            "the product project's fields are those of its dictionary.csv "
            "(docs/exchange.md, REDCap)",
        )
        for column in records.columns
        if column not in known
    ]


def read_product(folder: Path, records: pd.DataFrame) -> ProductRead:
    """Donors and lots of the product project whose ``records.csv`` is ``records``."""
    fields = _read_fields(folder)
    problems = _unknown_columns(records, fields)
    repeat = records.get("redcap_repeat_instrument", pd.Series("", index=records.index))
    rows = {"donors": repeat.eq(""), "lots": repeat.eq(REPEATING)}
    tables: dict[str, pd.DataFrame] = {}
    source_rows: dict[str, pd.Series] = {}
    names: dict[tuple[str, str], str] = {}
    for form, name in PRODUCT_FORMS.items():
        frame = pd.DataFrame({RECORD_KEYS[name]: records["record_id"].astype(object)})
        names[(name, RECORD_KEYS[name])] = "record_id"
        for field in fields.values():
            if field.form != form or field.name == "record_id" or field.name not in records:
                continue
            values, found = parse_column(records[field.name], field, field.name)
            problems += [replace(p, file=PRODUCT_RECORDS) for p in found]
            problems += _misplaced(records, values.notna() & ~rows[name], field, form)
            if values.dtype == object:  # missing text is None, as a trial folder reads it
                values = values.where(values.notna(), None)
            frame[field.column] = values
            names[(name, field.column)] = field.name
        keep = rows[name]
        tables[name] = frame[keep].reset_index(drop=True)
        source_rows[name] = pd.Series(frame.index[keep] + 2)
    return ProductRead(tables, source_rows, names, problems)


def _misplaced(
    records: pd.DataFrame, misplaced: pd.Series, field: ReadField, form: str
) -> list[Problem]:
    where = "its own repeating rows" if form == REPEATING else "the record's non-repeating row"
    return [
        Problem(
            PRODUCT_RECORDS,
            int(index) + 2,
            field.name,
            str(records.at[index, field.name]),
            f"is a {form} field on a row of another instrument",
            f"fields of the {form} instrument belong on {where} (redcap_repeat_instrument)",
        )
        for index in records.index[misplaced]
    ]
