"""Statistics a trial statistician signs: no test on too little data, exact Wilcoxon as R,
competing deaths, no interval where survival is 1, ulcers among those who had them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from myotrial.analysis.competing import cumulative_incidence
from myotrial.analysis.lung_skin import lung_skin
from myotrial.analysis.options import Notes
from myotrial.analysis.paired import paired_summary
from myotrial.analysis.relapse import relapse_survival


def _pairs(x0: list[float], x1: list[float]) -> pd.Series:
    frame = pd.DataFrame({"g": 1, "x0": x0, "x1": x1})
    return paired_summary(frame, ["g"]).iloc[0]


@pytest.mark.parametrize(
    ("x0", "x1"),
    [
        ([10.0, 20.0], [12.0, 21.0]),  # two patients: R would give p = 0.2 from nothing
        ([10.0, 20.0, 30.0], [11.6, 21.6, 31.6]),  # every change 1.6: interval [1.6, 1.6]
    ],
)
def test_no_test_or_interval_below_three_pairs_or_with_constant_changes(
    x0: list[float], x1: list[float]
) -> None:
    row = _pairs(x0, x1)
    assert not np.isnan(row["change_mean"])
    assert np.isnan(row["p_ttest"]) and np.isnan(row["change_ci_low"])
    assert np.isnan(row["change_ci_high"])


def test_wilcoxon_is_exact_below_50_pairs_without_ties_as_r() -> None:
    rng = np.random.default_rng(5)
    x0 = rng.normal(50, 10, 40)
    x1 = x0 + rng.normal(3, 6, 40)
    row = _pairs(list(x0), list(x1))
    # R wilcox.test(x1, x0, paired = TRUE) is exact for n = 40 without ties: scipy's exact
    # distribution gives the same p-value.
    exact = stats.wilcoxon(x1, x0, method="exact").pvalue
    approx = stats.wilcoxon(x1, x0, method="approx", correction=True).pvalue
    assert row["p_wilcoxon"] == pytest.approx(exact, rel=1e-9)
    assert exact != pytest.approx(approx, rel=1e-6)


def test_aalen_johansen_by_hand_with_a_competing_death() -> None:
    # times 2 (relapse), 3 (death), 4 (censored), 5 (relapse), 5 (relapse)
    table = cumulative_incidence(np.array([2, 3, 4, 5, 5]), np.array([1, 2, 0, 1, 1]))
    # at 2: 1 of 5 relapses -> F = 0.2, S = 0.8; at 3: 1 of 4 dies -> S = 0.8 * 3/4 = 0.6;
    # at 4: censored; at 5: both of 2 at risk relapse -> F = 0.2 + 0.6 * 2/2 = 0.8
    # (R: cmprsk::cuminc(c(2, 3, 4, 5, 5), c(1, 2, 0, 1, 1))$`1 1`$est gives 0.2 ... 0.8)
    assert table["cumulative_incidence"].tolist() == pytest.approx([0.2, 0.2, 0.2, 0.8])
    assert table["competing"].tolist() == [0, 1, 0, 0]
    assert table["at_risk"].tolist() == [5, 4, 3, 2]


def _relapse_episodes() -> tuple[pd.DataFrame, pd.Series]:
    start = pd.Timestamp("2020-01-01")
    days = [30, 60, 90, 120]
    episodes = pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3", "P4"],
            "episode": 1,
            "first_infusion": start - pd.Timedelta(days=30),
            "response_date": start,
            "relapse_date": [start + pd.Timedelta(days=30), pd.NaT, pd.NaT, pd.NaT],
            "end_date": [start + pd.Timedelta(days=d) for d in days],
        }
    )
    deaths = pd.Series({"P2": start + pd.Timedelta(days=45)})
    return episodes, deaths


def test_death_before_relapse_is_a_competing_event_not_a_censoring() -> None:
    episodes, deaths = _relapse_episodes()
    table, median = relapse_survival(episodes, 0.95, Notes(), deaths)
    at_45 = table.set_index("time_days").loc[45.0]
    assert (at_45["events"], at_45["competing"], at_45["censored"]) == (0, 1, 0)
    assert median["relapses"] == 1


def test_death_after_the_last_visit_competes_unless_a_further_course_came_first() -> None:
    start = pd.Timestamp("2020-01-01")
    day = pd.Timedelta(days=1)
    episodes = pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P2"],
            "episode": [1, 1, 2],
            "first_infusion": [start, start, start + 100 * day],
            "response_date": [start + 30 * day, start + 30 * day, pd.NaT],
            "relapse_date": pd.NaT,
            "end_date": [start + 90 * day, start + 90 * day, start + 200 * day],
        }
    )
    # visits stop at a death: P1 dies on day 120, 30 days after the last visit, and no
    # course follows; P2 dies on day 210, after the second course began on day 100
    deaths = pd.Series({"P1": start + 120 * day, "P2": start + 210 * day})
    table, _ = relapse_survival(episodes, 0.95, Notes(), deaths)
    by_time = table.set_index("time_days")
    # P1: from response (day 30) to death (day 120) = 90 days, competing
    assert (by_time.loc[90.0, "competing"], by_time.loc[90.0, "censored"]) == (1, 0)
    # P2: censored at the end of the first course (day 90), 60 days after response
    assert (by_time.loc[60.0, "competing"], by_time.loc[60.0, "censored"]) == (0, 1)


def test_no_interval_where_relapse_free_survival_is_one() -> None:
    episodes, deaths = _relapse_episodes()
    table, _ = relapse_survival(episodes, 0.95, Notes(), deaths)
    # survfit(conf.type = "log-log") gives NA limits where the survival is 1 (time 0)
    at_one = table[table["survival"] >= 1.0]
    assert len(at_one) and at_one[["ci_low", "ci_high"]].isna().all().all()


def test_ulcers_healed_counts_only_courses_with_ulcers_at_baseline() -> None:
    day = pd.Timestamp("2020-01-01")
    baseline = pd.DataFrame({"patient_id": ["P1", "P2"], "episode": 1, "ulcers": [2.0, 0.0]})
    followup = pd.DataFrame(
        {
            "patient_id": ["P1", "P2"],
            "episode": 1,
            "day": [90, 90],
            "visit_date": [day, day],
            "ulcers": [0.0, 0.0],
        }
    )
    table = lung_skin(baseline, followup).set_index("patient_id")
    assert bool(table.loc["P1", "ulcers_healed"])
    assert pd.isna(table.loc["P2", "ulcers_healed"])
