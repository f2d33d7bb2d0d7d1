"""Scores, response and relapse per episode (docs/measures.md §2, §4, §5), hand-computed."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from analysis_trials import day, make_trial

import myotrial
from myotrial.analysis.response import SCORE_COLUMNS


def _visit(
    patient: str, d: int, phga: float, ptga: float, mmt8: float, haq: float, ck: float, extra: float
) -> dict[str, Any]:
    return {
        "patient_id": patient,
        "day": d,
        "phga": phga,
        "ptga": ptga,
        "mmt8": mmt8,
        "haq": haq,
        "ck": ck,
        "extramuscular": extra,
    }


# P1: responds at week 2, best at month 1, then extramuscular activity rises >= 2 cm above
# the best visit at months 3 and 6 (confirmed worsening) but not above baseline.
P1 = [
    _visit("P1", -1, 6, 6, 50, 1.5, 2000, 4),
    # week 2: p = 30, 50, 12.5, 0, 50, 0 % -> 17.5 + 10 + 20 + 0 + 7.5 + 0 = 55 (moderate)
    _visit("P1", 14, 3, 1, 60, 1.5, 1000, 4),
    # month 1: p = 50, 60, 25, 16.7, 80, 20 % -> 20 + 10 + 27.5 + 7.5 + 7.5 + 12.5 = 85
    _visit("P1", 30, 1, 0, 70, 1.0, 400, 2),
    _visit("P1", 90, 1, 0, 70, 1.0, 400, 4.5),  # extramuscular +2.5 cm vs month 1: worse
    _visit("P1", 180, 1, 0, 70, 1.0, 400, 5),  # +3 cm: worse again -> confirmed
]
# P2: a second course on day 100 without any relapse
P2 = [
    _visit("P2", -1, 5, 5, 50, 1, 1000, 3),
    _visit("P2", 30, 5, 5, 50, 1, 1000, 3),
    _visit("P2", 100, 5, 5, 50, 1, 1000, 3),
    _visit("P2", 130, 4, 4, 52, 1, 900, 3),
]
# P3: the investigator records a relapse on day 60, no further course
P3 = [_visit("P3", 0, 5, 5, 50, 1, 1000, 3), _visit("P3", 30, 5, 5, 50, 1, 1000, 3)]


@pytest.fixture(scope="module")
def result() -> myotrial.AnalysisResult:
    trial = make_trial(
        patients=("P1", "P2", "P3"),
        infusions=(("P1", 0), ("P2", 0), ("P2", 100), ("P3", 0)),
        visits=[*P1, *P2, *P3],
        events=[("P3", 60, "relapse")],
    )
    return myotrial.analyze(trial)


def _episode(result: myotrial.AnalysisResult, patient: str, episode: int) -> pd.Series:
    table = result.episodes
    return table[(table["patient_id"] == patient) & (table["episode"] == episode)].iloc[0]


def test_scores_have_contract_columns_and_hand_tis(result: myotrial.AnalysisResult) -> None:
    scores = result.scores
    assert tuple(scores.columns) == SCORE_COLUMNS
    p1 = scores[(scores["patient_id"] == "P1") & (scores["episode"] == 1)].set_index("day")
    assert p1.loc[14, "tis"] == pytest.approx(55)
    assert p1.loc[14, "category"] == "moderate"
    assert p1.loc[30, "tis"] == pytest.approx(85)
    assert p1.loc[30, "category"] == "major"
    assert p1.loc[14, "timepoint"] == "week2"


def test_response_is_first_visit_with_tis_at_least_20(result: myotrial.AnalysisResult) -> None:
    episode = _episode(result, "P1", 1)
    assert episode["response_date"] == day(14)
    assert episode["best_tis"] == pytest.approx(85)
    assert pd.isna(_episode(result, "P2", 1)["response_date"])


def test_relapse_is_confirmed_worsening_against_best_visit(result: myotrial.AnalysisResult) -> None:
    # the first of the two worse visits (day 90) dates the relapse
    assert _episode(result, "P1", 1)["relapse_date"] == day(90)


def test_investigator_relapse_counts(result: myotrial.AnalysisResult) -> None:
    assert _episode(result, "P3", 1)["relapse_date"] == day(60)


def test_retreatment_is_a_new_episode_with_own_baseline(result: myotrial.AnalysisResult) -> None:
    second = _episode(result, "P2", 2)
    assert bool(second["retreatment"]) and second["baseline_date"] == day(100)
    assert second["first_infusion"] == day(100)


def test_relapse_without_retreatment_is_reported(result: myotrial.AnalysisResult) -> None:
    notes = {n["code"]: n for n in result.summary["notes"]}
    assert set(notes["relapse_without_retreatment"]["patients"]) == {"P1", "P3"}


def test_retreatment_without_relapse_is_reported(result: myotrial.AnalysisResult) -> None:
    notes = {n["code"]: n for n in result.summary["notes"]}
    assert notes["retreatment_without_relapse"]["patients"] == ["P2"]


def test_relapse_free_time_runs_from_first_response(result: myotrial.AnalysisResult) -> None:
    # one responder (P1): response day 14, relapse day 90 -> event at 76 days
    table = result.relapse
    assert table.loc[table["events"] > 0, "time_days"].tolist() == [76.0]
    assert result.summary["relapse"]["median_days"] == 76.0


def test_response_rates_count_any_visit(result: myotrial.AnalysisResult) -> None:
    table = result.response
    row = table[
        (table["episode"] == 1)
        & (table["timepoint"] == "any visit")
        & (table["criterion"] == "tis_minimal")
    ].iloc[0]
    # episode 1 of P1, P2, P3 scored; P1 responded -> 1 / 3, binom.test(1, 3)$conf.int
    # 0.00840375865961264 0.905700675949754
    assert (row["n"], row["responders"]) == (3, 1)
    assert row["ci_low"] == pytest.approx(0.00840375865961264, rel=1e-9)
    assert row["ci_high"] == pytest.approx(0.905700675949754, rel=1e-9)


def test_tis_is_a_measure_of_change_from_baseline(result: myotrial.AnalysisResult) -> None:
    table = result.change_from_baseline
    assert {"tis", "ck_xuln"} <= set(table["measure"])
