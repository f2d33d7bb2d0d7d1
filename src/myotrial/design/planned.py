"""The design's planned test run on a trial's data as they stand (for interim looks).

The between-arm analysis of ``myotrial analyze`` (:func:`myotrial.analysis.comparison.
compare_arms`, docs/analysis.md) runs on the data cut, and the row the design
pre-specifies is taken: ``tis_response`` among patients with a scorable primary visit
(at an interim, a patient still in follow-up is not a non-responder), ANCOVA of the
MMT-8 or log-CK change, the MMRM, or relapse from randomisation (intention to treat,
day 0 the randomisation date). The primary time point is the trial's
``primary_timepoint``, else the time point nearest the design's week 24.

The statistic is a z oriented so that positive favours MSCT: the two-sided p-value of
the row turned into the z with the same one-sided tail, signed by the estimate (a fall
in CK, and a hazard ratio below 1, favour MSCT; without an estimate, for example no
relapse yet in one arm, z is 0). Information is the number of patients with the
primary time point (for the MMRM, those of the MMT-8 change row), or of relapses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from scipy import stats

from myotrial.domain.arms import CONTROL_ARM
from myotrial.errors import AnalysisError
from myotrial.trialdata import TrialData

PRIMARY_DAY = 168
"""Day of the design's primary time point (week 24)."""
FAVOURS_MSCT = {"response": 1.0, "mmt8_change": 1.0, "log_ck": -1.0, "mmrm": 1.0}
"""Sign of the estimate (a difference) that favours MSCT; relapse: a ratio below 1."""


@dataclass(frozen=True)
class PlannedTest:
    """The planned test on the data: statistic, estimate, arm sizes, information."""

    endpoint: str
    z: float
    estimate: float
    ci_low: float
    ci_high: float
    n_control: int
    n_treatment: int
    information: int
    method: str


def arm_labels(trial: TrialData, control_arm: str = CONTROL_ARM) -> tuple[str, str]:
    """(control, MSCT) arm names of a two-arm trial.

    Raises
    ------
    AnalysisError
        If the trial does not have exactly two arms, one of them ``control_arm``.
    """
    arms = sorted(trial.patients["arm"].dropna().astype(str).unique())
    others = [a for a in arms if a != control_arm]
    if control_arm not in arms or len(others) != 1:
        raise AnalysisError(
            f"patients.csv column arm has {arms}; an interim comparison needs two arms, "
            f"one of them {control_arm!r} (set trial.control_arm in trial.toml)"
        )
    return control_arm, others[0]


def with_primary(trial: TrialData) -> TrialData:
    """The trial with its primary time point: as configured, else the one nearest day 168."""
    config = trial.config
    if config.primary_timepoint is not None or not config.timepoints:
        return trial
    nearest = min(config.timepoints, key=lambda t: abs(t.day - PRIMARY_DAY))
    return replace(trial, config=replace(config, primary_timepoint=nearest.name))


def oriented_z(endpoint: str, estimate: float, p_value: float) -> float:
    """The z with the one-sided tail ``p/2`` on the side the estimate points to.

    Positive when the estimate favours MSCT; 0 when there is no estimate.
    """
    if not math.isfinite(estimate) or not math.isfinite(p_value):
        return 0.0
    if endpoint == "relapse":
        favours = 1.0 if estimate < 1.0 else -1.0  # a hazard ratio below 1
    else:
        favours = math.copysign(1.0, FAVOURS_MSCT[endpoint] * estimate)
    return favours * float(stats.norm.isf(max(p_value, 1e-300) / 2))


def comparison(trial: TrialData, design: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``arm_comparison`` table and the relapse incidence by arm of the trial."""
    from myotrial.analysis.comparison import compare_arms
    from myotrial.analysis.options import AnalysisOptions, Notes
    from myotrial.analysis.values import visit_values
    from myotrial.measures.tis import category_thresholds

    values, _ = visit_values(trial.visits, trial.config)
    minimal = category_thresholds(trial.config.population)["minimal"]
    result = compare_arms(trial, values, AnalysisOptions(), minimal, Notes(), design)
    return result.table, result.incidence


def planned_test(
    trial: TrialData, design: dict[str, Any], control_arm: str = CONTROL_ARM
) -> PlannedTest:
    """Run the design's planned analysis on the trial's data.

    Raises
    ------
    AnalysisError
        If the trial has not two arms or randomisation dates, or the planned row
        cannot be estimated on these data.
    """
    from myotrial.analysis.comparison import PLAN_ENDPOINTS

    arm_labels(trial, control_arm)
    endpoint = str(design["endpoint"])
    trial = with_primary(trial)
    table, incidence = comparison(trial, design)
    name, population = PLAN_ENDPOINTS[endpoint]
    if endpoint == "response":
        # at an interim, a patient still in follow-up is no non-responder: only the
        # patients with a scorable primary visit are analysed
        population = "complete_case"
    rows = table[(table["endpoint"] == name) & (table["population"] == population)]
    if rows.empty:
        raise AnalysisError(
            f"the planned {name} comparison ({population}) could not be made: the trial "
            "needs two arms and a randomisation_date for every patient (patients.csv)"
        )
    row = rows.iloc[0]
    estimate, p_value = float(row["estimate"]), float(row["p_value"])
    if not math.isfinite(p_value):
        raise AnalysisError(
            f"the planned {name} comparison has no p-value on these data "
            f"({int(row['n_treatment'])} MSCT and {int(row['n_control'])} control patients)"
        )
    z = oriented_z(endpoint, estimate, p_value)
    n0, n1 = int(row["n_control"]), int(row["n_treatment"])
    information = n0 + n1
    if endpoint == "relapse":
        information = int(incidence["events"].sum())
    elif endpoint == "mmrm":
        # patients with the primary time point (the MMRM also uses those still on the way)
        complete = table[table["endpoint"] == "mmt8_change"].iloc[0]
        information = int(complete["n_treatment"]) + int(complete["n_control"])
    low, high = float(row["ci_low"]), float(row["ci_high"])
    return PlannedTest(endpoint, z, estimate, low, high, n0, n1, information, str(row["method"]))
