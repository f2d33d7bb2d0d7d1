"""Group-sequential boundaries: Lan-DeMets alpha spending and beta-spending futility.

The efficacy boundary is for the one-sided test in favour of MSCT at level ``alpha``
(one-sided; ``myotrial design`` passes half its two-sided alpha). Boundaries come from
the recursive numerical integration of Armitage, McPherson and Rowe (J R Stat Soc A
1969;132:235-44) in the form of Jennison and Turnbull (*Group Sequential Methods with
Applications to Clinical Trials*, 2000, §19.2): the density of the standardised
statistic ``Z_k`` on the continuation region is carried from look to look on a grid
that is dense near the mean and sparse in the tails, integrated by Simpson's rule.

Spending functions (Lan KKG, DeMets DL. Biometrika 1983;70:659-63; Hwang IK, Shih WJ,
DeCani JS. Stat Med 1990;9:1439-45), with ``t`` the information rate and ``a`` the total
error (alpha for efficacy, beta for futility):

- ``obf``: ``2 − 2Φ(Φ⁻¹(1 − a/2)/√t)`` (O'Brien-Fleming type);
- ``pocock``: ``a·log(1 + (e − 1)t)`` (Pocock type);
- ``hsd:G``: ``a(1 − e^{−Gt})/(1 − e^{−G})``, and ``a·t`` for ``G = 0``.

Futility boundaries spend beta under the drift ``θ`` that the design is powered for,
found so that the last futility boundary meets the last efficacy boundary (Pampallona
S, Tsiatis AA, Kim K. Stat Med 2001;20:1149-60). Non-binding futility leaves the
efficacy boundaries as if there were no futility stop (the usual choice, as the
committee may overrule it); binding futility lets the efficacy boundaries use the
alpha that futility stops would have removed. Conventions as in rpact's
``getDesignGroupSequential``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats
from scipy.special import ndtr

FloatArray = NDArray[np.float64]

GRID_R = 32
"""Jennison-Turnbull grid parameter r (§19.2.1); 32 gives errors far below 1e-8."""
BOUND_LIMIT = 12.0
"""Largest |z| searched for a boundary: beyond it no probability is left to spend."""


@dataclass(frozen=True)
class Spending:
    """A spending function: ``obf``, ``pocock`` or ``hsd`` with parameter ``gamma``."""

    family: str
    gamma: float = 0.0

    @property
    def label(self) -> str:
        """The command-line spelling (``obf``, ``pocock``, ``hsd:-4``)."""
        return f"hsd:{self.gamma:g}" if self.family == "hsd" else self.family

    def cumulative(self, t: FloatArray | float, total: float) -> FloatArray:
        """Error spent by information rate ``t`` (``total`` spent at ``t = 1``)."""
        rate = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
        if self.family == "obf":
            with np.errstate(divide="ignore"):
                spent = 2.0 - 2.0 * ndtr(stats.norm.isf(total / 2) / np.sqrt(rate))
        elif self.family == "pocock":
            spent = total * np.log1p((np.e - 1.0) * rate)
        elif self.gamma == 0:
            spent = total * rate
        else:
            spent = total * np.expm1(-self.gamma * rate) / np.expm1(-self.gamma)
        return np.asarray(np.where(rate >= 1.0, total, spent), dtype=float)


def parse_spending(text: str, option: str = "--spending") -> Spending:
    """``"obf"``, ``"pocock"`` or ``"hsd:G"`` → :class:`Spending`.

    Raises
    ------
    ValueError
        If the text is none of these, or G is not a number.
    """
    name, _, parameter = text.strip().partition(":")
    if name in ("obf", "pocock") and not parameter:
        return Spending(name)
    if name == "hsd":
        try:
            return Spending("hsd", float(parameter))
        except ValueError:
            pass
    raise ValueError(
        f"{option} {text!r} is not a spending function: use obf, pocock or hsd:G (e.g. hsd:-4)"
    )


@dataclass(frozen=True)
class Boundaries:
    """Boundaries of a group-sequential design, one entry per look.

    ``futility`` and ``cumulative_beta`` are ``None`` without a futility rule; ``drift``
    is the expected ``Z`` at full information under the alternative the design is
    powered for, ``θ√I_max``.
    """

    info_rates: tuple[float, ...]
    efficacy: tuple[float, ...]
    futility: tuple[float, ...] | None
    cumulative_alpha: tuple[float, ...]
    cumulative_beta: tuple[float, ...] | None
    drift: float
    alpha: float
    beta: float
    spending: str = "obf"
    futility_spending: str | None = None
    binding: bool = False

    @property
    def inflation_factor(self) -> float:
        """Maximum information over that of the fixed design with the same power."""
        return float((self.drift / fixed_drift(self.alpha, self.beta)) ** 2)

    def rows(self) -> list[dict[str, float | int | None]]:
        """The design JSON's ``boundaries``: one object per look."""
        out: list[dict[str, float | int | None]] = []
        for k, t in enumerate(self.info_rates):
            out.append(
                {
                    "look": k + 1,
                    "info_rate": t,
                    "efficacy_z": self.efficacy[k],
                    "futility_z": None if self.futility is None else self.futility[k],
                    "cumulative_alpha": self.cumulative_alpha[k],
                    "cumulative_beta": (
                        None if self.cumulative_beta is None else self.cumulative_beta[k]
                    ),
                }
            )
        return out


def simpson_grid(
    mean: float, low: float, high: float, r: int = GRID_R
) -> tuple[FloatArray, FloatArray]:
    """Points and Simpson weights on ``[low, high]`` for a density centred at ``mean``.

    Jennison and Turnbull (2000) §19.2.1: ``6r − 1`` points, evenly spaced within 3 of
    the mean and spreading logarithmically to ``mean ± (3 + 4 log r)``; the points
    inside the interval, the interval's ends, and the midpoints between them.
    """
    i = np.arange(1, 6 * r, dtype=float)
    x = np.where(
        i < r,
        -3.0 - 4.0 * np.log(r / i),
        np.where(i <= 5 * r, -3.0 + 3.0 * (i - r) / (2.0 * r), 3.0 + 4.0 * np.log(r / (6 * r - i))),
    )
    x += mean
    lo, hi = max(low, x[0]), min(high, x[-1])
    if not lo < hi:
        return np.empty(0), np.empty(0)
    knots = np.concatenate([[lo], x[(x > lo) & (x < hi)], [hi]])
    width = np.diff(knots)
    points = np.empty(2 * len(knots) - 1)
    points[0::2] = knots
    points[1::2] = knots[:-1] + width / 2
    weights = np.zeros_like(points)
    weights[0:-1:2] += width / 6
    weights[2::2] += width / 6
    weights[1::2] = 4 * width / 6
    return points, weights


@dataclass(frozen=True)
class _Stage:
    """The density of ``Z_k`` on the continuation region at look k, times the weights."""

    points: FloatArray
    mass: FloatArray  # weight × density at each point
    rate: float


def _first(drift: float, rate: float, low: float, high: float) -> _Stage:
    points, weights = simpson_grid(drift * np.sqrt(rate), low, high)
    density = stats.norm.pdf(points - drift * np.sqrt(rate))
    return _Stage(points, weights * density, rate)


def _increment(stage: _Stage, drift: float, rate: float) -> tuple[FloatArray, float]:
    """Per grid point the mean of ``Z_k·√t_k`` and the SD of the increment."""
    step = rate - stage.rate
    return stage.points * np.sqrt(stage.rate) + drift * step, float(np.sqrt(step))


def _next(stage: _Stage, drift: float, rate: float, low: float, high: float) -> _Stage:
    points, weights = simpson_grid(drift * np.sqrt(rate), low, high)
    centre, sd = _increment(stage, drift, rate)
    kernel = stats.norm.pdf((points[:, None] * np.sqrt(rate) - centre[None, :]) / sd)
    density = kernel @ stage.mass * np.sqrt(rate) / sd
    return _Stage(points, weights * density, rate)


def exceed(stage: _Stage | None, drift: float, rate: float, z: float) -> float:
    """P(still in the trial before this look, ``Z_k ≥ z``) under ``drift``."""
    if stage is None:
        return float(stats.norm.sf(z - drift * np.sqrt(rate)))
    centre, sd = _increment(stage, drift, rate)
    return float(stage.mass @ ndtr((centre - z * np.sqrt(rate)) / sd))


def below(stage: _Stage | None, drift: float, rate: float, z: float) -> float:
    """P(still in the trial before this look, ``Z_k ≤ z``) under ``drift``."""
    if stage is None:
        return float(stats.norm.cdf(z - drift * np.sqrt(rate)))
    centre, sd = _increment(stage, drift, rate)
    return float(stage.mass @ ndtr((z * np.sqrt(rate) - centre) / sd))


def _advance(stage: _Stage | None, drift: float, rate: float, low: float, high: float) -> _Stage:
    if stage is None:
        return _first(drift, rate, low, high)
    return _next(stage, drift, rate, low, high)


def _solve(function: Callable[[float], float], target: float, low: float, high: float) -> float:
    """The z in ``[low, high]`` where the monotone ``function(z)`` equals ``target``.

    Where the target is out of reach the nearer end is returned (no probability is
    left to spend, or all of it is).
    """
    gap_low, gap_high = function(low) - target, function(high) - target
    if gap_low * gap_high > 0:
        return low if abs(gap_low) < abs(gap_high) else high
    return float(optimize.brentq(lambda z: function(z) - target, low, high, xtol=1e-14, rtol=1e-15))


def _efficacy_bound(stage: _Stage | None, rate: float, spend: float) -> float:
    """The efficacy boundary that spends ``spend`` alpha at this look (under H0)."""
    if spend <= 0:
        return BOUND_LIMIT
    return _solve(lambda z: exceed(stage, 0.0, rate, z), spend, -BOUND_LIMIT, BOUND_LIMIT)


def efficacy_boundaries(
    rates: Sequence[float],
    alpha_spent: Sequence[float],
    futility: Sequence[float] | None = None,
) -> list[float]:
    """Efficacy boundaries spending ``alpha_spent`` (cumulative) at ``rates``.

    With ``futility`` (binding), the continuation region at each earlier look is
    ``(futility_k, efficacy_k)``; without, ``(−∞, efficacy_k)``.
    """
    bounds: list[float] = []
    stage: _Stage | None = None
    previous = 0.0
    for k, rate in enumerate(rates):
        bound = _efficacy_bound(stage, rate, alpha_spent[k] - previous)
        bounds.append(bound)
        low = -np.inf if futility is None else futility[k]
        stage = _advance(stage, 0.0, rate, low, bound)
        previous = alpha_spent[k]
    return bounds


def futility_boundaries(
    rates: Sequence[float],
    beta_spent: Sequence[float],
    efficacy: Sequence[float] | None,
    drift: float,
    alpha_spent: Sequence[float] | None = None,
) -> tuple[list[float], list[float]]:
    """Futility boundaries spending ``beta_spent`` (cumulative) under ``drift``.

    Parameters
    ----------
    efficacy
        Fixed efficacy boundaries (non-binding), or ``None`` to compute them look by
        look with the futility stops binding, from ``alpha_spent``.

    Returns
    -------
    (futility, efficacy)
        A futility boundary above the efficacy boundary at an interim look is set to
        it (every continuing trial stops there).
    """
    fut: list[float] = []
    eff: list[float] = []
    null_stage: _Stage | None = None
    alt_stage: _Stage | None = None
    previous = 0.0
    last = len(rates) - 1
    for k, rate in enumerate(rates):
        if efficacy is None:
            if alpha_spent is None:
                raise ValueError("binding futility needs the cumulative alpha to spend")
            spend = alpha_spent[k] - (alpha_spent[k - 1] if k else 0.0)
            upper = _efficacy_bound(null_stage, rate, spend)
        else:
            upper = efficacy[k]
        target = beta_spent[k] - previous
        top = BOUND_LIMIT if k == last else upper
        lower = _solve(partial(below, alt_stage, drift, rate), target, -BOUND_LIMIT, top)
        fut.append(lower)
        eff.append(upper)
        if efficacy is None:
            null_stage = _advance(null_stage, 0.0, rate, lower, upper)
        alt_stage = _advance(alt_stage, drift, rate, lower, upper)
        previous = beta_spent[k]
    return fut, eff


def power(
    rates: Sequence[float],
    efficacy: Sequence[float],
    drift: float,
    futility: Sequence[float] | None = None,
) -> float:
    """P(crossing an efficacy boundary) under ``drift`` (with futility stops if given)."""
    stage: _Stage | None = None
    total = 0.0
    for k, rate in enumerate(rates):
        total += exceed(stage, drift, rate, efficacy[k])
        low = -np.inf if futility is None else futility[k]
        stage = _advance(stage, drift, rate, low, efficacy[k])
    return total


def stopping_probabilities(
    rates: Sequence[float],
    efficacy: Sequence[float],
    futility: Sequence[float] | None,
    drift: float,
) -> tuple[list[float], list[float]]:
    """Per look: P(stop for efficacy) and P(stop for futility) under ``drift``."""
    stage: _Stage | None = None
    up: list[float] = []
    down: list[float] = []
    for k, rate in enumerate(rates):
        up.append(exceed(stage, drift, rate, efficacy[k]))
        down.append(0.0 if futility is None else below(stage, drift, rate, futility[k]))
        low = -np.inf if futility is None else futility[k]
        stage = _advance(stage, drift, rate, low, efficacy[k])
    return up, down


def _check(rates: Sequence[float], alpha: float, beta: float) -> None:
    t = np.asarray(rates, dtype=float)
    if len(t) < 1 or np.any(t <= 0) or np.any(np.diff(t) <= 0) or not np.isclose(t[-1], 1.0):
        raise ValueError(
            f"information rates {list(rates)} must increase strictly from above 0 to 1 "
            "(e.g. 0.33,0.67,1)"
        )
    if not 0 < alpha < 0.5 or not 0 < beta < 1 - alpha:
        raise ValueError(
            f"one-sided alpha {alpha} must lie in (0, 0.5) and beta {beta} in (0, 1 − alpha)"
        )


def fixed_drift(alpha: float, beta: float) -> float:
    """``z_{1−α} + z_{1−β}``: the drift that gives power ``1 − β`` with a single look."""
    return float(stats.norm.isf(alpha) + stats.norm.isf(beta))


def _root(function: Callable[[float], float], guess: float) -> float:
    """The drift where ``function`` changes sign, searched around the fixed design's.

    A group-sequential design needs between about half and twice the fixed drift; far
    outside, every trial stops at the first look and the boundaries degenerate.
    """
    low, high = 0.5 * guess, 1.5 * guess
    while function(low) * function(high) > 0 and high < 4 * guess:
        low, high = low * 0.8, high * 1.25
    return float(optimize.brentq(function, low, high, xtol=1e-14, rtol=1e-15))


def design_boundaries(
    rates: Sequence[float],
    alpha: float,
    beta: float,
    spending: Spending,
    futility: Spending | None = None,
    binding: bool = False,
) -> Boundaries:
    """Boundaries, drift and spent errors of a group-sequential design.

    Parameters
    ----------
    rates
        Information rates of the looks, increasing to 1.
    alpha
        One-sided significance level of the efficacy boundary.
    beta
        One minus the power the design is sized for.
    spending
        The alpha-spending function.
    futility
        The beta-spending function of the futility boundary, or ``None``.
    binding
        Whether futility stops are binding (the efficacy boundary then uses them).

    Returns
    -------
    Boundaries

    Raises
    ------
    ValueError
        If the rates do not increase to 1 or alpha/beta are out of range.
    """
    _check(rates, alpha, beta)
    rates = [float(t) for t in rates]
    alpha_spent = [float(a) for a in spending.cumulative(np.asarray(rates), alpha)]
    if futility is None:
        efficacy = efficacy_boundaries(rates, alpha_spent)
        drift = _root(lambda d: power(rates, efficacy, d) - (1 - beta), fixed_drift(alpha, beta))
        return Boundaries(
            tuple(rates),
            tuple(efficacy),
            None,
            tuple(alpha_spent),
            None,
            drift,
            alpha,
            beta,
            spending.label,
        )
    beta_spent = [float(b) for b in futility.cumulative(np.asarray(rates), beta)]
    fixed = None if binding else efficacy_boundaries(rates, alpha_spent)

    def gap(d: float) -> float:
        fut, eff = futility_boundaries(rates, beta_spent, fixed, d, alpha_spent)
        if any(f >= e for f, e in zip(fut[:-1], eff[:-1], strict=True)):
            # the regions overlap at an interim look: the drift is too large
            return BOUND_LIMIT
        return fut[-1] - eff[-1]

    drift = _root(gap, fixed_drift(alpha, beta))
    fut, eff = futility_boundaries(rates, beta_spent, fixed, drift, alpha_spent)
    fut[-1] = eff[-1]
    return Boundaries(
        tuple(rates),
        tuple(eff),
        tuple(fut),
        tuple(alpha_spent),
        tuple(beta_spent),
        drift,
        alpha,
        beta,
        spending.label,
        futility.label,
        binding,
    )
