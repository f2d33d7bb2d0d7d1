"""Batched analyses equal the reference libraries on the same simulated trials.

References: statsmodels OLS / Logit / PHReg, scipy (chi-square, Fisher), lifelines
(logrank_test, CoxPHFitter). A few hundred trials go through both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from myotrial.design import analyses, model
from myotrial.design.parameters import DEFAULTS

VALUES = {k: p.value for k, p in DEFAULTS.items()}


def _design(arm: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones_like(arm), arm, baseline])


def test_ancova_equals_statsmodels_ols() -> None:
    rng = np.random.default_rng(1)
    trials = model.simulate_change(rng, {**VALUES, "mean_treatment": 12.0}, 30, 30, 300)
    got = analyses.ancova(trials.outcome, trials.baseline, 30, 0.05)
    for i in range(300):
        fit = sm.OLS(trials.outcome[i], _design(trials.arm, trials.baseline[i])).fit()
        assert got.estimate[i] == pytest.approx(fit.params[1], abs=1e-8)
        assert got.se[i] == pytest.approx(fit.bse[1], abs=1e-8)
        assert got.reject[i] == (fit.pvalues[1] < 0.05)


def test_ancova_unequal_arms_equals_statsmodels_ols() -> None:
    rng = np.random.default_rng(2)
    trials = model.simulate_log_ck(rng, VALUES, 12, 25, 50)
    got = analyses.ancova(trials.outcome, trials.baseline, 12, 0.05)
    for i in range(50):
        fit = sm.OLS(trials.outcome[i], _design(trials.arm, trials.baseline[i])).fit()
        assert got.statistic[i] == pytest.approx(fit.tvalues[1], abs=1e-8)


def test_pooled_z_squared_is_pearson_chi_square_without_correction() -> None:
    rng = np.random.default_rng(3)
    trials = model.simulate_response(rng, VALUES, 30, 30, 300)
    got = analyses.two_proportion_z(trials.outcome, 30, 0.05)
    for i in range(300):
        x0, x1 = trials.outcome[i, :30].sum(), trials.outcome[i, 30:].sum()
        table = np.array([[x0, 30 - x0], [x1, 30 - x1]])
        if table.sum(axis=0).min() == 0:
            assert got.statistic[i] == 0
            continue
        chi2 = stats.chi2_contingency(table, correction=False)[0]
        assert got.statistic[i] ** 2 == pytest.approx(chi2, abs=1e-8)
        assert got.reject[i] == (stats.chi2.sf(chi2, 1) < 0.05)


@pytest.mark.parametrize(("n0", "n1"), [(7, 9), (12, 12)])
def test_fisher_lookup_equals_scipy_fisher_exact(n0: int, n1: int) -> None:
    table = analyses.fisher_pvalues(n0, n1)
    for x0 in range(n0 + 1):
        for x1 in range(n1 + 1):
            ref = stats.fisher_exact([[x0, n0 - x0], [x1, n1 - x1]]).pvalue
            assert table[x0, x1] == pytest.approx(ref, abs=1e-10)


def test_logistic_equals_statsmodels_logit() -> None:
    rng = np.random.default_rng(4)
    trials = model.simulate_response(
        rng, {**VALUES, "response_baseline_correlation": 0.5}, 40, 40, 200
    )
    got = analyses.logistic_test(trials.outcome, trials.baseline, 40, 0.05)
    checked = 0
    for i in np.flatnonzero(got.valid)[:200]:
        centred = trials.baseline[i] - trials.baseline[i].mean()
        fit = sm.Logit(trials.outcome[i], _design(trials.arm, centred)).fit(
            method="newton", tol=1e-14, maxiter=100, disp=0
        )
        assert got.estimate[i] == pytest.approx(fit.params[1], abs=1e-8)
        assert got.se[i] == pytest.approx(fit.bse[1], abs=1e-8)
        checked += 1
    assert checked > 150


def test_mmrm_complete_data_sequential_equals_final_visit_ols() -> None:
    rng = np.random.default_rng(5)
    trials = model.simulate_repeated(rng, VALUES, 20, 20, 100)
    got = analyses.mmrm_monotone(
        trials.outcome, trials.baseline, np.ones(trials.outcome.shape, bool), 20, 0.05
    )
    for i in range(100):
        fit = sm.OLS(trials.outcome[i, :, -1], _design(trials.arm, trials.baseline[i])).fit()
        assert got.estimate[i] == pytest.approx(fit.params[1], abs=1e-8)


def test_mmrm_monotone_estimate_equals_composed_statsmodels_regressions() -> None:
    rng = np.random.default_rng(6)
    trials = model.simulate_repeated(rng, {**VALUES, "dropout_per_visit": 0.1}, 30, 30, 40)
    got = analyses.mmrm_monotone(trials.outcome, trials.baseline, trials.observed, 30, 0.05)
    for i in range(40):
        deltas: list[float] = []
        for j in range(4):
            rows = trials.observed[i, :, j]
            x = np.column_stack(
                [_design(trials.arm, trials.baseline[i]), trials.outcome[i, :, :j]]
            )[rows]
            params = sm.OLS(trials.outcome[i, rows, j], x).fit().params
            # δ_j = arm coefficient + Σ_k φ_jk δ_k (means of earlier visits propagate)
            deltas.append(params[1] + sum(params[3 + k] * deltas[k] for k in range(j)))
        assert got.estimate[i] == pytest.approx(deltas[-1], abs=1e-8)


def test_mmrm_monotone_standard_error_matches_spread_of_estimates() -> None:
    rng = np.random.default_rng(7)
    trials = model.simulate_repeated(rng, {**VALUES, "dropout_per_visit": 0.08}, 60, 60, 3000)
    got = analyses.mmrm_monotone(trials.outcome, trials.baseline, trials.observed, 60, 0.05)
    # the average model SE estimates the sampling SD of the estimate (within ~4 %)
    assert np.mean(got.se) == pytest.approx(np.std(got.estimate), rel=0.04)


def _relapse_trials(seed: int, interval: float, trials: int) -> model.Trials:
    values = {
        **VALUES,
        "visit_interval": interval,
        "dropout_per_visit": 0.05,
        "relapse_p_control": 0.8,
        "relapse_p_treatment": 0.9,
    }
    return model.simulate_relapse(np.random.default_rng(seed), values, 25, 30, trials)


def test_logrank_with_ties_equals_statsmodels_survdiff() -> None:
    from statsmodels.duration.survfunc import survdiff

    sim = _relapse_trials(8, 4.0, 300)
    got = analyses.logrank(sim.outcome, sim.event, sim.arm, 0.05, sim.observed)
    assert sim.event is not None and sim.observed is not None
    for i in range(300):
        keep = sim.observed[i]
        chi2, _ = survdiff(sim.outcome[i, keep], sim.event[i, keep].astype(int), sim.arm[keep])
        assert got.statistic[i] ** 2 == pytest.approx(chi2, abs=1e-8)


def test_logrank_with_ties_equals_lifelines() -> None:
    from lifelines.statistics import logrank_test

    sim = _relapse_trials(8, 4.0, 25)  # lifelines is slow: a second reference on fewer
    got = analyses.logrank(sim.outcome, sim.event, sim.arm, 0.05, sim.observed)
    assert sim.event is not None and sim.observed is not None
    for i in range(25):
        keep = sim.observed[i]
        c, t = keep & (sim.arm == 0), keep & (sim.arm == 1)
        ref = logrank_test(sim.outcome[i, c], sim.outcome[i, t], sim.event[i, c], sim.event[i, t])
        assert got.statistic[i] ** 2 == pytest.approx(ref.test_statistic, abs=1e-8)


def test_cox_without_ties_equals_lifelines_coxph() -> None:
    from lifelines import CoxPHFitter

    sim = _relapse_trials(9, 0.0, 15)
    got = analyses.logrank(sim.outcome, sim.event, sim.arm, 0.05, sim.observed)
    assert sim.event is not None and sim.observed is not None
    for i in range(15):
        keep = sim.observed[i]
        frame = pd.DataFrame(
            {"t": sim.outcome[i, keep], "e": sim.event[i, keep], "arm": sim.arm[keep]}
        )
        # full Newton steps and tight tolerances: lifelines' damped default stops ~1e-8 early
        options = {"step_size": 1.0, "precision": 1e-24, "r_precision": 1e-300, "max_steps": 500}
        fit = CoxPHFitter().fit(frame, "t", "e", fit_options=options)
        assert got.estimate[i] == pytest.approx(fit.params_["arm"], abs=1e-8)
        assert got.se[i] == pytest.approx(fit.standard_errors_["arm"], abs=1e-8)


def test_cox_breslow_with_ties_equals_statsmodels_phreg() -> None:
    sim = _relapse_trials(10, 4.0, 150)
    got = analyses.logrank(sim.outcome, sim.event, sim.arm, 0.05, sim.observed)
    assert sim.event is not None and sim.observed is not None
    for i in range(150):
        keep = sim.observed[i]
        fit = sm.PHReg(
            sim.outcome[i, keep],
            sim.arm[keep][:, None],
            status=sim.event[i, keep].astype(int),
            ties="breslow",
        ).fit()
        assert got.estimate[i] == pytest.approx(fit.params[0], abs=1e-8)
        assert got.se[i] == pytest.approx(fit.bse[0], abs=1e-8)
