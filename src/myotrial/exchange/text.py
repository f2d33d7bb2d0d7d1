"""Values as text without losing a digit (for REDCap cells and SDTM --ORRES).

A trial has far fewer distinct values than cells (the same CK result, visit date or dose
recurs), so each distinct value is formatted once and the text is spread back over the
column by its code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def by_distinct(values: pd.Series, formatter: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``formatter`` applied to the distinct non-missing values only; missing is ``""``."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = formatter(pd.Series(uniques)).astype(str).to_numpy(dtype=object)
    table = np.append(texts, "")  # code -1 (missing) takes the last entry
    return pd.Series(table[codes], index=values.index, dtype=object)


def _numbers(values: pd.Series) -> pd.Series:
    numbers = values.to_numpy(dtype=float)
    whole = np.isfinite(numbers) & (numbers == np.round(numbers)) & (np.abs(numbers) < 1e15)
    text = values.astype(float).astype(str)
    text[whole] = numbers[whole].astype(np.int64).astype(str)
    return text


def format_numbers(values: pd.Series) -> pd.Series:
    """Whole numbers without ``.0``; others in the shortest text that reads back exactly.

    Missing values become empty text.
    """
    return by_distinct(pd.to_numeric(values).astype("float64"), _numbers)


def format_dates(values: pd.Series) -> pd.Series:
    """ISO 8601 dates (``YYYY-MM-DD``); missing values become empty text."""
    return by_distinct(pd.to_datetime(values), lambda d: d.dt.strftime("%Y-%m-%d"))
