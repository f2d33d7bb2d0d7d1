"""The synthetic pilot resembles the published MSCT pilot (docs/measures.md §9).

Expected values come from the publication (Tang Y et al. 2011, the table in
``pilot_summary.csv``) and from the trial format's rules; the tests recompute courses,
study days and time-point windows themselves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myotrial.synthetic import make_pilot
from myotrial.trialdata import TrialData

COURSE_GAP_DAYS = 28  # trial.toml default: infusions closer than this form one course


@pytest.fixture(scope="module")
def pilot() -> TrialData:
    return make_pilot(2011)


def course_starts(infusions: pd.DataFrame) -> pd.DataFrame:
    """First infusion of each course: a new course starts when the gap exceeds 28 days."""
    ordered = infusions.sort_values(["patient_id", "infusion_date"])
    gap = ordered.groupby("patient_id")["infusion_date"].diff().dt.days
    starts = ordered[gap.isna() | (gap >= COURSE_GAP_DAYS)].copy()
    starts["course"] = starts.groupby("patient_id").cumcount() + 1
    return starts[["patient_id", "infusion_date", "course"]]


def with_study_day(trial: TrialData) -> pd.DataFrame:
    """Each visit with its course (latest course start on or before it) and study day."""
    starts = course_starts(trial.infusions).sort_values("infusion_date")
    visits = trial.visits.sort_values("visit_date")
    after = pd.merge_asof(
        visits,
        starts,
        left_on="visit_date",
        right_on="infusion_date",
        by="patient_id",
        direction="backward",
    )
    after["day"] = (after["visit_date"] - after["infusion_date"]).dt.days
    return after


def baseline_visits(trial: TrialData, course: int) -> pd.DataFrame:
    """Last visit within the 30 days up to each course's first infusion (docs/measures.md §5)."""
    starts = course_starts(trial.infusions)
    starts = starts[starts["course"] == course].sort_values("infusion_date")
    visits = trial.visits.sort_values("visit_date")
    found = pd.merge_asof(
        starts,
        visits,
        left_on="infusion_date",
        right_on="visit_date",
        by="patient_id",
        direction="backward",
        tolerance=pd.Timedelta(days=30),
    )
    return found.dropna(subset=["visit_date"])


def test_ten_refractory_adults_with_pm_or_dm(pilot: TrialData) -> None:
    patients = pilot.patients
    assert len(patients) == 10
    assert patients["patient_id"].is_unique
    assert set(patients["diagnosis"]) == {"PM", "DM"}
    assert patients["refractory"].all()
    assert patients["age"].between(18, 100).all()


def test_allogeneic_msc_one_million_per_kg_from_marrow_or_cord(pilot: TrialData) -> None:
    infusions = pilot.infusions
    assert (infusions["cells_per_kg"] == 1e6).all()
    assert set(infusions["source"]) <= {"BM", "UC"}
    assert (infusions["donor"] == "allogeneic").all()
    first = infusions.groupby("patient_id")["infusion_date"].transform("min")
    day = (infusions["infusion_date"] - first).dt.days
    assert (day == 7).any(), "some patients have a second infusion on day 7"


def test_baseline_ck_matches_published_mean(pilot: TrialData) -> None:
    baseline = baseline_visits(pilot, course=1)
    assert len(baseline) == 10
    assert abs(baseline["ck"].mean() - 1681) <= 300  # published 1681 +- 430 U/L
    # Entry CK is calibrated to the publication and recorded without measurement noise.
    assert baseline["ck"].mean() == pytest.approx(1681, abs=1)
    assert baseline["ck"].std() == pytest.approx(430, abs=2)


def test_mmt8_rises_at_least_15_points_by_month1(pilot: TrialData) -> None:
    baseline = baseline_visits(pilot, course=1).set_index("patient_id")["mmt8"]
    visits = with_study_day(pilot)
    month1 = visits[(visits["course"] == 1) & visits["day"].between(23, 37)]
    month1 = month1.set_index("patient_id")["mmt8"]
    assert month1.mean() - baseline.mean() >= 15  # published 45 -> 67
    assert 60 <= month1.mean() <= 72


def test_ck_falls_along_published_curve(pilot: TrialData) -> None:
    visits = with_study_day(pilot)
    course1 = visits[visits["course"] == 1]
    # Published means (U/L): week 1 886, week 2 474, month 1 293, month 3 202.
    for low, high, published in ((4, 10, 886), (11, 17, 474), (23, 37, 293), (76, 104, 202)):
        mean = course1.loc[course1["day"].between(low, high), "ck"].mean()
        assert abs(mean - published) <= 0.35 * published, (low, high, mean)


def test_prednisone_tapers_from_34_to_about_18_by_week2(pilot: TrialData) -> None:
    baseline = baseline_visits(pilot, course=1)["prednisone_mg"]
    visits = with_study_day(pilot)
    week2 = visits.loc[(visits["course"] == 1) & visits["day"].between(11, 17), "prednisone_mg"]
    assert abs(baseline.mean() - 34) <= 5  # published 34 +- 15 mg/day
    assert abs(week2.mean() - 18) <= 6  # published 18 +- 6 mg/day
    month12 = visits.loc[(visits["course"] == 1) & (visits["day"] > 300), "prednisone_mg"]
    assert month12.mean() < week2.mean()


def test_two_patients_relapse_and_get_a_second_course(pilot: TrialData) -> None:
    starts = course_starts(pilot.infusions)
    retreated = set(starts.loc[starts["course"] == 2, "patient_id"])
    relapsed = set(pilot.events.loc[pilot.events["type"] == "relapse", "patient_id"])
    assert len(retreated) == 2
    assert relapsed == retreated
    assert len(baseline_visits(pilot, course=2)) == 2, "each second course has a baseline"


def test_relapse_is_a_worsening_around_month6(pilot: TrialData) -> None:
    visits = with_study_day(pilot)
    relapses = pilot.events[pilot.events["type"] == "relapse"]
    for patient, date in zip(relapses["patient_id"], relapses["event_date"], strict=True):
        own = visits[(visits["patient_id"] == patient) & (visits["course"] == 1)]
        at = own[own["visit_date"] == date].iloc[0]
        assert 150 <= at["day"] <= 210
        best = own[own["visit_date"] < date]
        # IMACS worsening: physician global up >= 2 cm and MMT-8 down >= 20 %.
        assert at["phga"] - best["phga"].min() >= 2
        assert at["mmt8"] <= 0.8 * best["mmt8"].max()


def test_two_ild_patients_improve_fvc_dlco_and_hrct(pilot: TrialData) -> None:
    ild = set(pilot.patients.loc[pilot.patients["ild"].astype(bool), "patient_id"])
    assert len(ild) == 2
    lung = pilot.visits.dropna(subset=["fvc_pct"])
    assert set(lung["patient_id"]) == ild
    first = lung.groupby("patient_id").first()
    last = lung.groupby("patient_id").last()
    assert (last["fvc_pct"] > first["fvc_pct"]).all()
    assert (last["dlco_pct"] > first["dlco_pct"]).all()
    assert (last["hrct_score"] < first["hrct_score"]).all()


def test_one_patient_has_skin_ulcers_that_heal(pilot: TrialData) -> None:
    skin = pilot.visits.dropna(subset=["ulcers"]).sort_values("visit_date")
    first = skin.groupby("patient_id")["ulcers"].first()
    last = skin.groupby("patient_id")["ulcers"].last()
    healed = first[(first > 0) & (last == 0)].index
    assert len(healed) == 1
    assert (first > 0).sum() == 1


def test_infusion_reactions_are_mild_and_on_infusion_days(pilot: TrialData) -> None:
    events = pilot.adverse_events
    reactions = events[events["infusion_reaction"].astype(bool)]
    assert len(reactions) >= 1
    assert reactions["grade"].isin([1, 2]).all()
    infused = set(zip(pilot.infusions["patient_id"], pilot.infusions["infusion_date"], strict=True))
    assert all(
        key in infused for key in zip(reactions["patient_id"], reactions["onset_date"], strict=True)
    )
    assert (~events["infusion_reaction"].astype(bool)).any(), "some unrelated events too"


@pytest.mark.parametrize("seed", [2011, 1, 99])
def test_follow_up_visits_fall_inside_their_windows(seed: int) -> None:
    trial = make_pilot(seed)
    windows = [(t.day, t.window) for t in trial.config.timepoints]
    visits = with_study_day(trial)
    starts = course_starts(trial.infusions).sort_values("infusion_date")
    following = pd.merge_asof(
        visits.sort_values("visit_date"),
        starts.rename(columns={"infusion_date": "next_start", "course": "next_course"}),
        left_on="visit_date",
        right_on="next_start",
        by="patient_id",
        direction="forward",
        allow_exact_matches=False,
    )
    days_to_next = (following["next_start"] - following["visit_date"]).dt.days
    # A visit in the 30 days before a course is that course's baseline, not a follow-up.
    follow_up = following[(following["day"] > 0) & ~(days_to_next <= 30)]
    inside = np.zeros(len(follow_up), dtype=bool)
    for day, window in windows:
        inside |= (follow_up["day"] - day).abs().to_numpy() <= window
    assert inside.all(), follow_up.loc[~inside, ["patient_id", "visit_date", "day"]]
    assert len(follow_up) >= 60
    # Before any infusion there is only the baseline visit, at most 30 days before.
    before = visits[visits["day"].isna()]
    assert len(before) == 10
    assert len(baseline_visits(trial, course=1)) == 10


@pytest.mark.parametrize("seed", [2011, 7])
def test_dates_respect_enrolment(seed: int) -> None:
    trial = make_pilot(seed)
    enrolled = trial.patients.set_index("patient_id")["enrolment_date"]
    visits = trial.visits
    infusions = trial.infusions
    assert (visits["visit_date"] >= visits["patient_id"].map(enrolled)).all()
    assert (infusions["infusion_date"] >= infusions["patient_id"].map(enrolled)).all()
    assert (trial.patients["onset_date"] < trial.patients["enrolment_date"]).all()
    assert not visits.duplicated(["patient_id", "visit_date"]).any()


def test_some_values_are_missing(pilot: TrialData) -> None:
    measures = pilot.visits[["ptga", "haq", "ck_mb", "aldolase", "ldh", "extramuscular"]]
    assert 1 <= int(measures.isna().to_numpy().sum()) <= 10


def test_named_as_synthetic_with_upper_limits(pilot: TrialData) -> None:
    assert "SYNTHETIC" in pilot.config.name
    assert dict(pilot.config.uln) == {
        "ck": 200,
        "aldolase": 7.6,
        "ldh": 250,
        "ast": 40,
        "alt": 40,
        "ck_mb": 25,
    }


def test_tables_use_the_trial_data_types(pilot: TrialData) -> None:
    assert pilot.visits["visit_date"].dtype == "datetime64[ns]"
    assert pilot.visits["ck"].dtype == "float64"
    assert pilot.patients["ild"].dtype == "boolean"
    assert pilot.patients["patient_id"].dtype == object


def test_same_seed_same_trial_other_seed_other_trial() -> None:
    first, again, other = make_pilot(5), make_pilot(5), make_pilot(6)
    pd.testing.assert_frame_equal(first.visits, again.visits)
    pd.testing.assert_frame_equal(first.adverse_events, again.adverse_events)
    assert not first.visits["ck"].equals(other.visits["ck"])
