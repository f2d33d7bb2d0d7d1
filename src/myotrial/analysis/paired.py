"""Paired before/after statistics for many groups at once.

The seed study compared each measure before and after transplantation with a paired
t-test; today a reviewer also expects the Wilcoxon signed-rank test and a confidence
interval of the mean change. Both are computed here for every (episode, measure, time
point) group in one pass: group sums with ``numpy.bincount`` and ranks with a grouped
``rank``, never a loop over groups.

Conventions (those of R's ``t.test(paired = TRUE)`` and ``wilcox.test(paired = TRUE)``):

- t-test: two-sided, ``n - 1`` degrees of freedom; no test and no interval below
  :data:`MIN_PAIRS` pairs or when every difference is the same (R ``t.test`` stops with
  "data are essentially constant"; an interval like [1.6, 1.6] says nothing).
- signed-rank: zero differences are dropped; the statistic is V, the sum of the ranks of
  the positive differences (average ranks for ties); the p-value is exact when fewer
  than 50 non-zero differences remain (``exact_max_n`` = 49) and there are neither ties
  nor zeros, as R ``wilcox.test`` decides,
  otherwise it is the normal approximation with tie and continuity correction.
- differences are rounded to 9 decimals before signs and ranks are taken, so that
  floating-point noise (0.1 + 0.2) creates no spurious ties or non-ties.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

MIN_PAIRS = 3
"""Fewest pairs with a paired test or interval: two points give a p-value from nothing."""
PAIRED_COLUMNS: tuple[str, ...] = (
    "n",
    "baseline_mean",
    "baseline_sd",
    "mean",
    "sd",
    "change_mean",
    "change_sd",
    "change_ci_low",
    "change_ci_high",
    "p_ttest",
    "p_wilcoxon",
    "percent_change_median",
)


def paired_summary(
    frame: pd.DataFrame, keys: list[str], confidence: float = 0.95, exact_max_n: int = 49
) -> pd.DataFrame:
    """Paired statistics of ``x1`` against ``x0`` within each group of ``keys``.

    Parameters
    ----------
    frame
        One row per patient and group: the ``keys`` columns, ``x0`` (baseline) and ``x1``
        (follow-up); rows with either value missing are ignored.
    keys
        Columns that define a group.
    confidence
        Level of the t interval of the mean change.
    exact_max_n
        Largest number of non-zero differences with an exact signed-rank p-value.

    Returns
    -------
    DataFrame
        The ``keys`` then the columns of :data:`PAIRED_COLUMNS`, one row per group.
    """
    data = frame.dropna(subset=["x0", "x1"]).copy()
    data["d"] = np.round(data["x1"].to_numpy(float) - data["x0"].to_numpy(float), 9)
    base = data["x0"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        data["pct"] = np.where(base != 0, data["d"] / base * 100.0, np.nan)
    grouped = data.groupby(keys, sort=True, observed=True)
    out = grouped.agg(
        n=("d", "size"),
        baseline_mean=("x0", "mean"),
        baseline_sd=("x0", "std"),
        mean=("x1", "mean"),
        sd=("x1", "std"),
        change_mean=("d", "mean"),
        change_sd=("d", "std"),
        percent_change_median=("pct", "median"),
    )
    _add_t(out, confidence)
    codes = grouped.ngroup().to_numpy()
    p = signed_rank_p(codes, data["d"].to_numpy(float), len(out), exact_max_n)
    out["p_wilcoxon"] = np.where(out["n"].to_numpy() >= MIN_PAIRS, p, np.nan)
    return out.reset_index()[[*keys, *PAIRED_COLUMNS]]


def _add_t(out: pd.DataFrame, confidence: float) -> None:
    n = out["n"].to_numpy(float)
    se = out["change_sd"].to_numpy(float) / np.sqrt(n)
    testable = (n >= MIN_PAIRS) & (se > 0)
    df = np.where(testable, n - 1, np.nan)
    crit = stats.t.ppf(0.5 + confidence / 2, df)
    out["change_ci_low"] = out["change_mean"] - crit * se
    out["change_ci_high"] = out["change_mean"] + crit * se
    with np.errstate(divide="ignore", invalid="ignore"):
        t_stat = out["change_mean"].to_numpy(float) / se
    p = 2 * stats.t.sf(np.abs(t_stat), df)
    out["p_ttest"] = np.where(testable & np.isfinite(t_stat), p, np.nan)


def signed_rank_p(
    codes: np.ndarray, d: np.ndarray, n_groups: int, exact_max_n: int = 49
) -> np.ndarray:
    """Two-sided Wilcoxon signed-rank p-values of the differences ``d`` per group.

    Parameters
    ----------
    codes
        Group number (0 .. n_groups - 1) of each difference.
    d
        The paired differences (no missing values).
    n_groups
        Number of groups.
    exact_max_n
        Largest number of non-zero differences with an exact p-value.

    Returns
    -------
    ndarray
        One p-value per group (NaN for a group without non-zero differences).
    """
    zeros = np.bincount(codes[d == 0], minlength=n_groups)
    keep = d != 0
    codes, d = codes[keep], d[keep]
    n = np.bincount(codes, minlength=n_groups).astype(float)
    absd = pd.DataFrame({"g": codes, "a": np.abs(d)})
    ranks = absd.groupby("g")["a"].rank(method="average").to_numpy(float)
    v = np.bincount(codes, weights=np.where(d > 0, ranks, 0.0), minlength=n_groups)
    tie_sizes = absd.groupby(["g", "a"]).size()
    tie_term = np.bincount(
        tie_sizes.index.get_level_values("g").to_numpy(int),
        weights=(tie_sizes.to_numpy(float) ** 3 - tie_sizes.to_numpy(float)),
        minlength=n_groups,
    )
    exact = (n > 0) & (n <= exact_max_n) & (tie_term == 0) & (zeros == 0)
    p = _normal_p(v, n, tie_term)
    if exact.any():
        p[exact] = _exact_p(v[exact].astype(int), n[exact].astype(int), exact_max_n)
    return np.where(n > 0, p, np.nan)


def _normal_p(v: np.ndarray, n: np.ndarray, tie_term: np.ndarray) -> np.ndarray:
    """R's normal approximation: tie correction of the variance, continuity 0.5."""
    z = v - n * (n + 1) / 4
    sigma = np.sqrt(n * (n + 1) * (2 * n + 1) / 24 - tie_term / 48)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (z - np.sign(z) * 0.5) / sigma
    return np.minimum(1.0, 2 * stats.norm.sf(np.abs(z)))


def _exact_p(v: np.ndarray, n: np.ndarray, max_n: int) -> np.ndarray:
    """Exact two-sided p from the null distribution of V (as R's psignrank)."""
    cdf = _signrank_cdf(max_n)
    half = n * (n + 1) / 4
    upper = np.where(v > 0, 1.0 - cdf[n, np.maximum(v - 1, 0)], 1.0)  # P(V >= v)
    lower = cdf[n, v]  # P(V <= v)
    one_sided = np.where(v > half, upper, lower)
    return np.minimum(1.0, 2 * one_sided)


@lru_cache(maxsize=4)
def _signrank_cdf(max_n: int) -> np.ndarray:
    """CDF of V for n = 0..max_n: counts of subsets of 1..n by their sum, over 2**n."""
    top = max_n * (max_n + 1) // 2
    counts = np.zeros((max_n + 1, top + 1))
    counts[0, 0] = 1.0
    for size in range(1, max_n + 1):  # a loop over n (below 50), not over data
        counts[size] = counts[size - 1]
        counts[size, size:] += counts[size - 1, : top + 1 - size]
    cdf = np.cumsum(counts, axis=1) / (2.0 ** np.arange(max_n + 1))[:, None]
    cdf.flags.writeable = False
    return cdf
