"""Between a trial's DataFrames and the rows the database keeps.

A table is first brought to its *stored form*: every typed column of
:data:`~myotrial.store.columns.COLUMNS` in its canonical dtype (``float64``,
``datetime64[ns]``, ``boolean``, ``object`` text with ``None`` for missing), every other
column as text under the name ``x:<column>``, and ``row_number``. Imports are compared,
written and read back in this form. The *layout* remembers each imported column's name,
dtype and where it went, so :func:`decode_table` returns exactly the frame that came in.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import pandas_dtype

from myotrial.store.columns import COLUMNS, KEYS, REPEATABLE, Kind, kinds

EXTRA_PREFIX = "x:"
LayoutEntry = Sequence[str]  # column name, dtype, "typed" or "extra"


def extra_name(column: str) -> str:
    """The stored-form name of an unknown column."""
    return EXTRA_PREFIX + column


def field_name(stored: str) -> str:
    """The trial-format name of a stored-form column."""
    return stored.removeprefix(EXTRA_PREFIX)


def encode_table(table: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[LayoutEntry]]:
    """Bring ``frame`` to the stored form and describe its layout.

    A known column goes to its typed database column when its values fit the type
    (numbers, dates at midnight, booleans, text); otherwise it is kept as text with the
    unknown columns, so no value is ever coerced.
    """
    known = kinds(table)
    frame = frame.reset_index(drop=True)
    stored: dict[str, pd.Series] = {}
    layout: list[LayoutEntry] = []
    for column in frame.columns:
        series = frame[column]
        kind = known.get(str(column))
        if kind is not None and _fits(series, kind):
            stored[str(column)] = to_kind(series, kind)
            layout.append([str(column), str(series.dtype), "typed"])
        else:
            stored[extra_name(str(column))] = _extra_text(series)
            layout.append([str(column), str(series.dtype), "extra"])
    columns: dict[str, pd.Series] = {
        column: stored.pop(column) if column in stored else empty(kind, len(frame))
        for column, kind in COLUMNS[table]
    }
    columns.update(stored)
    columns["row_number"] = pd.Series(np.arange(len(frame), dtype="int64"))
    out = pd.DataFrame(columns, index=frame.index)
    if table in REPEATABLE:
        keys = list(KEYS[table])
        out["occurrence"] = out.groupby(keys, dropna=False, sort=False).cumcount()
    return out, layout


def decode_table(stored: pd.DataFrame, layout: Iterable[LayoutEntry]) -> pd.DataFrame:
    """The frame that was imported, rebuilt from its stored form and layout."""
    stored = stored.sort_values("row_number").reset_index(drop=True)
    columns: dict[str, pd.Series] = {}
    for column, dtype, where in layout:
        if where == "typed":
            columns[column] = _typed_back(stored[column], dtype)
        else:
            columns[column] = _extra_back(stored[extra_name(column)], dtype)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(stored)))


def to_kind(series: pd.Series, kind: Kind) -> pd.Series:
    """``series`` in the canonical dtype of ``kind``."""
    if kind == "number":
        return series.astype("float64")
    if kind == "date":
        return pd.to_datetime(series).astype("datetime64[ns]")
    if kind == "bool":
        return series.astype("boolean")
    text = series.astype(object)
    return text.where(series.notna(), None)


def empty(kind: Kind, length: int) -> pd.Series:
    """A column of ``length`` missing values of ``kind``."""
    dtype = {"number": "float64", "date": "datetime64[ns]", "bool": "boolean"}.get(kind)
    if dtype is None:
        return pd.Series([None] * length, index=pd.RangeIndex(length), dtype=object)
    value = pd.NA if kind == "bool" else np.nan
    return pd.Series(value, index=pd.RangeIndex(length), dtype=dtype)


def as_text(series: pd.Series) -> pd.Series:
    """Values as the audit trail shows them: ISO dates, shortest exact numbers, None."""
    if pd.api.types.is_datetime64_any_dtype(series):
        days = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        text = pd.Series(days.astype(str), index=series.index, dtype=object)
    elif pd.api.types.is_bool_dtype(series):
        text = series.astype(object).map({True: "true", False: "false"})
    elif pd.api.types.is_numeric_dtype(series):
        text = series.astype(object).astype(str)
    else:
        text = series.astype(object)
    return text.where(series.notna(), None).astype(object)


def records_json(frame: pd.DataFrame) -> pd.Series:
    """One JSON object per row, for the audit trail of inserted and deleted records.

    Numbers are written with 15 significant digits, which reproduces every value typed
    with up to 15 digits; dates as ``YYYY-MM-DD``; missing values as null.
    """
    if len(frame.columns) == 0 or len(frame) == 0:
        return pd.Series(["{}"] * len(frame), dtype=object, index=frame.index)
    columns = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            values = as_text(values)
        columns[field_name(str(column))] = values
    text = pd.DataFrame(columns, index=frame.index)
    lines = text.to_json(orient="records", lines=True, force_ascii=False, double_precision=15)
    return pd.Series(lines.rstrip("\n").split("\n"), index=frame.index, dtype=object)


def extras_to_json(stored: pd.DataFrame) -> pd.Series:
    """The ``extra`` database column: unknown columns of each row as JSON text."""
    extra = [c for c in stored.columns if str(c).startswith(EXTRA_PREFIX)]
    if not extra or stored.empty:
        return pd.Series([None] * len(stored), index=stored.index, dtype=object)
    renamed = stored[extra].rename(columns=field_name)
    lines = renamed.to_json(orient="records", lines=True, force_ascii=False)
    return pd.Series(lines.rstrip("\n").split("\n"), index=stored.index, dtype=object)


def extras_from_json(extra: pd.Series) -> pd.DataFrame:
    """The unknown columns (as text, ``x:`` names) from the ``extra`` database column."""
    present = extra.notna()
    if not present.any():
        return pd.DataFrame(index=extra.index)
    text = "\n".join(extra[present].astype(str))
    parsed = pd.read_json(io.StringIO(text), lines=True, dtype=False, convert_dates=False)
    parsed.index = extra.index[present]
    parsed = parsed.reindex(extra.index).astype(object)
    parsed = parsed.where(parsed.notna(), None)
    return parsed.rename(columns=extra_name)


def dumps(value: Any) -> str:
    """Canonical JSON text (sorted keys), dates as ISO strings."""
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _fits(series: pd.Series, kind: Kind) -> bool:
    if series.isna().all():
        return True
    if kind == "number":
        return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if kind == "bool":
        return pd.api.types.is_bool_dtype(series)
    if kind == "date":
        if not pd.api.types.is_datetime64_dtype(series):
            return False
        values = series.dropna()
        return bool((values == values.dt.normalize()).all())
    return pd.api.types.infer_dtype(series, skipna=True) == "string"


def _extra_text(series: pd.Series) -> pd.Series:
    """An unknown column as text that converts back to the same values."""
    if series.dtype == object:
        text = series
    elif pd.api.types.is_datetime64_any_dtype(series):
        text = series.map(pd.Timestamp.isoformat, na_action="ignore")
    else:
        # numpy renders float64 as its shortest repr, which parses back exactly
        text = series.astype(str)
    return text.astype(object).where(series.notna(), None)


def _typed_back(series: pd.Series, dtype: str) -> pd.Series:
    if dtype == "object":
        return series.astype(object).where(series.notna(), np.nan)
    return series.astype(pandas_dtype(dtype))


def _extra_back(series: pd.Series, dtype: str) -> pd.Series:
    if dtype == "object":
        return series.astype(object).where(series.notna(), np.nan)
    target = pandas_dtype(dtype)
    if dtype.startswith("datetime64"):
        return pd.to_datetime(series).astype(target)
    if dtype in ("bool", "boolean"):
        return series.map({"True": True, "False": False}).astype(target)
    if dtype in ("string", "category"):
        return series.astype(target)
    return pd.to_numeric(series).astype(target)
