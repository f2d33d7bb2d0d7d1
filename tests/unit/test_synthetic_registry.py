"""The synthetic registry: a large two-arm, multi-site trial for benchmarks."""

from __future__ import annotations

import pandas as pd
import pytest

from myotrial.synthetic import make_registry
from myotrial.trialdata import TrialData

COURSE_GAP_DAYS = 28  # trial.toml default


@pytest.fixture(scope="module")
def registry() -> TrialData:
    return make_registry(3000, seed=12)


def courses_per_patient(infusions: pd.DataFrame) -> pd.Series:
    ordered = infusions.sort_values(["patient_id", "infusion_date"])
    gap = ordered.groupby("patient_id")["infusion_date"].diff().dt.days
    starts = ordered[gap.isna() | (gap >= COURSE_GAP_DAYS)]
    return starts.groupby("patient_id").size()


def test_two_arms_many_sites(registry: TrialData) -> None:
    arms = registry.patients["arm"].value_counts(normalize=True)
    assert set(arms.index) == {"MSCT", "control"}
    assert 0.45 <= arms["control"] <= 0.55  # default allocation 1:1
    assert registry.patients["site"].nunique() == 25
    assert registry.patients["patient_id"].is_unique


def test_about_twenty_visits_per_patient(registry: TrialData) -> None:
    per_patient = registry.visits.groupby("patient_id").size()
    assert len(per_patient) == 3000
    assert 17 <= per_patient.mean() <= 21
    assert not registry.visits.duplicated(["patient_id", "visit_date"]).any()


def test_treated_patients_have_about_1_2_episodes(registry: TrialData) -> None:
    courses = courses_per_patient(registry.infusions)
    treated = set(registry.patients.loc[registry.patients["arm"] == "MSCT", "patient_id"])
    assert set(courses.index) == treated, "only the MSCT arm is infused"
    assert 1.15 <= courses.mean() <= 1.35
    retreated = set(courses[courses > 1].index)
    relapsed = set(registry.events.loc[registry.events["type"] == "relapse", "patient_id"])
    assert retreated <= relapsed, "a second course follows a relapse"


def test_control_arm_improves_less(registry: TrialData) -> None:
    visits = registry.visits.merge(registry.patients[["patient_id", "arm", "enrolment_date"]])
    late = visits[(visits["visit_date"] - visits["enrolment_date"]).dt.days.between(80, 120)]
    mmt = late.groupby("arm")["mmt8"].mean()
    assert mmt["MSCT"] > mmt["control"] + 5


def test_dropouts_are_recorded(registry: TrialData) -> None:
    lost = registry.events[registry.events["type"] == "lost_to_follow_up"]
    assert 0.03 <= len(lost) / 3000 <= 0.2
    last_visit = registry.visits.groupby("patient_id")["visit_date"].max()
    assert (
        lost.set_index("patient_id")["event_date"] > last_visit.reindex(lost["patient_id"])
    ).all()


def test_ten_thousand_patients_make_about_200000_visits() -> None:
    trial = make_registry(10_000, seed=3)
    assert len(trial.patients) == 10_000
    assert 170_000 <= len(trial.visits) <= 210_000


def test_same_seed_same_registry() -> None:
    first, again = make_registry(200, seed=4), make_registry(200, seed=4)
    for name in ("patients", "infusions", "visits", "adverse_events", "events"):
        pd.testing.assert_frame_equal(first.table(name), again.table(name))


@pytest.mark.parametrize(("n_patients", "share"), [(0, 0.5), (10, 1.5), (10, -0.1)])
def test_bad_arguments_say_what_was_expected(n_patients: int, share: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        make_registry(n_patients, seed=1, control_share=share)


def test_records_keep_the_unique_keys_of_the_trial_format(registry: TrialData) -> None:
    keys = {
        "infusions": ["patient_id", "infusion_date"],
        "adverse_events": ["patient_id", "onset_date", "term"],
        "events": ["patient_id", "event_date", "type"],
        "medications": ["patient_id", "drug", "start_date"],
    }
    for table, key in keys.items():
        assert not registry.table(table).duplicated(key).any(), table
