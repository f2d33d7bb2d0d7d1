"""The cell-product record as a REDCap project of its own, derived from the domain.

A cell-processing facility keeps donors and lots apart from the patients' records, so
the product record is a second, classic (non-longitudinal) project in the ``product/``
folder of a REDCap export: one record per donor (``record_id`` is the donor code), the
non-repeating ``donor`` instrument for the donor, and the repeating ``lot`` instrument
with one instance per lot made from that donor's cells. The infusions of the patient
project name the lot (``infusion_lot``).

Every field is generated from :mod:`myotrial.domain` (``donors`` and ``lots``): its name
(``<form>_<column>``; the lot code is ``lot_code``), label (the column's meaning),
type and validation (kind, allowed values, bounds, required), and the
``myotrial=<table>.<column>`` annotation the reader follows back.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from myotrial.domain import table
from myotrial.domain.columns import Column, Kind
from myotrial.exchange.redcap.dictionary import (
    ANNOTATION_TAG,
    DICTIONARY_COLUMNS,
    Field,
    field_from_cells,
    format_bound,
    format_values,
    write_dictionary,
)
from myotrial.trialdata import TrialData

FOLDER = "product"
"""The folder of the product project inside a REDCap export."""
PRODUCT_FORMS: dict[str, str] = {"donor": "donors", "lot": "lots"}
"""Instruments of the product project and the table each one fills."""
REPEATING = "lot"
"""The repeating instrument: a donor's lots."""
RECORD_KEYS: dict[str, str] = {"donors": "donor", "lots": "donor"}
"""The column of each table that the record ID (the donor code) carries."""
KEY_COLUMNS: tuple[str, ...] = ("record_id", "redcap_repeat_instrument", "redcap_repeat_instance")

_TEXT_TYPES = {Kind.DATE: "date_ymd", Kind.NUMBER: "number", Kind.INTEGER: "integer"}


def field_name(form: str, column: str) -> str:
    """The REDCap name of a product column: ``donor_age``, ``lot_code``, ``lot_cd73_pct``."""
    return f"{form}_code" if column == form else f"{form}_{column}"


def _label(column: Column) -> str:
    words = column.meaning or column.name.replace("_", " ")
    return words[0].upper() + words[1:]


def product_field(form: str, column: Column, name: str | None = None) -> Field:
    """The dictionary field of one domain column of the product record."""
    cells = [""] * len(DICTIONARY_COLUMNS)
    cells[0], cells[1] = name or field_name(form, column.name), form
    cells[4], cells[6] = _label(column), column.unit
    if column.allowed:
        cells[3] = "radio"
        cells[5] = " | ".join(f"{value}, {value}" for value in column.allowed)
    elif column.kind == Kind.BOOL:
        cells[3] = "yesno"
    else:
        cells[3], cells[7] = "text", _TEXT_TYPES.get(column.kind, "")
        if column.kind in (Kind.NUMBER, Kind.INTEGER):
            cells[8], cells[9] = format_bound(column.minimum), format_bound(column.maximum)
    cells[12] = "y" if column.required else ""
    cells[17] = f"{ANNOTATION_TAG}{PRODUCT_FORMS[form]}.{column.name}"
    return field_from_cells(tuple(cells))


def product_fields() -> list[Field]:
    """The fields of the product project, in the order of the domain's columns.

    The first field is the record ID (the donor code); a lot's donor is the record it
    belongs to, so ``lots.donor`` has no field of its own.
    """
    donors, lots = table("donors"), table("lots")
    key = donors.column("donor")
    assert key is not None
    fields = [product_field("donor", key, "record_id")]
    fields += [product_field("donor", c) for c in donors.columns if c.name != "donor"]
    fields += [product_field("lot", c) for c in lots.columns if c.name != "donor"]
    return fields


def has_product(trial: TrialData) -> bool:
    """Whether ``trial`` has a product record to export."""
    return not (trial.donors.empty and trial.lots.empty)


def _form_records(frame: pd.DataFrame, form: str, fields: list[Field]) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    out["record_id"] = frame[RECORD_KEYS[PRODUCT_FORMS[form]]].astype(str)
    for field in fields:
        if field.form == form and field.name != "record_id" and field.column in frame.columns:
            out[field.name] = format_values(frame[field.column], field)
    return out


def product_records(trial: TrialData, fields: list[Field]) -> pd.DataFrame:
    """The product project's records: each donor's row, then one row per lot."""
    donors = _form_records(trial.donors, "donor", fields).assign(
        redcap_repeat_instrument="", redcap_repeat_instance="", _order=0
    )
    lots = _form_records(trial.lots, "lot", fields)
    lots["redcap_repeat_instrument"] = REPEATING
    lots["redcap_repeat_instance"] = (lots.groupby("record_id").cumcount() + 1).astype(str)
    lots["_order"] = lots["redcap_repeat_instance"].astype(int)
    records = pd.concat([donors, lots], ignore_index=True)
    order = {d: i for i, d in enumerate(pd.unique(records["record_id"]))}
    records["_record"] = records["record_id"].map(order)
    records = records.sort_values(["_record", "_order"], kind="mergesort")
    names = [f.name for f in fields if f.name != "record_id"]
    columns = [*KEY_COLUMNS, *(n for n in names if n in records.columns)]
    return records.reindex(columns=columns).fillna("").reset_index(drop=True)


def write_product(trial: TrialData, folder: Path) -> list[Path]:
    """Write the product project into ``folder/product``; nothing without a product record.

    Files: ``dictionary.csv``, ``records.csv`` and ``repeating_instruments.csv``.
    """
    if not has_product(trial):
        return []
    target = folder / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    fields = product_fields()
    paths = [target / n for n in ("dictionary.csv", "records.csv", "repeating_instruments.csv")]
    write_dictionary(fields, paths[0])
    product_records(trial, fields).to_csv(paths[1], index=False)
    repeating = pd.DataFrame({"form_name": [REPEATING], "custom_form_label": [""]})
    repeating.to_csv(paths[2], index=False)
    return paths
