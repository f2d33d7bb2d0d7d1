"""The design's planned test run on a trial's data as they stand (for interim looks).

The same analyses as in every simulated trial (:mod:`myotrial.design.analyses`), on
the patients of the two arms:

- day 0 is the first infusion (MSCT) or the first visit (standard care); baseline is
  the last visit in the 30 days up to day 0, week 24 the visit nearest day 168 within
  days 112-224 (:mod:`myotrial.design.pilot`);
- response: TIS ≥ 20 at week 24 among patients with a scorable week-24 visit, pooled
  z-test; MMT-8 change and log CK: ANCOVA on arm and baseline; repeated MMT-8: the
  sequential-regression MMRM at weeks 4, 8, 12 and 24 (visits nearest days 28, 56, 84
  within 14 days, and week 24), each patient's visits kept up to the first one
  missing (monotone); relapse: log-rank of the time from day 0 to the first recorded
  relapse, censored at the last visit.

The statistic is a z oriented so that positive favours MSCT; a t statistic is turned
into the z with the same one-sided tail. Information is the number of patients with
the primary time point (week 24), or of relapses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import ndtri_exp

from myotrial.design import analyses
from myotrial.design.parameters import MMRM_WEEKS
from myotrial.design.pilot import (
    WEEK24_DAY,
    WINDOW,
    baseline_visits,
    nearest_visits,
    responders,
    visits_by_day,
)
from myotrial.domain.arms import CONTROL_ARM
from myotrial.errors import AnalysisError
from myotrial.trialdata import TrialData

EARLY_WINDOW = 14
"""Days either side of weeks 4, 8 and 12 for the repeated-measures visits."""


@dataclass(frozen=True)
class PlannedTest:
    """The planned test on the data: statistic, estimate, arm sizes, information."""

    endpoint: str
    z: float
    estimate: float
    se: float
    n_control: int
    n_treatment: int
    information: int
    method: str


def arm_labels(trial: TrialData, control_arm: str = CONTROL_ARM) -> tuple[str, str]:
    """(control, MSCT) arm names of a two-arm trial.

    Raises
    ------
    AnalysisError
        If the trial does not have exactly two arms, one of them ``control_arm``.
    """
    arms = sorted(trial.patients["arm"].dropna().astype(str).unique())
    others = [a for a in arms if a != control_arm]
    if control_arm not in arms or len(others) != 1:
        raise AnalysisError(
            f"patients.csv column arm has {arms}; an interim comparison needs two arms, "
            f"one of them {control_arm!r} (set trial.control_arm in trial.toml)"
        )
    return control_arm, others[0]


def _arm_of(trial: TrialData, ids: pd.Series, treatment: str) -> np.ndarray:
    arm = trial.patients.set_index("patient_id")["arm"].astype(str)
    return (ids.map(arm) == treatment).to_numpy()


def _z_from_t(t: float, df: int) -> float:
    """The z with the same one-sided tail as ``t`` on ``df`` degrees of freedom.

    Through the log tail, so a large t keeps a finite z.
    """
    return float(-ndtri_exp(stats.t.logsf(t, df)))


def _ordered(values: np.ndarray, treated: np.ndarray) -> tuple[np.ndarray, int]:
    """One trial's patients as a ``(1, n)`` row, control first (the batched layout)."""
    order = np.argsort(treated, kind="stable")
    return values[order][None, ...], int((~treated).sum())


def _check_sizes(endpoint: str, treated: np.ndarray, minimum: int = 2) -> None:
    n1, n0 = int(treated.sum()), int((~treated).sum())
    if min(n0, n1) < minimum:
        raise AnalysisError(
            f"the {endpoint} analysis has {n0} control and {n1} MSCT patients with the "
            f"data it needs; at least {minimum} per arm are needed for an interim look"
        )


def _ancova(
    endpoint: str, y: np.ndarray, x: np.ndarray, treated: np.ndarray, sign: float
) -> PlannedTest:
    _check_sizes(endpoint, treated)
    yy, n0 = _ordered(y, treated)
    xx, _ = _ordered(x, treated)
    d = analyses.ancova(yy, xx, n0, 0.05)
    n = len(y)
    return PlannedTest(
        endpoint,
        sign * _z_from_t(float(d.statistic[0]), n - 3),
        float(d.estimate[0]),
        float(d.se[0]),
        n0,
        n - n0,
        n,
        "ANCOVA: change ~ arm + baseline (t on n − 3 df, as z)",
    )


def planned_test(trial: TrialData, endpoint: str, control_arm: str = CONTROL_ARM) -> PlannedTest:
    """Run the design's planned analysis of ``endpoint`` on the trial's data.

    Raises
    ------
    AnalysisError
        If the trial has not two arms or too few patients with the data needed.
    """
    _, treatment = arm_labels(trial, control_arm)
    if endpoint == "relapse":
        return _relapse(trial, treatment)
    visits = visits_by_day(trial)
    base = baseline_visits(visits).set_index("patient_id")
    if endpoint == "mmrm":
        return _repeated(trial, visits, base, treatment)
    week24 = nearest_visits(visits, WEEK24_DAY, WINDOW).set_index("patient_id")
    both = base.index.intersection(week24.index)
    base, week24 = base.loc[both], week24.loc[both]
    treated = _arm_of(trial, pd.Series(both), treatment)
    if endpoint == "response":
        return _response(trial, base.reset_index(), week24.reset_index(), treated)
    if endpoint == "log_ck":
        ok = (base["ck"] > 0).to_numpy() & (week24["ck"] > 0).to_numpy()
        log0 = np.log(base["ck"].to_numpy(float)[ok])
        log1 = np.log(week24["ck"].to_numpy(float)[ok])
        return _ancova(endpoint, log1 - log0, log0, treated[ok], -1.0)  # a fall favours MSCT
    x0, x1 = base["mmt8"].to_numpy(float), week24["mmt8"].to_numpy(float)
    ok = ~np.isnan(x0) & ~np.isnan(x1)
    return _ancova(endpoint, x1[ok] - x0[ok], x0[ok], treated[ok], 1.0)


def _response(
    trial: TrialData, base: pd.DataFrame, week24: pd.DataFrame, treated: np.ndarray
) -> PlannedTest:
    response = responders(trial, base, week24)
    ok = ~np.isnan(response)
    treated = treated[ok]
    _check_sizes("response", treated)
    row, n0 = _ordered(response[ok], treated)
    d = analyses.two_proportion_z(row, n0, 0.05)
    return PlannedTest(
        "response",
        float(d.statistic[0]),
        float(d.estimate[0]),
        float(d.se[0]),
        n0,
        int(ok.sum()) - n0,
        int(ok.sum()),
        "pooled z-test of TIS ≥ 20 at week 24 (MSCT minus control)",
    )


def _repeated(
    trial: TrialData, visits: pd.DataFrame, base: pd.DataFrame, treatment: str
) -> PlannedTest:
    ids = base.index[base["mmt8"].notna()]
    columns = []
    for week in MMRM_WEEKS:
        day = int(week * 7)
        window = WINDOW if day == WEEK24_DAY else (day - EARLY_WINDOW, day + EARLY_WINDOW)
        near = nearest_visits(visits, day, window).set_index("patient_id")["mmt8"]
        columns.append(near.reindex(ids).to_numpy(float) - base.loc[ids, "mmt8"].to_numpy(float))
    change = np.stack(columns, axis=1)
    observed = np.logical_and.accumulate(~np.isnan(change), axis=1)  # monotone: up to a gap
    keep = observed[:, 0]
    treated = _arm_of(trial, pd.Series(ids), treatment)[keep]
    _check_sizes("mmrm", treated, 3)
    order = np.argsort(treated, kind="stable")
    n0 = int((~treated).sum())
    d = analyses.mmrm_monotone(
        np.nan_to_num(change[keep][order])[None],
        base.loc[ids, "mmt8"].to_numpy(float)[keep][order][None],
        observed[keep][order][None],
        n0,
        0.05,
    )
    if not bool(d.valid[0]):
        raise AnalysisError("the repeated-measures model could not be fitted to these visits")
    n = int(keep.sum())
    return PlannedTest(
        "mmrm",
        _z_from_t(float(d.statistic[0]), n - 3),
        float(d.estimate[0]),
        float(d.se[0]),
        n0,
        n - n0,
        int(observed[keep][:, -1].sum()),
        "MMRM by sequential regressions, week-24 contrast (t on n − 3 df, as z)",
    )


def _relapse(trial: TrialData, treatment: str) -> PlannedTest:
    visits = visits_by_day(trial)
    day_zero = visits["visit_date"] - pd.to_timedelta(visits["day"], unit="D")
    zero = day_zero.groupby(visits["patient_id"]).first()
    last = visits.groupby("patient_id")["visit_date"].max()
    events = trial.events
    relapses = events.loc[events["type"] == "relapse"].merge(zero.rename("zero"), on="patient_id")
    relapses = relapses[relapses["event_date"] > relapses["zero"]]
    first = relapses.groupby("patient_id")["event_date"].min()
    ids = zero.index
    end = first.reindex(ids).fillna(last.reindex(ids))
    time = (end - zero).dt.days.to_numpy(float) / 7.0
    event = first.reindex(ids).notna().to_numpy()
    ok = time > 0
    treated = _arm_of(trial, pd.Series(ids), treatment)[ok]
    _check_sizes("relapse", treated)
    arm = treated.astype(float)
    d = analyses.logrank(time[ok][None], event[ok][None], arm, 0.05)
    return PlannedTest(
        "relapse",
        -float(d.statistic[0]),  # fewer MSCT relapses than expected: positive
        float(d.estimate[0]),
        float(d.se[0]),
        int((~treated).sum()),
        int(treated.sum()),
        int(event[ok].sum()),
        "log-rank test of time from day 0 to first relapse (Cox log HR as estimate)",
    )
