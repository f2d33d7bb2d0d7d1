"""Interim looks: conditional and predictive power by hand, decisions, the planned test
on a synthetic two-arm trial part-way through accrual, the record of looks, and the
open report's blindness."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from myotrial.cli import main
from myotrial.design.interim import (
    SequentialPlan,
    boundaries_at,
    conditional_power,
    decide,
    interim_look,
    predictive_probability,
)
from myotrial.design.planned import planned_test
from myotrial.design.sequential import Spending, design_boundaries, efficacy_boundaries
from myotrial.ingest.writer import write_trial_folder
from myotrial.services.interim import data_as_of, run_interim
from myotrial.synthetic import make_registry

KEYS = [
    "information_fraction",
    "z",
    "efficacy_boundary",
    "futility_boundary",
    "decision",
    "conditional_power_design",
    "conditional_power_trend",
    "predictive_probability",
]
PLAN = SequentialPlan((1 / 3, 2 / 3, 1.0), 0.025, 0.2, "obf", "obf", False, 2.95)


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def test_conditional_power_is_the_b_value_formula() -> None:
    # z = 1.2 at t = 0.4, c_K = 2.0, θ = 2.8: B = 1.2·√0.4 = 0.758947,
    # CP = 1 − Φ((2.0 − 0.758947 − 2.8·0.6)/√0.6) = 1 − Φ(−0.566678) = 0.714533
    b = 1.2 * math.sqrt(0.4)
    hand = 1 - _phi((2.0 - b - 2.8 * 0.6) / math.sqrt(0.6))
    assert hand == pytest.approx(0.714533, abs=1e-6)
    assert conditional_power(1.2, 0.4, 2.0, 2.8) == pytest.approx(hand, abs=1e-12)


def test_trend_conditional_power_uses_theta_b_over_t() -> None:
    # θ = B/t = z/√t: CP = 1 − Φ((c − z/√t)/√(1 − t) · ... ) by hand
    z, t, c = 0.9, 0.5, 2.1
    b = z * math.sqrt(t)
    hand = 1 - _phi((c - b - (b / t) * (1 - t)) / math.sqrt(1 - t))
    result, *_ = interim_look(SequentialPlan((0.5, 1.0), 0.025, 0.2, "obf", None, False, 2.8), z, t)
    final = efficacy_boundaries(
        [0.5, 1.0], [float(a) for a in Spending("obf").cumulative(np.array([0.5, 1.0]), 0.025)]
    )[-1]
    hand = 1 - _phi((final - b - (b / t) * (1 - t)) / math.sqrt(1 - t))
    assert result.conditional_power_trend == pytest.approx(hand, abs=1e-12)
    assert c  # the hand formula above is the one in docs/design.md


def test_predictive_probability_limits() -> None:
    # a prior of SD → 0 gives the conditional power at the prior mean; a flat prior gives
    # 1 − Φ((c√t − z)/√(1 − t)) (Spiegelhalter et al. 1986)
    z, t, c = 1.1, 0.45, 2.0
    assert predictive_probability(z, t, c, 2.5, 1e-6) == pytest.approx(
        conditional_power(z, t, c, 2.5), abs=1e-9
    )
    flat = 1 - _phi((c * math.sqrt(t) - z) / math.sqrt(1 - t))
    assert predictive_probability(z, t, c, 0.0, 1e6) == pytest.approx(flat, abs=1e-9)


@pytest.mark.parametrize(
    ("z", "final", "decision"),
    [
        (3.0, False, "stop_efficacy"),
        (-1.0, False, "stop_futility"),
        (1.0, False, "continue"),
        (1.0, True, "stop_futility"),
    ],
)
def test_decisions(z: float, final: bool, decision: str) -> None:
    assert decide(z, 2.5, -0.5, final) == decision


def test_boundaries_at_the_planned_rates_are_the_design_boundaries() -> None:
    efficacy, futility = boundaries_at(PLAN, [1 / 3, 2 / 3, 1.0])
    design = design_boundaries([1 / 3, 2 / 3, 1.0], 0.025, 0.2, Spending("obf"))
    np.testing.assert_allclose(efficacy, design.efficacy, atol=1e-10)
    assert futility is not None and futility[-1] == efficacy[-1]


def test_a_recorded_earlier_look_changes_the_spending_at_the_next() -> None:
    alone, rates_alone, *_ = interim_look(PLAN, 1.0, 0.5)
    second, rates, *_ = interim_look(PLAN, 1.0, 0.5, earlier=[0.25])
    assert rates_alone == [0.5, 2 / 3, 1.0] and rates == [0.25, 0.5, 1.0]
    spent = [float(a) for a in Spending("obf").cumulative(np.array(rates), 0.025)]
    assert second.efficacy_boundary == pytest.approx(
        efficacy_boundaries(rates, spent)[1], abs=1e-12
    )
    assert second.efficacy_boundary > alone.efficacy_boundary  # alpha went to look 1


@pytest.fixture(scope="module")
def registry():
    return make_registry(160, seed=3)


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    args = ["design", "--endpoint", "mmt8_change", "--mean-control", "5", "--mean-treatment", "8"]
    args += ["--sd", "14", "--n-per-arm", "60", "--looks", "3", "--futility", "obf"]
    args += ["--sims", "400", "--no-curve", "-o", str(path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return path


def _comparison_row(trial, endpoint: str, population: str):
    """The row of `myotrial analyze`'s arm_comparison table (its own tests check it
    against statsmodels, lifelines and R) for the data cut."""
    from myotrial.analysis.api import analyze
    from myotrial.design.planned import with_primary

    table = analyze(with_primary(trial)).arm_comparison
    return table[(table["endpoint"] == endpoint) & (table["population"] == population)].iloc[0]


def test_planned_ancova_z_is_the_comparison_p_value_as_a_signed_z(registry, plan_file) -> None:
    cut = data_as_of(registry, pd.Timestamp("2016-06-30"))
    design = json.loads(plan_file.read_text())
    test = planned_test(cut, design)
    row = _comparison_row(cut, "mmt8_change", "complete_case")
    # two-sided p → one-sided tail p/2 on the side of the estimate (MSCT better: +)
    expected = math.copysign(stats.norm.isf(row["p_value"] / 2), row["estimate"])
    assert test.z == pytest.approx(expected, rel=1e-12)
    assert test.estimate == pytest.approx(row["estimate"], rel=1e-12)
    assert test.information == row["n_treatment"] + row["n_control"] < len(cut.patients)


def test_a_fall_in_ck_and_a_hazard_ratio_below_one_favour_msct() -> None:
    from myotrial.design.planned import oriented_z

    assert oriented_z("log_ck", -0.5, 0.05) == pytest.approx(stats.norm.isf(0.025))
    assert oriented_z("relapse", 0.6, 0.05) == pytest.approx(stats.norm.isf(0.025))
    assert oriented_z("mmt8_change", -3.0, 0.05) == pytest.approx(-stats.norm.isf(0.025))
    assert oriented_z("relapse", float("nan"), 0.3) == 0.0


def test_interim_cli_part_way_through_accrual(registry, plan_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "trial"
    write_trial_folder(registry, folder)
    record = tmp_path / "looks.json"
    args = ["interim", "--plan", str(plan_file), str(folder), "-o", str(tmp_path / "out")]
    args += ["--as-of", "2016-03-31", "--record", str(record), "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    first = json.loads(result.output)
    assert list(first) == KEYS
    design = json.loads(plan_file.read_text())
    n_max = design["max_n_per_arm"] + design["group_sequential"]["max_n_treatment"]
    cut = data_as_of(registry, pd.Timestamp("2016-03-31"))
    row = _comparison_row(cut, "mmt8_change", "complete_case")  # patients at week 24
    analysed = int(row["n_treatment"] + row["n_control"])
    assert first["information_fraction"] == pytest.approx(analysed / n_max, abs=1e-12)
    assert 0 < first["information_fraction"] < 1
    # conditional power under the design: the B-value formula by hand with c_K from the
    # rpact-checked boundaries at this look's rates
    t, z = first["information_fraction"], first["z"]
    rates = [t, 2 / 3, 1.0]
    c_k = design_boundaries(rates, 0.025, 0.2, Spending("obf")).efficacy[-1]
    theta = design["group_sequential"]["drift"]
    hand = 1 - _phi((c_k - z * math.sqrt(t) - theta * (1 - t)) / math.sqrt(1 - t))
    assert first["conditional_power_design"] == pytest.approx(hand, abs=1e-9)
    trend = 1 - _phi((c_k - z * math.sqrt(t) - z / math.sqrt(t) * (1 - t)) / math.sqrt(1 - t))
    assert first["conditional_power_trend"] == pytest.approx(trend, abs=1e-9)
    args[args.index("2016-03-31")] = "2016-09-30"
    second = json.loads(CliRunner().invoke(main, args).output)
    looks = json.loads(record.read_text())["looks"]
    assert [r["look"] for r in looks] == [1, 2]
    assert [r["as_of"] for r in looks] == ["2016-03-31", "2016-09-30"]
    assert looks[1]["information_fraction"] == second["information_fraction"]
    assert (tmp_path / "out" / "closed.html").exists()


def test_a_look_before_a_recorded_one_is_refused(registry, plan_file: Path, tmp_path: Path) -> None:
    record = tmp_path / "looks.json"
    run_interim(plan_file, registry, tmp_path / "a", as_of="2016-06-30", record=record)
    with pytest.raises(Exception, match="date order"):
        run_interim(plan_file, registry, tmp_path / "b", as_of="2016-01-31", record=record)


def test_open_report_has_no_number_computed_per_arm(
    registry, plan_file: Path, tmp_path: Path
) -> None:
    # shuffle which patients are in which arm: a page with any per-arm number would
    # change; the open report must not
    rng = np.random.default_rng(0)
    shuffled = registry.with_tables(
        patients=registry.patients.assign(arm=rng.permutation(registry.patients["arm"].to_numpy()))
    )
    pages = []
    for trial, name in ((registry, "a"), (shuffled, "b")):
        run_interim(
            plan_file,
            trial,
            tmp_path / name,
            as_of="2016-06-30",
            record=tmp_path / f"{name}.json",
            unblinded=False,
        )
        pages.append((tmp_path / name / "open.html").read_text())
        assert not (tmp_path / name / "closed.html").exists()
    assert pages[0] == pages[1]
    assert "control" not in pages[0].lower() and "by arm" not in pages[0]


def test_closed_report_is_by_arm(registry, plan_file: Path, tmp_path: Path) -> None:
    run_interim(plan_file, registry, tmp_path, as_of="2016-06-30", record=tmp_path / "r.json")
    page = (tmp_path / "closed.html").read_text()
    assert "Safety by arm" in page and "MSCT" in page and "control" in page
    assert "<svg" in page and "Serious adverse events" in page


def test_a_fixed_design_is_not_a_plan(tmp_path: Path, registry) -> None:
    plan = tmp_path / "fixed.json"
    CliRunner().invoke(main, ["design", "--sims", "200", "--no-curve", "-o", str(plan)])
    with pytest.raises(Exception, match="group-sequential"):
        run_interim(plan, registry, tmp_path / "out")
