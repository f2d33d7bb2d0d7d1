"""The MMRM row of ``arm_comparison`` against R and against the per-visit ANCOVA.

R: ``mmrm_reference.R`` beside this file fits ``nlme::gls(change ~ 0 + time + time:arm +
time:baseline, correlation = corSymm(form = ~ tnum | id), weights = varIdent(form = ~ 1 |
time), method = "REML")`` to ``mmrm_mmt8_data.csv`` and computes the Satterthwaite df
with numDeriv; its output is ``mmrm_mmt8_expected.csv``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import myotrial
from myotrial.analysis import mmrm
from myotrial.config import Timepoint
from myotrial.synthetic import make_registry

HERE = Path(__file__).parent
TIMES = ["month1", "month3", "month6", "month12"]
TIMEPOINTS = (
    Timepoint("month1", 30, 7),
    Timepoint("month3", 90, 14),
    Timepoint("month6", 180, 21),
    Timepoint("month12", 365, 30),
)


def _expected() -> pd.Series:
    return pd.read_csv(HERE / "mmrm_mmt8_expected.csv").iloc[0]


def _wide() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = pd.read_csv(HERE / "mmrm_mmt8_data.csv")
    wide = data.pivot_table(index="id", columns="time", values="change").reindex(columns=TIMES)
    info = data.drop_duplicates("id").set_index("id").loc[wide.index]
    return (
        wide.to_numpy(float),
        (info["arm"] == "MSCT").to_numpy(float),
        info["baseline"].to_numpy(float),
    )


def test_mmrm_with_missing_visits_matches_nlme_gls_and_satterthwaite() -> None:
    y, arm, baseline = _wide()
    assert np.isnan(y).any()
    fit = mmrm.arm_difference(y, arm, baseline, TIMES.index("month12"), 0.95)
    expected = _expected()
    for key in ("estimate", "std_error", "ci_low", "ci_high", "p_value"):
        assert fit[key] == pytest.approx(expected[key], abs=1e-6), key
    assert fit["df"] == pytest.approx(expected["df"], rel=1e-5)


def test_mmrm_row_of_the_analysis_matches_r() -> None:
    trial = make_registry(200, seed=11)
    trial = replace(trial, config=replace(trial.config, timepoints=TIMEPOINTS))
    table = myotrial.analyze(trial).arm_comparison
    row = table[table["endpoint"] == "mmrm_mmt8"].iloc[0]
    expected = _expected()
    assert row["timepoint"] == "month12"
    for key in ("estimate", "ci_low", "ci_high", "p_value"):
        assert row[key] == pytest.approx(expected[key], abs=1e-6), key


def test_mmrm_with_complete_data_equals_the_per_visit_ancova() -> None:
    rng = np.random.default_rng(3)
    n = 120
    arm = (rng.random(n) < 0.5).astype(float)
    baseline = rng.normal(50, 8, n)
    lower = np.array([[3, 0, 0], [2, 3, 0], [1.5, 2, 3.0]])
    y = arm[:, None] * np.array([1.0, 2.0, 3.0]) + 0.1 * baseline[:, None]
    y = y + rng.standard_normal((n, 3)) @ lower.T
    fit = mmrm.arm_difference(y, arm, baseline, 2, 0.95)
    ols = sm.OLS(y[:, 2], sm.add_constant(np.column_stack([arm, baseline]))).fit()
    assert fit["estimate"] == pytest.approx(ols.params[1], abs=1e-9)
    assert fit["std_error"] == pytest.approx(ols.bse[1], rel=1e-7)
    assert fit["df"] == pytest.approx(n - 3, rel=1e-6)
    assert (fit["ci_low"], fit["ci_high"]) == pytest.approx(tuple(ols.conf_int()[1]), abs=1e-6)
    assert fit["p_value"] == pytest.approx(ols.pvalues[1], rel=1e-5)
