"""Every row of ``arm_comparison`` against an independent computation.

The trial: ``make_registry`` (two arms, relapses and deaths in both, withdrawals, losses,
missing measures).
Each expected value is derived here from the raw tables (baseline and primary visit by
hand with pandas) and computed with statsmodels: ``confint_proportions_2indep(method=
"newcomb")`` and ``proportions_ztest`` for the response, ``OLS`` for the ANCOVA,
``PHReg(ties="efron")`` and ``survdiff`` for relapse.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import relapse_by_hand as by_hand
import statsmodels.api as sm
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import survdiff
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

import myotrial
from myotrial import measures
from myotrial.synthetic import make_registry
from myotrial.trialdata import TrialData

PRIMARY_DAY, PRIMARY_WINDOW, BASELINE_WINDOW = 365, 30, 30


@pytest.fixture(scope="module")
def trial() -> TrialData:
    return make_registry(600, seed=11)


@pytest.fixture(scope="module")
def result(trial: TrialData) -> myotrial.AnalysisResult:
    return myotrial.analyze(trial)


def _row(result: myotrial.AnalysisResult, endpoint: str, population: str) -> pd.Series:
    table = result.arm_comparison
    chosen = table[(table["endpoint"] == endpoint) & (table["population"] == population)]
    assert len(chosen) == 1
    return chosen.iloc[0]


def _visits_by_day(trial: TrialData) -> pd.DataFrame:
    visits = trial.visits.merge(
        trial.patients[["patient_id", "arm", "randomisation_date"]], on="patient_id"
    )
    visits["day"] = (visits["visit_date"] - visits["randomisation_date"]).dt.days
    return visits


def _baseline_and_primary(trial: TrialData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """By hand: last visit in [-30, 0] days; visit nearest day 365 within 30 (earlier tie)."""
    visits = _visits_by_day(trial)
    base = visits[(visits["day"] <= 0) & (visits["day"] >= -BASELINE_WINDOW)]
    base = base.sort_values("day").groupby("patient_id").tail(1)
    late = visits[(visits["day"] - PRIMARY_DAY).abs() <= PRIMARY_WINDOW].copy()
    late["distance"] = (late["day"] - PRIMARY_DAY).abs()
    late = late.sort_values(["distance", "day"]).groupby("patient_id").head(1)
    return base.set_index("patient_id"), late.set_index("patient_id")


def test_trial_has_two_arms_unscorable_patients_and_deaths(
    result: myotrial.AnalysisResult,
) -> None:
    itt = _row(result, "tis_response", "itt_nri")
    cc = _row(result, "tis_response", "complete_case")
    assert itt["n_treatment"] > cc["n_treatment"] > 0
    assert itt["n_control"] > cc["n_control"] > 0
    assert list(result.arm_comparison.columns) == [
        "endpoint",
        "timepoint",
        "population",
        "estimand",
        "estimate",
        "ci_low",
        "ci_high",
        "p_value",
        "n_treatment",
        "n_control",
        "method",
    ]


@pytest.mark.parametrize("population", ["itt_nri", "complete_case"])
def test_response_difference_matches_statsmodels_newcombe_and_pooled_z(
    trial: TrialData, result: myotrial.AnalysisResult, population: str
) -> None:
    base, late = _baseline_and_primary(trial)
    both = late.index.intersection(base.index)
    pairs = measures.make_pairs(
        base.loc[both].reset_index(), late.loc[both].reset_index(), trial.config
    )
    tis = pd.Series(
        measures.score_tis(pairs, population="adult")["tis"].to_numpy(float), index=both
    )
    frame = trial.patients.set_index("patient_id")[["arm"]].join(tis.rename("tis"))
    if population == "complete_case":
        frame = frame.dropna(subset=["tis"])
    responders = (frame["tis"] >= 20).groupby(frame["arm"]).sum()
    n = frame.groupby("arm").size()
    low, high = confint_proportions_2indep(
        responders["MSCT"], n["MSCT"], responders["control"], n["control"], method="newcomb"
    )
    _, p = proportions_ztest([responders["MSCT"], responders["control"]], [n["MSCT"], n["control"]])
    row = _row(result, "tis_response", population)
    assert (row["n_treatment"], row["n_control"]) == (n["MSCT"], n["control"])
    estimate = responders["MSCT"] / n["MSCT"] - responders["control"] / n["control"]
    assert row["estimate"] == pytest.approx(estimate, abs=1e-12)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-9)
    assert row["p_value"] == pytest.approx(p, rel=1e-9)


@pytest.mark.parametrize(("endpoint", "column"), [("mmt8_change", "mmt8"), ("log_ck_change", "ck")])
def test_ancova_matches_statsmodels_ols(
    trial: TrialData, result: myotrial.AnalysisResult, endpoint: str, column: str
) -> None:
    base, late = _baseline_and_primary(trial)
    frame = pd.DataFrame({"x0": base[column], "x1": late[column]}).dropna()
    if column == "ck":
        frame = np.log(frame)
    frame = frame.join(trial.patients.set_index("patient_id")["arm"])
    frame["treated"] = (frame["arm"] == "MSCT").astype(float)
    fit = sm.OLS(frame["x1"] - frame["x0"], sm.add_constant(frame[["treated", "x0"]])).fit()
    row = _row(result, endpoint, "complete_case")
    assert (row["n_treatment"], row["n_control"]) == (
        int(frame["treated"].sum()),
        int(len(frame) - frame["treated"].sum()),
    )
    assert row["estimate"] == pytest.approx(fit.params["treated"], abs=1e-6)
    low, high = fit.conf_int().loc["treated"]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-6)
    assert row["p_value"] == pytest.approx(fit.pvalues["treated"], rel=1e-6, abs=1e-300)


def test_relapse_hazard_ratio_matches_statsmodels_phreg_and_survdiff(
    result: myotrial.AnalysisResult, trial: TrialData
) -> None:
    times = _relapse_times(trial)
    relapse = (times["status"] == 1).to_numpy(float)
    treated = (times["arm"] == "MSCT").to_numpy(float)
    fit = PHReg(times["time"].to_numpy(), treated[:, None], status=relapse, ties="efron").fit()
    log_hr, se = float(fit.params[0]), float(fit.bse[0])
    _, p = survdiff(times["time"].to_numpy(), relapse, treated)
    row = _row(result, "relapse", "itt")
    assert row["estimate"] == pytest.approx(np.exp(log_hr), rel=1e-6)
    assert row["ci_low"] == pytest.approx(np.exp(log_hr - 1.959963984540054 * se), rel=1e-6)
    assert row["ci_high"] == pytest.approx(np.exp(log_hr + 1.959963984540054 * se), rel=1e-6)
    assert row["p_value"] == pytest.approx(p, rel=1e-6)


def _relapse_times(trial: TrialData) -> pd.DataFrame:
    """Relapse times derived by hand from the raw tables (relapse_by_hand.py, compared
    with the analysis's own in test_relapse_times.py)."""
    times = by_hand.itt_relapse_times(trial)
    assert (times["status"] == 2).sum() > 0
    return times


def test_safety_by_arm_counts_infusion_reactions_over_infused_patients(
    trial: TrialData, result: myotrial.AnalysisResult
) -> None:
    table = result.safety_by_arm.set_index(["arm", "item"])
    infused = trial.infusions["patient_id"].nunique()
    reactions = trial.adverse_events.loc[
        trial.adverse_events["infusion_reaction"].fillna(False).astype(bool), "patient_id"
    ].nunique()
    row = table.loc[("MSCT", "any infusion reaction")]
    assert (row["patients"], row["denominator"]) == (reactions, infused)
    assert row["percent"] == pytest.approx(100 * reactions / infused)
    controls = int((trial.patients["arm"] == "control").sum())
    assert table.loc[("control", "any adverse event"), "denominator"] == controls


def test_table1_gives_the_control_arm_its_own_baseline_values(
    trial: TrialData, result: myotrial.AnalysisResult
) -> None:
    base, _ = _baseline_and_primary(trial)
    control = base[base["arm"] == "control"]["mmt8"].dropna()
    table = result.baseline
    row = table[(table["arm"] == "control") & (table["characteristic"] == "mmt8")].iloc[0]
    assert row["n"] == len(control)
    assert row["mean"] == pytest.approx(control.mean(), abs=1e-9)
