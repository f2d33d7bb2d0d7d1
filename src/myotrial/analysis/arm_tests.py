"""Two-arm statistics: difference of proportions and ANCOVA.

Conventions (docs/analysis.md, "Between-arm comparisons"): estimates are MSCT minus
control; intervals two-sided at the ``confidence`` level; p-values two-sided.

- Risk difference with the Newcombe hybrid score interval (Newcombe, Stat Med 1998;
  17:873-90, method 10: Wilson score limits of each proportion combined), the interval of
  ``statsmodels`` ``confint_proportions_2indep(method="newcomb")``;
- p from the pooled two-proportion z-test, which is Pearson's chi-squared test without
  continuity correction (R ``prop.test(correct = FALSE)``), or Fisher's exact test
  (R ``fisher.test``) when the plan names it;
- ANCOVA: ordinary least squares of the outcome on arm and baseline, t interval and
  p on ``n - 3`` degrees of freedom (R ``lm(change ~ arm + baseline)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Estimate:
    """An estimate with its interval, two-sided p-value and group sizes."""

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n_treatment: int
    n_control: int


def wilson(x: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval of ``x / n`` (no continuity correction)."""
    if n == 0:
        return float("nan"), float("nan")
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return float(centre - half), float(centre + half)


def risk_difference(
    x1: int, n1: int, x0: int, n0: int, confidence: float = 0.95, test: str = "z"
) -> Estimate:
    """``x1/n1 - x0/n0`` with the Newcombe hybrid score interval and a two-sided p.

    Parameters
    ----------
    x1, n1
        Responders and patients of the treatment arm.
    x0, n0
        Responders and patients of the control arm.
    confidence
        Level of the interval.
    test
        ``"z"`` (pooled z-test = Pearson chi-squared without continuity correction) or
        ``"fisher"`` (Fisher's exact test).

    Returns
    -------
    Estimate
        NaN everywhere when an arm has no patient; p NaN when the pooled proportion is 0
        or 1 (the z statistic is undefined; R ``prop.test`` gives NaN too).
    """
    if n1 == 0 or n0 == 0:
        return Estimate(*(float("nan"),) * 4, n1, n0)
    p1, p0 = x1 / n1, x0 / n0
    l1, u1 = wilson(x1, n1, confidence)
    l0, u0 = wilson(x0, n0, confidence)
    d = p1 - p0
    low = d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    if test == "fisher":
        p = float(stats.fisher_exact([[x1, n1 - x1], [x0, n0 - x0]])[1])
    else:
        p = pooled_z_p(x1, n1, x0, n0)
    return Estimate(d, float(low), float(high), p, n1, n0)


def pooled_z_p(x1: int, n1: int, x0: int, n0: int) -> float:
    """Two-sided p of the pooled two-proportion z-test."""
    pooled = (x1 + x0) / (n1 + n0)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n0)
    if variance <= 0:
        return float("nan")
    z = (x1 / n1 - x0 / n0) / np.sqrt(variance)
    return float(2 * stats.norm.sf(abs(z)))


def ancova(
    outcome: np.ndarray, treated: np.ndarray, baseline: np.ndarray, confidence: float = 0.95
) -> Estimate:
    """Arm effect of ``outcome ~ arm + baseline`` by ordinary least squares.

    Parameters
    ----------
    outcome, treated, baseline
        One value per patient (complete cases); ``treated`` is 1 for the treatment arm.
    confidence
        Level of the t interval.

    Returns
    -------
    Estimate
        NaN estimate when an arm has fewer than 2 patients or the design is singular
        (for example a constant baseline), so that no test is run on too little data.
    """
    y = np.asarray(outcome, float)
    arm = np.asarray(treated, float)
    n1, n0 = int(arm.sum()), int((1 - arm).sum())
    design = np.column_stack([np.ones_like(y), arm, np.asarray(baseline, float)])
    df = len(y) - design.shape[1]
    if n1 < 2 or n0 < 2 or df < 1 or np.linalg.matrix_rank(design) < design.shape[1]:
        return Estimate(*(float("nan"),) * 4, n1, n0)
    beta = np.linalg.lstsq(design, y, rcond=None)[0]
    residual = y - design @ beta
    sigma2 = float(residual @ residual) / df
    se = float(np.sqrt(sigma2 * np.linalg.inv(design.T @ design)[1, 1]))
    crit = stats.t.ppf(0.5 + confidence / 2, df)
    p = float(2 * stats.t.sf(abs(beta[1] / se), df)) if se > 0 else float("nan")
    return Estimate(float(beta[1]), beta[1] - crit * se, beta[1] + crit * se, p, n1, n0)
