"""From typed REDCap columns to the six trial tables.

REDCap rows are (record, event, repeat instance). The patient instrument's fields fill
one patients row per record; visit fields on a non-repeating row, or on a row of the
repeating ``visit`` instrument, make a visit; each row of a repeating log instrument
(infusion, adverse event, trial event, medication) makes one row of its table.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from myotrial.errors import Problem
from myotrial.exchange.redcap.dictionary import FORM_TABLES, shipped_fields
from myotrial.ingest.redcap_fields import RECORDS, ReadField, cell_problems, parse_column
from myotrial.trialdata import PATIENT_TABLES

TABLE_FORM: dict[str, str] = {table: form for form, table in FORM_TABLES.items()}
MISSING_CHECKBOX_CODES = ("ni", "unk", "na", "asku", "nask", "nav", "inv", "msk")


@dataclass(frozen=True)
class Assembled:
    """The six tables, their extra columns, and the records.csv row of each table row."""

    tables: dict[str, pd.DataFrame]
    extras: dict[str, tuple[str, ...]]
    source_rows: dict[str, pd.Series]
    problems: list[Problem]


def typed_columns(
    records: pd.DataFrame, fields: dict[str, ReadField]
) -> tuple[dict[str, pd.Series], list[Problem]]:
    """Typed values of every field column of ``records`` (checkbox columns included)."""
    typed: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    for column in records.columns:
        base, sep, code = column.partition("___")
        field = fields.get(base if sep else column)
        if field is None or (sep and code.lower() in MISSING_CHECKBOX_CODES):
            continue
        if sep:
            values, found = _checkbox(records, column, field)
        else:
            values, found = parse_column(records[column], field, column)
        typed[column] = values
        problems += found
    return typed, problems


def _checkbox(
    records: pd.DataFrame, column: str, field: ReadField
) -> tuple[pd.Series, list[Problem]]:
    values = records[column]
    flags = values.map({"1": True, "0": False}).astype("boolean")
    # A ticked missing-data option (field___unk = 1) makes the whole answer missing.
    for code in MISSING_CHECKBOX_CODES:
        coded = records.get(f"{field.name}___{code}")
        if coded is not None:
            flags = flags.mask(coded.eq("1"))
    bad = values.ne("") & ~values.isin(["0", "1"])
    return flags, cell_problems(
        values, bad, column, "is not a checkbox value", "1 = ticked, 0 = not ticked"
    )


def _table_columns(
    fields: dict[str, ReadField], table: str, present: pd.Index
) -> list[tuple[str, str]]:
    """(records column, trial column) pairs of ``table``, in dictionary order."""
    pairs: list[tuple[str, str]] = []
    for field in fields.values():
        if field.table != table or field.column == "patient_id":
            continue
        if field.checkbox is not None:
            pairs += [
                (f"{field.name}___{code}", field.checkbox.checkbox_column(code))
                for code in field.codes
                if f"{field.name}___{code}" in present
            ]
        elif field.name in present:
            pairs.append((field.name, field.column))
    return pairs


def assemble_tables(
    records: pd.DataFrame, typed: dict[str, pd.Series], fields: dict[str, ReadField]
) -> Assembled:
    """Build the six trial tables from typed columns; problems for misplaced values."""
    repeat = records["redcap_repeat_instrument"]
    shipped = {f.name for f in shipped_fields()}
    tables: dict[str, pd.DataFrame] = {}
    source_rows: dict[str, pd.Series] = {}
    extras: dict[str, tuple[str, ...]] = {}
    problems: list[Problem] = []
    for table in PATIENT_TABLES:  # a REDCap patient project holds no product record
        pairs = _table_columns(fields, table, records.columns)
        frame = pd.DataFrame(
            {
                "patient_id": records["record_id"].astype(object),
                **{trial: typed[col] for col, trial in pairs},
            }
        )
        filled = frame.drop(columns="patient_id").notna().any(axis=1)
        allowed = _allowed_rows(repeat, table)
        problems += _misplaced(records, filled & ~allowed, pairs, frame, table)
        extras[table] = tuple(
            trial for col, trial in pairs if col.partition("___")[0] not in shipped
        )
        if table == "patients":
            tables[table], source_rows[table], found = _patients(frame[allowed], records)
            problems += found
            continue
        keep = allowed & (filled | repeat.eq(TABLE_FORM[table]))
        tables[table] = frame[keep].reset_index(drop=True)
        source_rows[table] = pd.Series(frame.index[keep] + 2)
    extras = {t: cols for t, cols in extras.items() if cols}
    return Assembled(tables, extras, source_rows, problems)


def _allowed_rows(repeat: pd.Series, table: str) -> pd.Series:
    if table == "patients":
        return repeat.eq("")
    if table == "visits":
        return repeat.isin(["", "visit"])
    return repeat.eq(TABLE_FORM[table])


def _misplaced(
    records: pd.DataFrame,
    misplaced: pd.Series,
    pairs: list[tuple[str, str]],
    frame: pd.DataFrame,
    table: str,
) -> list[Problem]:
    problems: list[Problem] = []
    present = frame[[trial for _, trial in pairs]].notna() if pairs else frame.iloc[:, :0]
    for index in records.index[misplaced]:
        column = next(col for col, trial in pairs if bool(present.at[index, trial]))
        where = str(records.at[index, "redcap_repeat_instrument"]) or "a non-repeating row"
        problems.append(
            Problem(
                RECORDS,
                int(index) + 2,
                column,
                str(records.at[index, column]),
                f"is a {TABLE_FORM[table]} field on {where}",
                f"fields of the {TABLE_FORM[table]} instrument belong on its own rows "
                "(redcap_repeat_instrument)",
            )
        )
    return problems


def _patients(
    frame: pd.DataFrame, records: pd.DataFrame
) -> tuple[pd.DataFrame, pd.Series, list[Problem]]:
    """One row per record; a value given twice differently is a problem."""
    grouped = frame.groupby("patient_id", sort=False)
    patients = grouped.first()
    conflicts = grouped.nunique() > 1
    problems = [
        Problem(
            RECORDS,
            None,
            column,
            str(pid),
            "differs between events of the same record",
            "enter patient fields once, in the baseline event",
        )
        for pid, row in conflicts.iterrows()
        for column in row.index[row]
    ]
    ids = pd.Index(records["record_id"].unique(), name="patient_id")
    first_row = pd.Series(records.index, index=records["record_id"]).groupby(level=0).first()
    patients = patients.reindex(ids).reset_index()
    return patients, first_row.reindex(ids).reset_index(drop=True) + 2, problems
