"""The report of a controlled trial: CONSORT, Table 1 by arm, the comparison and forest
plot, safety by arm; the numbers are those of the analysis tables."""

from __future__ import annotations

import re

import pytest

import myotrial
from myotrial.report import render_report
from myotrial.report.arms import flow_counts
from myotrial.synthetic import make_registry
from myotrial.trialdata import TrialData


@pytest.fixture(scope="module")
def trial() -> TrialData:
    return make_registry(300, seed=8)


@pytest.fixture(scope="module")
def result(trial: TrialData) -> myotrial.AnalysisResult:
    return myotrial.analyze(trial)


@pytest.fixture(scope="module")
def html(trial: TrialData, result: myotrial.AnalysisResult) -> str:
    return render_report(trial, result)


def _section(html: str, key: str) -> str:
    match = re.search(rf'<section id="{key}".*?</section>', html, re.S)
    assert match is not None, key
    return match.group(0)


def test_consort_section_holds_an_inline_svg_with_the_allocation(
    html: str, trial: TrialData
) -> None:
    consort = _section(html, "consort")
    assert "<svg" in consort
    controls = int((trial.patients["arm"] == "control").sum())
    assert f"Allocated to control: {controls}" in consort
    assert f"Randomised: {len(trial.patients)}" in consort


def test_flow_counts_lost_patients_with_their_reasons(
    trial: TrialData, result: myotrial.AnalysisResult
) -> None:
    counts = flow_counts(trial, result)
    leaving = trial.events[trial.events["type"].isin(["withdrawal", "lost_to_follow_up", "death"])]
    assert not leaving.duplicated("patient_id").any(), "one way of leaving per patient"
    arm = trial.patients.set_index("patient_id")["arm"]
    for name in ("MSCT", "control"):
        mine = leaving[leaving["patient_id"].map(arm) == name]
        assert counts["arms"][name]["left"] == len(mine)
        for kind, n in mine["type"].value_counts().items():
            assert f"{kind.replace('_', ' ')} {n}" in counts["arms"][name]["reasons"]
    assert {"withdrawal", "lost_to_follow_up", "death"} <= set(leaving["type"])
    assert counts["arms"]["MSCT"]["received"] == trial.infusions["patient_id"].nunique()


def test_arm_comparison_section_has_the_table_and_forest_plot(
    html: str, result: myotrial.AnalysisResult
) -> None:
    section = _section(html, "arm-comparison")
    assert 'id="table-arm-comparison"' in section and 'id="figure-forest-arms"' in section
    assert section.count("<tr>") >= len(result.arm_comparison) + 1
    assert "Safety by arm" in section


def test_table1_shows_each_arm_and_overall_with_control_values(html: str) -> None:
    table = re.search(r'id="table-table1".*?</table>', html, re.S)
    assert table is not None
    header = table.group(0).split("</thead>")[0]
    assert "MSCT" in header and "control" in header and "Overall" in header
    mmt = re.search(r"<tr><th scope=\"row\">MMT-8[^<]*</th>(.*?)</tr>", table.group(0), re.S)
    assert mmt is not None and "–" not in mmt.group(1)


def _table1_cells(html: str, label: str) -> list[str]:
    table = re.search(r'id="table-table1".*?</table>', html, re.S)
    assert table is not None
    row = re.search(rf'<tr><th scope="row">{re.escape(label)}</th>(.*?)</tr>', table.group(0), re.S)
    assert row is not None, label
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)


def test_table1_gives_the_n_of_known_baseline_values_in_each_column(
    html: str, trial: TrialData
) -> None:
    # by hand: the last visit in the 30 days up to randomisation, and whether its MMT-8
    # is recorded; the columns are MSCT, control, overall
    visits = trial.visits.merge(trial.patients[["patient_id", "arm", "randomisation_date"]])
    day = (visits["visit_date"] - visits["randomisation_date"]).dt.days
    base = visits[day.between(-30, 0)].sort_values("visit_date").groupby("patient_id").tail(1)
    base = trial.patients[["patient_id", "arm"]].merge(base[["patient_id", "mmt8"]], how="left")
    known = base.dropna(subset=["mmt8"]).groupby("arm").size()
    arms = trial.patients.groupby("arm").size()
    assert (known < arms).all(), "the registry leaves some baseline MMT-8 missing"
    cells = _table1_cells(html, "MMT-8")
    expected = [known["MSCT"], known["control"], known.sum()]
    assert [re.search(r"\(n = (\d+)\)", c).group(1) for c in cells] == [str(n) for n in expected]
    # age is known for everyone: no n beside it
    assert not any("n =" in c for c in _table1_cells(html, "Age (years)"))


def test_every_table_has_rows_and_every_comparison_an_estimate(
    result: myotrial.AnalysisResult,
) -> None:
    from myotrial.analysis.result import TABLE_NAMES

    assert [name for name in TABLE_NAMES if getattr(result, name).empty] == []
    table = result.arm_comparison
    assert table[["estimate", "ci_low", "ci_high", "p_value"]].notna().all().all(), table
    incidence = result.relapse[result.relapse["curve"] == "relapse_incidence_from_randomisation"]
    by_arm = incidence.groupby("arm")[["events", "competing"]].sum()
    assert set(by_arm.index) == {"MSCT", "control"} and (by_arm["events"] > 0).all()
    assert by_arm["competing"].sum() > 0


def test_deaths_agree_across_the_safety_tables_and_the_consort_diagram(
    trial: TrialData, result: myotrial.AnalysisResult
) -> None:
    deaths = trial.events[trial.events["type"] == "death"]
    assert len(deaths) > 0
    summary = result.safety_summary.set_index("item")
    assert summary.loc["deaths", "patients"] == deaths["patient_id"].nunique()
    by_arm = result.safety_by_arm[result.safety_by_arm["item"] == "deaths"]
    assert by_arm["patients"].sum() == deaths["patient_id"].nunique()
    counts = flow_counts(trial, result)
    said = sum(
        int(m.group(1))
        for a in counts["arms"].values()
        for m in [re.search(r"death (\d+)", a["reasons"])]
        if m
    )
    assert said == deaths["patient_id"].nunique()
