"""HAQ disability index (HAQ-DI) from its eight category scores.

Source: Fries JF et al. Arthritis Rheum 1980;23:137-45; Stanford scoring rules (aids and
devices raise a category to at least 2; the index needs at least 6 answered categories).
Rules as in docs/measures.md §1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from myotrial.domain import HAQ_CATEGORIES
from myotrial.errors import InvalidInputError, Problem
from myotrial.measures import _checks
from myotrial.measures.scales import HAQ_MAX

__all__ = ["HAQ_CATEGORIES", "category_columns", "haq_di"]

MIN_ANSWERED = 6
AID_FLOOR = 2.0


def category_columns(frame: pd.DataFrame) -> list[str]:
    """The HAQ category columns present in ``frame``."""
    return [f"haq_{c}" for c in HAQ_CATEGORIES if f"haq_{c}" in frame.columns]


def _aid(frame: pd.DataFrame, column: str, source: str, problems: list[Problem]) -> np.ndarray:
    used, _known = _checks.boolean(frame, column, source, problems, "aid, device or help used")
    return used


def haq_di(
    frame: pd.DataFrame, source: str = "visits", problems: list[Problem] | None = None
) -> np.ndarray:
    """HAQ-DI per row from ``haq_<category>`` scores and ``haq_<category>_aid`` flags.

    A category with an aid, device or help scores at least 2; the index is the mean of
    the answered categories, missing (NaN) when fewer than 6 are answered.

    Parameters
    ----------
    frame : DataFrame
        Category columns (0-3, the worst item of each category) and aid flags.
    source : str
        File name used in problems.
    problems : list of Problem, optional
        Problems are appended here; when None they are raised at once.

    Returns
    -------
    ndarray
        HAQ-DI (0-3) per row, NaN where fewer than 6 categories are answered.

    Raises
    ------
    InvalidInputError
        When ``problems`` is None and a score is outside 0-3 or an aid flag is not boolean.
    """
    own: list[Problem] = [] if problems is None else problems
    scores = []
    for category in HAQ_CATEGORIES:
        column = f"haq_{category}"
        score = _checks.numeric(frame, column, source, own)
        _checks.check_range(
            frame,
            column,
            score,
            0.0,
            HAQ_MAX,
            "is outside the category scale 0-3",
            "each HAQ category scores 0-3",
            source,
            own,
        )
        aid = _aid(frame, f"{column}_aid", source, own)
        # Stanford rule: an aid, device or help raises an answered category to at least 2.
        scores.append(np.where(aid & ~np.isnan(score), np.maximum(score, AID_FLOOR), score))
    if problems is None and own:
        raise InvalidInputError(own)
    table = np.column_stack(scores) if len(frame) else np.zeros((0, len(HAQ_CATEGORIES)))
    answered = (~np.isnan(table)).sum(axis=1)
    with np.errstate(invalid="ignore"):
        mean = np.nansum(table, axis=1) / answered
    # Stanford rule (docs/measures.md §1 convention): fewer than 6 answered, no index.
    return np.where(answered >= MIN_ANSWERED, mean, np.nan)
