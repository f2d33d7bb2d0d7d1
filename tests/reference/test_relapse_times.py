"""Relapse times derived by hand (``relapse_by_hand.py``) against the analysis.

The trial: ``make_registry`` (two arms, relapses and flares in both, withdrawals, losses,
deaths, missing measures). From its raw visits, events, infusions and adverse events the
helper builds, with a plain loop per patient, the time from randomisation to relapse or
death (the Cox and cumulative-incidence input) and the relapse-free time after the first
response of each treated patient (the Kaplan-Meier input). They are compared with what
the analysis uses, and the hazard ratio and the Kaplan-Meier curve are recomputed from
them with lifelines (``CoxPHFitter``, Efron ties; ``KaplanMeierFitter``), the log-rank p
with statsmodels ``survdiff``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import relapse_by_hand as by_hand
from lifelines import CoxPHFitter, KaplanMeierFitter
from statsmodels.duration.survfunc import survdiff

import myotrial
from myotrial.analysis.relapse import INCIDENCE, RELAPSE_FREE
from myotrial.synthetic import make_registry
from myotrial.trialdata import TrialData

Z_975 = 1.959963984540054


@pytest.fixture(scope="module")
def trial() -> TrialData:
    return make_registry(600, seed=11)


@pytest.fixture(scope="module")
def result(trial: TrialData) -> myotrial.AnalysisResult:
    return myotrial.analyze(trial)


@pytest.fixture(scope="module")
def itt(trial: TrialData) -> pd.DataFrame:
    return by_hand.itt_relapse_times(trial)


@pytest.fixture(scope="module")
def courses(trial: TrialData) -> pd.DataFrame:
    return by_hand.outcomes(trial, by_hand.courses(trial))


def test_both_arms_have_relapses_deaths_and_censored_patients(itt: pd.DataFrame) -> None:
    counts = itt.groupby(["arm", "status"]).size().unstack(fill_value=0)
    assert (counts[[0, 1, 2]] > 0).all().all(), counts


def test_time_to_relapse_from_randomisation_is_the_analysis_cox_input(
    trial: TrialData, itt: pd.DataFrame
) -> None:
    analysed = _analysis_relapse_times(trial).set_index("patient_id")
    mine = itt.set_index("patient_id").loc[analysed.index]
    pd.testing.assert_series_equal(mine["arm"], analysed["arm"].astype(object))
    assert (mine["status"].to_numpy() == analysed["status"].to_numpy()).all()
    np.testing.assert_array_equal(mine["time"].to_numpy(), analysed["time"].to_numpy())


def test_cumulative_incidence_rows_count_the_same_events(
    result: myotrial.AnalysisResult, itt: pd.DataFrame
) -> None:
    rows = result.relapse[result.relapse["curve"] == INCIDENCE]
    for arm, times in itt.groupby("arm"):
        mine = rows[rows["arm"] == arm].set_index("time_days")
        by_time = times.groupby("time")["status"]
        assert mine.index.tolist() == sorted(times["time"].unique())
        assert (mine["events"] == by_time.apply(lambda s: (s == 1).sum())).all()
        assert (mine["competing"] == by_time.apply(lambda s: (s == 2).sum())).all()
        assert (mine["censored"] == by_time.apply(lambda s: (s == 0).sum())).all()
        leaving = by_time.size().sort_index()
        at_risk = len(times) - leaving.cumsum().shift(1, fill_value=0)
        assert (mine["at_risk"] == at_risk).all()


def test_hazard_ratio_equals_lifelines_cox_on_the_independent_times(
    result: myotrial.AnalysisResult, itt: pd.DataFrame
) -> None:
    frame = pd.DataFrame(
        {
            "time": itt["time"],
            "relapse": (itt["status"] == 1).astype(int),  # a death censors (cause-specific)
            "msct": (itt["arm"] == "MSCT").astype(float),
        }
    )
    cox = CoxPHFitter().fit(frame, "time", "relapse")  # lifelines: Efron ties
    log_hr, se = float(cox.params_["msct"]), float(cox.standard_errors_["msct"])
    _, p = survdiff(frame["time"].to_numpy(), frame["relapse"].to_numpy(), frame["msct"])
    row = result.arm_comparison.set_index("endpoint").loc["relapse"]
    assert row["estimate"] == pytest.approx(np.exp(log_hr), rel=1e-6)
    assert row["ci_low"] == pytest.approx(np.exp(log_hr - Z_975 * se), rel=1e-6)
    assert row["ci_high"] == pytest.approx(np.exp(log_hr + Z_975 * se), rel=1e-6)
    assert row["p_value"] == pytest.approx(p, rel=1e-6)
    assert (row["n_treatment"], row["n_control"]) == (
        int(frame["msct"].sum()),
        int(len(frame) - frame["msct"].sum()),
    )


def test_course_outcomes_equal_the_episodes_table(
    result: myotrial.AnalysisResult, courses: pd.DataFrame
) -> None:
    keys = ["patient_id", "episode"]
    analysed = result.episodes.set_index(keys).sort_index()
    mine = courses.set_index(keys).sort_index()
    assert mine.index.equals(analysed.index)
    assert (mine["response_date"].notna() & analysed["response_date"].notna()).sum() > 100
    for column in ("baseline_date", "response_date", "relapse_date", "end_date"):
        pd.testing.assert_series_equal(mine[column], analysed[column], check_names=False)
    pd.testing.assert_series_equal(mine["best_tis"], analysed["best_tis"], check_names=False)


def test_relapse_free_time_equals_lifelines_kaplan_meier_on_the_independent_times(
    trial: TrialData, result: myotrial.AnalysisResult, courses: pd.DataFrame
) -> None:
    times = by_hand.relapse_free_times(trial, courses)
    assert times["relapse"].sum() > 0 and times["death"].sum() > 0
    kmf = KaplanMeierFitter().fit(times["days"], event_observed=times["relapse"])
    rows = result.relapse[result.relapse["curve"] == RELAPSE_FREE].set_index("time_days")
    table = kmf.event_table
    assert rows.index.tolist() == table.index.tolist()
    assert (rows["at_risk"] == table["at_risk"]).all()
    assert (rows["events"] == table["observed"]).all()
    deaths = times.loc[times["death"], "days"].value_counts()
    assert (rows["competing"] == deaths.reindex(rows.index, fill_value=0)).all()
    survival = kmf.survival_function_.iloc[:, 0].reindex(rows.index)
    np.testing.assert_allclose(rows["survival"].to_numpy(), survival.to_numpy(), atol=1e-12)


def _analysis_relapse_times(trial: TrialData) -> pd.DataFrame:
    """The analysis's own time-to-relapse frame (what its Cox model and Aalen-Johansen
    estimate are fitted to), built through its modules."""
    from myotrial.analysis.arms import itt_view, populations, trial_arms
    from myotrial.analysis.comparison import relapse_times
    from myotrial.analysis.options import AnalysisOptions, Notes
    from myotrial.analysis.safety import death_dates
    from myotrial.analysis.scoring import episode_outcomes, score_visits
    from myotrial.analysis.values import visit_values

    options = AnalysisOptions()
    arms = trial_arms(trial.patients, trial.config)
    assert arms is not None
    population = populations(trial, arms)
    values, _ = visit_values(trial.visits, trial.config)
    view = itt_view(trial, values, population, options)
    scores = score_visits(view.mapped, view.baseline, trial.config, options)
    outcomes = episode_outcomes(
        view.courses, scores, values, trial.events, trial.config, by_hand.MINIMAL_TIS, Notes()
    )
    deaths = death_dates(trial.events, trial.adverse_events)
    return relapse_times(view, outcomes, population, deaths)
