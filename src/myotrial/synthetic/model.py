"""The disease model behind the synthetic trials: one latent activity drives every measure.

Each patient has, for every measure, a level at study entry (``base``) and a level reached
under full response (``plateau``). A visit's value is

    plateau + (base - plateau) * activity + measurement noise

where ``activity`` is 1 at entry and falls after each course of MSC. The fall follows the
curve fitted to the published pilot means (``docs/trial-format.md`` lists the sources):
CK = plateau + (CK0 - plateau) * exp(-k t), k ~ 0.8 per week, plus a small slower phase
that carries CK from ~200 U/L at month 3 to ~175 U/L at month 6 (docs/design.md, "the further
fall ... suggests a second, slower phase"). Everything here is vectorised over visits:
arrays in, arrays out, no loop over patients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

WEEK = 7.0
CK_RATE_PER_DAY = 0.8 / WEEK
"""Least-squares fit of plateau + (CK0 - plateau) exp(-k t) to the pilot CK means."""
SLOW_PHASE_WEIGHT = 0.07
SLOW_PHASE_DAYS = 45.0
RELAPSE_RAMP_DAYS = 10.0
"""A relapse builds up over about two weeks before the investigator records it."""
LUNG_RATE_PER_DAY = 1.0 / 75.0
"""Interstitial lung disease answers over months, not weeks."""
SKIN_RATE_PER_DAY = 1.0 / 25.0
STEROID_RATE_PER_DAY = 0.066
"""Taper from 34 to ~18 mg/day by week 2 with a floor of 7.5 mg (pilot: 34 +- 15 -> 18 +- 6)."""
STANDARD_CARE_DAYS = 60.0


@dataclass(frozen=True)
class Measure:
    """How one visit measure behaves: entry level, plateau under response, noise, scale."""

    name: str
    base_mean: float
    base_sd: float
    plateau_mean: float
    plateau_sd: float
    noise: float
    low: float
    high: float
    step: float
    relative: bool = False
    """Enzymes vary by a factor (lognormal noise); scores by points (normal noise)."""


# Pilot figures (docs/measures.md §9): CK 1681 +- 430 -> 175 +- 46 U/L at month 6; MMT-8
# 45 +- 14 -> 67 +- 3 at month 1. The other levels are typical of refractory adult PM/DM.
MUSCLE_MEASURES: tuple[Measure, ...] = (
    Measure("phga", 6.0, 1.2, 1.2, 0.6, 0.4, 0.0, 10.0, 0.1),
    Measure("ptga", 6.5, 1.5, 1.8, 0.8, 0.6, 0.0, 10.0, 0.1),
    Measure("extramuscular", 3.0, 1.5, 0.5, 0.3, 0.3, 0.0, 10.0, 0.1),
    Measure("mmt8", 45.0, 14.0, 67.0, 3.0, 2.0, 15.0, 80.0, 1.0),
    Measure("haq", 1.6, 0.5, 0.5, 0.25, 0.125, 0.0, 3.0, 0.125),
    Measure("ck", 1681.0, 430.0, 175.0, 46.0, 0.12, 60.0, 20000.0, 1.0, relative=True),
    Measure("ck_mb", 67.0, 18.0, 12.0, 3.0, 0.15, 2.0, 2000.0, 1.0, relative=True),
    Measure("aldolase", 26.0, 7.0, 6.0, 1.2, 0.12, 1.0, 500.0, 0.1, relative=True),
    Measure("ldh", 520.0, 140.0, 200.0, 30.0, 0.10, 80.0, 5000.0, 1.0, relative=True),
    Measure("ast", 120.0, 32.0, 28.0, 6.0, 0.12, 8.0, 2000.0, 1.0, relative=True),
    Measure("alt", 100.0, 27.0, 26.0, 6.0, 0.12, 8.0, 2000.0, 1.0, relative=True),
    Measure("cdasi_activity", 20.0, 7.0, 5.0, 2.0, 1.5, 0.0, 100.0, 1.0),
)
LUNG_MEASURES: tuple[Measure, ...] = (
    Measure("fvc_pct", 62.0, 8.0, 74.0, 4.0, 2.0, 30.0, 120.0, 1.0),
    Measure("dlco_pct", 48.0, 8.0, 62.0, 5.0, 2.5, 20.0, 120.0, 1.0),
    Measure("hrct_score", 12.0, 3.0, 6.0, 1.5, 0.5, 0.0, 40.0, 1.0),
)
STEROID = Measure("prednisone_mg", 34.0, 15.0, 7.5, 2.5, 0.0, 5.0, 60.0, 2.5)
ENZYME_CV = 430.0 / 1681.0
"""Between-patient coefficient of variation of baseline CK in the pilot."""
CALIBRATED: tuple[str, ...] = ("ck", "mmt8", "prednisone_mg")
"""Measures whose entry levels the pilot publishes (mean and SD)."""


@dataclass(frozen=True)
class Levels:
    """Per-patient entry and plateau levels of every measure (arrays of length n)."""

    base: dict[str, FloatArray]
    plateau: dict[str, FloatArray]


def draw_levels(rng: np.random.Generator, severity: FloatArray, calibrate: bool = False) -> Levels:
    """Draw each patient's entry and plateau levels.

    Parameters
    ----------
    rng
        The random generator.
    severity
        Standard-normal severity per patient: higher means higher enzymes and weaker
        muscles, so the measures are correlated as in the clinic.
    calibrate
        If true, CK, MMT-8 and prednisone at entry are rescaled to the published mean and
        SD exactly (a small pilot resembles its publication rather than a random sample).

    Returns
    -------
    Levels
        ``base`` and ``plateau`` arrays keyed by measure name.
    """
    n = int(severity.shape[0])
    base: dict[str, FloatArray] = {}
    plateau: dict[str, FloatArray] = {}
    for measure in (*MUSCLE_MEASURES, *LUNG_MEASURES, STEROID):
        shared = _correlated(rng, severity, measure.name)
        if calibrate and measure.name in CALIBRATED and n > 2:
            shared = (shared - shared.mean()) / shared.std(ddof=1)
            base[measure.name] = measure.base_mean + measure.base_sd * shared
        elif measure.relative:
            # Lognormal with the pilot's coefficient of variation and the stated mean.
            base[measure.name] = measure.base_mean * np.exp(ENZYME_CV * shared - ENZYME_CV**2 / 2)
        else:
            base[measure.name] = measure.base_mean + measure.base_sd * shared
        plateau[measure.name] = rng.normal(measure.plateau_mean, measure.plateau_sd, size=n)
    base["mmt8"] = np.clip(base["mmt8"], 15.0, 72.0)
    # Full response brings strength back above its level at entry, never below it.
    plateau["mmt8"] = np.clip(np.maximum(plateau["mmt8"], base["mmt8"] + 3.0), 0.0, 80.0)
    for lung in ("fvc_pct", "dlco_pct"):
        plateau[lung] = np.maximum(plateau[lung], base[lung] + 8.0)
    plateau["hrct_score"] = np.clip(plateau["hrct_score"], 0.0, base["hrct_score"] - 3.0)
    base["prednisone_mg"] = np.clip(base["prednisone_mg"], 10.0, 60.0)
    plateau["prednisone_mg"] = rng.choice(np.array([5.0, 7.5, 10.0]), n, p=[0.3, 0.5, 0.2])
    return Levels(base, plateau)


def _correlated(rng: np.random.Generator, severity: FloatArray, name: str) -> FloatArray:
    """Standard-normal draws correlated with severity (strongly for enzymes)."""
    weight = {"mmt8": -0.6, "phga": 0.5, "ptga": 0.4, "haq": 0.5, "prednisone_mg": 0.4}.get(
        name, 0.85 if name in ("ck", "ck_mb", "aldolase", "ldh", "ast", "alt") else 0.0
    )
    noise = rng.standard_normal(severity.shape[0])
    result: FloatArray = weight * severity + np.sqrt(1.0 - weight**2) * noise
    return result


def decay(days: FloatArray, rate: FloatArray | float) -> FloatArray:
    """Share of the entry activity left ``days`` after a course (1 at day 0, -> 0)."""
    t = np.clip(days, 0.0, None)
    fast = (1.0 - SLOW_PHASE_WEIGHT) * np.exp(-rate * t)
    result: FloatArray = fast + SLOW_PHASE_WEIGHT * np.exp(-t / SLOW_PHASE_DAYS)
    return result


def activity(
    day: FloatArray,
    rate: FloatArray | float,
    relapse_day: FloatArray,
    retreat_day: FloatArray,
    severity: FloatArray,
) -> FloatArray:
    """Disease activity at each visit, relative to study entry (1 = as at entry).

    Parameters
    ----------
    day
        Days since the first infusion of the first course.
    rate
        Response rate per day (per visit or scalar).
    relapse_day
        Day a relapse starts building (``inf`` when the patient does not relapse).
    retreat_day
        Day of the second course's first infusion (``inf`` when none).
    severity
        Activity a relapse climbs back to (share of entry activity, 0-1).

    Returns
    -------
    numpy.ndarray
        Activity per visit, 0 (plateau) to 1.
    """
    first_course = decay(day, rate)
    with np.errstate(invalid="ignore"):
        ramp = severity * (1.0 - np.exp(-np.clip(day - relapse_day, 0.0, None) / RELAPSE_RAMP_DAYS))
        at_retreat = severity * (
            1.0 - np.exp(-np.clip(retreat_day - relapse_day, 0.0, None) / RELAPSE_RAMP_DAYS)
        )
        relapsing = np.where(day >= relapse_day, np.maximum(first_course, ramp), first_course)
        result: FloatArray = np.where(
            day >= retreat_day, at_retreat * decay(day - retreat_day, rate), relapsing
        )
    return result


def standard_care_activity(day: FloatArray, effect: FloatArray) -> FloatArray:
    """Activity under standard care alone: a partial, slower improvement of ``effect``."""
    result: FloatArray = 1.0 - effect * (
        1.0 - np.exp(-np.clip(day, 0.0, None) / STANDARD_CARE_DAYS)
    )
    return result


def standard_care_course(
    day: FloatArray,
    effect: FloatArray,
    flare_day: FloatArray,
    rescue_day: FloatArray,
    severity: FloatArray,
) -> FloatArray:
    """Activity under standard care alone with a flare and its rescue treatment.

    Parameters
    ----------
    day
        Days since randomisation.
    effect
        Share of the entry activity standard care takes away (see
        :func:`standard_care_activity`).
    flare_day
        Day a flare starts building (``inf`` when none).
    rescue_day
        Day rescue treatment starts (``inf`` when none): from the level reached then,
        activity falls again as it did under standard care.
    severity
        Activity a flare climbs back to (share of entry activity, 0-1).

    Returns
    -------
    numpy.ndarray
        Activity per visit, 0 (plateau) to 1.
    """
    usual = standard_care_activity(day, effect)
    with np.errstate(invalid="ignore"):
        ramp = severity * (1.0 - np.exp(-np.clip(day - flare_day, 0.0, None) / RELAPSE_RAMP_DAYS))
        at_rescue = np.maximum(
            standard_care_activity(rescue_day, effect),
            severity
            * (1.0 - np.exp(-np.clip(rescue_day - flare_day, 0.0, None) / RELAPSE_RAMP_DAYS)),
        )
        flaring = np.where(day >= flare_day, np.maximum(usual, ramp), usual)
        rescued = at_rescue * standard_care_activity(day - rescue_day, effect)
        result: FloatArray = np.where(day >= rescue_day, rescued, flaring)
    return result


def observe(
    rng: np.random.Generator,
    measure: Measure,
    base: FloatArray,
    plateau: FloatArray,
    level: FloatArray,
) -> FloatArray:
    """Values as a visit records them: model level, noise, the scale's range and step."""
    value = plateau + (base - plateau) * level
    if measure.relative:
        value = value * np.exp(rng.normal(0.0, measure.noise, value.shape[0]))
    elif measure.noise > 0:
        value = value + rng.normal(0.0, measure.noise, value.shape[0])
    stepped: FloatArray = np.round(np.clip(value, measure.low, measure.high) / measure.step)
    return np.round(stepped * measure.step, 3)


def visit_measures(
    rng: np.random.Generator,
    levels: Levels,
    patient: NDArray[np.intp],
    muscle: FloatArray,
    lung: FloatArray,
    steroid: FloatArray,
) -> dict[str, FloatArray]:
    """Every measure at every visit, from the three activities of the visits.

    Parameters
    ----------
    rng
        The random generator (measurement noise).
    levels
        Per-patient levels from :func:`draw_levels`.
    patient
        Index into the patient arrays, one per visit.
    muscle, lung, steroid
        Activity per visit driving muscle and global measures, lung function, and the
        glucocorticoid dose.

    Returns
    -------
    dict
        One float array per visit column.
    """
    values: dict[str, FloatArray] = {}
    drivers = (
        [(m, muscle) for m in MUSCLE_MEASURES]
        + [(m, lung) for m in LUNG_MEASURES]
        + [(STEROID, steroid)]
    )
    for measure, level in drivers:
        values[measure.name] = observe(
            rng,
            measure,
            levels.base[measure.name][patient],
            levels.plateau[measure.name][patient],
            level,
        )
    return values


def apply_phenotype(
    values: dict[str, FloatArray],
    day: FloatArray,
    dermatomyositis: NDArray[np.bool_],
    lung_assessed: NDArray[np.bool_],
    ulcers_at_entry: FloatArray,
) -> None:
    """Blank or shape, in place, the measures that depend on the patient's disease.

    Lung function and HRCT exist only where ``lung_assessed`` (ILD patients at lung
    visits); skin ulcers and CDASI are recorded for dermatomyositis only, ulcers healing
    from their count at entry; extramuscular activity is lower without skin disease.
    """
    for column in LUNG_COLUMNS:
        values[column] = np.where(lung_assessed, values[column], np.nan)
    values["cdasi_activity"] = np.where(dermatomyositis, values["cdasi_activity"], np.nan)
    values["extramuscular"] = np.where(
        dermatomyositis, values["extramuscular"], np.round(values["extramuscular"] / 2, 1)
    )
    ulcers = np.rint(ulcers_at_entry * decay(day, SKIN_RATE_PER_DAY))
    values["ulcers"] = np.where(dermatomyositis, ulcers, np.nan)


LUNG_COLUMNS: tuple[str, ...] = tuple(m.name for m in LUNG_MEASURES)


def record_entry_exactly(
    values: dict[str, FloatArray],
    levels: Levels,
    patient: NDArray[np.intp],
    entry: NDArray[np.bool_],
) -> None:
    """At the entry visits, record the calibrated measures without measurement noise.

    With ``draw_levels(calibrate=True)`` the entry levels of CK, MMT-8 and prednisone have
    the published mean and SD; recording them as drawn (only rounded to the scale's step)
    keeps the baseline visits on the published figures.
    """
    for measure in (*MUSCLE_MEASURES, STEROID):
        if measure.name in CALIBRATED:
            exact = levels.base[measure.name][patient[entry]]
            values[measure.name][entry] = np.round(exact / measure.step) * measure.step
