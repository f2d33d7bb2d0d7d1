"""REML fit of a linear model with random intercepts for patients nested in donors (or lots).

The model is ``y_dij = x' beta + u_d + b_di + e_dij`` with ``u_d ~ N(0, tau2_d)`` for the
donor (or lot) ``d``, ``b_di ~ N(0, tau2_p)`` for patient ``i`` of that donor and
``e ~ N(0, sigma2)``: R's ``lme4::lmer(y ~ x + (1 | donor/patient), REML = TRUE)`` and
statsmodels ``MixedLM(y, X, groups=donor, vc_formula={"patient": "0 + C(patient)"})``.

As in :mod:`myotrial.analysis.mixed`, no per-group matrix is formed. With
``g_p = tau2_p / sigma2``, ``g_d = tau2_d / sigma2`` and patient ``i`` having ``n_i``
visits, ``V / sigma2 = A + g_d 1 1'`` within a donor, where ``A = I + g_p J_i`` per
patient has inverse ``I - w_i J_i`` (``w_i = g_p / (1 + n_i g_p)``) and ``A^-1 1`` is
``a_i = 1 / (1 + n_i g_p)`` on patient ``i``'s visits. Sherman-Morrison then gives
``V^-1`` through per-donor sums ``s_d = sum_i n_i a_i`` and ``u_d = sum_i a_i x_i``, and
``log det(V / sigma2) = sum_i log(1 + n_i g_p) + sum_d log(1 + g_d s_d)``. ``beta`` and
``sigma2`` follow in closed form, leaving a two-dimensional search over the log ratios.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from myotrial.analysis.mixed import LOG_GAMMA_BOUNDS


@dataclass(frozen=True)
class NestedInterceptFit:
    """Fixed effects, their covariance, and the three variance components."""

    beta: np.ndarray
    covariance: np.ndarray
    group_variance: float
    patient_variance: float
    residual_variance: float

    @property
    def group_share(self) -> float:
        """The between-group (donor or lot) share of the total variance."""
        total = self.group_variance + self.patient_variance + self.residual_variance
        return self.group_variance / total


@dataclass(frozen=True)
class _Sums:
    xtx: np.ndarray
    xty: np.ndarray
    yty: float
    x_sums: np.ndarray  # per patient
    y_sums: np.ndarray
    sizes: np.ndarray
    group_of_patient: np.ndarray
    groups: int
    n: int
    p: int


def _sums(y: np.ndarray, design: np.ndarray, patients: np.ndarray, groups: np.ndarray) -> _Sums:
    count = int(patients.max()) + 1
    x_sums = np.zeros((count, design.shape[1]))
    np.add.at(x_sums, patients, design)
    group_of_patient = np.zeros(count, dtype=int)
    group_of_patient[patients] = groups
    return _Sums(
        design.T @ design,
        design.T @ y,
        float(y @ y),
        x_sums,
        np.bincount(patients, weights=y, minlength=count),
        np.bincount(patients, minlength=count).astype(float),
        group_of_patient,
        int(groups.max()) + 1,
        len(y),
        design.shape[1],
    )


def _profile(log_gammas: np.ndarray, s: _Sums) -> tuple[float, np.ndarray, np.ndarray, float]:
    """-2 x profiled REML log-likelihood (without constants), beta, X'V^-1X, sigma2."""
    gamma_p, gamma_d = np.exp(log_gammas)
    w = gamma_p / (1.0 + s.sizes * gamma_p)
    a = 1.0 / (1.0 + s.sizes * gamma_p)
    s_d = np.bincount(s.group_of_patient, weights=s.sizes * a, minlength=s.groups)
    c = gamma_d / (1.0 + gamma_d * s_d)
    u = np.zeros((s.groups, s.p))
    np.add.at(u, s.group_of_patient, a[:, None] * s.x_sums)
    v = np.bincount(s.group_of_patient, weights=a * s.y_sums, minlength=s.groups)
    information = (
        s.xtx - np.einsum("g,gi,gj->ij", w, s.x_sums, s.x_sums) - np.einsum("d,di,dj->ij", c, u, u)
    )
    score = s.xty - (w * s.y_sums) @ s.x_sums - (c * v) @ u
    beta = np.linalg.solve(information, score)
    quadratic = s.yty - float(w @ s.y_sums**2) - float(c @ v**2) - float(beta @ score)
    sigma2 = quadratic / (s.n - s.p)
    logdet_v = np.sum(np.log1p(s.sizes * gamma_p)) + np.sum(np.log1p(gamma_d * s_d))
    _, logdet_i = np.linalg.slogdet(information)
    criterion = (s.n - s.p) * np.log(sigma2) + logdet_v + logdet_i
    return float(criterion), beta, information, float(sigma2)


def fit_nested_intercepts_reml(
    y: np.ndarray, design: np.ndarray, patients: np.ndarray, groups: np.ndarray
) -> NestedInterceptFit:
    """Fit random intercepts for groups (donors or lots) and patients within them, by REML.

    Parameters
    ----------
    y
        Outcome, one value per visit.
    design
        Fixed-effects design matrix (visits x terms), full column rank.
    patients
        Patient number (0 .. P - 1) of each visit.
    groups
        Group number (0 .. G - 1) of each visit; every patient's visits share one group.

    Returns
    -------
    NestedInterceptFit
        ``beta``, ``covariance`` (``sigma2 (X' V^-1 X)^-1``), ``group_variance``,
        ``patient_variance``, ``residual_variance`` and ``group_share``.

    Raises
    ------
    ValueError
        If a patient's visits lie in two groups, or there are no more visits than
        fixed-effect terms.
    numpy.linalg.LinAlgError
        If the design is not of full column rank.
    """
    patients = np.asarray(patients, int)
    groups = np.asarray(groups, int)
    if np.unique(np.stack([patients, groups]), axis=1).shape[1] != np.unique(patients).size:
        raise ValueError("a patient's visits lie in two groups: patients must nest in groups")
    sums = _sums(np.asarray(y, float), np.asarray(design, float), patients, groups)
    if sums.n <= sums.p:
        raise ValueError(f"{sums.n} observations for {sums.p} fixed effects")
    best = _minimise(sums)
    _, beta, information, sigma2 = _profile(best, sums)
    gamma_p, gamma_d = np.exp(best)
    return NestedInterceptFit(
        beta,
        sigma2 * np.linalg.inv(information),
        float(gamma_d * sigma2),
        float(gamma_p * sigma2),
        sigma2,
    )


def _minimise(sums: _Sums) -> np.ndarray:
    """The criterion's minimum: a coarse grid, then a bounded simplex polish."""
    low, high = LOG_GAMMA_BOUNDS
    grid = np.linspace(-12.0, 6.0, 13)
    values = [(_profile(np.array([p, d]), sums)[0], p, d) for p in grid for d in grid]
    _, p0, d0 = min(values)
    result = optimize.minimize(
        lambda g: _profile(g, sums)[0],
        x0=np.array([p0, d0]),
        method="Nelder-Mead",
        bounds=[(low, high), (low, high)],
        options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 4000},
    )
    return np.asarray(result.x, float)
