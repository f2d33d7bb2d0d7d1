"""Mixed model for repeated measures (MMRM) with an unstructured covariance, by REML.

Model (docs/analysis.md, "MMRM"): for patient ``i`` at post-baseline time point ``t``,
``y_it = mu_t + delta_t arm_i + gamma_t baseline_i + e_it`` with ``e_i ~ N(0, Sigma)``,
``Sigma`` unstructured (``T (T + 1) / 2`` parameters), fitted by restricted maximum
likelihood on every observed visit (missing at random): the model of R
``nlme::gls(y ~ 0 + time + time:arm + time:baseline, correlation = corSymm(),
weights = varIdent(form = ~ 1 | time), method = "REML")``. The arm difference at a time
point is ``delta_t``, with Satterthwaite degrees of freedom for its t interval and p
(Satterthwaite 1946; as SAS ``PROC MIXED ddfm=satterthwaite`` and R ``mmrm``).

Everything the likelihood needs is quadratic in the data, so patients are grouped by
their pattern of observed time points and each group is reduced to sums of cross-
products: an evaluation costs the same for 100 or 100,000 patients. With complete data
the estimate equals the per-visit ANCOVA (identical regressors at every time point).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

FloatArray = NDArray[Any]


@dataclass(frozen=True)
class _Patterns:
    """Patients grouped by their pattern of observed time points (K patterns), as sums of
    cross-products zero-padded to every time point (T): what the likelihood needs."""

    observed: NDArray[np.bool_]  # K x T
    n: FloatArray  # K patients per pattern
    zz: FloatArray  # K x 3 x 3: sum of z z', z = (1, arm, baseline)
    zy: FloatArray  # K x 3 x T: sum of z y'
    yy: FloatArray  # K x T x T: sum of y y'


@dataclass(frozen=True)
class MmrmFit:
    """Fixed effects (``coef[t] = (mu_t, delta_t, gamma_t)``), their covariance, Sigma."""

    coef: FloatArray
    covariance: FloatArray
    sigma: FloatArray
    theta: FloatArray
    hessian: FloatArray
    n_patients: int
    n_observations: int
    patterns: _Patterns


def _patterns(y: FloatArray, arm: FloatArray, baseline: FloatArray) -> _Patterns:
    observed = ~np.isnan(y)
    codes = observed @ (1 << np.arange(y.shape[1]))
    keep = codes > 0
    unique, group = np.unique(codes[keep], return_inverse=True)
    z = np.column_stack([np.ones_like(arm), arm, baseline])[keep]
    filled = np.where(observed, y, 0.0)[keep]
    k = len(unique)
    # grouped sums by np.add.at over patients: no loop over patients or patterns
    zz = np.zeros((k, 3, 3))
    np.add.at(zz, group, z[:, :, None] * z[:, None, :])
    zy = np.zeros((k, 3, y.shape[1]))
    np.add.at(zy, group, z[:, :, None] * filled[:, None, :])
    yy = np.zeros((k, y.shape[1], y.shape[1]))
    np.add.at(yy, group, filled[:, :, None] * filled[:, None, :])
    masks = ((unique[:, None] >> np.arange(y.shape[1])) & 1).astype(bool)
    return _Patterns(masks, np.bincount(group, minlength=k).astype(float), zz, zy, yy)


def _sigma(theta: FloatArray, size: int) -> tuple[FloatArray, FloatArray]:
    """Sigma = L L' from the lower triangle of L, its diagonal on the log scale."""
    lower = np.zeros((size, size))
    lower[np.tril_indices(size)] = theta
    diagonal = np.diag_indices(size)
    lower[diagonal] = np.exp(lower[diagonal])
    return lower @ lower.T, lower


@dataclass(frozen=True)
class _State:
    criterion: float
    information: FloatArray
    coef: FloatArray
    weights: FloatArray  # K x T x T: inverse of each pattern's Sigma, 0 where unobserved


def _weights(sigma: FloatArray, observed: NDArray[np.bool_]) -> tuple[FloatArray, FloatArray]:
    """Inverse and log-determinant of Sigma on each pattern's observed block, at once.

    The unobserved rows and columns are replaced by those of the identity, which leaves
    the observed block's inverse and determinant unchanged; they are zeroed afterwards.
    """
    both = observed[:, :, None] & observed[:, None, :]
    eye = np.eye(sigma.shape[0], dtype=bool)
    blocks = np.where(both, sigma, eye.astype(float))
    inverse = np.linalg.inv(blocks) * both
    return inverse, np.linalg.slogdet(blocks)[1]


def _state(theta: FloatArray, patterns: _Patterns, size: int) -> _State:
    """-2 REML log-likelihood (without constants) and what its derivatives reuse."""
    sigma, _ = _sigma(theta, size)
    w, logdet = _weights(sigma, patterns.observed)
    information = np.einsum("ktu,kab->taub", w, patterns.zz).reshape(3 * size, 3 * size)
    score = np.einsum("ktu,kau->ta", w, patterns.zy).ravel()
    coef = np.linalg.solve(information, score)
    quadratic = float(np.sum(w * patterns.yy)) - float(coef @ score)
    criterion = float(patterns.n @ logdet) + np.linalg.slogdet(information)[1] + quadratic
    return _State(float(criterion), information, coef.reshape(size, 3), w)


def _sigma_gradient(
    state: _State, patterns: _Patterns, size: int, inverse: FloatArray
) -> FloatArray:
    """G with d(-2 l_R) = tr(G dSigma) (REML score in Sigma)."""
    b = state.coef.T  # 3 x T
    cross = np.einsum("at,kau->ktu", b, patterns.zy)
    fitted = np.einsum("at,kab,bu->ktu", b, patterns.zz, b)
    residual = patterns.yy - cross - cross.transpose(0, 2, 1) + fitted
    c = np.einsum("ulth,khl->kut", inverse.reshape(size, 3, size, 3), patterns.zz)
    w = state.weights
    inner = residual + c
    terms = patterns.n[:, None, None] * w - w @ inner @ w
    gradient: FloatArray = terms.sum(axis=0)
    return gradient


def _theta_gradient(g: FloatArray, theta: FloatArray, size: int) -> FloatArray:
    """Chain rule from Sigma = L L' to the log-Cholesky parameters."""
    _, lower = _sigma(theta, size)
    d_lower = 2 * g @ lower
    d_lower[np.diag_indices(size)] *= np.diag(lower)
    return d_lower[np.tril_indices(size)]


def _objective(theta: FloatArray, patterns: _Patterns, size: int) -> tuple[float, FloatArray]:
    state = _state(theta, patterns, size)
    inverse: FloatArray = np.linalg.inv(state.information)
    g = _sigma_gradient(state, patterns, size, inverse)
    return state.criterion, _theta_gradient(g, theta, size)


def _start(y: FloatArray) -> FloatArray:
    """Log-Cholesky of the pairwise-complete covariance (made positive definite)."""
    centred = y - np.nanmean(y, axis=0)
    filled = np.where(np.isnan(centred), 0.0, centred)
    counts = (~np.isnan(y)).astype(float)
    sigma = (filled.T @ filled) / np.maximum(counts.T @ counts - 1, 1)
    scale = np.sqrt(np.clip(np.diag(sigma), 1e-8, None))
    corr = sigma / np.outer(scale, scale)
    eigen, vectors = np.linalg.eigh((corr + corr.T) / 2)
    corr = (vectors * np.clip(eigen, 0.05, None)) @ vectors.T
    d = np.sqrt(np.diag(corr))
    lower = np.linalg.cholesky(corr / np.outer(d, d) * np.outer(scale, scale))
    lower[np.diag_indices(len(scale))] = np.log(np.diag(lower))
    return lower[np.tril_indices(len(scale))]


def fit_mmrm(y: FloatArray, arm: FloatArray, baseline: FloatArray) -> MmrmFit:
    """Fit the MMRM by REML.

    Parameters
    ----------
    y
        Outcomes, patients x time points, NaN where not observed.
    arm
        1 for the treatment arm, 0 for control, one per patient.
    baseline
        Baseline value, one per patient.

    Returns
    -------
    MmrmFit
        ``coef`` (time points x (mu, delta, gamma)), ``covariance`` of the fixed
        effects in the same order (flattened), ``sigma`` and the log-Cholesky ``theta``.

    Raises
    ------
    numpy.linalg.LinAlgError
        If the fixed effects are not estimable (for example an arm without any patient
        at some time point).
    """
    y = np.asarray(y, float)
    size = y.shape[1]
    patterns = _patterns(y, np.asarray(arm, float), np.asarray(baseline, float))
    best = optimize.minimize(
        _objective,
        _start(y),
        args=(patterns, size),
        jac=True,
        method="BFGS",
        options={"gtol": 1e-9, "maxiter": 2000},
    )
    theta, hessian = _polish(best.x, patterns, size)
    state = _state(theta, patterns, size)
    sigma, _ = _sigma(theta, size)
    n_obs = int((~np.isnan(y)).sum())
    n_pat = int(patterns.n.sum())
    covariance: FloatArray = np.linalg.inv(state.information)
    return MmrmFit(state.coef, covariance, sigma, theta, hessian, n_pat, n_obs, patterns)


def _polish(
    theta: FloatArray, patterns: _Patterns, size: int, steps: int = 2
) -> tuple[FloatArray, FloatArray]:
    """Newton steps from the quasi-Newton optimum (the REML surface is flat near it, so
    BFGS stops early); return the parameters and the Hessian there."""

    def score(t: FloatArray) -> FloatArray:
        return _objective(t, patterns, size)[1]

    hessian = _symmetric(_jacobian(score, theta))
    for _ in range(steps):
        step = np.linalg.solve(hessian, score(theta))
        if not np.all(np.isfinite(step)):
            break
        theta = theta - step
        hessian = _symmetric(_jacobian(score, theta))
    return theta, hessian


def _symmetric(matrix: FloatArray) -> FloatArray:
    return (matrix + matrix.T) / 2


def satterthwaite_df(fit: MmrmFit, index: int) -> float:
    """Satterthwaite degrees of freedom of the fixed effect at flat ``index``.

    ``df = 2 v^2 / (g' W g)`` with ``v`` the variance of the estimate, ``g`` its gradient
    in the covariance parameters and ``W = 2 H^-1`` their asymptotic covariance (``H``
    the Hessian of -2 log-likelihood, by central differences of the analytic score).
    """
    size = fit.sigma.shape[0]

    def variance(theta: FloatArray) -> FloatArray:
        info = _state(theta, fit.patterns, size).information
        return np.array([np.linalg.inv(info)[index, index]])

    gradient = _jacobian(variance, fit.theta)[0]
    covariance = 2 * np.linalg.inv(fit.hessian)
    v = float(fit.covariance[index, index])
    return float(2 * v * v / (gradient @ covariance @ gradient))


def _jacobian(
    function: Callable[[FloatArray], FloatArray], theta: FloatArray, step: float = 1e-5
) -> FloatArray:
    """Central-difference Jacobian of ``function`` at ``theta``."""
    columns = []
    for k in range(theta.size):  # one pair of evaluations per covariance parameter
        shift = np.zeros_like(theta)
        shift[k] = step
        columns.append((function(theta + shift) - function(theta - shift)) / (2 * step))
    return np.column_stack(columns)


def arm_difference(
    y: FloatArray, arm: FloatArray, baseline: FloatArray, timepoint: int, confidence: float
) -> dict[str, float]:
    """The MMRM arm difference at column ``timepoint`` of ``y``, t-based on Satterthwaite df.

    Returns
    -------
    dict
        ``estimate``, ``std_error``, ``df``, ``ci_low``, ``ci_high``, ``p_value``,
        ``n_patients``, ``n_observations``.
    """
    fit = fit_mmrm(y, arm, baseline)
    index = 3 * timepoint + 1
    estimate = float(fit.coef[timepoint, 1])
    se = float(np.sqrt(fit.covariance[index, index]))
    df = satterthwaite_df(fit, index)
    crit = stats.t.ppf(0.5 + confidence / 2, df)
    return {
        "estimate": estimate,
        "std_error": se,
        "df": df,
        "ci_low": estimate - crit * se,
        "ci_high": estimate + crit * se,
        "p_value": float(2 * stats.t.sf(abs(estimate / se), df)),
        "n_patients": fit.n_patients,
        "n_observations": fit.n_observations,
    }
