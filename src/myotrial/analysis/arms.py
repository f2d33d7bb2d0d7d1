"""Arms, analysis populations and the intention-to-treat view of a randomised trial.

In a randomised trial every patient's day 0 for the between-arm analyses is the
randomisation date (intention to treat); the within-patient views keep each course's
first infusion as day 0 (docs/measures.md §5). The populations (docs/analysis.md, "Arms and
populations"):

- **ITT**: every randomised patient, in the arm allocated;
- **safety**: every patient, in the arm of the treatment received (an infusion = MSCT);
- **per protocol**: the patients who received the allocated treatment.

The ITT view reuses the episode machinery with one pseudo-course per patient that starts
on the randomisation date: its baseline is the last visit in the baseline window up to
and including day 0, and every later visit belongs to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from myotrial.analysis import episodes as ep
from myotrial.analysis.change import baseline_values
from myotrial.analysis.options import AnalysisOptions, Notes
from myotrial.config import TrialConfig
from myotrial.domain.arms import TREATED_ARM
from myotrial.errors import ConfigError, InvalidInputError, Problem
from myotrial.trialdata import TrialData

DEFAULT_ARM = TREATED_ARM
"""The arm of a patient whose ``arm`` is empty (docs/trial-format.md)."""
ITT_EPISODE = 1
"""Episode number of the one pseudo-course per patient in the ITT view."""
POPULATION_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "arm",
    "randomisation_date",
    "infused",
    "arm_received",
    "per_protocol",
)


@dataclass(frozen=True)
class Arms:
    """The two arms compared: ``treatment`` (MSCT) and ``control``."""

    treatment: str
    control: str


def allocated_arm(patients: pd.DataFrame) -> pd.Series:
    """Each patient's allocated arm, ``MSCT`` where ``arm`` is empty."""
    if "arm" not in patients:
        return pd.Series(DEFAULT_ARM, index=patients.index, name="arm", dtype=object)
    return patients["arm"].astype(object).where(patients["arm"].notna(), DEFAULT_ARM)


def trial_arms(patients: pd.DataFrame, config: TrialConfig) -> Arms | None:
    """The arms to compare, or ``None`` for a one-arm trial.

    Raises
    ------
    ConfigError
        If there are more than two arms, or two arms and none is ``trial.control_arm``.
    """
    found = sorted(str(a) for a in allocated_arm(patients).unique())
    if len(found) < 2:
        return None
    if len(found) > 2 or config.control_arm not in found:
        rule = (
            "names more than two arms; the comparison needs exactly two"
            if len(found) > 2
            else f"has no patient in the control arm {config.control_arm!r}"
        )
        raise ConfigError(
            [
                Problem(
                    "patients.csv",
                    None,
                    "arm",
                    ", ".join(found),
                    rule,
                    "set trial.control_arm in trial.toml to the name of the control arm",
                )
            ]
        )
    treatment = next(a for a in found if a != config.control_arm)
    return Arms(treatment, config.control_arm)


def missing_randomisation(patients: pd.DataFrame) -> pd.Series:
    """The patients of a two-arm trial without a randomisation date."""
    if "randomisation_date" not in patients:
        return patients["patient_id"]
    return patients.loc[pd.to_datetime(patients["randomisation_date"]).isna(), "patient_id"]


def populations(trial: TrialData, arms: Arms) -> pd.DataFrame:
    """One row per patient: allocation, randomisation date and treatment received.

    Returns
    -------
    DataFrame
        Columns :data:`POPULATION_COLUMNS`: ``arm`` (allocated), ``randomisation_date``,
        ``infused`` (any infusion recorded), ``arm_received`` (safety population: the
        treatment arm when infused, else the control arm) and ``per_protocol``.

    Raises
    ------
    InvalidInputError
        If a patient has no randomisation date (required when the trial has two arms).
    """
    frame = _allocation(trial.patients)
    _check_dates(frame)
    return _receipt(frame, trial, arms).reindex(columns=list(POPULATION_COLUMNS))


def _allocation(patients: pd.DataFrame) -> pd.DataFrame:
    dates = pd.to_datetime(patients.get("randomisation_date", pd.Series(pd.NaT, patients.index)))
    return pd.DataFrame(
        {
            "patient_id": patients["patient_id"].to_numpy(),
            "arm": allocated_arm(patients).to_numpy(),
            "randomisation_date": pd.Series(dates, index=patients.index).to_numpy(),
        }
    )


def _receipt(frame: pd.DataFrame, trial: TrialData, arms: Arms | None) -> pd.DataFrame:
    """Treatment received (safety population) and per protocol, docs/analysis.md."""
    frame = frame.assign(infused=frame["patient_id"].isin(trial.infusions["patient_id"]))
    if arms is None:
        frame["arm_received"] = frame["arm"].where(frame["infused"])
    else:
        frame["arm_received"] = frame["infused"].map({True: arms.treatment, False: arms.control})
    frame["per_protocol"] = frame["arm"] == frame["arm_received"]
    return frame


SUBJECT_POPULATION_COLUMNS: tuple[str, ...] = (*POPULATION_COLUMNS, "itt", "safety")


def subject_populations(trial: TrialData) -> pd.DataFrame:
    """Every patient's populations, for one-arm and two-arm trials alike.

    The populations of docs/analysis.md: ITT is every randomised patient (every patient of
    a one-arm trial), safety every patient, per protocol the patients who received the
    allocated treatment. ``arm_received`` is the arm of the treatment received: in a
    two-arm trial the treatment arm when infused, else the control arm (as
    :func:`populations`); in a one-arm trial the arm when infused, else missing (no
    treatment was received). Unlike :func:`populations`, a missing randomisation date
    leaves the patient out of ITT rather than stopping.

    Returns
    -------
    DataFrame
        Columns :data:`SUBJECT_POPULATION_COLUMNS`; ``itt``, ``safety``, ``per_protocol``
        and ``infused`` are booleans.
    """
    arms = trial_arms(trial.patients, trial.config)
    frame = _receipt(_allocation(trial.patients), trial, arms)
    frame["itt"] = True if arms is None else frame["randomisation_date"].notna()
    frame["safety"] = True
    return frame.reindex(columns=list(SUBJECT_POPULATION_COLUMNS))


def _check_dates(frame: pd.DataFrame) -> None:
    missing = frame.index[frame["randomisation_date"].isna()]
    if len(missing) == 0:
        return
    problems = [
        Problem(
            "patients.csv",
            int(i) + 2,
            "randomisation_date",
            None,
            "is required when the trial has more than one arm",
            "enter the date the patient was randomised (YYYY-MM-DD)",
        )
        for i in missing[:50]
    ]
    raise InvalidInputError(problems)


def _after_day0(values: pd.DataFrame, courses: pd.DataFrame) -> pd.DataFrame:
    """Every visit after the randomisation date, with its study day (one start per
    patient, so a plain join replaces the as-of join of the courses)."""
    starts = courses[["patient_id", "episode", "first_infusion"]]
    merged = values.dropna(subset=["visit_date"]).merge(starts, on="patient_id")
    merged = merged[merged["visit_date"] > merged["first_infusion"]].copy()
    merged["day"] = (merged["visit_date"] - merged["first_infusion"]).dt.days.astype(int)
    return merged.sort_values(["patient_id", "episode", "visit_date"]).reset_index(drop=True)


@dataclass(frozen=True)
class IttView:
    """Visits of every randomised patient against the randomisation baseline."""

    courses: pd.DataFrame
    baseline: pd.DataFrame
    mapped: pd.DataFrame


def itt_view(
    trial: TrialData, values: pd.DataFrame, population: pd.DataFrame, options: AnalysisOptions
) -> IttView:
    """The intention-to-treat view: day 0 = randomisation date for every patient.

    Parameters
    ----------
    trial
        The trial (its configuration's time points).
    values
        Canonical visit values (:func:`myotrial.analysis.values.visit_values`).
    population
        :func:`populations` of the trial.
    options
        The baseline window.

    Returns
    -------
    IttView
        ``courses`` (one per patient: ``first_infusion`` = randomisation date,
        ``baseline_date``, ``end_date`` = last visit), the baseline values, and the
        follow-up visits mapped to the time points.
    """
    starts = population[["patient_id"]].assign(
        episode=ITT_EPISODE, first_infusion=population["randomisation_date"]
    )
    courses = ep.attach_baselines(starts, values, options.baseline_window_days)
    followup = _after_day0(values, courses)
    last = followup.groupby("patient_id")["visit_date"].max().rename("end_date")
    courses = courses.join(last, on="patient_id")
    mapped = ep.map_timepoints(followup, trial.config.timepoints, Notes())
    return IttView(courses, baseline_values(values, courses), mapped)
