"""Range checks of the clinical scales, shared by every reader of measures.

A PAIRS table and a visits table carry the same measures under different column names;
both read them through these functions, so a scale's rule and message are written once.
Each function reads a column as numbers, appends a :class:`~myotrial.errors.Problem` per
value outside its scale (never clipped) and returns the values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from myotrial.errors import Problem
from myotrial.measures import _checks
from myotrial.measures.scales import ENZYME_MIN, HAQ_MAX, MMT_MAXIMA, ULN_ABOVE, vas_scale_max

_MMT_FORMS = " or ".join(map(str, MMT_MAXIMA))
# docs/measures.md §1: 80 grades eight groups on one side; 150 the limb groups on both sides
# plus the neck flexors.
MMT_FORM_HINT = "80 = one side, 150 = both sides plus neck"


def _read(
    frame: pd.DataFrame,
    column: str,
    bounds: tuple[float, float],
    rule: str,
    hint: str,
    source: str,
    problems: list[Problem],
) -> np.ndarray:
    """``frame[column]`` as numbers, a problem for each value outside ``bounds``."""
    values = _checks.numeric(frame, column, source, problems)
    low, high = bounds
    _checks.check_range(frame, column, values, low, high, rule, hint, source, problems)
    return values


def vas(
    frame: pd.DataFrame,
    column: str,
    vas_unit: str,
    hint: str,
    source: str,
    problems: list[Problem],
) -> np.ndarray:
    """A visual analogue scale as entered (0-10 cm or 0-100 mm)."""
    top = vas_scale_max(vas_unit)
    rule = f"is outside the VAS scale 0-{top:g} {vas_unit}"
    return _read(frame, column, (0.0, top), rule, hint, source, problems)


def haq_index(frame: pd.DataFrame, column: str, source: str, problems: list[Problem]) -> np.ndarray:
    """A HAQ disability index (0-3)."""
    rule = f"is outside the HAQ-DI scale 0-{HAQ_MAX:g}"
    hint = f"the disability index is a mean of 0-{HAQ_MAX:g} scores"
    return _read(frame, column, (0.0, HAQ_MAX), rule, hint, source, problems)


def mmt_form(
    frame: pd.DataFrame, column: str, default: int, source: str, problems: list[Problem]
) -> np.ndarray:
    """Each row's MMT-8 form (80 or 150); an empty or invalid cell takes ``default``."""
    values = _checks.numeric(frame, column, source, problems)
    bad = ~np.isnan(values) & ~np.isin(values, MMT_MAXIMA)
    rule = f"must be {_MMT_FORMS}"
    _checks.add_problems(frame, column, bad, rule, MMT_FORM_HINT, source, problems)
    return np.where(np.isnan(values) | bad, float(default), values)


def enzyme(frame: pd.DataFrame, column: str, source: str, problems: list[Problem]) -> np.ndarray:
    """An enzyme activity in its declared unit (never negative)."""
    rule, hint = f"is below {ENZYME_MIN:g}", "enzyme activity cannot be negative"
    return _read(frame, column, (ENZYME_MIN, np.inf), rule, hint, source, problems)


def uln(frame: pd.DataFrame, column: str, source: str, problems: list[Problem]) -> np.ndarray:
    """A laboratory's upper limit of normal (above 0)."""
    rule, hint = f"must be above {ULN_ABOVE:g}", "the laboratory's upper limit of normal"
    # The smallest float above the bound makes the inclusive check exclusive.
    bounds = (float(np.nextafter(ULN_ABOVE, 1.0)), np.inf)
    return _read(frame, column, bounds, rule, hint, source, problems)
