"""The trial-format rules for a REDCap export, reported against ``records.csv``.

Tables read from REDCap are brought to the shape :func:`myotrial.ingest.read_trial`
gives (every core column present, documented defaults filled, core columns first), then
checked by :func:`myotrial.ingest.validate_trial`, the same rules as a trial folder.
Each problem is moved to where the user can fix it: ``records.csv``, the row of the
REDCap record, and the REDCap field name.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from myotrial.errors import Problem
from myotrial.ingest.parse import parse_table
from myotrial.ingest.redcap_fields import RECORDS, ReadField
from myotrial.ingest.redcap_product import PRODUCT_RECORDS, ProductRead
from myotrial.ingest.schema import TABLE_SPECS, core_columns
from myotrial.ingest.validate import validate_trial
from myotrial.trialdata import PRODUCT_TABLES, TABLES, TrialData


def conform(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with absent core columns added, defaults filled, core columns first."""
    blank, _, _ = parse_table(table, pd.DataFrame(index=frame.index), table)
    frame = frame.copy()
    for column in blank.columns:
        if column not in frame.columns:
            frame[column] = blank[column]
    for spec in TABLE_SPECS[table].columns:
        if spec.default is not None and spec.name in frame.columns:
            frame[spec.name] = frame[spec.name].where(frame[spec.name].notna(), spec.default)
    core = [c for c in core_columns(table) if c in frame.columns]
    return frame[core + [c for c in frame.columns if c not in core]]


def _field_names(fields: dict[str, ReadField]) -> dict[tuple[str, str], str]:
    """The REDCap column that carries each (table, trial column)."""
    names: dict[tuple[str, str], str] = {}
    for field in fields.values():
        if field.checkbox is not None:
            for code in field.codes:
                column = field.checkbox.checkbox_column(code)
                names[(field.table, column)] = f"{field.name}___{code}"
        else:
            names[(field.table, field.column)] = field.name
    for table in TABLES:
        names[(table, "patient_id")] = "record_id"
    return names


def records_problems(
    trial: TrialData,
    source_rows: dict[str, pd.Series],
    fields: dict[str, ReadField],
    product: ProductRead | None = None,
) -> list[Problem]:
    """Every trial-format rule ``trial`` breaks, located in ``records.csv``.

    With a product project, the rules of donors and lots are located in
    ``product/records.csv``.
    """
    problems = validate_trial(trial, files={table: table for table in TABLES})
    names = _field_names(fields)
    if product is not None:
        names |= product.names
        source_rows = {**source_rows, **product.source_rows}
    located: list[Problem] = []
    for problem in problems:
        table = problem.file if problem.file in TABLES else "patients"
        file = PRODUCT_RECORDS if table in PRODUCT_TABLES and product is not None else RECORDS
        rows = source_rows.get(table)
        row = problem.row
        if row is not None and rows is not None and 0 <= row - 2 < len(rows):
            row = int(rows.iloc[row - 2])
        column = problem.column
        if column is not None:
            column = names.get((table, column), column)
        hint = problem.hint if problem.file in TABLES else f"{problem.file}: {problem.hint}"
        located.append(replace(problem, file=file, row=row, column=column, hint=hint))
    return located
