"""Closed-form power, the cross-checks of the simulation (docs/design.md).

- Two proportions: the exact power of the test actually run (pooled z or Fisher), by
  summing the binomial probabilities of every table in its rejection region, and the
  usual normal approximation.
- ANCOVA: a t-test with residual variance ``(1 − ρ²)σ²`` (Borm GF et al. J Clin Epidemiol
  2007;60:1234-8). With a normally distributed baseline the arm estimate's variance is
  ``(1 − ρ²)σ²(1/n0 + 1/n1)(1 + w)`` with ``w ~ F(1, N − 2)/(N − 2)`` (chance baseline
  imbalance); the exact power averages the noncentral-t power over ``w``.
- Log-rank: Schoenfeld D. Biometrika 1981;68:316-9, with the expected number of events
  from the relapse model (visit schedule, follow-up, dropout).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import stats

from myotrial.design.analyses import fisher_pvalues
from myotrial.design.decision import t_critical, z_critical
from myotrial.design.model import dropout_rate


def proportions_exact(
    p0: float, p1: float, n0: int, n1: int, alpha: float, test: str = "z"
) -> float:
    """Exact power of the two-sided pooled z-test (or Fisher's test) by enumeration."""
    x0, x1 = np.arange(n0 + 1)[:, None], np.arange(n1 + 1)[None, :]
    if test == "fisher":
        reject = fisher_pvalues(n0, n1) <= alpha
    else:
        pooled = (x0 + x1) / (n0 + n1)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
        diff = x1 / n1 - x0 / n0
        z = np.divide(diff, se, out=np.zeros_like(diff * se), where=se > 0)
        reject = np.abs(z) > z_critical(alpha)
    prob = stats.binom.pmf(x0, n0, p0) * stats.binom.pmf(x1, n1, p1)
    return float((prob * reject).sum())


def proportions_normal(p0: float, p1: float, n0: int, n1: int, alpha: float) -> float:
    """Normal-approximation power of the pooled two-sided z-test."""
    pbar = (n0 * p0 + n1 * p1) / (n0 + n1)
    null_se = np.sqrt(pbar * (1 - pbar) * (1 / n0 + 1 / n1))
    alt_se = np.sqrt(p0 * (1 - p0) / n0 + p1 * (1 - p1) / n1)
    z = z_critical(alpha)
    diff = abs(p1 - p0)
    return float(
        stats.norm.cdf((diff - z * null_se) / alt_se)
        + stats.norm.cdf((-diff - z * null_se) / alt_se)
    )


def ancova_simple(delta: float, sd: float, rho: float, n0: int, n1: int, alpha: float) -> float:
    """Power of a t-test with variance ``(1 − ρ²)σ²`` and ``n − 3`` degrees of freedom."""
    return _nct_power(delta, sd, rho, n0, n1, alpha, np.zeros(1))


def ancova_exact(
    delta: float, sd: float, rho: float, n0: int, n1: int, alpha: float, nodes: int = 4000
) -> float:
    """ANCOVA power averaged over chance baseline imbalance (normal baseline)."""
    n = n0 + n1
    q = (np.arange(nodes) + 0.5) / nodes
    w = stats.f.ppf(q, 1, n - 2) / (n - 2)
    return _nct_power(delta, sd, rho, n0, n1, alpha, w)


def _nct_power(
    delta: float, sd: float, rho: float, n0: int, n1: int, alpha: float, w: np.ndarray
) -> float:
    df = n0 + n1 - 3
    se = np.sqrt((1 - rho * rho) * sd * sd * (1 / n0 + 1 / n1) * (1 + w))
    nc = delta / se
    crit = t_critical(alpha, df)
    power = stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc)
    return float(np.mean(power))


def relapse_event_probability(values: Mapping[str, float], hazard_ratio: float) -> float:
    """Chance that a patient in relapse follow-up has an observed relapse."""
    rate = np.log(2.0) / values["relapse_median_control"] * hazard_ratio
    followup, interval = values["relapse_followup"], values["visit_interval"]
    if interval <= 0:
        # continuous time, dropout a competing hazard μ: P = λ/(λ + μ)·(1 − e^{−(λ+μ)F})
        leave = dropout_rate(values["dropout_per_visit"])
        return float(rate / (rate + leave) * -np.expm1(-(rate + leave) * followup))
    j = np.arange(1, int(np.floor(followup / interval + 1e-9)) + 1)
    stay = (1.0 - values["dropout_per_visit"]) ** j
    found = np.exp(-rate * (j - 1) * interval) - np.exp(-rate * j * interval)
    return float((stay * found).sum())


def schoenfeld(values: Mapping[str, float], n0: int, n1: int, alpha: float) -> float:
    """Schoenfeld's power of the log-rank test from the expected number of relapses."""
    hr = values["hazard_ratio"]
    m0, m1 = n0 * values["relapse_p_control"], n1 * values["relapse_p_treatment"]
    events = m0 * relapse_event_probability(values, 1.0) + m1 * relapse_event_probability(
        values, hr
    )
    share = m1 / (m0 + m1)
    drift = np.sqrt(events * share * (1 - share)) * abs(np.log(hr))
    z = z_critical(alpha)
    return float(stats.norm.cdf(drift - z) + stats.norm.cdf(-drift - z))


def expected_events(values: Mapping[str, float], n0: int, n1: int) -> float:
    """Expected number of observed relapses in the trial."""
    return float(
        n0 * values["relapse_p_control"] * relapse_event_probability(values, 1.0)
        + n1
        * values["relapse_p_treatment"]
        * relapse_event_probability(values, values["hazard_ratio"])
    )


def analytic_power(
    endpoint: str, test: str, values: Mapping[str, float], n0: int, n1: int, alpha: float
) -> tuple[float | None, str]:
    """The closed-form power for a design, or ``None`` where no formula exists.

    Returns
    -------
    (power, method)
    """
    if endpoint == "response" and test in ("z", "fisher"):
        power = proportions_exact(values["p_control"], values["p_treatment"], n0, n1, alpha, test)
        return power, f"exact binomial enumeration of the {test} test's rejection region"
    complete = endpoint == "mmrm" and values["dropout_per_visit"] == 0
    if endpoint == "mmt8_change" or complete:
        delta = values["mean_treatment"] - values["mean_control"]
        power = ancova_exact(delta, values["sd"], values["correlation"], n0, n1, alpha)
        return power, "ANCOVA t-test, variance (1 − ρ²)σ², averaged over baseline imbalance"
    if endpoint == "relapse":
        return schoenfeld(values, n0, n1, alpha), "Schoenfeld (1981), expected events"
    return None, "no closed form for this endpoint and model"
