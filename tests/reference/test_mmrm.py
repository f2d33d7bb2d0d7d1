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
from myotrial.trialdata import TrialData

HERE = Path(__file__).parent
TIMES = ["month1", "month3", "month6", "month12"]
TIMEPOINTS = (
    Timepoint("month1", 30, 7),
    Timepoint("month3", 90, 14),
    Timepoint("month6", 180, 21),
    Timepoint("month12", 365, 30),
)


def registry_changes(trial: TrialData) -> pd.DataFrame:
    """The R script's input, by hand: MMT-8 change from the randomisation baseline.

    Baseline: the last visit in the 30 days up to and including randomisation (its MMT-8
    must be known). Each later visit goes to the time point whose window holds it with the
    nearest target (the earlier point on a tie); per patient and time point the visit
    nearest the target (the earlier on a tie) counts, and none when its MMT-8 is missing.
    Write it with ``python tests/reference/test_mmrm.py`` (run from the repository root).
    """
    visits = trial.visits.merge(trial.patients[["patient_id", "arm", "randomisation_date"]])
    visits["day"] = (visits["visit_date"] - visits["randomisation_date"]).dt.days
    window = visits[visits["day"].between(-30, 0)].sort_values("day")
    base = window.groupby("patient_id").tail(1).set_index("patient_id")["mmt8"].dropna()
    later = visits[visits["day"] > 0].copy()
    targets = np.array([t.day for t in TIMEPOINTS], dtype=float)
    reach = np.array([t.window for t in TIMEPOINTS], dtype=float)
    distance = np.abs(later["day"].to_numpy(float)[:, None] - targets[None, :])
    distance[distance > reach[None, :]] = np.inf
    later["slot"], later["distance"] = distance.argmin(axis=1), distance.min(axis=1)
    later = later[np.isfinite(later["distance"])]
    later = later.sort_values(["patient_id", "slot", "distance", "visit_date"])
    later = later.groupby(["patient_id", "slot"]).head(1).dropna(subset=["mmt8"])
    later = later[later["patient_id"].isin(base.index)]
    baseline = later["patient_id"].map(base)
    out = pd.DataFrame(
        {
            "id": later["patient_id"],
            "arm": later["arm"],
            "baseline": baseline,
            "time": np.array(TIMES, dtype=object)[later["slot"].to_numpy()],
            "change": later["mmt8"] - baseline,
            "slot": later["slot"],
        }
    )
    return out.sort_values(["id", "slot"]).drop(columns="slot").reset_index(drop=True)


def test_r_input_is_the_registry_of_the_analysis_test() -> None:
    committed = pd.read_csv(HERE / "mmrm_mmt8_data.csv")
    derived = registry_changes(make_registry(200, seed=11))
    pd.testing.assert_frame_equal(
        derived.astype({"baseline": float, "change": float}),
        committed.astype({"baseline": float, "change": float}),
        check_dtype=False,
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


if __name__ == "__main__":
    registry_changes(make_registry(200, seed=11)).to_csv(HERE / "mmrm_mmt8_data.csv", index=False)
