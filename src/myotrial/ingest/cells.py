"""Turning a mask over a typed table into problems, one per cell that breaks a rule."""

from __future__ import annotations

import numpy as np
import pandas as pd

from myotrial.errors import Problem


def cell_problems(
    frame: pd.DataFrame,
    mask: pd.Series | np.ndarray,
    column: str,
    file: str,
    rule: str,
    hint: str | pd.Series = "",
) -> list[Problem]:
    """One problem per row of ``frame`` where ``mask`` holds, about ``column``.

    ``hint`` is one text for all, or a Series aligned with ``frame`` (a hint per row).
    """
    if isinstance(mask, pd.Series):
        mask = mask.to_numpy(dtype=bool, na_value=False)
    if not mask.any():
        return []
    hits = frame.index[mask]
    if column in frame.columns:
        values = [format_value(v) for v in frame.loc[hits, column]]
    else:
        values = [None] * len(hits)
    hints = list(hint.loc[hits]) if isinstance(hint, pd.Series) else [hint] * len(hits)
    return [
        Problem(file, int(i) + 2, column, v, rule, str(h))
        for i, v, h in zip(hits, values, hints, strict=True)
    ]


def format_value(value: object) -> str | None:
    """A typed value as the user would have written it (dates ``YYYY-MM-DD``)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float | np.floating):
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)
