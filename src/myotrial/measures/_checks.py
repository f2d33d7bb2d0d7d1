"""Input checks shared by the measures: numbers, ranges, and the problems they raise.

Every check collects :class:`~myotrial.errors.Problem` objects instead of stopping at the
first, so a user sees every bad cell at once. Rows are numbered as a spreadsheet shows
them: the header is row 1, so the data row with index ``i`` is row ``i + 2``.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from myotrial.errors import ConfigError, Problem

FloatArray = np.ndarray


def row_numbers(frame: pd.DataFrame) -> np.ndarray:
    """Spreadsheet row numbers of ``frame``: index + 2 (position + 2 if not integer)."""
    if pd.api.types.is_integer_dtype(frame.index):
        return np.asarray(frame.index, dtype=np.int64) + 2
    return np.arange(len(frame), dtype=np.int64) + 2


def _show(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def add_problems(
    frame: pd.DataFrame,
    column: str,
    bad: np.ndarray,
    rule: str,
    hint: str,
    source: str,
    problems: list[Problem],
) -> None:
    """Append one problem per row of ``frame`` where ``bad`` is true (error path only)."""
    positions = np.flatnonzero(bad)
    if positions.size == 0:
        return
    rows = row_numbers(frame)[positions]
    values = frame[column].to_numpy()[positions] if column in frame else [None] * len(rows)
    for row, value in zip(rows, values, strict=True):
        shown = None if pd.isna(value) else _show(value)
        problems.append(Problem(source, int(row), column, shown, rule, hint))


def numeric(frame: pd.DataFrame, column: str, source: str, problems: list[Problem]) -> FloatArray:
    """``frame[column]`` as float64 (missing = NaN); a cell that is not a number is a problem."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    values = frame[column]
    if values.dtype == np.float64:
        return values.to_numpy(copy=False)  # already floats with NaN for missing: no copy
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    coerced = pd.to_numeric(values, errors="coerce")
    text = values.astype("string").str.strip()
    bad = (coerced.isna() & values.notna() & (text != "")).to_numpy(dtype=bool)
    add_problems(
        frame,
        column,
        bad,
        "is not a number",
        "enter a number or leave the cell empty",
        source,
        problems,
    )
    return coerced.to_numpy(dtype=np.float64, na_value=np.nan)


def check_range(
    frame: pd.DataFrame,
    column: str,
    values: FloatArray,
    low: float | FloatArray,
    high: float | FloatArray,
    rule: str,
    hint: str,
    source: str,
    problems: list[Problem],
) -> None:
    """A value outside ``[low, high]`` is a problem (never clipped)."""
    # Fast path for scalar bounds: NaN-ignoring min and max, no temporary arrays.
    scalar = np.ndim(low) == 0 and np.ndim(high) == 0 and len(values) > 0
    if scalar and np.fmin.reduce(values) >= low and np.fmax.reduce(values) <= high:
        return
    with np.errstate(invalid="ignore"):
        bad = (values < low) | (values > high)
    if bad.any():
        add_problems(frame, column, bad, rule, hint, source, problems)


TRUE_TEXT = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE_TEXT = frozenset({"false", "f", "no", "n", "0", "0.0"})


def boolean(
    frame: pd.DataFrame,
    column: str,
    source: str,
    problems: list[Problem],
    hint: str = "write true or false",
) -> tuple[np.ndarray, np.ndarray]:
    """``frame[column]`` as (value, known) boolean arrays; other text is a problem.

    Accepts booleans, 0/1 and true/false, yes/no, t/f, y/n in any case. Missing cells
    are (False, not known); an absent column is all missing.
    """
    n = len(frame)
    if column not in frame:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    values = frame[column]
    text = values.astype("string").str.strip().str.lower()
    known = (values.notna() & (text != "")).to_numpy(dtype=bool)
    true = text.isin(TRUE_TEXT).to_numpy(dtype=bool)
    bad = known & ~true & ~text.isin(FALSE_TEXT).to_numpy(dtype=bool)
    add_problems(frame, column, bad, "must be true or false", hint, source, problems)
    return true & known, known


def check_option(name: str, value: object, allowed: Collection[object]) -> None:
    """An option outside its allowed values is a :class:`ConfigError`."""
    if value not in allowed:
        shown = ", ".join(map(str, allowed))
        raise ConfigError([Problem("options", None, name, str(value), f"must be one of {shown}")])
