"""Write a trial out as a trial folder (CSV + ``trial.toml``) or as one ``.xlsx`` workbook.

The output follows the trial format (``docs/trial-format.md``) so that reading it back
gives an equal trial: dates as ISO ``YYYY-MM-DD``, flags as ``true``/``false``, an empty
cell for a missing value, numbers written in full (whole numbers without a decimal point,
others in the shortest form that reads back to the same value). Writing is deterministic:
the same trial always gives the same bytes in the CSV and TOML files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from myotrial.text import as_text, column_text
from myotrial.trialdata import PRODUCT_TABLES, TABLES, TrialData

CONFIG_SHEET = "trial"
"""Name of the workbook sheet holding the configuration as ``key | value`` rows."""
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def write_trial_folder(
    trial: TrialData, folder: Path | str, readme: str | None = None
) -> list[Path]:
    """Write ``trial`` as a trial folder: one CSV per table plus ``trial.toml``.

    Parameters
    ----------
    trial
        The trial to write.
    folder
        Destination folder; created if missing. Files of the same names are replaced.
    readme
        Text for a ``README.txt`` next to the data (e.g. a notice that it is synthetic).

    Returns
    -------
    list of pathlib.Path
        Every file written, in the order written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in written_tables(trial):
        path = folder / f"{name}.csv"
        path.write_text(csv_text(trial.table(name)), encoding="utf-8", newline="")
        written.append(path)
    toml_path = folder / "trial.toml"
    toml_path.write_text(config_toml(trial.config.to_dict()), encoding="utf-8")
    written.append(toml_path)
    if readme is not None:
        readme_path = folder / "README.txt"
        readme_path.write_text(readme, encoding="utf-8")
        written.append(readme_path)
    return written


def written_tables(trial: TrialData) -> list[str]:
    """The tables a folder or workbook of ``trial`` holds: the product record only if kept."""
    return [t for t in TABLES if t not in PRODUCT_TABLES or not trial.table(t).empty]


def write_workbook(trial: TrialData, path: Path | str) -> Path:
    """Write ``trial`` as one ``.xlsx`` workbook.

    One sheet per table (named as the CSV files without ``.csv``, same columns) and a
    sheet ``trial`` with the configuration as two columns ``key`` and ``value``, one row
    per setting, the key written ``section.name`` (``trial.name``, ``uln.ck``,
    ``timepoints.month1.day``). Numbers are number cells, dates are date cells shown as
    ``YYYY-MM-DD``, flags are the text ``true``/``false`` and a missing value is an empty
    cell, so a workbook and a folder of the same trial read back identically.

    Parameters
    ----------
    trial
        The trial to write.
    path
        Destination ``.xlsx`` file; its folder is created if missing.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(
        path, engine="openpyxl", date_format="YYYY-MM-DD", datetime_format="YYYY-MM-DD"
    ) as workbook:
        for name in written_tables(trial):
            as_cells(trial.table(name)).to_excel(workbook, sheet_name=name, index=False)
        config = pd.DataFrame(
            list(config_rows(trial.config.to_dict())), columns=["key", "value"], dtype=object
        )
        config.to_excel(workbook, sheet_name=CONFIG_SHEET, index=False)
    return path


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text in the trial format: a header row, ``\\n`` line ends, a field
    quoted only when it holds a comma, a quote or a line break (as Python's csv module)."""
    if len(frame.columns) < 2:
        # One column: csv writes an empty value as "" so the row is not blank; keep its rule.
        return as_text(frame).to_csv(index=False, lineterminator="\n")
    text = as_text(frame)
    # Numbers, dates and flags never hold a comma, quote or line break: only text is checked.
    columns = [
        _quoted(text[c].to_numpy()) if frame[c].dtype == object else text[c].to_numpy()
        for c in text.columns
    ]
    header = ",".join(_quoted(np.array([str(c) for c in text.columns], dtype=object)))
    # zip/map run in C over whole columns; no Python statement runs per row.
    return "\n".join([header, *map(",".join, zip(*columns, strict=True))]) + "\n"


def _quoted(values: np.ndarray) -> np.ndarray:
    series = pd.Series(values, dtype=object)
    needs = series.str.contains(r'[",\r\n]', regex=True).to_numpy(dtype=bool)
    if not needs.any():
        return values
    out = values.copy()
    out[needs] = ('"' + series[needs].str.replace('"', '""', regex=False) + '"').to_numpy()
    return out


def as_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` ready for a workbook: numbers and dates kept, flags and text as text."""
    cells = {}
    for column in frame.columns:
        values = frame[column]
        keep = pd.api.types.is_datetime64_any_dtype(values) or (
            pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        )
        cells[column] = values if keep else pd.Series(column_text(values), index=frame.index)
    return pd.DataFrame(cells, index=frame.index)


def config_rows(config: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Flatten a ``trial.toml`` mapping to ``(dotted.key, value)`` rows, in order."""
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from config_rows(value, prefix=f"{dotted}.")
        else:
            yield dotted, value


def config_toml(config: Mapping[str, Any]) -> str:
    """Render a ``trial.toml`` mapping (as from ``TrialConfig.to_dict``) as TOML text.

    Top-level scalars come first; each table becomes a ``[section]``; a table inside a
    section (a time point) becomes an inline table. Empty sections are left out, which
    reads back the same because an absent section takes its default.
    """
    lines = [f"{_key(k)} = {_value(v)}" for k, v in config.items() if not isinstance(v, Mapping)]
    for section, table in config.items():
        if not isinstance(table, Mapping) or not table:
            continue
        if lines:
            lines.append("")
        lines.append(f"[{_key(section)}]")
        lines.extend(f"{_key(k)} = {_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # A JSON string is a valid TOML basic string (same escapes).
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} {value!r} to trial.toml")
