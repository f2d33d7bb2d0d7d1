"""The decision of one analysis on many trials, and the precomputed critical values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class Decisions:
    """Per-trial results: the arm effect, its SE, the test statistic and the decision.

    ``valid`` is False where the analysis has no answer (for example a logistic fit
    that did not converge); such a trial counts as not rejecting.
    """

    estimate: FloatArray
    se: FloatArray
    statistic: FloatArray
    reject: BoolArray
    valid: BoolArray


def z_critical(alpha: float) -> float:
    """Two-sided standard-normal critical value."""
    return float(stats.norm.isf(alpha / 2))


def t_critical(alpha: float, df: int) -> float:
    """Two-sided Student-t critical value with ``df`` degrees of freedom."""
    return float(stats.t.isf(alpha / 2, df))
