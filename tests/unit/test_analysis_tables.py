"""Table 1, safety, lung and skin, steroids: values checked by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from analysis_trials import day, make_trial

import myotrial
from myotrial.analysis.lung_skin import lung_skin
from myotrial.analysis.safety import SAFETY_COLUMNS, safety_summary, safety_table
from myotrial.analysis.table1 import BASELINE_COLUMNS, table1


def test_table1_gives_mean_sd_and_counts_per_arm_and_overall() -> None:
    trial = make_trial(patients=("P1", "P2", "P3"), arms={"P3": "control"})
    entry = pd.DataFrame({"patient_id": ["P1", "P2"], "ck": [1000.0, 2000.0]})
    table = table1(trial.patients, entry, ["ck"])
    assert tuple(table.columns) == BASELINE_COLUMNS
    rows = table.set_index(["arm", "characteristic", "level"])
    # ages 40, 41 (MSCT) and 42 (control): overall mean 41, SD 1
    assert rows.loc[("overall", "age", ""), "mean"] == pytest.approx(41)
    assert rows.loc[("overall", "age", ""), "sd"] == pytest.approx(1)
    assert rows.loc[("MSCT", "age", ""), "n"] == 2
    assert rows.loc[("overall", "sex", "F"), "percent"] == pytest.approx(100)
    assert rows.loc[("overall", "sex", "F"), "value"] == "3 (100.0%)"
    assert rows.loc[("MSCT", "ck", ""), "median"] == pytest.approx(1500)
    assert rows.loc[("overall", "patients", ""), "n"] == 3


def _adverse_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": ["P1", "P1", "P2", "P3"],
            "onset_date": [day(1), day(2), day(1), day(40)],
            "term": ["fever", "fever", "fever", "pneumonia"],
            "grade": [1.0, 1.0, 1.0, 5.0],
            "serious": [False, False, False, True],
            "relatedness": ["possible", "possible", "possible", "not related"],
            "infusion_reaction": [True, True, False, False],
        }
    )


def test_safety_counts_events_and_patients_per_term() -> None:
    table = safety_table(_adverse_events())
    assert tuple(table.columns) == SAFETY_COLUMNS
    fever = table[table["term"] == "fever"].iloc[0]
    assert (fever["patients"], fever["events"]) == (2, 3)


def test_safety_summary_counts_patients_once() -> None:
    trial = make_trial(patients=("P1", "P2", "P3", "P4"))
    summary = safety_summary(trial.patients, _adverse_events(), trial.events)
    counts = summary.set_index("item")["patients"]
    assert counts["any adverse event"] == 3
    assert counts["any serious adverse event"] == 1
    assert counts["any infusion reaction"] == 1
    assert counts["deaths"] == 1  # grade 5 (CTCAE) is a death
    assert summary.set_index("item").loc["any adverse event", "percent"] == pytest.approx(75)


def test_lung_flags_follow_measures_section_6() -> None:
    baseline = pd.DataFrame(
        {
            "patient_id": ["P1", "P2"],
            "episode": 1,
            "fvc_pct": [60.0, 80.0],
            "dlco_pct": [50.0, 70.0],
            "ulcers": [2.0, 0.0],
        }
    )
    followup = pd.DataFrame(
        {
            "patient_id": ["P1", "P1", "P2", "P2"],
            "episode": 1,
            "day": [90, 180, 90, 400],
            "visit_date": [day(90), day(180), day(90), day(400)],
            "fvc_pct": [64.0, 67.0, 74.0, 81.0],
            "dlco_pct": [52.0, 55.0, 69.0, 70.0],
            "ulcers": [1.0, 0.0, 0.0, 0.0],
        }
    )
    table = lung_skin(baseline, followup).set_index("patient_id")
    # P1: FVC 60 -> 67 = +7 points, +11.67 % (>= 10 %: improved); ulcers 2 -> 0 healed
    assert table.loc["P1", "fvc_pct_change"] == pytest.approx(7)
    assert table.loc["P1", "fvc_pct_relative_change"] == pytest.approx(700 / 60)
    assert bool(table.loc["P1", "fvc_improved"]) and bool(table.loc["P1", "ulcers_healed"])
    assert not bool(table.loc["P1", "lung_progression"])
    # P2: FVC 80 -> 74 at day 90 (down 6 points within a year): progression
    assert bool(table.loc["P2", "lung_progression"])
    # P2 had no ulcer at baseline: cannot heal, so the flag is missing (not "not healed")
    assert pd.isna(table.loc["P2", "ulcers_healed"])


def test_steroid_taper_share() -> None:
    visits = [
        {"patient_id": p, "day": d, "prednisone_mg": mg}
        for p, doses in (("P1", (30, 5)), ("P2", (40, 10)))
        for d, mg in zip((0, 30), doses, strict=True)
    ]
    trial = make_trial(patients=("P1", "P2"), infusions=(("P1", 0), ("P2", 0)), visits=visits)
    table = myotrial.analyze(trial).steroids
    row = table[(table["episode"] == 1) & (table["timepoint"] == "month1")].iloc[0]
    assert (row["n"], row["n_tapered"]) == (2, 1)
    assert row["share_tapered"] == pytest.approx(0.5)
    assert row["change_mean"] == pytest.approx(-27.5)
