"""How myotrial writes counts, numbers and names for people: one rule each.

Used by the command line, the report and the CSV writers, so "1 file", a value of
``26.0`` and the order of sites ``1, 2, 10`` read the same everywhere.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``"1 file"``, ``"2 files"``; ``plural_form`` for irregular nouns (``"analyses"``)."""
    word = noun if count == 1 else (plural_form or noun + "s")
    return f"{count} {word}"


#: How the CSV tables write a number: 12 significant digits, the shortest form.
#: Every computed value is kept at full precision until written; at the edge, a sum such
#: as 8 + 18 = 25.999999999999996 (binary floating point, error ~1e-15) is written 26.
#: 12 digits keep six more than any measure is entered with (at most 6 significant
#: digits), so nothing a reader could use is lost, and "%.12g" formats in C, per column.
CSV_FLOAT_FORMAT = "%.12g"

_DIGITS = re.compile(r"(\d+)")


def natural_key(text: object) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders numbers inside names by value: ``1, 2, 10, 11``, ``A2 < A10``."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.casefold())
        for part in _DIGITS.split(str(text))
        if part
    )


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The cells of ``frame`` as the trial format writes them (strings, '' for missing)."""
    return pd.DataFrame(
        {column: column_text(frame[column]) for column in frame.columns},
        index=frame.index,
        dtype=object,
    )


def column_text(values: pd.Series) -> np.ndarray:
    """One column's cells as the trial format writes them ('' for missing)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            return values.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
        days = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        return _by_distinct(days, ~np.isnat(days), np.datetime_as_string)
    if pd.api.types.is_bool_dtype(values):
        flags = values.astype("boolean").map({True: "true", False: "false"})
        flag_text: np.ndarray = flags.fillna("").to_numpy(dtype=object)
        return flag_text
    if pd.api.types.is_numeric_dtype(values):
        return _number_text(values.to_numpy(dtype=float, na_value=np.nan))
    text = values.astype(object)
    out: np.ndarray = text.where(text.notna(), "").astype(str).to_numpy(dtype=object)
    return out


def _number_text(values: np.ndarray) -> np.ndarray:
    """Whole numbers without '.0'; others in the shortest text that reads back exactly."""
    return _by_distinct(values, np.isfinite(values), _distinct_number_text)


def _distinct_number_text(values: np.ndarray) -> np.ndarray:
    out = values.astype(str).astype(object)
    whole = np.abs(values) < 1e15
    whole[whole] = values[whole] == np.round(values[whole])
    out[whole] = values[whole].astype(np.int64).astype(str)
    return out


def _by_distinct(values: np.ndarray, present: np.ndarray, formatter: Any) -> np.ndarray:
    """Format each distinct value once: a trial has far fewer distinct values than cells
    (days, CK results), and formatting is the slow part of writing."""
    out = np.full(values.shape, "", dtype=object)
    distinct, where = np.unique(values[present], return_inverse=True)
    out[present] = np.asarray(formatter(distinct), dtype=object)[where]
    return out
