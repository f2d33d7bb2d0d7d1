"""Numbers as text without losing a digit (for REDCap cells and SDTM --ORRES)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def format_numbers(values: pd.Series) -> pd.Series:
    """Whole numbers without ``.0``; others in the shortest text that reads back exactly.

    Missing values become empty text.
    """
    numbers = pd.to_numeric(values).to_numpy(dtype=float)
    whole = np.isfinite(numbers) & (numbers == np.round(numbers)) & (np.abs(numbers) < 1e15)
    text = pd.Series(numbers, index=values.index).astype(str)
    text[whole] = numbers[whole].astype(np.int64).astype(str)
    return text.where(~np.isnan(numbers), "").astype(object)
