"""Time to relapse with death as a competing event: Aalen-Johansen, Cox and log-rank.

- Cumulative incidence of relapse (Aalen-Johansen): ``F(t) = sum over event times
  s <= t of S(s-) d_relapse(s) / n(s)``, with ``S`` the Kaplan-Meier of either event
  (R ``cmprsk::cuminc``; Putter, Fiocco and Geskus, Stat Med 2007;26:2389-430).
- Hazard ratio: cause-specific Cox model of relapse (a death censors), Efron ties, Wald
  interval on the log scale (lifelines ``CoxPHFitter``; R ``survival::coxph``); p from
  the log-rank test (R ``survival::survdiff``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from myotrial.analysis.arm_tests import Estimate

CENSORED, RELAPSE, DEATH = 0, 1, 2
INCIDENCE_COLUMNS: tuple[str, ...] = (
    "arm",
    "time_days",
    "at_risk",
    "events",
    "competing",
    "censored",
    "cumulative_incidence",
)


def cumulative_incidence(time: np.ndarray, status: np.ndarray) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of relapse (status 1) with death (2) competing.

    Parameters
    ----------
    time
        Days from day 0 to the event or censoring.
    status
        0 censored, 1 relapse, 2 death without relapse.

    Returns
    -------
    DataFrame
        ``time_days``, ``at_risk``, ``events``, ``competing``, ``censored``,
        ``cumulative_incidence``, one row per distinct time.
    """
    frame = pd.DataFrame({"t": np.asarray(time, float), "s": np.asarray(status, int)})
    counts = pd.crosstab(frame["t"], frame["s"]).reindex(
        columns=[CENSORED, RELAPSE, DEATH], fill_value=0
    )
    leaving = counts.sum(axis=1).to_numpy(float)
    at_risk = len(frame) - np.concatenate([[0.0], np.cumsum(leaving)[:-1]])
    d1 = counts[RELAPSE].to_numpy(float)
    d2 = counts[DEATH].to_numpy(float)
    survival = np.cumprod(1 - (d1 + d2) / at_risk)
    before = np.concatenate([[1.0], survival[:-1]])
    return pd.DataFrame(
        {
            "time_days": counts.index.to_numpy(float),
            "at_risk": at_risk.astype(int),
            "events": d1.astype(int),
            "competing": d2.astype(int),
            "censored": counts[CENSORED].to_numpy(int),
            "cumulative_incidence": np.cumsum(before * d1 / at_risk),
        }
    )


def incidence_by_arm(times: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """:func:`cumulative_incidence` per arm of ``times`` (``arm``, ``time``, ``status``)."""
    parts = [
        cumulative_incidence(group["time"].to_numpy(), group["status"].to_numpy()).assign(arm=arm)
        for arm, group in times.groupby("arm", sort=False)
        if arm in arms
    ]
    if not parts:
        return pd.DataFrame(columns=list(INCIDENCE_COLUMNS))
    return pd.concat(parts, ignore_index=True).reindex(columns=list(INCIDENCE_COLUMNS))


def hazard_ratio(
    time: np.ndarray, status: np.ndarray, treated: np.ndarray, confidence: float = 0.95
) -> Estimate:
    """Cause-specific hazard ratio of relapse (treatment over control), log-rank p.

    Returns
    -------
    Estimate
        NaN when either arm has no patient or there is no relapse at all; when one arm
        has no relapse the hazard ratio is not estimable (0 or infinite, the Cox
        likelihood has no maximum): estimate and interval NaN, the log-rank p kept.
    """
    from lifelines import CoxPHFitter
    from lifelines.statistics import logrank_test

    treated = np.asarray(treated, bool)
    event = np.asarray(status) == RELAPSE
    n1, n0 = int(treated.sum()), int((~treated).sum())
    if n1 == 0 or n0 == 0 or not event.any():
        return Estimate(*(float("nan"),) * 4, n1, n0)
    frame = pd.DataFrame({"time": time, "event": event, "arm": treated.astype(float)})
    test = logrank_test(
        frame["time"][treated], frame["time"][~treated], event[treated], event[~treated]
    )
    if not event[treated].any() or not event[~treated].any():
        return Estimate(float("nan"), float("nan"), float("nan"), float(test.p_value), n1, n0)
    # plain columns, no formula: lifelines' formula parsing costs more than the fit
    cox = CoxPHFitter(alpha=1 - confidence).fit(frame, "time", "event")
    log_hr = float(cox.params_["arm"])
    se = float(cox.standard_errors_["arm"])
    z = stats.norm.ppf(0.5 + confidence / 2)
    return Estimate(
        float(np.exp(log_hr)),
        float(np.exp(log_hr - z * se)),
        float(np.exp(log_hr + z * se)),
        float(test.p_value),
        n1,
        n0,
    )
