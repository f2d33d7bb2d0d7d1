"""Figures: accessible SVG, unique ids, honest empty states, lanes and bars in order."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
from report_fixtures import make_result, make_trial

from myotrial.report import figures
from myotrial.report.methods import TIS_THRESHOLDS
from myotrial.report.swimmer import lanes, marks, swimmer


def test_svg_ids_carry_the_figure_key():
    figure = figures.waterfall(pd.Series([50.0, 10.0]), TIS_THRESHOLDS["adult"])
    ids = re.findall(r'\bid="([^"]+)"', figure.svg)
    assert ids and all(i.startswith("fig-waterfall-tis-") for i in ids)
    assert 'width="' not in figure.svg.split(">", 1)[0]


def test_waterfall_alt_counts_each_category():
    # 62.5 major, 45 moderate, 25 minimal, 10 none (adult thresholds 20/40/60).
    figure = figures.waterfall(pd.Series([10.0, 62.5, 45.0, 25.0]), TIS_THRESHOLDS["adult"])
    assert "from 62.5 down to 10" in figure.alt
    assert "1 none, 1 minimal, 1 moderate, 1 major" in figure.alt


def test_waterfall_without_scores_says_so():
    figure = figures.waterfall(pd.Series([float("nan")]), TIS_THRESHOLDS["adult"])
    assert figure.svg is None
    assert "No patient has a Total Improvement Score" in figure.empty_message
    assert "1 patient(s) without a scorable baseline" in figure.caption


def test_swimmer_lanes_put_longest_follow_up_first():
    # Follow-up from first infusion: P2 2024-02-01 → 2024-07-01 = 151 days,
    # P1 2024-01-01 → 2024-03-31 = 90 days, P3 2024-03-01 → 2024-05-30 = 90 days.
    table = lanes(make_trial(), make_result().episodes)
    assert table["patient_id"].tolist() == ["P2", "P1", "P3"]
    assert table["end"].tolist() == [151.0, 90.0, 90.0]


def test_swimmer_marks_retreatment_on_the_study_day_axis():
    found = marks(make_trial(), make_result().episodes)
    retreat = found[found["kind"] == "retreatment"]
    # P2 re-treated 2024-06-01, 121 days after the first infusion on 2024-02-01.
    assert retreat[["patient_id", "day"]].values.tolist() == [["P2", 121.0]]


def test_swimmer_without_courses_is_an_empty_state():
    figure = swimmer(make_trial(), make_result().episodes.iloc[0:0])
    assert figure.svg is None and "No treatment course was recorded" in figure.empty_message


def test_ck_spaghetti_is_log_scaled_with_plain_labels():
    trial = make_trial()
    means = pd.DataFrame({"day": [0.0, 30.0], "mean": [2000.0, 1200.0], "n": [3.0, 3.0]})
    figure = figures.spaghetti(trial, means, "ck", "CK (U/L)", log=True)
    assert "3 patients over 11 visits" in figure.alt
    assert "from 2000 at day 0 to 1200 at day 30" in figure.alt
    assert "1,000" in figure.svg


def test_courses_over_time_start_at_the_analysis_baseline_window():
    # P1's first infusion is 2024-01-01: a visit on 2023-11-17 is day -45, outside the
    # default 30-day window and inside a 60-day one.
    from myotrial.report.timeline import patient_series

    trial = make_trial()
    early = trial.visits.iloc[[0]].copy()
    early["patient_id"] = "P1"
    early["visit_date"] = pd.Timestamp("2023-11-17")
    early["ck"] = 999.0
    trial = dataclasses.replace(trial, visits=pd.concat([trial.visits, early], ignore_index=True))
    default_days = patient_series(trial, "ck")["day"].tolist()
    wide_days = patient_series(trial, "ck", baseline_window_days=60)["day"].tolist()
    assert -45.0 not in default_days
    assert -45.0 in wide_days
