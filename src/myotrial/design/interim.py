"""The interim decision: boundaries at the information reached, conditional and
predictive power.

At an interim look the boundaries are re-computed by the design's spending functions at
the information fractions actually reached at this and every earlier look (the looks
are recorded), with the design's planned rates after the current one (Lan and DeMets
1983: only the spending function is fixed in advance, not the timing).

Conditional power uses the B-value (Lan KKG, Wittes J. Biometrics 1988;44:579-85;
Jennison and Turnbull 2000, §10.2): with ``t`` the information fraction,
``B = z·√t``, and under a drift ``θ`` (the expected ``Z`` at full information),

``CP(θ) = 1 − Φ((c_K − B − θ(1 − t)) / √(1 − t))``

with ``c_K`` the final efficacy boundary; ``θ`` is the design's drift (the effect it is
powered for) or the current trend ``θ = B/t``. The predictive probability averages the
conditional power over the posterior of ``θ`` from a normal prior ``N(μ₀, σ₀²)`` and
``B ~ N(θt, t)`` (Spiegelhalter DJ, Freedman LS, Blackburn PR. Control Clin Trials
1986;7:8-17): the posterior is ``N(m, v)`` with ``v = 1/(1/σ₀² + t)``,
``m = v(μ₀/σ₀² + B)``, and ``B(1) − B ~ N(m(1 − t), (1 − t) + (1 − t)²v)``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from myotrial.design.sequential import (
    efficacy_boundaries,
    futility_boundaries,
    parse_spending,
)

DECISIONS = ("continue", "stop_efficacy", "stop_futility")


@dataclass(frozen=True)
class SequentialPlan:
    """What an interim look needs from the design JSON's group-sequential part."""

    info_rates: tuple[float, ...]
    alpha: float
    beta: float
    spending: str
    futility: str | None
    binding: bool
    drift: float

    @classmethod
    def from_design(cls, design: Mapping[str, Any], source: str = "the plan") -> SequentialPlan:
        """Read the plan from a design JSON written by ``myotrial design --looks K``.

        Raises
        ------
        ValueError
            If the design has no group-sequential part.
        """
        gs = design.get("group_sequential")
        if not isinstance(gs, Mapping):
            raise ValueError(
                f"{source} has no group_sequential part: write it with "
                "`myotrial design --looks K ... -o DESIGN.json`"
            )
        return cls(
            tuple(float(t) for t in gs["info_rates"]),
            float(gs["alpha_one_sided"]),
            float(gs["beta"]),
            str(gs["spending"]),
            None if gs.get("futility") in (None, "none") else str(gs["futility"]),
            bool(gs["binding"]),
            float(gs["drift"]),
        )


def look_rates(plan: SequentialPlan, earlier: Sequence[float], current: float) -> list[float]:
    """Information rates of every look: those reached so far, then the planned ones.

    Look k (held at whatever information it reached) takes the place of planned look
    k; the planned looks after it keep their rates (dropped where the information
    reached has passed them). Rates are capped at 1; a look at or beyond full
    information is the final one, and a look beyond the planned number adds none.

    Raises
    ------
    ValueError
        If the current fraction is not above the last recorded one.
    """
    reached = [min(float(t), 1.0) for t in [*earlier, current]]
    if any(b <= a for a, b in itertools.pairwise(reached)) or reached[0] <= 0:
        raise ValueError(
            f"information fractions {reached} must increase from look to look; the "
            "current look must have more information than the recorded ones"
        )
    # look k replaces planned look k, whatever its timing; the later ones stay planned
    later = [t for t in plan.info_rates[len(reached) :] if t > reached[-1] + 1e-9]
    if reached[-1] >= 1.0:
        later = []
    elif not later or later[-1] < 1.0:
        later.append(1.0)
    return reached + later


def boundaries_at(
    plan: SequentialPlan, rates: Sequence[float]
) -> tuple[list[float], list[float] | None]:
    """Efficacy and futility boundaries by the plan's spending functions at ``rates``.

    Futility boundaries spend beta under the design's drift; with binding futility the
    efficacy boundaries use them. The last futility boundary equals the last efficacy
    boundary.
    """
    alpha_spent = [
        float(a) for a in parse_spending(plan.spending).cumulative(np.asarray(rates), plan.alpha)
    ]
    if plan.futility is None:
        return efficacy_boundaries(rates, alpha_spent), None
    beta_spent = [
        float(b)
        for b in parse_spending(plan.futility, "--futility").cumulative(
            np.asarray(rates), plan.beta
        )
    ]
    fixed = None if plan.binding else efficacy_boundaries(rates, alpha_spent)
    futility, efficacy = futility_boundaries(rates, beta_spent, fixed, plan.drift, alpha_spent)
    futility[-1] = efficacy[-1]
    return efficacy, futility


def conditional_power(z: float, t: float, final_boundary: float, drift: float) -> float | None:
    """``1 − Φ((c_K − B − θ(1 − t))/√(1 − t))`` with ``B = z√t``; ``None`` at ``t ≥ 1``."""
    if t >= 1.0:
        return None
    b = z * math.sqrt(t)
    return float(stats.norm.sf((final_boundary - b - drift * (1 - t)) / math.sqrt(1 - t)))


def trend_drift(z: float, t: float) -> float:
    """The drift of the current trend, ``θ = B/t = z/√t``."""
    return z / math.sqrt(t)


def predictive_probability(
    z: float, t: float, final_boundary: float, prior_mean: float, prior_sd: float
) -> float | None:
    """P(final Z ≥ c_K) averaged over the posterior of the drift; ``None`` at ``t ≥ 1``."""
    if t >= 1.0:
        return None
    b = z * math.sqrt(t)
    v = 1.0 / (1.0 / prior_sd**2 + t)
    m = v * (prior_mean / prior_sd**2 + b)
    rest = 1.0 - t
    sd = math.sqrt(rest + rest * rest * v)
    return float(stats.norm.sf((final_boundary - b - m * rest) / sd))


def decide(z: float, efficacy: float, futility: float | None, final: bool) -> str:
    """``stop_efficacy`` at or above the efficacy boundary, ``stop_futility`` at or below
    the futility boundary (or below efficacy at the final look), else ``continue``."""
    if z >= efficacy:
        return "stop_efficacy"
    if final or (futility is not None and z <= futility):
        return "stop_futility"
    return "continue"


@dataclass(frozen=True)
class InterimResult:
    """One interim look: the JSON contract of ``myotrial interim --json``."""

    information_fraction: float
    z: float
    efficacy_boundary: float
    futility_boundary: float | None
    decision: str
    conditional_power_design: float | None
    conditional_power_trend: float | None
    predictive_probability: float | None

    def to_dict(self) -> dict[str, Any]:
        """The eight keys, in the documented order."""
        return dict(self.__dict__)


def interim_look(
    plan: SequentialPlan,
    z: float,
    fraction: float,
    earlier: Sequence[float] = (),
    prior_mean: float | None = None,
    prior_sd: float | None = None,
) -> tuple[InterimResult, list[float], list[float], list[float] | None]:
    """The decision and the powers at an interim look.

    Parameters
    ----------
    plan
        The design's group-sequential plan.
    z
        The planned test's statistic, positive favouring MSCT.
    fraction
        Information fraction reached (patients with the primary time point, or events,
        over the planned maximum).
    earlier
        Information fractions of the looks already held, in order.
    prior_mean, prior_sd
        Normal prior on the drift for the predictive probability (default: centred on
        the design's drift with SD equal to it).

    Returns
    -------
    (result, rates, efficacy, futility)
        The look's result and the boundaries of every look at ``rates``.
    """
    rates = look_rates(plan, earlier, fraction)
    efficacy, futility = boundaries_at(plan, rates)
    k = len(earlier)
    t = rates[k]
    final = k == len(rates) - 1
    mean = plan.drift if prior_mean is None else prior_mean
    sd = abs(plan.drift) if prior_sd is None else prior_sd
    result = InterimResult(
        information_fraction=float(fraction),
        z=float(z),
        efficacy_boundary=efficacy[k],
        futility_boundary=None if futility is None else futility[k],
        decision=decide(z, efficacy[k], None if futility is None else futility[k], final),
        conditional_power_design=conditional_power(z, t, efficacy[-1], plan.drift),
        conditional_power_trend=conditional_power(z, t, efficacy[-1], trend_drift(z, t)),
        predictive_probability=predictive_probability(z, t, efficacy[-1], mean, sd),
    )
    return result, rates, efficacy, futility
