"""Log-rank test and Cox hazard ratio for many trials at once.

Times are sorted within each trial (one ``argsort`` along the patient axis for the whole
batch); tied times form a group whose events, and the numbers at risk at its start, come
from cumulative sums. Ties are handled exactly as in the usual log-rank test: the
variance of each group is hypergeometric,
``d·(n1/n)·(1 − n1/n)·(n − d)/(n − 1)`` (as in ``lifelines.statistics.logrank_test``).
The Cox model has one binary covariate (arm), Breslow's likelihood for ties, and is
fitted by Newton-Raphson on every trial at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from myotrial.design.decision import Decisions, z_critical

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class RiskSets:
    """Per trial and tied-time group: events and numbers at risk, by arm.

    Arrays are ``(trials, patients)``; only positions that end a tied group with at least
    one event carry numbers (elsewhere ``deaths`` is 0).
    """

    deaths: FloatArray
    deaths_treated: FloatArray
    at_risk: FloatArray
    at_risk_treated: FloatArray


def risk_sets(
    time: FloatArray, event: BoolArray, arm: FloatArray, included: BoolArray | None = None
) -> RiskSets:
    """Events and numbers at risk at every distinct event time of every trial.

    Parameters
    ----------
    time, event
        ``(trials, patients)`` observed times and event indicators.
    arm
        ``(patients,)`` 1.0 for the MSCT arm, 0.0 for control.
    included
        ``(trials, patients)`` analysis-population mask (default: everybody).
    """
    trials, n = time.shape
    inc = np.ones((trials, n), bool) if included is None else included
    order = np.argsort(np.where(inc, time, np.inf), axis=1, kind="stable")
    ts = np.take_along_axis(np.where(inc, time, np.inf), order, axis=1)
    inc_s = np.take_along_axis(inc, order, axis=1).astype(float)
    ev_s = np.take_along_axis(event & inc, order, axis=1).astype(float)
    arm_s = np.broadcast_to(arm, (trials, n))[np.arange(trials)[:, None], order]
    start = np.ones((trials, n), bool)
    start[:, 1:] = ts[:, 1:] != ts[:, :-1]
    end = np.ones((trials, n), bool)
    end[:, :-1] = start[:, 1:]
    first = np.maximum.accumulate(np.where(start, np.arange(n), 0), axis=1)
    cum_inc, cum_inc1 = np.cumsum(inc_s, axis=1), np.cumsum(inc_s * arm_s, axis=1)
    cum_ev, cum_ev1 = np.cumsum(ev_s, axis=1), np.cumsum(ev_s * arm_s, axis=1)

    def before_group(cum: FloatArray, per: FloatArray) -> FloatArray:
        return np.take_along_axis(cum - per, first, axis=1)

    keep = end & np.isfinite(ts)
    deaths = np.where(keep, cum_ev - before_group(cum_ev, ev_s), 0.0)
    deaths1 = np.where(keep, cum_ev1 - before_group(cum_ev1, ev_s * arm_s), 0.0)
    at_risk = cum_inc[:, -1:] - before_group(cum_inc, inc_s)
    at_risk1 = cum_inc1[:, -1:] - before_group(cum_inc1, inc_s * arm_s)
    return RiskSets(deaths, deaths1, np.where(keep, at_risk, 0.0), np.where(keep, at_risk1, 0.0))


def logrank_from_sets(sets: RiskSets) -> tuple[FloatArray, FloatArray]:
    """Observed minus expected MSCT-arm events and its variance, per trial."""
    d, n, n1 = sets.deaths, sets.at_risk, sets.at_risk_treated
    share = np.divide(n1, n, out=np.zeros_like(n), where=n > 0)
    expected = (d * share).sum(axis=1)
    ties = np.divide(n - d, n - 1, out=np.zeros_like(n), where=n > 1)
    variance = (d * share * (1 - share) * ties).sum(axis=1)
    return sets.deaths_treated.sum(axis=1) - expected, variance


def logrank(
    time: FloatArray,
    event: BoolArray,
    arm: FloatArray,
    alpha: float,
    included: BoolArray | None = None,
) -> Decisions:
    """Two-sided log-rank test of MSCT vs control for every trial.

    Returns
    -------
    Decisions
        ``estimate`` the log hazard ratio from the Cox model (Breslow ties), ``se`` its
        standard error, ``statistic`` the log-rank z = (O − E)/√V of the MSCT arm.
    """
    sets = risk_sets(time, event, arm, included)
    o_minus_e, variance = logrank_from_sets(sets)
    z = np.divide(o_minus_e, np.sqrt(variance), out=np.zeros_like(o_minus_e), where=variance > 0)
    log_hr, se = cox_breslow(sets)
    return Decisions(log_hr, se, z, np.abs(z) > z_critical(alpha), variance > 0)


def cox_breslow(
    sets: RiskSets, max_iter: int = 50, tol: float = 1e-12
) -> tuple[FloatArray, FloatArray]:
    """Cox log hazard ratio of the MSCT arm (Breslow ties), Newton-Raphson per trial.

    The score of Breslow's partial likelihood with one binary covariate is
    ``Σ_g d1_g − d_g·n1_g·e^β / (n0_g + n1_g·e^β)`` over tied-time groups ``g``; the
    information is ``Σ_g d_g·n0_g·n1_g·e^β / (n0_g + n1_g·e^β)²``. Steps are limited to
    ±2 so that trials whose estimate is infinite (all events in one arm) stop early;
    they get ``nan``.

    Returns
    -------
    (log_hr, se)
    """
    d, d1 = sets.deaths, sets.deaths_treated
    n1 = sets.at_risk_treated
    n0 = sets.at_risk - n1
    rows = np.flatnonzero((d > 0).any(axis=1))
    beta = np.full(d.shape[0], np.nan)
    info = np.full(d.shape[0], np.nan)
    d, d1, n0, n1 = d[rows], d1[rows], n0[rows], n1[rows]
    b = np.zeros(len(rows))
    for _ in range(max_iter):
        r = np.exp(b)[:, None]
        denom = n0 + n1 * r
        safe = np.where(denom > 0, denom, 1.0)
        score = (d1 - np.where(denom > 0, d * n1 * r / safe, 0.0)).sum(axis=1)
        fisher = np.where(denom > 0, d * n0 * n1 * r / (safe * safe), 0.0).sum(axis=1)
        step = np.clip(
            np.divide(score, fisher, out=np.zeros_like(score), where=fisher > 0), -2.0, 2.0
        )
        b = b + step
        if np.all(np.abs(step) < tol):
            break
    r = np.exp(b)[:, None]
    denom = n0 + n1 * r
    safe = np.where(denom > 0, denom, 1.0)
    fisher = np.where(denom > 0, d * n0 * n1 * r / (safe * safe), 0.0).sum(axis=1)
    converged = (np.abs(step) < 1e-8) & (fisher > 1e-12)
    beta[rows] = np.where(converged, b, np.nan)
    info[rows] = np.where(converged, fisher, np.nan)
    return beta, 1.0 / np.sqrt(info)
