"""Episodes, baselines and time points (docs/measures.md §5, docs/analysis.md "Time points")."""

from __future__ import annotations

import pandas as pd
import pytest
from analysis_trials import day, make_trial

from myotrial import Timepoint
from myotrial.analysis.episodes import (
    attach_baselines,
    build_courses,
    courses_from_infusions,
    followup_visits,
    map_timepoints,
)
from myotrial.analysis.options import AnalysisOptions, Notes


def _infusions(days: list[int], patient: str = "P1") -> pd.DataFrame:
    return pd.DataFrame(
        {"patient_id": patient, "infusion_date": [day(d) for d in days], "cells_per_kg": 1e6}
    )


@pytest.mark.parametrize(
    ("days", "episodes"),
    [
        ([0, 7], [1, 1]),  # days 0 and 7: the usual two-infusion course
        ([0, 28], [1, 1]),  # exactly course_gap_days apart: same course
        ([0, 29], [1, 2]),  # one day more: a new course
        ([0, 7, 200, 207], [1, 1, 2, 2]),
    ],
)
def test_infusions_within_the_gap_form_one_course(days: list[int], episodes: list[int]) -> None:
    courses = courses_from_infusions(_infusions(days), course_gap_days=28)
    counts = courses.set_index("episode")["n_infusions"]
    assert counts.to_dict() == pd.Series(episodes).value_counts().sort_index().to_dict()


def test_course_sums_cells_and_keeps_first_infusion() -> None:
    courses = courses_from_infusions(_infusions([7, 0]), course_gap_days=28)
    assert courses.loc[0, "first_infusion"] == day(0)
    assert courses.loc[0, "cells_per_kg_total"] == pytest.approx(2e6)


@pytest.mark.parametrize(
    ("visit_days", "expected"),
    [
        ([-40, -10, -2], -2),  # the last visit in the window
        ([-5, 0], 0),  # the infusion day itself counts
        ([-30], -30),  # 30 days before: still in the window
        ([-31], None),  # 31 days before: no baseline
        ([1], None),  # after the infusion: never a baseline
    ],
)
def test_baseline_is_last_visit_in_30_days_up_to_infusion(
    visit_days: list[int], expected: int | None
) -> None:
    visits = pd.DataFrame({"patient_id": "P1", "visit_date": [day(d) for d in visit_days]})
    courses = courses_from_infusions(_infusions([0]), 28)
    baseline = attach_baselines(courses, visits, window_days=30).loc[0, "baseline_date"]
    assert pd.isna(baseline) if expected is None else baseline == day(expected)


def test_followup_runs_to_next_first_infusion_day() -> None:
    courses = courses_from_infusions(_infusions([0, 100]), 28)
    visits = pd.DataFrame({"patient_id": "P1", "visit_date": [day(d) for d in (0, 30, 100, 130)]})
    followup = followup_visits(visits, courses)
    # day 0 is baseline only; day 100 closes episode 1 and is episode 2's baseline
    assert list(zip(followup["episode"], followup["day"], strict=True)) == [
        (1, 30),
        (1, 100),
        (2, 30),
    ]


POINTS = (Timepoint("week1", 7, 3), Timepoint("week2", 14, 3), Timepoint("month1", 30, 7))


def _mapped(days: list[int], notes: Notes | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"patient_id": "P1", "episode": 1, "day": days, "visit_date": [day(d) for d in days]}
    )
    return map_timepoints(frame, POINTS, notes)


def test_visit_nearest_the_target_day_is_used() -> None:
    mapped = _mapped([5, 8, 30])  # day 8 is 1 day from week1's day 7, day 5 is 2 days
    assert mapped["timepoint"].fillna("-").tolist() == ["-", "week1", "month1"]


def test_tie_between_two_visits_goes_to_the_earlier_visit() -> None:
    mapped = _mapped([4, 10])  # both 3 days from day 7
    assert mapped.loc[mapped["day"] == 4, "timepoint"].item() == "week1"
    assert pd.isna(mapped.loc[mapped["day"] == 10, "timepoint"].item())


def test_tie_between_two_windows_goes_to_the_earlier_time_point() -> None:
    points = (Timepoint("a", 10, 5), Timepoint("b", 20, 5))
    frame = pd.DataFrame({"patient_id": "P1", "episode": 1, "day": [15], "visit_date": [day(15)]})
    assert map_timepoints(frame, points)["timepoint"].item() == "a"


def test_visit_outside_every_window_is_reported() -> None:
    notes = Notes()
    mapped = _mapped([7, 50], notes)
    assert pd.isna(mapped.loc[mapped["day"] == 50, "timepoint"].item())
    assert "visit_outside_windows" in notes.codes()


def test_two_visits_in_one_window_are_reported() -> None:
    notes = Notes()
    _mapped([6, 8], notes)
    assert notes.items[0]["code"] == "two_visits_in_window"
    assert notes.items[0]["count"] == 1


def test_patient_without_baseline_is_reported() -> None:
    trial = make_trial(
        visits=[
            {"patient_id": "P1", "day": -45, "ck": 900},
            {"patient_id": "P1", "day": 30, "ck": 300},
        ]
    )
    notes = Notes()
    courses = build_courses(trial, options=AnalysisOptions(), notes=notes)
    assert pd.isna(courses.loc[0, "baseline_date"])
    assert "episode_without_baseline" in notes.codes()
