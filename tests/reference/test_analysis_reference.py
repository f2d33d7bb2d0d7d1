"""Analysis statistics against R (tests/reference/analysis_reference.R, R 4.2.2).

Each assert carries the R call and the value it printed; the tests never run R.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myotrial.analysis.longitudinal import fit_random_intercept
from myotrial.analysis.options import Notes
from myotrial.analysis.paired import paired_summary
from myotrial.analysis.relapse import relapse_survival
from myotrial.analysis.response import clopper_pearson

CK0 = [1681, 1520, 2100, 1300, 1850, 1200, 2210, 1590]
CK1 = [1893, 310, 420, 1180, 350, 1262, 300, 240]
MMT0 = [45, 52, 38, 60, 41, 55, 47, 30, 62, 50]
MMT1 = [67, 50, 59, 71, 39, 66, 58, 49, 61, 65]
VAS0 = [6, 7, 5, 8, 6, 7]
VAS1 = [3, 7, 2.5, 4, 5.5, 1]


def _paired(x0: list[float], x1: list[float]) -> pd.Series:
    frame = pd.DataFrame({"g": 1, "x0": x0, "x1": x1})
    return paired_summary(frame, ["g"]).iloc[0]


def test_paired_t_and_exact_signed_rank_match_r_without_ties() -> None:
    row = _paired(CK0, CK1)
    # t.test(ck1, ck0, paired = TRUE): mean -937, CI -1646.84710216492 -227.152897835083,
    # p 0.0168128509518506
    assert row["change_mean"] == pytest.approx(-937)
    assert row["change_ci_low"] == pytest.approx(-1646.84710216492, rel=1e-12)
    assert row["change_ci_high"] == pytest.approx(-227.152897835083, rel=1e-12)
    assert row["p_ttest"] == pytest.approx(0.0168128509518506, rel=1e-10)
    # wilcox.test(ck1, ck0, paired = TRUE, exact = TRUE): V = 4, p-value 0.0546875
    assert row["p_wilcoxon"] == pytest.approx(0.0546875, rel=1e-12)


def test_signed_rank_with_ties_uses_corrected_normal_approximation_as_r() -> None:
    row = _paired(MMT0, MMT1)
    # t.test(mmt1, mmt0, paired = TRUE): 10.5, CI 3.83825548349217 17.1617445165078,
    # p 0.0060665313123309
    assert row["change_ci_low"] == pytest.approx(3.83825548349217, rel=1e-12)
    assert row["change_ci_high"] == pytest.approx(17.1617445165078, rel=1e-12)
    assert row["p_ttest"] == pytest.approx(0.0060665313123309, rel=1e-10)
    # wilcox.test(mmt1, mmt0, paired = TRUE, exact = TRUE) (ties): V = 49,
    # p-value 0.0317533406218968
    assert row["p_wilcoxon"] == pytest.approx(0.0317533406218968, rel=1e-10)


def test_signed_rank_drops_zero_differences_as_r() -> None:
    # wilcox.test(vas1, vas0, paired = TRUE, exact = TRUE) (one zero): V = 0,
    # p-value 0.0590582290905367
    assert _paired(VAS0, VAS1)["p_wilcoxon"] == pytest.approx(0.0590582290905367, rel=1e-10)


def test_groups_are_tested_separately_in_one_pass() -> None:
    frame = pd.concat(
        [
            pd.DataFrame({"g": "ck", "x0": CK0, "x1": CK1}),
            pd.DataFrame({"g": "mmt", "x0": MMT0, "x1": MMT1}),
        ]
    )
    table = paired_summary(frame, ["g"]).set_index("g")
    assert table.loc["ck", "p_wilcoxon"] == pytest.approx(0.0546875, rel=1e-12)
    assert table.loc["mmt", "p_wilcoxon"] == pytest.approx(0.0317533406218968, rel=1e-10)
    assert table["n"].tolist() == [8, 10]


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        (7, 10, 0.347547149940003, 0.933260488822266),  # binom.test(7, 10)$conf.int
        (0, 8, 0.0, 0.369416647552819),  # binom.test(0, 8)$conf.int
        (8, 8, 0.630583352447181, 1.0),  # binom.test(8, 8)$conf.int
        (3, 25, 0.0254653966477332, 0.312190307286235),  # binom.test(3, 25)$conf.int
    ],
)
def test_clopper_pearson_matches_binom_test(x: int, n: int, low: float, high: float) -> None:
    ci_low, ci_high = clopper_pearson(np.array([x]), np.array([n]))
    assert ci_low[0] == pytest.approx(low, abs=1e-12)
    assert ci_high[0] == pytest.approx(high, abs=1e-12)


def test_kaplan_meier_log_log_interval_matches_survfit() -> None:
    days = [30, 45, 45, 60, 90, 120, 150, 180, 200, 240]
    relapse = [1, 1, 0, 1, 0, 1, 1, 0, 1, 0]
    start = pd.Timestamp("2024-01-01")
    episodes = pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(10)],
            "episode": 1,
            "response_date": start,
            "relapse_date": [
                start + pd.Timedelta(days=d) if r else pd.NaT
                for d, r in zip(days, relapse, strict=True)
            ],
            "end_date": [start + pd.Timedelta(days=d) for d in days],
        }
    )
    table, median = relapse_survival(episodes, 0.95, Notes())
    table = table.set_index("time_days")
    # summary(survfit(Surv(days, relapse) ~ 1, conf.type = "log-log"), censored = TRUE)
    # time n.risk n.event n.censor surv              lower              upper
    #   45      9       1        1 0.800000000000000 0.4086907816334043 0.945872645838912
    #  120      5       1        0 0.548571428571428 0.1872559540452700 0.806377491034268
    #  200      2       1        0 0.205714285714286 0.0122589629866499 0.566611970131777
    expected = {
        45.0: (9, 1, 1, 0.8, 0.4086907816334043, 0.945872645838912),
        120.0: (5, 1, 0, 0.548571428571428, 0.1872559540452700, 0.806377491034268),
        200.0: (2, 1, 0, 0.205714285714286, 0.0122589629866499, 0.566611970131777),
    }
    for time, (at_risk, events, censored, surv, low, high) in expected.items():
        row = table.loc[time]
        assert (row["at_risk"], row["events"], row["censored"]) == (at_risk, events, censored)
        assert row["survival"] == pytest.approx(surv, rel=1e-12)
        assert row["ci_low"] == pytest.approx(low, rel=1e-9)
        assert row["ci_high"] == pytest.approx(high, rel=1e-9)
    # summary(km)$table: median 150, 0.95LCL 30, 0.95UCL NA
    assert median["median_days"] == 150
    assert median["median_ci_low"] == 30
    assert median["median_ci_high"] is None


def test_random_intercept_model_matches_nlme_lme() -> None:
    y = [45, 60, 64, 52, 66, 70, 38, 59, 55, 60, 71, 75, 41, 50, np.nan]
    frame = pd.DataFrame(
        {
            "patient_id": np.repeat(["P1", "P2", "P3", "P4", "P5"], 3),
            "timepoint": ["baseline", "month1", "month3"] * 5,
            "day": [0, 30, 90] * 5,
            "y": y,
        }
    ).dropna()
    table = fit_random_intercept(frame).set_index("term")
    # summary(lme(y ~ tp, random = ~ 1 | id, method = "REML"))$tTable:
    # (Intercept) 47.200000000000 3.83703979651429
    # tpmonth1    14.000000000000 1.72662960360154
    # tpmonth3    16.740975488264 1.87890891846034
    # VarCorr: 66.16124753008917 7.45312447008306
    assert table.loc["intercept", "estimate"] == pytest.approx(47.2, rel=1e-6)
    assert table.loc["intercept", "std_error"] == pytest.approx(3.83703979651429, rel=1e-6)
    assert table.loc["change at month1", "estimate"] == pytest.approx(14.0, rel=1e-6)
    assert table.loc["change at month1", "std_error"] == pytest.approx(1.72662960360154, rel=1e-6)
    assert table.loc["change at month3", "estimate"] == pytest.approx(16.740975488264, rel=1e-6)
    assert table.loc["change at month3", "std_error"] == pytest.approx(1.87890891846034, rel=1e-6)
    assert table.loc["patient variance", "estimate"] == pytest.approx(66.16124753008917, rel=1e-6)
    assert table.loc["residual variance", "estimate"] == pytest.approx(7.45312447008306, rel=1e-6)


def test_random_intercept_model_matches_statsmodels_mixedlm() -> None:
    import statsmodels.api as sm

    from myotrial.analysis.mixed import fit_random_intercept_reml

    rng = np.random.default_rng(7)
    patients = np.repeat(np.arange(40), 4)
    time = np.tile([0.0, 1.0, 3.0, 6.0], 40)
    keep = rng.random(160) > 0.15  # unbalanced: some visits missing
    y = 50 + 2.5 * time + rng.normal(0, 6, 40)[patients] + rng.normal(0, 3, 160)
    design = np.column_stack([np.ones(160), time])[keep]
    ours = fit_random_intercept_reml(y[keep], design, patients[keep])
    # independent reference: statsmodels MixedLM(y, X, groups).fit(reml=True)
    theirs = sm.MixedLM(y[keep], design, groups=patients[keep]).fit(reml=True)
    assert ours.beta == pytest.approx(np.asarray(theirs.fe_params), rel=1e-5)
    assert ours.patient_variance == pytest.approx(float(np.asarray(theirs.cov_re)[0, 0]), rel=1e-4)
    assert ours.residual_variance == pytest.approx(float(theirs.scale), rel=1e-4)
    # statsmodels takes standard errors from the joint Hessian (fixed and variance
    # parameters), nlme and we from (X' V^-1 X)^-1: they differ slightly when unbalanced
    assert np.sqrt(np.diag(ours.covariance)) == pytest.approx(np.asarray(theirs.bse_fe), rel=5e-3)
