"""The report's numbers agree with themselves on a two-arm registry: every count of the
summary sentence equals the table it summarises (relapse table, response table,
summary.json), control and unscorable patients included."""

from __future__ import annotations

import re

import pytest

import myotrial
from myotrial.report import narrative, sections
from myotrial.synthetic import make_registry
from myotrial.trialdata import TrialData


@pytest.fixture(scope="module")
def trial() -> TrialData:
    return make_registry(600, seed=3)


@pytest.fixture(scope="module")
def result(trial: TrialData) -> myotrial.AnalysisResult:
    return myotrial.analyze(trial)


def _numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


def test_registry_has_control_patients_and_unscorable_first_courses(
    result: myotrial.AnalysisResult,
) -> None:
    counts = result.summary["headline"]
    assert counts["first_courses_not_scored"] > 0
    assert result.summary["counts"]["patients"] > result.summary["counts"]["treated_patients"]


def test_summary_sentence_counts_equal_the_relapse_table(
    result: myotrial.AnalysisResult,
) -> None:
    sentence = narrative.key_results(result, 20.0)[1]
    rows = dict(sections.relapse_rows(result))
    responded = _numbers(rows["Responded in the first course (best of its visits)"])[:2]
    relapsed = _numbers(rows["Relapsed after responding"])[:2]
    not_scored = int(rows["First courses without a scorable visit"])
    again = _numbers(rows["Responded again after re-treatment"])[:2]
    said = _numbers(sentence)
    # "R of S patients (P %) reached ... (TIS ≥ 20) ...; X of them relapsed; U first
    # course(s) ...; and A of B re-treatment courses ..."
    assert said[:2] == responded
    assert said[4] == relapsed[0] and relapsed[1] == responded[0]
    assert said[5] == not_scored
    assert said[6:8] == again


def test_relapse_table_equals_the_response_table_and_summary_json(
    result: myotrial.AnalysisResult,
) -> None:
    response = result.response
    any_visit = response[
        (response["episode"] == 1)
        & (response["timepoint"] == "any visit")
        & (response["criterion"] == "tis_minimal")
    ].iloc[0]
    counts = result.summary["headline"]
    assert (any_visit["responders"], any_visit["n"]) == (
        counts["first_course_responders"],
        counts["first_courses_scored"],
    )
    first = result.episodes[result.episodes["episode"] == 1]
    assert counts["first_courses"] == len(first)
    assert counts["first_courses_scored"] + counts["first_courses_not_scored"] == len(first)


def test_primary_result_sentence_reads_the_arm_comparison_row(
    result: myotrial.AnalysisResult,
) -> None:
    sentence = narrative.primary_sentence(result)
    row = result.arm_comparison.iloc[0]
    assert sentence is not None and row["population"] == "itt_nri"
    assert f"{row['n_treatment']} MSCT and {row['n_control']} control" in sentence


def _courses_by_hand(trial: TrialData) -> dict[int, int]:
    """Courses per episode number from the infusions: a gap over 28 days opens a course;
    episode 0 (since study entry) has one per first course."""
    infusions = trial.infusions.sort_values(["patient_id", "infusion_date"])
    gap = infusions.groupby("patient_id")["infusion_date"].diff().dt.days
    number = (gap.isna() | (gap > 28)).groupby(infusions["patient_id"]).cumsum()
    counts = number[gap.isna() | (gap > 28)].value_counts().to_dict()
    return {0: counts[1], **counts}


def test_response_table_counts_every_course_without_a_score_as_unscorable(
    trial: TrialData, result: myotrial.AnalysisResult
) -> None:
    response = result.response
    courses = response["episode"].map(_courses_by_hand(trial))
    assert (response["n"] + response["unscorable"] == courses).all()
    assert (response["unscorable"] > 0).any()
    assert response["proportion_nri"].to_numpy() == pytest.approx(
        (response["responders"] / courses).to_numpy()
    )
    assert (response["denominator"].str.contains("unscorable courses not counted")).all()


def test_any_visit_unscorable_count_is_the_headline_count(
    result: myotrial.AnalysisResult,
) -> None:
    response = result.response
    first = response[
        (response["episode"] == 1)
        & (response["timepoint"] == "any visit")
        & (response["criterion"] == "tis_minimal")
    ].iloc[0]
    assert first["unscorable"] == result.summary["headline"]["first_courses_not_scored"]


def test_report_response_table_shows_the_unscorable_courses(
    trial: TrialData, result: myotrial.AnalysisResult
) -> None:
    from myotrial.report.tables import response_table

    table = response_table(result.response, 1)
    any_visit = next(row for row in table.rows if row[0].lower().startswith("any visit"))
    counts = result.summary["headline"]
    cell = any_visit[1]
    assert f"{counts['first_courses_not_scored']} unscorable" in cell
    assert f"{counts['first_course_responders']}/{counts['first_courses']}" in cell
