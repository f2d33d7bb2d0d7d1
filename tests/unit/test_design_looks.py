"""Group-sequential trials simulated at patient level: looks, stops, type I error."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import statsmodels.api as sm
from click.testing import CliRunner

from myotrial.cli import main
from myotrial.design import looks
from myotrial.design.power import Runner, group_sequential, make_spec
from myotrial.design.sequential import Spending, design_boundaries
from myotrial.design.simulate import run_look_block, run_tasks, tasks_for

OBF3 = design_boundaries([1 / 3, 2 / 3, 1], 0.025, 0.2, Spending("obf"))
OBF3_FUTILITY = design_boundaries(
    [1 / 3, 2 / 3, 1], 0.025, 0.2, Spending("obf"), Spending("obf"), binding=True
)
NULL_CASES = {
    "response": {},
    "mmt8_change": {"mean_treatment": 12, "mean_control": 5, "sd": 10},
    "log_ck": {},
    "mmrm": {"dropout_per_visit": 0.1},
    "relapse": {},
}


def _gs(endpoint: str, overrides: dict[str, float], bounds=OBF3, sims: int = 4000, n: int = 30):
    spec = make_spec(endpoint, overrides, sims=sims, seed=17, block_size=1000)
    return group_sequential(replace(spec, boundaries=bounds), n, Runner())


@pytest.mark.parametrize("endpoint", sorted(NULL_CASES))
def test_simulated_type1_error_is_within_three_mc_se_of_half_alpha(endpoint: str) -> None:
    gs = _gs(endpoint, NULL_CASES[endpoint])["group_sequential"]
    se = np.sqrt(0.025 * 0.975 / 4000)
    assert abs(gs["type1_error"] - 0.025) < 3 * se, gs["type1_error"]


@pytest.mark.parametrize("endpoint", ["mmt8_change", "relapse"])
def test_binding_futility_keeps_type1_error_with_futility_stops(endpoint: str) -> None:
    gs = _gs(endpoint, NULL_CASES[endpoint], OBF3_FUTILITY)["group_sequential"]
    se = np.sqrt(0.025 * 0.975 / 4000)
    assert abs(gs["type1_error"] - 0.025) < 3 * se
    assert gs["null"]["rejection_probability"] == gs["type1_error"]  # binding: same rule


def test_null_efficacy_stops_per_look_spend_the_planned_alpha() -> None:
    # large arms: the pooled z is close to normal, so look k stops with probability
    # alpha(t_k) − alpha(t_{k−1}) of the O'Brien-Fleming-type spending function
    gs = _gs("response", {}, sims=20_000, n=300)["group_sequential"]["null"]
    planned = np.diff([0.0, *OBF3.cumulative_alpha])
    se = np.sqrt(planned * (1 - planned) / 20_000)
    assert np.all(np.abs(np.asarray(gs["stop_efficacy"]) - planned) < 3 * se + 1e-4)


def test_stops_and_sizes_add_up() -> None:
    design = _gs("mmt8_change", NULL_CASES["mmt8_change"], OBF3_FUTILITY)
    gs = design["group_sequential"]
    assert sum(gs["stop_efficacy"]) + sum(gs["stop_futility"]) == pytest.approx(1.0)
    assert design["max_n_per_arm"] == int(np.ceil(OBF3_FUTILITY.inflation_factor * 30))
    assert gs["expected_n_analysed"] <= 2 * design["max_n_per_arm"]
    assert gs["expected_n_enrolled"] >= gs["expected_n_analysed"]


def test_first_stop_takes_the_first_crossing() -> None:
    stat = np.array([[3.0, 0.0, 0.0], [0.5, 2.6, 0.0], [-1.0, 3.0, 3.0], [0.5, 1.0, 1.5]])
    look, reject = looks.first_stop(stat, np.array([2.9, 2.5, 2.0]), np.array([-0.5, 1.1, 2.0]))
    assert look.tolist() == [0, 1, 0, 1]
    assert reject.tolist() == [True, True, False, False]


def test_prefix_ancova_equals_statsmodels_on_the_analysed_patients() -> None:
    rng = np.random.default_rng(4)
    outcome, baseline = rng.normal(size=(3, 20)), rng.normal(40, 10, size=(3, 20))
    m0, m1 = np.array([4, 7, 10]), np.array([5, 6, 10])
    t = looks.prefix_ancova(outcome, baseline, 10, m0, m1)
    for i in range(3):
        for k in range(3):
            rows = np.r_[np.arange(m0[k]), 10 + np.arange(m1[k])]
            arm = (rows >= 10).astype(float)
            x = np.column_stack([np.ones(len(rows)), arm, baseline[i, rows]])
            fit = sm.OLS(outcome[i, rows], x).fit()
            assert t[i, k] == pytest.approx(fit.tvalues[1], rel=1e-9)


def test_prefix_proportions_equal_the_pooled_z_by_hand() -> None:
    outcome = np.array([[1, 0, 1, 0, 1, 1, 1, 1, 0, 1]], float)  # 5 control, 5 MSCT
    z = looks.prefix_proportions(outcome, 5, np.array([3, 5]), np.array([3, 5]))
    # look 1: control 2/3, MSCT 3/3, pooled 5/6: z = (1 − 2/3)/sqrt(5/6·1/6·(2/3))
    assert z[0, 0] == pytest.approx((1 / 3) / np.sqrt(5 / 36 * 2 / 3), rel=1e-12)
    # look 2: control 3/5, MSCT 4/5, pooled 7/10
    assert z[0, 1] == pytest.approx(0.2 / np.sqrt(0.21 * 0.4), rel=1e-12)


def test_arms_among_the_first_patients_follow_the_allocation_ratio() -> None:
    m0, m1 = looks.arm_sizes(20, 40, np.array([9, 30, 60]))
    assert m0.tolist() == [3, 10, 20] and m1.tolist() == [6, 20, 40]


def test_expected_enrolled_at_a_look_matches_simulated_uniform_entry() -> None:
    # 60 patients entering uniformly over 52 weeks; at the look when the 30th reaches
    # week 24, the enrolled are those who entered up to 24 weeks after the 30th:
    # simulate the 60 entry times and count (independent check of the integral)
    got = looks.expected_enrolled(60, (30, 45, 60), 52.0)
    entry = np.sort(np.random.default_rng(2).random((40_000, 60)) * 52.0, axis=1)
    for k, n in enumerate((30, 45)):
        direct = (entry <= entry[:, n - 1 : n] + 24.0).sum(axis=1)
        assert got[k] == pytest.approx(direct.mean(), abs=0.05)
    assert got[2] == 60


def test_look_blocks_identical_serially_with_joblib_and_dask() -> None:
    from dask.distributed import LocalCluster

    spec = replace(
        make_spec("mmt8_change", {"mean_treatment": 12}, sims=1500, seed=5, block_size=500),
        boundaries=OBF3_FUTILITY,
    )
    tasks = tasks_for(spec, 20, "alternative")
    serial = run_tasks(tasks, worker=run_look_block)
    joblib = run_tasks(tasks, jobs=2, worker=run_look_block)
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        dask = run_tasks(tasks, scheduler=cluster.scheduler_address, worker=run_look_block)
    assert serial == joblib == dask
    assert sum(t.trials for t in serial) == 1500


def test_design_json_has_boundaries_with_exactly_the_listed_keys() -> None:
    args = ["design", "--endpoint", "mmt8_change", "--n-per-arm", "20", "--sims", "400"]
    args += ["--looks", "3", "--info-rates", "0.33,0.67,1", "--spending", "hsd:-4"]
    args += ["--futility", "pocock", "--binding", "--accrual-months", "18", "--json", "--no-curve"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    design = json.loads(result.output)
    keys = {"look", "info_rate", "efficacy_z", "futility_z", "cumulative_alpha", "cumulative_beta"}
    assert [set(row) for row in design["boundaries"]] == [keys] * 3
    assert [row["info_rate"] for row in design["boundaries"]] == [0.33, 0.67, 1.0]
    assert design["inflation_factor"] > 1 and design["max_n_per_arm"] >= 20
    assert design["group_sequential"]["accrual_months"] == 18
    assert design["group_sequential"]["binding"] is True


def test_fixed_design_json_has_no_boundaries() -> None:
    args = ["design", "--endpoint", "mmt8_change", "--sims", "200", "--json", "--no-curve"]
    design = json.loads(CliRunner().invoke(main, args).output)
    assert "boundaries" not in design


@pytest.mark.parametrize(
    ("option", "value"),
    [("--spending", "obrien"), ("--futility", "hsd:x"), ("--info-rates", "0.5,0.4,1")],
)
def test_bad_sequential_options_say_what_to_give(option: str, value: str) -> None:
    args = ["design", "--endpoint", "mmt8_change", "--sims", "200", "--looks", "3", option, value]
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert value in result.output or "information rates" in result.output


CHANGE_VALUES = {
    "correlation": 0.5,
    "sd": 10.0,
    "mmt8_baseline_mean": 110.0,
    "mean_control": 5.0,
    "mean_treatment": 12.0,
}


def _statsmodels_looks(trials: int, n_arm: int, m0, m1) -> np.ndarray:
    """Reference: patients drawn one by one, statsmodels OLS at every look."""
    from myotrial.design import model

    sim = model.simulate_change(np.random.default_rng(8), CHANGE_VALUES, n_arm, n_arm, trials)
    out = np.empty((trials, len(m0)))
    for i in range(trials):
        for k in range(len(m0)):
            rows = np.r_[np.arange(m0[k]), n_arm + np.arange(m1[k])]
            x = np.column_stack([np.ones(len(rows)), sim.arm[rows], sim.baseline[i, rows]])
            out[i, k] = sm.OLS(sim.outcome[i, rows], x).fit().tvalues[1]
    return out


def test_change_looks_draw_the_statistic_of_the_patient_level_trial() -> None:
    # the sufficient-statistic draw must give the ANCOVA t its patient-level law at
    # every look and jointly (the increments between looks): two-sample KS tests
    # against statsmodels fits on patients drawn one by one, at fixed seeds
    from scipy import stats

    plan = looks.LookPlan((1 / 3, 2 / 3, 1.0), OBF3.efficacy, None, False, 12.0)
    m0, m1 = looks.arm_sizes(12, 12, looks.look_sizes(plan, 24))
    reference = _statsmodels_looks(1500, 12, m0, m1)
    drawn = looks.change_looks(
        np.random.default_rng(9), CHANGE_VALUES, plan, 12, 12, 40_000
    ).statistic
    for k in range(3):
        assert stats.ks_2samp(drawn[:, k], reference[:, k]).pvalue > 0.01, k
    for k in (1, 2):
        step = stats.ks_2samp(drawn[:, k] - drawn[:, k - 1], reference[:, k] - reference[:, k - 1])
        assert step.pvalue > 0.01, k


def test_change_moments_have_the_wishart_moments_of_the_patients() -> None:
    # per arm, with m patients: E[Sxx] = (m−1)·sd², E[Sxy] = (m−1)·(rho−1)·sd²,
    # E[Syy] = (m−1)·2(1−rho)·sd², Var[Sxx] = 2(m−1)·sd⁴; the means are N(mu, sd²/m)
    # and N(mean, 2(1−rho)·sd²/m); a look adding 0 or 1 patient keeps the edge cases
    from myotrial.design import model

    trials, sd, rho = 200_000, 10.0, 0.5
    counts = np.array([1.0, 1.0, 4.0, 9.0])
    control, _ = model.simulate_change_moments(
        np.random.default_rng(3), CHANGE_VALUES, trials, counts, counts
    )
    var_change = 2 * (1 - rho) * sd**2
    assert np.all(control.sxx[:, :2] == 0) and np.all(control.syy[:, :2] == 0)
    for k, m in enumerate(counts):
        expected = {
            "sxx": (m - 1) * sd**2,
            "sxy": (m - 1) * (rho - 1) * sd**2,
            "syy": (m - 1) * var_change,
        }
        for name, mean in expected.items():
            got = getattr(control, name)[:, k]
            assert got.mean() == pytest.approx(mean, abs=5 * got.std() / np.sqrt(trials) + 1e-9)
        sxx = control.sxx[:, k]
        assert sxx.var() == pytest.approx(2 * (m - 1) * sd**4, rel=0.03, abs=1e-9)
        x, y = control.mean_x[:, k], control.mean_y[:, k]
        assert x.mean() == pytest.approx(110.0, abs=5 * sd / np.sqrt(m * trials))
        assert x.var() == pytest.approx(sd**2 / m, rel=0.02)
        assert y.mean() == pytest.approx(5.0, abs=5 * np.sqrt(var_change / (m * trials)))
        assert y.var() == pytest.approx(var_change / m, rel=0.02)
