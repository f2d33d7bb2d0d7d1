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


def _by_arm(registry: TrialData, kind: str) -> pd.Series:
    """Share of each arm's patients with at least one event of type ``kind``."""
    patients = registry.patients.set_index("patient_id")["arm"]
    ids = registry.events.loc[registry.events["type"] == kind, "patient_id"].unique()
    return patients.loc[ids].value_counts() / patients.value_counts()


def test_withdrawals_and_losses_are_recorded_after_the_last_visit(registry: TrialData) -> None:
    leaving = registry.events[registry.events["type"].isin(["withdrawal", "lost_to_follow_up"])]
    # by hand: leaving at each of 18 scheduled visits with 0.5 % (MSCT) or 0.8 % (control):
    # 1 - 0.995**18 = 8.6 % and 1 - 0.992**18 = 13.5 %, 40 % of them withdrawals
    share = registry.patients.set_index("patient_id").loc[leaving["patient_id"], "arm"]
    left = share.value_counts() / registry.patients["arm"].value_counts()
    assert 0.06 <= left["MSCT"] <= 0.115
    assert 0.10 <= left["control"] <= 0.17
    assert 0.3 <= (leaving["type"] == "withdrawal").mean() <= 0.5
    last_visit = registry.visits.groupby("patient_id")["visit_date"].max()
    assert (
        leaving.set_index("patient_id")["event_date"] > last_visit.reindex(leaving["patient_id"])
    ).all()


def test_both_arms_relapse_the_control_arm_more_often(registry: TrialData) -> None:
    relapsed = _by_arm(registry, "relapse")
    # by hand: 30 % (MSCT) and 50 % (control) start to relapse between day 120 and 330;
    # recorded 28 days later if still followed: about 0.995**10 = 95 % and
    # 0.992**10 = 92 % are (ten scheduled visits before day 250)
    assert 0.23 <= relapsed["MSCT"] <= 0.33
    assert 0.40 <= relapsed["control"] <= 0.51


def test_control_flares_are_rescued_with_immunoglobulin(registry: TrialData) -> None:
    rescue = registry.medications[registry.medications["drug"] == "intravenous immunoglobulin"]
    arms = registry.patients.set_index("patient_id").loc[rescue["patient_id"], "arm"]
    assert set(arms) == {"control"}
    relapses = registry.events[registry.events["type"] == "relapse"].set_index("patient_id")
    first_relapse = relapses.groupby(level=0)["event_date"].min()
    # treated 35-59 days after the relapse began, i.e. 7-31 days after it was recorded
    gap = (rescue.set_index("patient_id")["start_date"] - first_relapse).dropna().dt.days
    assert len(gap) == len(rescue) and gap.between(7, 31).all()


def test_rare_deaths_in_both_arms_mostly_with_lung_disease(registry: TrialData) -> None:
    deaths = registry.events[registry.events["type"] == "death"]
    ild = registry.patients.set_index("patient_id")["ild"].astype(bool)
    died = ild.index.isin(deaths["patient_id"])
    # by hand: 4 %/year with ILD, 0.5 %/year without, over two years of follow-up:
    # 1 - 0.96**2 = 7.8 % and 1 - 0.995**2 = 1.0 %, less those who left before
    assert 0.04 <= died[ild.to_numpy()].mean() <= 0.11
    assert 0.003 <= died[~ild.to_numpy()].mean() <= 0.02
    assert (_by_arm(registry, "death") > 0).all()


def test_nothing_happens_after_a_death(registry: TrialData) -> None:
    deaths = registry.events[registry.events["type"] == "death"]
    death = deaths.set_index("patient_id")["event_date"]
    for table, column in (
        ("visits", "visit_date"),
        ("infusions", "infusion_date"),
        ("events", "event_date"),
    ):
        rows = registry.table(table)
        when = rows["patient_id"].map(death)
        later = rows[column] > when if table == "events" else rows[column] >= when
        assert not later.any(), table
    fatal = registry.adverse_events[registry.adverse_events["grade"] == 5]
    assert fatal.set_index("patient_id")["onset_date"].sort_index().equals(death.sort_index())
    assert fatal["serious"].all() and (fatal["outcome"] == "fatal").all()
    later_ae = registry.adverse_events["onset_date"] > registry.adverse_events["patient_id"].map(
        death
    )
    assert not later_ae.any()


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
