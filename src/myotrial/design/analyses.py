"""The primary analysis of every simulated trial, batched over trials.

Each function takes arrays of shape ``(trials, patients)`` (control arm first) and returns
a :class:`Decisions` with one value per trial. Rejection compares the statistic with a
critical value computed once (docs/design.md: "compare |t| with a precomputed critical
value"), so no p-value is computed per trial.

Implemented:

- two proportions: pooled two-sided z-test (Pearson chi-square without continuity
  correction); Fisher's exact test by a lookup table over every ``(x_control,
  x_treatment)`` for the fixed arm sizes; logistic regression ``response ~ arm +
  baseline`` by batched Newton-Raphson with a Wald test;
- ANCOVA ``change ~ arm + baseline`` in closed form (pooled within-arm regression);
- MMRM for repeated measures: with complete data the unstructured-covariance estimate of
  the final-visit difference equals the final-visit ANCOVA (identical regressors in every
  visit equation), so that is what runs; with monotone dropout the maximum-likelihood
  estimate under missing at random is built from sequential regressions (visit j on arm,
  baseline and visits 1..j−1, among those still observed) with a delta-method variance
  from the block-diagonal information of the factored likelihood;
- log-rank and Cox: see :mod:`myotrial.design.survival`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from myotrial.design.decision import Decisions, t_critical, z_critical
from myotrial.design.survival import cox_breslow, logrank

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

__all__ = [
    "Decisions",
    "ancova",
    "batched_ols",
    "cox_breslow",
    "fisher_pvalues",
    "fisher_test",
    "logistic_test",
    "logrank",
    "mmrm_monotone",
    "t_critical",
    "two_proportion_z",
    "z_critical",
]


def two_proportion_z(response: FloatArray, n_control: int, alpha: float) -> Decisions:
    """Pooled two-sided z-test of the difference in response proportions.

    Equal to Pearson's chi-square without continuity correction (z² = X²). When nobody or
    everybody responds the statistic is 0 (no evidence of a difference).
    """
    n0, n1 = n_control, response.shape[1] - n_control
    x0, x1 = response[:, :n_control].sum(axis=1), response[:, n_control:].sum(axis=1)
    p0, p1 = x0 / n0, x1 / n1
    pooled = (x0 + x1) / (n0 + n1)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
    diff = p1 - p0
    z = np.divide(diff, se, out=np.zeros_like(diff), where=se > 0)
    return Decisions(diff, se, z, np.abs(z) > z_critical(alpha), np.ones_like(z, bool))


@lru_cache(maxsize=64)
def fisher_pvalues(n_control: int, n_treatment: int) -> FloatArray:
    """Two-sided Fisher exact p-value for every table with these arm sizes.

    Entry ``[x0, x1]`` is the p-value for ``x0`` responders in control and ``x1`` in the
    MSCT arm; as in ``scipy.stats.fisher_exact``, the p-value sums the probabilities of
    tables no more likely than the observed one (relative tolerance 1e-7). One pass per
    total number of responders, never one per trial.
    """
    table = np.ones((n_control + 1, n_treatment + 1))
    x0 = np.arange(n_control + 1)
    for total in range(n_control + n_treatment + 1):
        x1 = total - x0
        ok = (x1 >= 0) & (x1 <= n_treatment)
        pmf = stats.hypergeom.pmf(x0[ok], n_control + n_treatment, n_control, total)
        smaller = pmf[None, :] <= pmf[:, None] * (1 + 1e-7)
        table[x0[ok], x1[ok]] = np.minimum((smaller * pmf[None, :]).sum(axis=1), 1.0)
    return table


def fisher_test(response: FloatArray, n_control: int, alpha: float) -> Decisions:
    """Fisher's exact two-sided test, by lookup over the table grid."""
    n1 = response.shape[1] - n_control
    x0 = response[:, :n_control].sum(axis=1).astype(int)
    x1 = response[:, n_control:].sum(axis=1).astype(int)
    pvalue = fisher_pvalues(n_control, n1)[x0, x1]
    diff = x1 / n1 - x0 / n_control
    return Decisions(
        diff, np.full_like(diff, np.nan), pvalue, pvalue <= alpha, np.ones_like(diff, bool)
    )


def ancova(outcome: FloatArray, baseline: FloatArray, n_control: int, alpha: float) -> Decisions:
    """ANCOVA ``outcome ~ arm + baseline`` for every trial, in closed form.

    The arm coefficient is the difference in means adjusted by the pooled within-arm
    slope; its variance is ``s²(1/n0 + 1/n1 + (x̄1 − x̄0)²/Sxx_within)`` with
    ``s² = RSS/(n − 3)`` (ordinary least squares, identical to fitting the linear model).
    """
    n = outcome.shape[1]
    n0, n1 = n_control, n - n_control
    parts = []
    for cols in (slice(0, n_control), slice(n_control, n)):
        y, x = outcome[:, cols], baseline[:, cols]
        my, mx = y.mean(axis=1), x.mean(axis=1)
        dx = x - mx[:, None]
        parts.append(
            (
                my,
                mx,
                np.einsum("ij,ij->i", dx, dx),
                np.einsum("ij,ij->i", dx, y),
                np.einsum("ij,ij->i", y, y) - len(y[0]) * my * my,
            )
        )
    (my0, mx0, sxx0, sxy0, syy0), (my1, mx1, sxx1, sxy1, syy1) = parts
    sxx, sxy, syy = sxx0 + sxx1, sxy0 + sxy1, syy0 + syy1
    slope = sxy / sxx
    gap = mx1 - mx0
    effect = (my1 - my0) - slope * gap
    s2 = (syy - slope * sxy) / (n - 3)
    se = np.sqrt(s2 * (1 / n0 + 1 / n1 + gap * gap / sxx))
    t = effect / se
    return Decisions(effect, se, t, np.abs(t) > t_critical(alpha, n - 3), np.isfinite(t))


def batched_ols(
    design: FloatArray, y: FloatArray, weight: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Least squares per trial with 0/1 weights (the rows a trial observed).

    Parameters
    ----------
    design
        ``(trials, patients, p)`` regressors.
    y
        ``(trials, patients)`` outcome.
    weight
        ``(trials, patients)`` 1.0 for rows in the fit, 0.0 otherwise.

    Returns
    -------
    (beta, cov, df)
        Coefficients ``(trials, p)``, their covariance ``s²(X'WX)⁻¹`` ``(trials, p, p)``
        and the residual degrees of freedom ``(trials,)``.
    """
    xw = design * weight[:, :, None]
    xtx = np.einsum("tni,tnj->tij", xw, design)
    xty = np.einsum("tni,tn->ti", xw, y)
    df = weight.sum(axis=1) - design.shape[2]
    # a degenerate trial (too few patients, or a constant regressor) has a singular
    # X'WX: it gets NaN estimates, so the analysis marks it invalid instead of failing
    scale = np.abs(xtx).max(axis=(1, 2))
    ok = (df > 0) & (np.linalg.cond(xtx) < 1e12) & (scale > 0)
    inverse = np.linalg.inv(np.where(ok[:, None, None], xtx, np.eye(design.shape[2])))
    inverse[~ok] = np.nan
    beta = np.einsum("tij,tj->ti", inverse, xty)
    resid = (y - np.einsum("tni,ti->tn", design, beta)) * weight
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = np.einsum("tn,tn->t", resid, resid) / df
    return beta, inverse * s2[:, None, None], df


def logistic_test(
    response: FloatArray, baseline: FloatArray, n_control: int, alpha: float, max_iter: int = 30
) -> Decisions:
    """Logistic regression ``response ~ arm + baseline`` (Wald test of the arm), batched.

    Newton-Raphson on every trial at once; a trial whose fit does not converge (for
    example complete separation) is marked invalid and does not reject.
    """
    t, n = response.shape
    arm = np.zeros(n)
    arm[n_control:] = 1.0
    centre = baseline.mean(axis=1, keepdims=True)  # centring only eases convergence
    design = np.stack([np.ones((t, n)), np.broadcast_to(arm, (t, n)), baseline - centre], axis=2)
    beta = np.zeros((t, 3))
    step_size = np.full(t, np.inf)
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-np.einsum("tni,ti->tn", design, beta)))
        info = np.einsum("tni,tn,tnj->tij", design, p * (1 - p), design)
        score = np.einsum("tni,tn->ti", design, response - p)
        # separation drives the information to singular: stop those trials, keep the rest
        solvable = np.abs(np.linalg.det(info)) > 1e-12
        safe = np.where(solvable[:, None, None], info, np.eye(3))
        step = np.linalg.solve(safe, score[:, :, None])[:, :, 0] * solvable[:, None]
        step = np.where(solvable[:, None], step, np.inf)
        beta = beta + np.where(np.isfinite(step), step, 0.0)
        step_size = np.abs(step).max(axis=1)
        if np.all((step_size < 1e-10) | ~np.isfinite(step_size)):
            break
    cov = np.linalg.pinv(info)
    se = np.sqrt(cov[:, 1, 1])
    valid = (step_size < 1e-6) & np.isfinite(se) & (np.abs(beta[:, 1]) < 30)
    z = np.where(valid, beta[:, 1] / np.where(valid, se, 1.0), 0.0)
    return Decisions(beta[:, 1], se, z, valid & (np.abs(z) > z_critical(alpha)), valid)


def mmrm_monotone(
    outcome: FloatArray, baseline: FloatArray, observed: BoolArray, n_control: int, alpha: float
) -> Decisions:
    """Final-visit arm difference under monotone dropout, by sequential regressions.

    Visit j is regressed on (1, arm, baseline, visits 1..j−1) among the patients observed
    at j. The adjusted difference at visit J is ``δ_J = γ_J + Σ_k φ_Jk δ_k``; its variance
    is the delta-method sum over the visit regressions, whose estimates are independent
    (block-diagonal information of the factored likelihood, Little & Rubin 2002 §7.4).
    The test uses a t critical value with ``n − 3`` degrees of freedom.
    """
    t, n, visits = outcome.shape
    arm = np.zeros(n)
    arm[n_control:] = 1.0
    base = np.stack([np.ones((t, n)), np.broadcast_to(arm, (t, n)), baseline], axis=2)
    deltas: list[FloatArray] = []
    fits: list[tuple[FloatArray, FloatArray]] = []
    for j in range(visits):
        design = np.concatenate([base, np.nan_to_num(outcome[:, :, :j])], axis=2)
        beta, cov, _ = batched_ols(
            design, np.nan_to_num(outcome[:, :, j]), observed[:, :, j].astype(float)
        )
        phi = beta[:, 3:]
        deltas.append(
            beta[:, 1] + sum((phi[:, k] * deltas[k] for k in range(j)), start=np.zeros(t))
        )
        fits.append((beta, cov))
    variance = _sequential_variance(deltas, fits)
    se = np.sqrt(variance)
    stat = deltas[-1] / se
    valid = np.isfinite(stat)
    crit = t_critical(alpha, n - 3)
    return Decisions(deltas[-1], se, stat, valid & (np.abs(stat) > crit), valid)


def _sequential_variance(
    deltas: list[FloatArray], fits: list[tuple[FloatArray, FloatArray]]
) -> FloatArray:
    """Delta-method variance of the last δ from independent per-visit regressions."""
    last = len(deltas) - 1
    weights = [np.zeros_like(deltas[0]) for _ in deltas]
    weights[last] = np.ones_like(deltas[0])
    # w_j = dδ_J/dδ_j = Σ_{l>j} w_l φ_lj (chain rule through later visits)
    for j in range(last - 1, -1, -1):
        weights[j] = sum(
            (weights[m] * fits[m][0][:, 3 + j] for m in range(j + 1, last + 1)),
            start=np.zeros_like(deltas[0]),
        )
    variance = np.zeros_like(deltas[0])
    for j, (beta, cov) in enumerate(fits):
        grad = np.zeros_like(beta)
        grad[:, 1] = weights[j]
        for k in range(j):
            grad[:, 3 + k] = weights[j] * deltas[k]
        variance += np.einsum("ti,tij,tj->t", grad, cov, grad)
    return variance
