"""Reading a trial from one ``.xlsx`` workbook.

One sheet per table, named as the table (``patients``, ``visits``, ...), header in row 1;
``patients`` and ``visits`` are required. The configuration is an optional sheet named
``trial`` with two columns, ``key`` and ``value``; a key is the ``trial.toml`` path with
dots (``trial.vas_unit``, ``units.ck``, ``uln.ck``, ``timepoints.month1.day``). A missing
``trial`` sheet means every default.

Cells are turned into the strings a user would type: a date cell becomes ``YYYY-MM-DD``,
a whole number ``12`` (not ``12.0``), a boolean ``true``/``false``. The strings are then
typed exactly as CSV text is, so a workbook and a folder with the same content give the
same :class:`myotrial.trialdata.TrialData`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from myotrial.config import TrialConfig
from myotrial.errors import ConfigError, Problem
from myotrial.files import unreadable
from myotrial.ingest.parse import any_value
from myotrial.ingest.raw import RawTable, empty_table
from myotrial.ingest.schema import TABLE_SPECS
from myotrial.trialdata import TABLES

CONFIG_SHEET = "trial"


def read_workbook(path: Path) -> tuple[TrialConfig, list[RawTable], list[Problem], str]:
    """The configuration, the tables as strings, the problems and the SHA-256 of ``path``."""
    from openpyxl import load_workbook

    problems: list[Problem] = []
    try:
        data = path.read_bytes()
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        hint = "save the workbook as Excel .xlsx"
        problems.append(unreadable(path.name, exc, hint, form=" as an .xlsx workbook"))
        tables = [RawTable(t, f"{path.name} sheet {t}", None) for t in TABLES]
        return TrialConfig(), tables, problems, ""
    digest = hashlib.sha256(f"{path.name}\0{len(data)}\0".encode() + data).hexdigest()
    try:
        sheets = {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}
    finally:
        book.close()
    config = _config(sheets.get(CONFIG_SHEET), f"{path.name} sheet {CONFIG_SHEET}", problems)
    tables = [_table(t, sheets, path.name, problems) for t in TABLES]
    return config, tables, problems, digest


def _table(
    table: str, sheets: dict[str, list[tuple[Any, ...]]], book: str, problems: list[Problem]
) -> RawTable:
    spec = TABLE_SPECS[table]
    file = f"{book} sheet {table}"
    if table not in sheets:
        if spec.required_file:
            problems.append(
                Problem(
                    book,
                    None,
                    None,
                    None,
                    f"has no sheet named {table}",
                    "sheets are named " + ", ".join((*TABLES, CONFIG_SHEET)),
                )
            )
            return RawTable(table, file, None)
        return RawTable(table, file, empty_table(table))
    rows = _drop_empty_rows(sheets[table])
    if not rows:
        problems.append(
            Problem(file, None, None, None, "is empty (no header row)", "row 1 names the columns")
        )
        return RawTable(table, file, None)
    width = max(len(r) for r in rows)
    cells = [[_cell_text(v) for v in r] + [""] * (width - len(r)) for r in rows]
    strings = pd.DataFrame(cells[1:], columns=pd.Index(cells[0]), dtype=object)
    if spec.required_file and not any_value(strings):
        problems.append(
            Problem(
                file, None, None, None, "has no data rows", "a trial needs at least one row here"
            )
        )
    return RawTable(table, file, strings)


def _drop_empty_rows(rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows up to the last one holding a value (formatted blank rows at the end are noise)."""
    kept = list(rows)
    while kept and all(v is None or str(v).strip() == "" for v in kept[-1]):
        kept.pop()
    return kept


def _cell_text(value: Any) -> str:
    """A cell as the text a user would type in a CSV file."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.strftime("%Y-%m-%d")
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _config(rows: list[tuple[Any, ...]] | None, file: str, problems: list[Problem]) -> TrialConfig:
    if rows is None:
        return TrialConfig()
    rows = _drop_empty_rows(rows)
    header = [str(v).strip().lower() if v is not None else "" for v in (rows[0] if rows else ())]
    if header[:2] != ["key", "value"]:
        problems.append(
            Problem(
                file,
                1,
                None,
                None,
                "must have the columns key and value",
                "one setting per row, e.g. trial.vas_unit | mm",
            )
        )
        return TrialConfig()
    data: dict[str, Any] = {}
    for number, row in enumerate(rows[1:], start=2):
        _put_setting(data, row, number, file, problems)
    try:
        return TrialConfig.from_dict(data, source=file)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return TrialConfig()


def _put_setting(
    data: dict[str, Any], row: tuple[Any, ...], number: int, file: str, problems: list[Problem]
) -> None:
    key = str(row[0]).strip() if row and row[0] is not None else ""
    value = row[1] if len(row) > 1 else None
    if not key:
        return
    parts = key.split(".")
    if len(parts) < 2 or any(not p for p in parts):
        problems.append(
            Problem(
                file,
                number,
                "key",
                key,
                "is not a section.name key",
                "e.g. trial.name, units.ck, uln.ck, timepoints.month1.day",
            )
        )
        return
    node = data
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            problems.append(Problem(file, number, "key", key, "clashes with another key", ""))
            return
        node = child
    if parts[-1] in node:
        problems.append(Problem(file, number, "key", key, "is given twice", "keep one row per key"))
        return
    node[parts[-1]] = _setting_value(value)


def _setting_value(value: Any) -> Any:
    """Whole-number floats as int (Excel stores every number as a float)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value
