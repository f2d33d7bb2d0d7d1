"""Simulated power agrees with closed forms computed here, independently of the code.

Each reference is written out in the test: exact binomial enumeration of the pooled
z-test, the ANCOVA noncentral-t power integrated over the F-distributed baseline
imbalance (scipy.integrate.quad), and Schoenfeld's formula. Agreement is required within
3 Monte Carlo standard errors (docs/design.md).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from myotrial.design.power import Runner, evaluate, make_spec, run_design, search_sample_size
from myotrial.design.simulate import Prior, run_tasks, tasks_for


def _z_test_power(p0: float, p1: float, n: int, alpha: float) -> float:
    x0, x1 = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    pooled = (x0 + x1) / (2 * n)
    with np.errstate(invalid="ignore", divide="ignore"):
        chi2 = (x1 / n - x0 / n) ** 2 / (pooled * (1 - pooled) * 2 / n)
    reject = np.nan_to_num(chi2) > stats.chi2.isf(alpha, 1)
    return float((stats.binom.pmf(x0, n, p0) * stats.binom.pmf(x1, n, p1) * reject).sum())


def _within(simulated: dict[str, float], reference: float, k: float = 3.0) -> None:
    assert abs(simulated["power"] - reference) <= k * simulated["mc_se"], (simulated, reference)


def test_response_power_matches_exact_binomial_enumeration() -> None:
    spec = make_spec("response", {"p_control": 0.44, "p_treatment": 0.79}, sims=40_000, seed=11)
    result = evaluate(spec, [(30, "alternative")], Runner())[(30, "alternative")]
    _within(result, _z_test_power(0.44, 0.79, 30, 0.05))


def test_response_type1_error_matches_exact_null_rejection_rate() -> None:
    spec = make_spec("response", {"p_control": 0.44, "p_treatment": 0.79}, sims=40_000, seed=12)
    result = evaluate(spec, [(30, "null")], Runner())[(30, "null")]
    _within(result, _z_test_power(0.44, 0.44, 30, 0.05))


def test_fisher_power_matches_enumeration_with_scipy_fisher_exact() -> None:
    spec = make_spec(
        "response", {"p_control": 0.3, "p_treatment": 0.8}, sims=20_000, seed=13, test="fisher"
    )
    result = evaluate(spec, [(20, "alternative")], Runner())[(20, "alternative")]
    reference = sum(
        stats.binom.pmf(x0, 20, 0.3) * stats.binom.pmf(x1, 20, 0.8)
        for x0 in range(21)
        for x1 in range(21)
        if stats.fisher_exact([[x0, 20 - x0], [x1, 20 - x1]]).pvalue <= 0.05
    )
    _within(result, reference)


def _ancova_reference(delta: float, sd: float, rho: float, n: int, alpha: float) -> float:
    df, big_n = 2 * n - 3, 2 * n
    crit = stats.t.isf(alpha / 2, df)
    se0 = math.sqrt((1 - rho**2) * sd**2 * 2 / n)

    def power(u: float) -> float:
        nc = delta / (se0 * math.sqrt(1 + u / (big_n - 2)))
        return float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))

    return integrate.quad(lambda u: power(u) * stats.f.pdf(u, 1, big_n - 2), 0, np.inf)[0]


def test_ancova_power_matches_t_test_with_reduced_variance() -> None:
    values = {"mean_control": 5, "mean_treatment": 12, "sd": 10, "correlation": 0.5}
    spec = make_spec("mmt8_change", values, sims=40_000, seed=11)
    result = evaluate(spec, [(30, "alternative")], Runner())[(30, "alternative")]
    _within(result, _ancova_reference(7, 10, 0.5, 30, 0.05))


def test_ancova_type1_error_is_alpha() -> None:
    spec = make_spec("mmt8_change", {"mean_treatment": 12}, sims=40_000, seed=14)
    _within(evaluate(spec, [(20, "null")], Runner())[(20, "null")], 0.05)


def test_mmrm_complete_data_power_matches_ancova_formula() -> None:
    values = {"mean_control": 5, "mean_treatment": 12, "sd": 10, "correlation": 0.5}
    spec = make_spec("mmrm", values, sims=20_000, seed=15)
    result = evaluate(spec, [(30, "alternative")], Runner())[(30, "alternative")]
    _within(result, _ancova_reference(7, 10, 0.5, 30, 0.05))


def test_logrank_power_matches_schoenfeld() -> None:
    values = {
        "hazard_ratio": 0.7,
        "visit_interval": 0.0,
        "relapse_median_control": 26,
        "relapse_followup": 52,
    }
    spec = make_spec("relapse", values, sims=4000, seed=16, block_size=1000)
    result = evaluate(spec, [(200, "alternative")], Runner())[(200, "alternative")]
    # Schoenfeld 1981: expected events D, power Φ(√(D/4)·|log HR| − z_{α/2})
    rate0 = math.log(2) / 26
    events = 200 * (1 - math.exp(-rate0 * 52)) + 200 * (1 - math.exp(-0.7 * rate0 * 52))
    reference = stats.norm.cdf(math.sqrt(events / 4) * abs(math.log(0.7)) - stats.norm.isf(0.025))
    _within(result, reference)


def test_logrank_type1_error_is_alpha() -> None:
    spec = make_spec("relapse", {"visit_interval": 4.0}, sims=4000, seed=17, block_size=1000)
    _within(evaluate(spec, [(100, "null")], Runner())[(100, "null")], 0.05)


def test_design_reports_analytic_power_and_type1_error() -> None:
    spec = make_spec("response", {}, sims=4000, seed=11)  # defaults: ProDERM 44 % vs 79 %
    design = run_design(spec, 30, curve=False)
    assert design["analytic_power"] == pytest.approx(_z_test_power(0.44, 0.79, 30, 0.05), abs=1e-12)
    assert abs(design["type1_error"] - 0.05) < 0.03
    assert design["parameters"]["p_control"]["source"].startswith("ProDERM")
    assert design["block_size"] == spec.block_size


def test_serial_joblib_and_dask_give_identical_counts() -> None:
    from dask.distributed import LocalCluster

    spec = make_spec("mmt8_change", {"mean_treatment": 12}, sims=3000, seed=5, block_size=500)
    tasks = tasks_for(spec, 20, "alternative") + tasks_for(spec, 20, "null")
    serial = run_tasks(tasks)
    joblib = run_tasks(tasks, jobs=2)
    # a scheduler address, as `--scheduler tcp://HOST:PORT` gives it
    with LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp",
        dashboard_address=None,
    ) as cluster:
        dask = run_tasks(tasks, scheduler=cluster.scheduler_address)
    assert serial == joblib == dask
    assert sum(t.trials for t in serial) == 6000


def test_same_seed_same_design_and_block_size_changes_streams() -> None:
    spec = make_spec("mmt8_change", {}, sims=2000, seed=3, block_size=400)
    first = run_design(spec, 10, curve=False)
    again = run_design(spec, 10, curve=False)
    other = run_design(
        make_spec("mmt8_change", {}, sims=2000, seed=3, block_size=500), 10, curve=False
    )
    assert first == again
    assert other["block_size"] == 500 and other["power"] != first["power"]


def test_search_reports_every_point_and_stops_at_the_first_size_reaching_target() -> None:
    values = {"mean_control": 5, "mean_treatment": 12, "sd": 10, "correlation": 0.5}
    spec = make_spec("mmt8_change", values, sims=2000, seed=21)
    search = search_sample_size(spec, 0.8, Runner())
    by_n = {p["n_per_arm"]: p["power"] for p in search["points"]}
    n = search["n_per_arm"]
    assert by_n[n] >= 0.8
    assert by_n[n - 1] < 0.8
    assert len(search["points"]) == len(by_n)


def test_assurance_with_a_point_prior_equals_power() -> None:
    prior = Prior("draws", draws=(12.0,))
    spec = make_spec("mmt8_change", {"mean_treatment": 12}, sims=20_000, seed=4, prior=prior)
    design = run_design(spec, 20, curve=False)
    a = design["assurance"]
    assert abs(a["assurance"] - design["power"]) <= 3 * math.hypot(a["mc_se"], design["mc_se"])


def test_assurance_averages_power_over_the_prior() -> None:
    # half the draws give no effect (success = a rejection favouring MSCT: alpha/2),
    # half a large one (power ≈ 1)
    prior = Prior("draws", draws=(5.0, 40.0))
    spec = make_spec("mmt8_change", {"mean_treatment": 40}, sims=20_000, seed=4, prior=prior)
    design = run_design(spec, 20, curve=False)
    a = design["assurance"]
    assert abs(a["assurance"] - (0.025 + 1.0) / 2) <= 3 * a["mc_se"]


def test_assurance_does_not_count_significant_harm() -> None:
    # every draw is a large harm (MSCT 20 points worse): power counts the rejections,
    # assurance none of them
    prior = Prior("draws", draws=(-15.0,))
    spec = make_spec("mmt8_change", {"mean_treatment": -15}, sims=4000, seed=4, prior=prior)
    design = run_design(spec, 20, curve=False)
    assert design["power"] > 0.99 and design["assurance"]["assurance"] == 0.0


def test_normal_prior_is_truncated_to_the_range_not_clipped() -> None:
    from scipy import stats

    from myotrial.design.simulate import draw_effects

    prior = Prior("normal", mean=0.79, sd=0.3, bounds=(0.0, 1.0))
    spec = make_spec("response", {}, sims=10, prior=prior)
    draws = draw_effects(spec, np.random.default_rng(1), 200_000)
    assert draws.min() > 0 and draws.max() < 1
    assert (draws == 1.0).mean() == 0  # clipping put 24 % of the mass at exactly 1
    # truncated normal mean (scipy.stats.truncnorm, a = -0.79/0.3, b = 0.21/0.3)
    expected = stats.truncnorm.mean(-0.79 / 0.3, 0.21 / 0.3, loc=0.79, scale=0.3)
    assert draws.mean() == pytest.approx(expected, abs=3 * 0.3 / np.sqrt(200_000))


def test_degenerate_mmrm_trials_are_counted_invalid_not_fatal() -> None:
    # 10 per arm with 10 % dropout per visit: a few simulated trials keep too few
    # patients at a visit for its regression (singular X'X); they are invalid, the
    # design still runs and reports the valid fraction
    spec = make_spec("mmrm", {"dropout_per_visit": 0.1}, sims=20_000, seed=2011)
    design = run_design(spec, 10, curve=False)
    assert 0.99 < design["valid_fraction"] < 1.0


def test_singular_regression_gives_nan_for_that_trial_only() -> None:
    from myotrial.design.analyses import batched_ols

    rng = np.random.default_rng(0)
    x = np.stack([np.ones((2, 6)), rng.normal(size=(2, 6))], axis=2)
    x[1, :, 1] = 3.0  # constant regressor: X'X singular in trial 1
    beta, cov, _ = batched_ols(x, rng.normal(size=(2, 6)), np.ones((2, 6)))
    assert np.all(np.isfinite(beta[0])) and np.all(np.isnan(beta[1]))
    assert np.all(np.isfinite(cov[0]))


def test_relapse_dropout_applies_in_continuous_time() -> None:
    from myotrial.design import model
    from myotrial.design.parameters import DEFAULTS

    values = {k: p.value for k, p in DEFAULTS.items()}
    values.update(visit_interval=0.0, dropout_per_visit=0.2, hazard_ratio=1.0)
    sim = model.simulate_relapse(np.random.default_rng(3), values, 50, 50, 4000)
    assert sim.event is not None
    # relapse hazard λ = ln 2/26 per week, dropout hazard μ = −ln(0.8)/4 per week,
    # follow-up 52 weeks: P(relapse observed) = λ/(λ + μ)·(1 − exp(−(λ + μ)·52))
    lam, mu = math.log(2) / 26, -math.log(0.8) / 4
    expected = lam / (lam + mu) * (1 - math.exp(-(lam + mu) * 52))
    observed = sim.event.mean()
    assert observed == pytest.approx(
        expected, abs=3 * math.sqrt(expected * (1 - expected) / sim.event.size)
    )
    assert observed < 1 - math.exp(-lam * 52) - 0.1  # without dropout far more relapses
    from myotrial.design.analytic import relapse_event_probability

    assert relapse_event_probability(values, 1.0) == pytest.approx(expected, rel=1e-12)
