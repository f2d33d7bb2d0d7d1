"""``myotrial.analyze`` end to end on hand-made trials: tables, columns, edge cases."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from analysis_trials import make_trial

import myotrial
from myotrial.analysis.change import CHANGE_COLUMNS
from myotrial.analysis.episodes import EPISODE_COLUMNS
from myotrial.analysis.result import TABLE_NAMES


def _pilot_like() -> myotrial.TrialData:
    """Three patients, CK and MMT-8 at baseline, week 1 and month 1 (hand-checked)."""
    visits = []
    for patient, ck, mmt in (
        ("P1", (1600, 900, 300), (40, 50, 66)),
        ("P2", (1800, 800, 250), (50, 55, 70)),
        ("P3", (1400, 1000, 350), (45, 47, 64)),
    ):
        for d, c, m in zip((-2, 7, 30), ck, mmt, strict=True):
            visits.append({"patient_id": patient, "day": d, "ck": c, "mmt8": m})
    return make_trial(
        patients=("P1", "P2", "P3"), infusions=(("P1", 0), ("P2", 0), ("P3", 0)), visits=visits
    )


def test_change_from_baseline_has_contract_columns_and_hand_values() -> None:
    result = myotrial.analyze(_pilot_like())
    table = result.change_from_baseline
    assert tuple(table.columns) == CHANGE_COLUMNS
    row = table[
        (table["episode"] == 1) & (table["measure"] == "ck") & (table["timepoint"] == "month1")
    ].iloc[0]
    # baseline 1600, 1800, 1400 (mean 1600, SD 200); month 1: 300, 250, 350 (mean 300)
    assert (row["n"], row["day"]) == (3, 30)
    assert row["baseline_mean"] == pytest.approx(1600)
    assert row["baseline_sd"] == pytest.approx(200)
    assert row["change_mean"] == pytest.approx(-1300)
    # changes -1300, -1550, -1050: SD 250; percent -81.25, -86.11, -75 -> median -81.25
    assert row["change_sd"] == pytest.approx(250)
    assert row["percent_change_median"] == pytest.approx(-81.25)
    # exact signed rank, n = 3, all negative: p = 2 / 2**3
    assert row["p_wilcoxon"] == pytest.approx(0.25)


def test_every_table_is_written_with_summary(tmp_path: Path) -> None:
    result = myotrial.analyze(_pilot_like())
    written = result.write(tmp_path)
    assert {p.name for p in written} == {f"{n}.csv" for n in TABLE_NAMES} | {"summary.json"}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["counts"]["patients"] == 3
    assert summary["input_checksum"] == "0" * 64
    for convention in (
        "Wilcoxon",
        "Total Improvement Score",
        "Clopper-Pearson",
        "Kaplan-Meier",
        "best visit so far",
        "REML",
    ):
        assert convention in summary["methods"]
    episodes = pd.read_csv(tmp_path / "episodes.csv")
    assert tuple(episodes.columns) == EPISODE_COLUMNS


def test_since_entry_view_is_episode_zero() -> None:
    result = myotrial.analyze(_pilot_like())
    episodes = set(result.change_from_baseline["episode"])
    assert episodes == {0, 1}


def test_single_patient_gives_means_without_tests() -> None:
    trial = make_trial(
        visits=[
            {"patient_id": "P1", "day": 0, "ck": 1000},
            {"patient_id": "P1", "day": 30, "ck": 400},
        ]
    )
    result = myotrial.analyze(trial)
    row = result.change_from_baseline.query("episode == 1 and measure == 'ck'").iloc[0]
    assert (row["n"], row["change_mean"]) == (1, -600)
    assert pd.isna(row["p_ttest"]) and pd.isna(row["change_ci_low"])
    assert "too_few_pairs" in [n["code"] for n in result.summary["notes"]]


def test_timepoint_without_data_is_reported() -> None:
    result = myotrial.analyze(_pilot_like())
    notes = {n["code"]: n for n in result.summary["notes"]}
    assert "week2" in notes["timepoint_without_data"]["message"]


def test_patient_without_baseline_runs_through_every_table() -> None:
    visits = [
        {"patient_id": "P1", "day": -45, "ck": 900},  # 45 days before: outside the window
        {"patient_id": "P1", "day": 30, "ck": 300},
        {"patient_id": "P2", "day": 0, "ck": 1000},
        {"patient_id": "P2", "day": 30, "ck": 500},
    ]
    trial = make_trial(patients=("P1", "P2"), infusions=(("P1", 0), ("P2", 0)), visits=visits)
    result = myotrial.analyze(trial)
    episodes = result.episodes.set_index("patient_id")
    assert pd.isna(episodes.loc["P1", "baseline_date"])
    assert result.summary["counts"]["episodes_without_baseline"] == 1
    notes = {n["code"]: n for n in result.summary["notes"]}
    assert notes["episode_without_baseline"]["patients"] == ["P1"]
    ck = result.change_from_baseline.query("episode == 1 and measure == 'ck'").iloc[0]
    assert ck["n"] == 1  # only P2 has a baseline
