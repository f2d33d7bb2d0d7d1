"""Write a trial as a REDCap project: data dictionary, records and event set-up.

``records.csv`` is in REDCap's import format for a longitudinal project: one row per
record, event and repeat instance, with ``record_id``, ``redcap_event_name``,
``redcap_repeat_instrument`` and ``redcap_repeat_instance`` first. Values are written so
that reading them back gives the same values: dates ``YYYY-MM-DD``, yes/no ``1``/``0``,
numbers in full precision (whole numbers without a decimal point), an empty cell for a
missing value.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from myotrial.errors import InvalidInputError, Problem
from myotrial.exchange.redcap.dictionary import (
    FORM_TABLES,
    REPEATING_FORMS,
    Field,
    format_values,
    make_field,
    shipped_fields,
    write_dictionary,
)
from myotrial.exchange.redcap.events import (
    ARM_SUFFIX,
    LOGS,
    events_table,
    instrument_event_table,
    place_visits,
    repeating_table,
)
from myotrial.exchange.redcap.product import write_product
from myotrial.trialdata import PATIENT_TABLES, TrialData

KEY_COLUMNS: tuple[str, ...] = (
    "record_id",
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
)
TABLE_FORMS: dict[str, str] = {table: form for form, table in FORM_TABLES.items()}


def project_fields(trial: TrialData) -> list[Field]:
    """The shipped fields plus one field per column of ``trial`` the dictionary lacks."""
    fields = shipped_fields()
    known = {(f.table, f.column) for f in fields}
    known |= {
        ("visits", f.checkbox_column(c)) for f in fields if f.kind == "checkbox" for c in f.codes
    }
    names = {f.name for f in fields}
    for table in PATIENT_TABLES:  # the product record is not a patient's: not in REDCap
        frame = trial.table(table)
        for column in frame.columns:
            if (table, column) in known or column == "patient_id":
                continue
            name = column if column not in names else f"{TABLE_FORMS[table]}_{column}"
            fields.append(make_field(name, TABLE_FORMS[table], _kind(frame[column]), table, column))
            names.add(name)
    return fields


def _kind(values: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if pd.api.types.is_numeric_dtype(values):
        return "number"
    return "text"


def record_columns(fields: list[Field]) -> list[str]:
    """The columns of ``records.csv``: the keys, then fields with checkboxes expanded."""
    columns = list(KEY_COLUMNS)
    for field in fields:
        if field.kind == "checkbox":
            columns.extend(f"{field.name}___{code}" for code in field.codes)
        elif field.field_type != "descriptive" and field.name != "record_id":
            columns.append(field.name)
    return columns


def _choice_problems(trial: TrialData, fields: list[Field]) -> list[Problem]:
    problems: list[Problem] = []
    for field in fields:
        if field.kind != "choice" or field.table is None or field.column is None:
            continue
        frame = trial.table(field.table)
        if field.column not in frame.columns:
            continue
        allowed = {field.trial_value(code) for code in field.codes}
        values = frame[field.column]
        for index in values.index[values.notna() & ~values.astype(str).isin(allowed)]:
            problems.append(
                Problem(
                    f"{field.table}.csv",
                    int(index) + 2,
                    field.column,
                    str(values[index]),
                    "has no REDCap choice code",
                    f"one of {', '.join(sorted(allowed))}",
                )
            )
    return problems


def table_records(frame: pd.DataFrame, fields: list[Field]) -> pd.DataFrame:
    """The REDCap columns of one trial table (one row per table row, text values)."""
    out = pd.DataFrame(index=frame.index)
    out["record_id"] = frame["patient_id"].astype(str)
    for field in fields:
        if field.kind == "checkbox":
            for code in field.codes:
                column = field.checkbox_column(code)
                if column in frame.columns:
                    out[f"{field.name}___{code}"] = format_values(frame[column], field)
        elif field.column in frame.columns and field.name != "record_id":
            out[field.name] = format_values(frame[field.column], field)
    return out


def redcap_records(trial: TrialData, fields: list[Field]) -> pd.DataFrame:
    """All records of ``trial`` in REDCap's import layout (text cells).

    Raises
    ------
    InvalidInputError
        If a value of a choice field has no code in the dictionary.
    """
    problems = _choice_problems(trial, fields)
    if problems:
        raise InvalidInputError(problems)
    by_table = {t: [f for f in fields if f.table == t] for t in PATIENT_TABLES}
    visits = table_records(trial.visits, by_table["visits"]).join(place_visits(trial))
    patients = table_records(trial.patients, by_table["patients"]).assign(
        redcap_event_name="baseline" + ARM_SUFFIX,
        redcap_repeat_instrument="",
        redcap_repeat_instance="",
    )
    keys = list(KEY_COLUMNS)
    rows = patients.merge(visits, on=keys, how="outer", sort=False)
    parts = [rows] + [
        _log_records(trial, form, by_table[FORM_TABLES[form]]) for form in REPEATING_FORMS
    ]
    records = pd.concat(parts, ignore_index=True)
    columns = [c for c in record_columns(fields) if c in records.columns]
    return _in_record_order(records.reindex(columns=columns).fillna(""), trial)


def _log_records(trial: TrialData, form: str, fields: list[Field]) -> pd.DataFrame:
    frame = trial.table(FORM_TABLES[form])
    records = table_records(frame, fields)
    records["redcap_event_name"] = LOGS + ARM_SUFFIX
    records["redcap_repeat_instrument"] = form
    records["redcap_repeat_instance"] = (records.groupby("record_id").cumcount() + 1).astype(str)
    return records


def _in_record_order(records: pd.DataFrame, trial: TrialData) -> pd.DataFrame:
    """Rows grouped by patient (in the patients table's order), then event order."""
    patient_order = {p: i for i, p in enumerate(trial.patients["patient_id"].astype(str))}
    event_order = {e: i for i, e in enumerate(events_table(trial.config)["unique_event_name"])}
    instance = pd.to_numeric(records["redcap_repeat_instance"], errors="coerce").fillna(0)
    order = pd.DataFrame(
        {
            "patient": records["record_id"].map(patient_order).fillna(len(patient_order)),
            "event": records["redcap_event_name"].map(event_order),
            "form": records["redcap_repeat_instrument"].map(
                {f: i for i, f in enumerate(("", "visit", *REPEATING_FORMS))}
            ),
            "instance": instance,
        }
    )
    ranked = order.sort_values(list(order.columns), kind="mergesort").index
    return records.loc[ranked].reset_index(drop=True)


def write_redcap(trial: TrialData, folder: Path) -> list[Path]:
    """Write ``trial`` as a REDCap project into ``folder``; return the files written.

    Files: ``dictionary.csv`` (data dictionary), ``records.csv`` (data import),
    ``events.csv``, ``instrument_event_mapping.csv``, ``repeating_instruments.csv``
    (project set-up) and ``trial.toml`` (the trial settings REDCap has no place for); a
    trial with a product record also gets the product project in ``product/``
    (:mod:`myotrial.exchange.redcap.product`).
    """
    from myotrial.exchange.toml import dump_toml

    folder.mkdir(parents=True, exist_ok=True)
    fields = project_fields(trial)
    records = redcap_records(trial, fields)
    paths = {
        name: folder / name
        for name in (
            "dictionary.csv",
            "records.csv",
            "events.csv",
            "instrument_event_mapping.csv",
            "repeating_instruments.csv",
            "trial.toml",
        )
    }
    write_dictionary(fields, paths["dictionary.csv"])
    product = write_product(trial, folder)
    records.to_csv(paths["records.csv"], index=False)
    events_table(trial.config).to_csv(paths["events.csv"], index=False)
    instrument_event_table(trial.config).to_csv(paths["instrument_event_mapping.csv"], index=False)
    repeating_table().to_csv(paths["repeating_instruments.csv"], index=False)
    paths["trial.toml"].write_text(dump_toml(trial.config.to_dict()), encoding="utf-8")
    return [*paths.values(), *product]
