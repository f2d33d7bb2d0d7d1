"""Fit the MSCT-arm parameters of the virtual-patient model to a pilot trial.

From each patient's visits (``myotrial.measures.canonical_visits``):

- baseline: the last visit in the 30 days up to and including the first infusion day
  (docs/measures.md §5; patients without an infusion: their first visit);
- week 24: the visit nearest study day 168 within days 112-224;
- TIS ≥ 20 response at week 24 (``myotrial.score_tis``, strict missing rule), MMT-8 change,
  baseline MMT-8 mean and SD, baseline/week-24 correlation;
- CK: plateau and rate of ``plateau + (CK0 − plateau)·exp(−k·t)`` by least squares on the
  log scale over every visit of the first 30 weeks, each patient's CK0 from baseline.

Uncertainty comes from the bootstrap over patients: resampling weights ``(draws,
patients)`` are applied to every statistic at once, and the CK curve is refitted for
all draws together by damped Gauss-Newton; no loop per draw or per patient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from myotrial.design.simulate import EFFECT_PARAMETER, PRIOR_BOUNDS, Prior
from myotrial.domain.arms import CONTROL_ARM, TREATED_ARM
from myotrial.errors import AnalysisError
from myotrial.trialdata import TABLES, TrialData

WEEK24_DAY, WINDOW = 168, (112, 224)
CK_DAYS = 210


@dataclass(frozen=True)
class PilotFit:
    """Point estimates (``values``) and bootstrap draws (``draws``) by parameter name."""

    values: dict[str, float]
    draws: dict[str, np.ndarray]
    patients: int
    source: str


def _day_zero(trial: TrialData) -> pd.Series:
    first_infusion = trial.infusions.groupby("patient_id")["infusion_date"].min()
    first_visit = trial.visits.groupby("patient_id")["visit_date"].min()
    return first_infusion.reindex(first_visit.index).fillna(first_visit)


def visits_by_day(trial: TrialData) -> pd.DataFrame:
    """Canonical visits with ``day``: days since the first infusion (else first visit)."""
    from myotrial.measures import canonical_visits

    visits = canonical_visits(trial.visits, trial.config).copy()
    zero = visits["patient_id"].map(_day_zero(trial))
    visits["day"] = (visits["visit_date"] - zero).dt.days
    return visits


def baseline_visits(visits: pd.DataFrame) -> pd.DataFrame:
    """Each patient's last visit in the 30 days up to and including day 0."""
    before = visits[(visits["day"] <= 0) & (visits["day"] >= -30)]
    return before.sort_values("visit_date").groupby("patient_id").tail(1)


def nearest_visits(visits: pd.DataFrame, day: int, window: tuple[int, int]) -> pd.DataFrame:
    """Each patient's visit nearest ``day`` within ``window`` (earlier on a tie)."""
    inside = visits[visits["day"].between(*window)].assign(gap=lambda f: (f["day"] - day).abs())
    return inside.sort_values(["gap", "day"]).groupby("patient_id").head(1)


def pilot_visits(trial: TrialData) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Canonical visits with ``day``; the baseline and week-24 visit of each patient.

    Returns
    -------
    (visits, baseline, week24)
        ``baseline`` and ``week24`` are aligned on ``patient_id`` (patients with both).
    """
    visits = visits_by_day(trial)
    baseline = baseline_visits(visits)
    week24 = nearest_visits(visits, WEEK24_DAY, WINDOW)
    both = sorted(set(baseline["patient_id"]) & set(week24["patient_id"]))
    if len(both) < 3:
        raise AnalysisError(
            f"the pilot has {len(both)} patients with a baseline visit and a week-24 "
            "visit (days 112-224); at least 3 are needed to fit the design parameters"
        )
    baseline = baseline.set_index("patient_id").loc[both].reset_index()
    week24 = week24.set_index("patient_id").loc[both].reset_index()
    return visits, baseline, week24


def responders(trial: TrialData, baseline: pd.DataFrame, week24: pd.DataFrame) -> np.ndarray:
    """1.0 for TIS ≥ 20 at week 24, 0.0 below, NaN where the TIS is missing."""
    from myotrial import measures

    pairs = measures.make_pairs(baseline, week24, trial.config)
    scored = measures.score_tis(pairs, population=trial.config.population, missing="strict")
    tis = scored["tis"].to_numpy(dtype=float, na_value=np.nan)
    # The design endpoint is the ACR/EULAR 2016 minimal response of adults (TIS >= 20).
    minimal = measures.category_thresholds("adult")["minimal"]
    return np.where(np.isnan(tis), np.nan, (tis >= minimal).astype(float))


def _weighted_mean(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    ok = ~np.isnan(values)
    w = weights * ok
    return (w @ np.where(ok, values, 0.0)) / np.maximum(w.sum(axis=1), 1e-12)


def _weighted_sd(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    mean = _weighted_mean(weights, values)
    ok = ~np.isnan(values)
    w = weights * ok
    dev = np.where(ok, values, 0.0)[None, :] - mean[:, None]
    n = w.sum(axis=1)
    return np.sqrt((w * dev * dev).sum(axis=1) / np.maximum(n - 1, 1e-12))


def _weighted_corr(weights: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ok = ~np.isnan(x) & ~np.isnan(y)
    w = weights * ok
    xs, ys = np.where(ok, x, 0.0), np.where(ok, y, 0.0)
    n = np.maximum(w.sum(axis=1), 1e-12)
    mx, my = (w @ xs) / n, (w @ ys) / n
    dx, dy = xs[None, :] - mx[:, None], ys[None, :] - my[:, None]
    cov = (w * dx * dy).sum(axis=1)
    var = np.sqrt((w * dx * dx).sum(axis=1) * (w * dy * dy).sum(axis=1))
    return np.divide(cov, var, out=np.zeros_like(cov), where=var > 0)


def fit_ck_curve(
    weights: np.ndarray,
    ck0: np.ndarray,
    weeks: np.ndarray,
    ck: np.ndarray,
    iterations: int = 60,
) -> tuple[np.ndarray, np.ndarray]:
    """Plateau and rate of the CK curve for every row of ``weights``, on the log scale.

    Parameters
    ----------
    weights
        ``(draws, rows)`` weight of each post-baseline CK value.
    ck0, weeks, ck
        ``(rows,)`` the patient's baseline CK, the time in weeks and the CK value.

    Returns
    -------
    (plateau, rate)
    """
    draws = weights.shape[0]
    theta = np.tile([np.log(200.0), np.log(0.8)], (draws, 1))  # published fit as start
    damping = np.full(draws, 1e-3)
    for _ in range(iterations):
        resid, jac = _ck_residuals(theta, ck0, weeks, ck)
        jtj = np.einsum("dr,dri,drj->dij", weights, jac, jac)
        jtj += damping[:, None, None] * np.eye(2)
        rhs = np.einsum("dr,dri,dr->di", weights, jac, resid)
        step = np.linalg.solve(jtj, rhs[:, :, None])[:, :, 0]
        new = theta - step
        old_sse = np.einsum("dr,dr->d", weights, resid * resid)
        new_resid, _ = _ck_residuals(new, ck0, weeks, ck)
        better = np.einsum("dr,dr->d", weights, new_resid * new_resid) <= old_sse
        theta = np.where(better[:, None], new, theta)
        damping = np.where(better, damping / 3, damping * 4)
    return np.exp(theta[:, 0]), np.exp(theta[:, 1])


FULL_REFIT_CELLS = 2_000_000
"""Above this many (resample × CK value) cells, the bootstrap takes one Gauss-Newton step
from the full-data fit instead of refitting every resample (same answer to first
order, Davison AC, Hinkley DV. *Bootstrap Methods and their Application*, 1997, §3.9;
a refit of 2,000 resamples of a 10,000-patient registry would take hours)."""


def one_step_ck_curve(
    weights: np.ndarray,
    position: np.ndarray,
    ck0: np.ndarray,
    weeks: np.ndarray,
    ck: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """CK curve of every resample by one Gauss-Newton step from the full-data fit.

    Row 0 of ``weights`` (all ones) is fitted to convergence; each resample then
    solves ``(JᵀW J) δ = JᵀW r`` with the Jacobian and residuals at that fit, summed
    per patient first, so the work is one matrix product over patients.

    Returns
    -------
    (plateau, rate)
    """
    plateau, rate = fit_ck_curve(weights[:1, position], ck0, weeks, ck)
    theta = np.log([plateau[0], rate[0]])[None, :]
    resid, jac = _ck_residuals(theta, ck0, weeks, ck)
    j, r = jac[0], resid[0]
    terms = np.column_stack(
        [j[:, 0] * j[:, 0], j[:, 0] * j[:, 1], j[:, 1] * j[:, 1], j[:, 0] * r, j[:, 1] * r]
    )
    per_patient = np.zeros((weights.shape[1], terms.shape[1]))
    np.add.at(per_patient, position, terms)
    a, b, c, g0, g1 = (weights @ per_patient).T
    det = a * c - b * b
    step = np.stack([(c * g0 - b * g1) / det, (a * g1 - b * g0) / det], axis=1)
    new = theta - step
    new[0] = theta[0]
    return np.exp(new[:, 0]), np.exp(new[:, 1])


def _ck_residuals(
    theta: np.ndarray, ck0: np.ndarray, weeks: np.ndarray, ck: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    plateau, rate = np.exp(theta[:, :1]), np.exp(theta[:, 1:])
    decay = np.exp(-rate * weeks[None, :])
    curve = plateau + (ck0[None, :] - plateau) * decay
    resid = np.log(np.maximum(curve, 1e-9)) - np.log(ck)[None, :]
    d_plateau = plateau * (1 - decay) / curve
    d_rate = -(ck0[None, :] - plateau) * weeks[None, :] * decay * rate / curve
    return resid, np.stack([d_plateau, d_rate], axis=2)


def _ck_rows(
    visits: pd.DataFrame, baseline: pd.DataFrame, index: pd.Index
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Post-baseline CK values: patient position, baseline CK, weeks, CK."""
    ck0 = baseline.set_index("patient_id")["ck"]
    rows = visits[(visits["day"] > 0) & (visits["day"] <= CK_DAYS)]
    rows = rows[rows["patient_id"].isin(index) & (rows["ck"] > 0)]
    rows = rows[rows["patient_id"].map(ck0).gt(0)]
    position = index.get_indexer(pd.Index(rows["patient_id"]))
    return (
        position,
        rows["patient_id"].map(ck0).to_numpy(float),
        rows["day"].to_numpy(float) / 7.0,
        rows["ck"].to_numpy(float),
    )


def fit_pilot(
    trial: TrialData, n_boot: int = 2000, rng: np.random.Generator | int | None = None
) -> PilotFit:
    """Fit the MSCT-arm parameters and their bootstrap draws to a pilot trial.

    Parameters
    ----------
    trial
        The pilot (every patient is taken as MSCT-treated; control parameters stay as
        assumed). For a two-arm trial use :func:`fit_trial`, which fits each arm to
        its own patients.
    n_boot
        Bootstrap resamples of the patients.
    rng
        Generator or seed of the bootstrap.

    Returns
    -------
    PilotFit

    Raises
    ------
    AnalysisError
        If fewer than 3 patients have a baseline and a week-24 visit.
    """
    generator = np.random.default_rng(rng)
    visits, baseline, week24 = pilot_visits(trial)
    n = len(baseline)
    counts = generator.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)
    weights = np.vstack([np.ones(n), counts])  # row 0: the point estimate
    mmt0 = baseline["mmt8"].to_numpy(float)
    mmt1 = week24["mmt8"].to_numpy(float)
    stats = {
        "p_treatment": _weighted_mean(weights, responders(trial, baseline, week24)),
        "mean_treatment": _weighted_mean(weights, mmt1 - mmt0),
        "mmt8_baseline_mean": _weighted_mean(weights, mmt0),
        "sd": _weighted_sd(weights, mmt0),
        "correlation": np.clip(_weighted_corr(weights, mmt0, mmt1), -0.99, 0.99),
    }
    stats.update(_ck_stats(visits, baseline, weights))
    source = (
        f"fitted to {trial.config.name} ({n} patients with baseline and week-24 "
        f"visits), bootstrap over patients ({n_boot} resamples)"
    )
    values = {k: float(v[0]) for k, v in stats.items() if np.isfinite(v[0])}
    draws = {k: v[1:] for k, v in stats.items() if k in values}
    return PilotFit(values, draws, n, source)


def _ck_stats(
    visits: pd.DataFrame, baseline: pd.DataFrame, weights: np.ndarray
) -> dict[str, np.ndarray]:
    ck0 = baseline["ck"].to_numpy(float)
    if np.isnan(ck0).all():
        return {}
    index = pd.Index(baseline["patient_id"])
    position, row_ck0, weeks, ck = _ck_rows(visits, baseline, index)
    if len(ck) < 3:
        return {}
    if weights.shape[0] * len(ck) <= FULL_REFIT_CELLS:
        plateau, rate = fit_ck_curve(weights[:, position], row_ck0, weeks, ck)
    else:
        plateau, rate = one_step_ck_curve(weights, position, row_ck0, weeks, ck)
    return {
        "ck0_mean": _weighted_mean(weights, ck0),
        "ck0_sd": _weighted_sd(weights, ck0),
        "ck_plateau_treatment": plateau,
        "ck_rate_treatment": rate,
    }


ARM_PARAMETERS = {
    "p_treatment": "p_control",
    "mean_treatment": "mean_control",
    "ck_plateau_treatment": "ck_plateau_control",
    "ck_rate_treatment": "ck_rate_control",
}
"""Arm-specific parameters: fitted to the MSCT arm under the first name, to the control
arm under the second."""


def arm_trial(trial: TrialData, arm: str) -> TrialData:
    """The patients of one arm with their rows in every patient table.

    The product record (donors, lots) is not per patient and is kept whole.
    """
    ids = set(trial.patients.loc[trial.patients["arm"].astype(str) == arm, "patient_id"])
    tables = {name: trial.table(name) for name in TABLES}
    return trial.with_tables(
        **{
            name: frame[frame["patient_id"].isin(ids)]
            for name, frame in tables.items()
            if "patient_id" in frame
        }
    )


def fit_trial(
    trial: TrialData,
    n_boot: int,
    seed: int,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, float], dict[str, str], dict[str, np.ndarray]]:
    """Values, sources and bootstrap draws fitted to a one- or two-arm trial.

    In a two-arm trial each arm is fitted to its own patients (the MSCT parameters to
    the MSCT arm, the standard-care ones to the control arm) and the parameters the
    arms share (baseline MMT-8 and CK, their spread, the baseline/week-24 correlation)
    to all patients. A one-arm pilot gives the MSCT parameters only.
    """
    say = progress or (lambda _: None)
    arms = set(trial.patients["arm"].dropna().astype(str)) if "arm" in trial.patients else set()
    if CONTROL_ARM not in arms or TREATED_ARM not in arms:
        say(f"fitting the model to {len(trial.patients)} patients ({n_boot} bootstrap resamples)")
        fit = fit_pilot(trial, n_boot, seed)
        return fit.values, {k: fit.source for k in fit.values}, fit.draws
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    draws: dict[str, np.ndarray] = {}
    for arm, rename in ((None, None), (TREATED_ARM, False), (CONTROL_ARM, True)):
        part = trial if arm is None else arm_trial(trial, arm)
        say(f"fitting the {arm or 'shared'} parameters to {len(part.patients)} patients")
        fit = fit_pilot(part, n_boot, seed)
        for name, value in fit.values.items():
            arm_specific = name in ARM_PARAMETERS
            if arm_specific == (arm is None):
                continue  # shared from all patients, arm-specific from the arm's own
            target = ARM_PARAMETERS[name] if rename else name
            source = fit.source if arm is None else f"{arm} arm: {fit.source}"
            values[target], sources[target], draws[target] = value, source, fit.draws[name]
    return values, sources, draws


def pilot_design_inputs(
    endpoint: str,
    trial: TrialData,
    n_boot: int,
    seed: int,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, float], dict[str, str], Prior | None]:
    """Parameter values, their sources and a bootstrap prior from a pilot trial.

    Parameters
    ----------
    progress
        Called with a line saying which fit is running.

    Returns
    -------
    (values, sources, prior)
        ``prior`` holds the bootstrap draws of the endpoint's effect parameter, or is
        ``None`` when the pilot does not inform it (relapse).

    Raises
    ------
    AnalysisError
        If the stored trial cannot support the fit.
    """
    values, sources, draws = fit_trial(trial, n_boot, seed, progress)
    effect = EFFECT_PARAMETER[endpoint]
    prior = None
    if effect in draws:
        low, high = PRIOR_BOUNDS[endpoint]
        prior = Prior(
            "draws",
            mean=values[effect],
            sd=float(np.std(draws[effect], ddof=1)),
            draws=tuple(float(x) for x in draws[effect]),
            bounds=(low, high),
            source=f"bootstrap draws of {effect}: {sources[effect]}",
        )
    return values, sources, prior
