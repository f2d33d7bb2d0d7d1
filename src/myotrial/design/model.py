"""Virtual patients: the disease model of the trial designer, batched over trials.

Each function draws ``trials`` whole trials at once as arrays of shape
``(trials, patients)``: the control arm first (``arm == 0``), then the MSCT arm. A latent
disease-activity score per patient drives the baseline and its link to the outcome;
MSCT shifts the trajectory. Parameter values come from
:mod:`myotrial.design.parameters` and may be scalars or one value per trial (shape
``(trials,)``), which is how assurance varies the effect between simulated trials.

Model (docs/design.md):

- MMT-8: baseline ``B ~ N(mu, sd²)``; week-24 value ``F`` with ``corr(B, F) = rho`` and
  ``sd(F) = sd``; the change ``F − B`` has mean ``mean_control`` or ``mean_treatment``.
- Response (TIS ≥ 20): a probit latent correlated with the baseline; the arm's response
  probability is kept exactly.
- CK: ``plateau + (CK0 − plateau)·exp(−k·t)`` per arm, CK0 log-normal with the pilot's mean
  and SD, multiplicative patient noise of SD ``ck_log_sd`` on the log scale.
- Repeated MMT-8 at weeks 4, 8, 12, 24: exchangeable correlation ``rho`` between all
  visits and baseline; MSCT approaches its gain at rate ``mmt8_rate``; standard care
  changes linearly; monotone dropout with a constant chance per visit.
- Relapse: exponential time from response with median ``relapse_median_control`` in
  standard care and hazard ratio ``hazard_ratio``; detected at the next assessment visit;
  censored at the end of follow-up or at dropout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri

from myotrial.design.parameters import MMRM_WEEKS

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
Values = Mapping[str, ArrayLike]


@dataclass(frozen=True)
class Trials:
    """A batch of simulated trials; arrays are ``(trials, patients[, visits])``.

    ``outcome`` is the change from baseline (response: 1.0/0.0; relapse: the observed
    time in weeks); ``event`` is the relapse indicator and ``observed`` the visit (or
    analysis-population) mask, both ``None`` where they do not apply.
    """

    arm: FloatArray
    baseline: FloatArray
    outcome: FloatArray
    observed: BoolArray | None = None
    event: BoolArray | None = None


def arm_vector(n_control: int, n_treatment: int) -> FloatArray:
    """0 for each control patient, then 1 for each MSCT patient."""
    return np.concatenate([np.zeros(n_control), np.ones(n_treatment)])


def _by_arm(
    values: Values, control: str, treatment: str, trials: int
) -> tuple[FloatArray, FloatArray]:
    """The control and the treatment value, one per trial."""
    low = np.broadcast_to(np.asarray(values[control], dtype=float), (trials,))
    high = np.broadcast_to(np.asarray(values[treatment], dtype=float), (trials,))
    return low, high


def _arm_matrix(low: FloatArray, high: FloatArray, n_control: int, n_treatment: int) -> FloatArray:
    trials = low.shape[0]
    out = np.empty((trials, n_control + n_treatment))
    out[:, :n_control] = low[:, None]
    out[:, n_control:] = high[:, None]
    return out


def simulate_change(
    rng: np.random.Generator, values: Values, n_control: int, n_treatment: int, trials: int
) -> Trials:
    """MMT-8 change at week 24 with its baseline (the ANCOVA endpoint).

    Returns
    -------
    Trials
        ``baseline`` the MMT-8 at baseline, ``outcome`` the change to week 24.
    """
    n = n_control + n_treatment
    rho = float(np.asarray(values["correlation"]))
    sd = float(np.asarray(values["sd"]))
    mu = float(np.asarray(values["mmt8_baseline_mean"]))
    low, high = _by_arm(values, "mean_control", "mean_treatment", trials)
    z = rng.standard_normal((2, trials, n))
    # in place: fresh large arrays cost page faults that outweigh the arithmetic
    deviation, outcome = z[0], z[1]
    deviation *= sd
    # F − B = mean + (rho − 1)(B − mu) + sd·sqrt(1 − rho²)·e keeps corr(B, F) = rho
    outcome *= sd * np.sqrt(1.0 - rho * rho)
    outcome += (rho - 1.0) * deviation
    baseline = deviation
    baseline += mu
    outcome[:, :n_control] += low[:, None]
    outcome[:, n_control:] += high[:, None]
    return Trials(arm_vector(n_control, n_treatment), baseline, outcome)


@dataclass(frozen=True)
class ArmMoments:
    """One arm's patients analysed at each look, reduced to what the ANCOVA uses.

    ``count`` is ``(looks,)``; the others are ``(trials, looks)``: the means of the
    baseline ``x`` and the change ``y`` and their centred sums of squares and products
    over the arm's first ``count[k]`` patients.
    """

    count: FloatArray
    mean_x: FloatArray
    mean_y: FloatArray
    sxx: FloatArray
    sxy: FloatArray
    syy: FloatArray


def _standard_pair_sums(
    rng: np.random.Generator, increments: FloatArray, trials: int
) -> tuple[FloatArray, FloatArray]:
    """Sums and raw cross-products of i.i.d. standard normal pairs, segment by segment.

    ``increments`` is ``(arms, looks)``: the patients each look adds to an arm. Over a
    segment of d patients the sum of the pairs is ``√d·N(0, I₂)`` and the centred
    scatter matrix is Wishart(d − 1, I₂), independent of the sum (Cochran's theorem) and
    of every other segment; the scatter is drawn by Bartlett's decomposition
    ``A·Aᵀ``, ``A = [[√χ²(d−1), 0], [N(0, 1), √χ²(d−2)]]`` (Anderson, *An Introduction
    to Multivariate Statistical Analysis*, 3rd ed., 2003, §7.2).

    Returns
    -------
    (sums, raw)
        ``(2, arms, looks, trials)``: Σz₀, Σz₁; ``(3, arms, looks, trials)``: Σz₀²,
        Σz₀z₁, Σz₁², segment by segment (not yet cumulated).
    """
    shape = (*increments.shape, trials)
    df = np.maximum(increments - 1.0, 0.0)
    normal = rng.standard_normal((3, *shape))
    chi2 = rng.standard_gamma(np.stack([df, np.maximum(df - 1.0, 0.0)])[..., None] / 2, (2, *shape))
    chi2 *= 2.0
    present = (increments > 0)[..., None]
    mean = normal[:2] * present  # segment sum / √d; no patients, no sum
    lower = normal[2] * (df > 0)[..., None]  # Bartlett's off-diagonal; none for d ≤ 1
    raw = np.stack(
        [
            chi2[0] + mean[0] * mean[0],
            np.sqrt(chi2[0]) * lower + mean[0] * mean[1],
            lower * lower + chi2[1] + mean[1] * mean[1],
        ]
    )
    return mean * np.sqrt(increments)[..., None], raw


def simulate_change_moments(
    rng: np.random.Generator,
    values: Values,
    trials: int,
    control: ArrayLike,
    treatment: ArrayLike,
) -> tuple[ArmMoments, ArmMoments]:
    """The ANCOVA's sufficient statistics of :func:`simulate_change`, look by look.

    ``control`` and ``treatment`` are the arm's patients analysed at each look
    (non-decreasing). The patients of :func:`simulate_change` are i.i.d. within an arm,
    ``B = mu + sd·z₀`` and ``F − B = mean + (rho − 1)·sd·z₀ + sd·√(1 − rho²)·z₁`` with
    ``(z₀, z₁)`` standard normal, so each arm's means and centred sums of squares and
    products at every look have exactly the distribution they have when every patient
    is drawn, from 5 draws per arm and look instead of 2 per patient
    (:func:`_standard_pair_sums`).

    Returns
    -------
    (control, treatment)
        :class:`ArmMoments` of each arm; ``mean_x`` is the baseline mean, ``mean_y`` the
        mean change.
    """
    rho = float(np.asarray(values["correlation"]))
    sd = float(np.asarray(values["sd"]))
    mu = float(np.asarray(values["mmt8_baseline_mean"]))
    means = _by_arm(values, "mean_control", "mean_treatment", trials)
    counts = np.stack([np.asarray(control, float), np.asarray(treatment, float)])
    increments = np.diff(counts, axis=1, prepend=0.0)
    sums, raw = _standard_pair_sums(rng, increments, trials)
    for k in range(1, counts.shape[1]):  # cumulate over looks (in place: few looks)
        sums[:, :, k] += sums[:, :, k - 1]
        raw[:, :, k] += raw[:, :, k - 1]
    slope, noise = (rho - 1.0) * sd, sd * np.sqrt(1.0 - rho * rho)
    out = []
    for arm in (0, 1):
        m = counts[arm][:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            z0, z1 = sums[0, arm] / m, sums[1, arm] / m
            c00 = raw[0, arm] - sums[0, arm] * z0
            c01 = raw[1, arm] - sums[0, arm] * z1
            c11 = raw[2, arm] - sums[1, arm] * z1
        out.append(
            ArmMoments(
                counts[arm],
                (mu + sd * z0).T,
                (means[arm][None, :] + slope * z0 + noise * z1).T,
                (sd * sd * c00).T,
                (sd * (slope * c00 + noise * c01)).T,
                (slope * slope * c00 + 2.0 * slope * noise * c01 + noise * noise * c11).T,
            )
        )
    return out[0], out[1]


def simulate_response(
    rng: np.random.Generator, values: Values, n_control: int, n_treatment: int, trials: int
) -> Trials:
    """TIS ≥ 20 response at week 24 with the baseline MMT-8 as covariate.

    Returns
    -------
    Trials
        ``outcome`` 1.0 for a responder, else 0.0; ``baseline`` the MMT-8 at baseline.
    """
    n = n_control + n_treatment
    r = float(np.asarray(values["response_baseline_correlation"]))
    low, high = _by_arm(values, "p_control", "p_treatment", trials)
    threshold = _arm_matrix(
        ndtri(np.clip(low, 0, 1)), ndtri(np.clip(high, 0, 1)), n_control, n_treatment
    )
    z = rng.standard_normal((2, trials, n))
    latent = r * z[0] + np.sqrt(1.0 - r * r) * z[1]
    baseline = (
        float(np.asarray(values["mmt8_baseline_mean"])) + float(np.asarray(values["sd"])) * z[0]
    )
    # a weaker patient (low MMT-8) has more room to improve: response when latent is low
    outcome = (latent < threshold).astype(float)
    return Trials(arm_vector(n_control, n_treatment), baseline, outcome)


def simulate_log_ck(
    rng: np.random.Generator, values: Values, n_control: int, n_treatment: int, trials: int
) -> Trials:
    """Change in log CK from baseline to ``ck_week`` with log CK0 as covariate.

    Returns
    -------
    Trials
        ``baseline`` log CK at baseline, ``outcome`` log CK(week) − log CK0.
    """
    n = n_control + n_treatment
    mean, sd = float(np.asarray(values["ck0_mean"])), float(np.asarray(values["ck0_sd"]))
    # log-normal with the pilot's mean and SD
    s2 = np.log1p((sd / mean) ** 2)
    z = rng.standard_normal((2, trials, n))
    log_ck0 = np.log(mean) - s2 / 2 + np.sqrt(s2) * z[0]
    plateau = _arm_matrix(
        *_by_arm(values, "ck_plateau_control", "ck_plateau_treatment", trials),
        n_control,
        n_treatment,
    )
    rate = _arm_matrix(
        *_by_arm(values, "ck_rate_control", "ck_rate_treatment", trials), n_control, n_treatment
    )
    week = float(np.asarray(values["ck_week"]))
    curve = plateau + (np.exp(log_ck0) - plateau) * np.exp(-rate * week)
    log_ck = np.log(np.maximum(curve, 1e-9)) + float(np.asarray(values["ck_log_sd"])) * z[1]
    return Trials(arm_vector(n_control, n_treatment), log_ck0, log_ck - log_ck0)


def mmrm_means(
    values: Values, weeks: tuple[float, ...] = MMRM_WEEKS
) -> tuple[FloatArray, FloatArray]:
    """Mean MMT-8 change at each visit: (control, treatment), each ``(trials|1, visits)``."""
    t = np.asarray(weeks)
    low = np.atleast_1d(np.asarray(values["mean_control"], dtype=float))[:, None]
    high = np.atleast_1d(np.asarray(values["mean_treatment"], dtype=float))[:, None]
    rate = float(np.asarray(values["mmt8_rate"]))
    control = low * t / t[-1]  # standard care: a steady drift to its week-24 change
    treatment = high * (1.0 - np.exp(-rate * t)) / (1.0 - np.exp(-rate * t[-1]))
    return control, treatment


def simulate_repeated(
    rng: np.random.Generator,
    values: Values,
    n_control: int,
    n_treatment: int,
    trials: int,
    weeks: tuple[float, ...] = MMRM_WEEKS,
) -> Trials:
    """Repeated MMT-8 change at ``weeks`` with monotone dropout.

    Returns
    -------
    Trials
        ``outcome`` and ``observed`` of shape ``(trials, patients, visits)``.
    """
    n, v = n_control + n_treatment, len(weeks)
    rho = float(np.asarray(values["correlation"]))
    sd = float(np.asarray(values["sd"]))
    z = rng.standard_normal((trials, n, v + 2))
    # exchangeable correlation rho between baseline and every visit
    shared = np.sqrt(rho) * z[:, :, :1]
    levels = sd * (shared + np.sqrt(1.0 - rho) * z[:, :, 1 : v + 2])
    baseline = float(np.asarray(values["mmt8_baseline_mean"])) + levels[:, :, 0]
    outcome = levels[:, :, 1:] - levels[:, :, :1]
    control, treatment = mmrm_means(values, weeks)
    outcome[:, :n_control, :] += control[:, None, :]
    outcome[:, n_control:, :] += treatment[:, None, :]
    observed = _monotone_observed(rng, float(np.asarray(values["dropout_per_visit"])), trials, n, v)
    return Trials(arm_vector(n_control, n_treatment), baseline, outcome, observed)


def _monotone_observed(
    rng: np.random.Generator, dropout: float, trials: int, n: int, visits: int
) -> BoolArray:
    """Visit j is observed while the patient has not yet left (chance ``dropout`` each)."""
    stays = rng.random((trials, n, visits)) >= dropout
    return np.logical_and.accumulate(stays, axis=2)


DROPOUT_WEEKS = 4.0
"""Weeks over which ``dropout_per_visit`` applies when relapse is assessed continuously
(``visit_interval = 0``): the default visit interval."""


def dropout_rate(dropout: float) -> float:
    """Hazard per week that leaves with chance ``dropout`` every :data:`DROPOUT_WEEKS`."""
    return float(-np.log1p(-dropout) / DROPOUT_WEEKS)


def simulate_relapse(
    rng: np.random.Generator, values: Values, n_control: int, n_treatment: int, trials: int
) -> Trials:
    """Time from response to relapse, detected at assessment visits.

    Returns
    -------
    Trials
        ``outcome`` the observed time in weeks, ``event`` True for a relapse,
        ``observed`` True for patients in the analysis (responders).
    """
    n = n_control + n_treatment
    median = float(np.asarray(values["relapse_median_control"]))
    hr = _arm_matrix(
        np.ones(trials),
        np.broadcast_to(np.asarray(values["hazard_ratio"], dtype=float), (trials,)),
        n_control,
        n_treatment,
    )
    rate = np.log(2.0) / median * hr
    u = rng.random((3, trials, n))
    time = -np.log1p(-u[0]) / rate
    interval = float(np.asarray(values["visit_interval"]))
    followup = float(np.asarray(values["relapse_followup"]))
    censor = np.full((trials, n), followup)
    dropout = float(np.asarray(values["dropout_per_visit"]))
    if interval > 0:
        # docs/design.md: a relapse is dated at the visit that finds it
        time = np.ceil(time / interval) * interval
        visits_kept = np.floor(np.log1p(-u[1]) / np.log1p(-dropout)) if dropout > 0 else None
        if visits_kept is not None:
            censor = np.minimum(censor, visits_kept * interval)
    elif dropout > 0:
        # continuous assessment: leaving is a constant hazard with the same chance per
        # nominal visit interval (DROPOUT_WEEKS) as between visits
        censor = np.minimum(censor, -np.log1p(-u[1]) / dropout_rate(dropout))
    event = time <= censor
    entered = _arm_matrix(
        *_by_arm(values, "relapse_p_control", "relapse_p_treatment", trials), n_control, n_treatment
    )
    included = u[2] < entered
    observed_time = np.minimum(time, censor)
    return Trials(
        arm_vector(n_control, n_treatment), np.zeros((trials, n)), observed_time, included, event
    )
