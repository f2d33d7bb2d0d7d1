"""Group-sequential trials simulated patient by patient, look by look, batched over trials.

Patients enter uniformly over the accrual period, allocated in permuted blocks, so
among the first ``n`` to enter the arms stand in the allocation ratio. A look at
information rate ``t_k`` happens when ``⌈t_k·N⌉`` patients have reached the primary
time point (week 24; relapse: when ``⌈t_k·D⌉`` relapses have been observed, ``D`` the
planned number of events), and analyses what is known then:

- response, MMT-8 change, log CK: the first patients to reach week 24. Within an arm
  patients are exchangeable, so the analysed set is a prefix of each arm, and every
  look's sums come from one cumulative sum along the patients (no loop per trial).
  The MMT-8 change patients are bivariate normal, so their ANCOVA is simulated from
  each arm's sufficient statistics instead: per look, the new patients' sum (normal)
  and scatter matrix (Wishart), independent between looks, which is the same joint
  distribution of the statistics as drawing every patient (:func:`change_looks`);
- repeated MMT-8: every visit that has taken place (entry + visit week ≤ look time)
  and was not lost to dropout (monotone), by the sequential-regression MMRM;
- relapse: entry times, relapse clock from entry, censored at the look time.

Each look's statistic is oriented so that positive favours MSCT. Statistics with a t
distribution (ANCOVA, MMRM) are compared with the t quantile of the boundary's one-sided
level at that look's degrees of freedom, which keeps the planned alpha spending at
small n. A trial stops at the first look whose statistic crosses the efficacy
boundary (reject) or falls to the futility boundary (when futility stops apply).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy import integrate, stats

from myotrial.design import analyses, model
from myotrial.design.parameters import MMRM_WEEKS

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

WEEKS_PER_MONTH = 365.25 / 12 / 7
PRIMARY_WEEK = 24.0
"""Week of the primary time point (docs/design.md: week 24)."""


@dataclass(frozen=True)
class LookPlan:
    """What a simulated group-sequential trial needs: looks, boundaries, accrual.

    ``events`` is the planned number of relapses at the last look (relapse only).
    """

    info_rates: tuple[float, ...]
    efficacy: tuple[float, ...]
    futility: tuple[float, ...] | None
    binding: bool
    accrual_months: float
    events: int = 0

    @property
    def looks(self) -> int:
        """Number of analyses, the final one included."""
        return len(self.info_rates)


class LookTally(NamedTuple):
    """One block's counts: stops per look (efficacy, futility), sizes at stopping.

    ``type1_*`` use the decision a regulator checks: futility stops applied only when
    binding.
    """

    trials: int
    efficacy_stops: tuple[int, ...]
    futility_stops: tuple[int, ...]
    rejections_strict: int
    enrolled_sum: float
    analysed_sum: float
    events_sum: float


@dataclass(frozen=True)
class LookResults:
    """Per trial and look: the oriented statistic, its boundaries and trial sizes."""

    statistic: FloatArray  # (trials, looks)
    efficacy: FloatArray  # (looks,) or (trials, looks) on the statistic's scale
    futility: FloatArray | None
    enrolled: FloatArray  # (trials, looks) patients enrolled by the look
    analysed: FloatArray  # (trials, looks) patients (or events) analysed


def first_stop(
    statistic: FloatArray, efficacy: FloatArray, futility: FloatArray | None
) -> tuple[IntArray, BoolArray]:
    """The look at which each trial stops and whether it rejects there.

    A statistic at or above the efficacy boundary rejects; at or below the futility
    boundary (if given) stops without rejecting; the last look always ends the trial.
    """
    up = statistic >= efficacy
    stop = up.copy()
    if futility is not None:
        stop |= statistic <= futility
    stop[:, -1] = True
    look = np.argmax(stop, axis=1)
    return look, up[np.arange(len(look)), look]


def tally(results: LookResults, plan: LookPlan) -> LookTally:
    """Count stops per look and sum the sizes at stopping, for one chunk."""
    k = plan.looks
    look, reject = first_stop(results.statistic, results.efficacy, results.futility)
    rows = np.arange(len(look))
    strict_futility = results.futility if plan.binding else None
    _, strict = first_stop(results.statistic, results.efficacy, strict_futility)
    efficacy = np.bincount(look[reject], minlength=k)
    futility = np.bincount(look[~reject], minlength=k)
    analysed = results.analysed[rows, look]
    return LookTally(
        len(look),
        tuple(int(c) for c in efficacy),
        tuple(int(c) for c in futility),
        int(strict.sum()),
        float(results.enrolled[rows, look].sum()),
        float(analysed.sum()),
        float(analysed.sum()) if plan.events else 0.0,
    )


def add(a: LookTally, b: LookTally) -> LookTally:
    """The counts of two blocks together (added in block order: reproducible)."""
    return LookTally(
        a.trials + b.trials,
        tuple(x + y for x, y in zip(a.efficacy_stops, b.efficacy_stops, strict=True)),
        tuple(x + y for x, y in zip(a.futility_stops, b.futility_stops, strict=True)),
        a.rejections_strict + b.rejections_strict,
        a.enrolled_sum + b.enrolled_sum,
        a.analysed_sum + b.analysed_sum,
        a.events_sum + b.events_sum,
    )


def look_sizes(plan: LookPlan, total: int) -> IntArray:
    """Patients (or events) at each look: ``⌈t_k·total⌉``, at least 1."""
    sizes = np.ceil(np.asarray(plan.info_rates) * total - 1e-9).astype(np.int64)
    return np.maximum(sizes, 1)


def arm_sizes(n_control: int, n_treatment: int, sizes: IntArray) -> tuple[IntArray, IntArray]:
    """Control and MSCT patients among the first ``sizes[k]`` to enter.

    Arms are allocated in permuted blocks (``myotrial randomise``), so among the first
    n patients they stand in the allocation ratio to within a block; the nearest whole
    split is used.
    """
    total = n_control + n_treatment
    m0 = np.minimum(np.rint(sizes * n_control / total).astype(np.int64), n_control)
    m0 = np.maximum(m0, sizes - n_treatment)
    return m0, sizes - m0


@lru_cache(maxsize=256)
def expected_enrolled(total: int, sizes: tuple[int, ...], accrual_weeks: float) -> FloatArray:
    """Expected patients enrolled when the ``sizes[k]``-th patient reaches week 24.

    Entry times are uniform over the accrual period ``A``: the ``n``-th entry is
    ``S = A·Beta(n, N − n + 1)``, and each of the ``N − n`` later patients, uniform over
    what remains, has entered within the next 24 weeks with chance
    ``min(24, A − S)/(A − S)``; the expectation over ``S`` is a one-dimensional
    integral. Stopping does not depend on entry times, so the expected number enrolled
    at stopping is the sum over looks of P(stop at k) times this.
    """
    out = []
    for n in sizes:
        later = total - n
        if later <= 0 or accrual_weeks <= 0:
            out.append(float(total))
            continue

        def share(s: float, n: int = n, later: int = later) -> float:
            left = accrual_weeks - s
            density = stats.beta.pdf(s / accrual_weeks, n, later + 1) / accrual_weeks
            return float(min(PRIMARY_WEEK, left) / left * density) if left > 0 else 0.0

        mean_share, _ = integrate.quad(
            share,
            0.0,
            accrual_weeks,
            points=[accrual_weeks - PRIMARY_WEEK] if accrual_weeks > PRIMARY_WEEK else None,
            limit=200,
        )
        out.append(n + later * mean_share)
    return np.asarray(out)


def _segment_sums(y: FloatArray, x: FloatArray, counts: IntArray) -> FloatArray:
    """Σy, Σx, Σxx, Σxy, Σyy over the first ``counts[k]`` patients: ``(5, trials, looks)``.

    Patients are put on the leading axis so each look's new patients are summed as
    whole rows (contiguous, vectorised across trials), then the looks accumulate.
    """
    ys, xs = np.ascontiguousarray(y.T), np.ascontiguousarray(x.T)
    out = np.zeros((5, len(counts), y.shape[0]))
    start = 0
    for k, stop in enumerate(counts):  # one pass per look over its new patients
        yk, xk = ys[start:stop], xs[start:stop]
        out[0, k], out[1, k] = yk.sum(axis=0), xk.sum(axis=0)
        out[2, k] = (xk * xk).sum(axis=0)
        out[3, k] = (xk * yk).sum(axis=0)
        out[4, k] = (yk * yk).sum(axis=0)
        if k:
            out[:, k] += out[:, k - 1]
        start = int(stop)
    return out.transpose(0, 2, 1)


def _running_sums(y: FloatArray, counts: IntArray) -> FloatArray:
    """Σy over the first ``counts[k]`` patients, per trial and look."""
    ys = np.ascontiguousarray(y.T)
    edges = np.concatenate([[0], counts])
    parts = [ys[a:b].sum(axis=0) for a, b in pairwise(edges)]  # one sum per look
    return np.cumsum(np.stack(parts, axis=1), axis=1)


def _arm_moments(y: FloatArray, x: FloatArray, counts: IntArray) -> model.ArmMoments:
    sy, sx, sxx, sxy, syy = _segment_sums(y, x, counts)
    m = counts.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return model.ArmMoments(
            m, sx / m, sy / m, sxx - sx * sx / m, sxy - sx * sy / m, syy - sy * sy / m
        )


def ancova_t(control: model.ArmMoments, treatment: model.ArmMoments) -> FloatArray:
    """ANCOVA ``outcome ~ arm + baseline`` t statistic of the arm from each arm's moments.

    The closed form of :func:`myotrial.design.analyses.ancova`: pooled within-arm slope,
    effect adjusted for the gap in baseline means, residual variance on ``n − 3`` df.
    """
    n0, n1 = control.count, treatment.count
    with np.errstate(invalid="ignore", divide="ignore"):
        sxx, sxy = control.sxx + treatment.sxx, control.sxy + treatment.sxy
        slope = sxy / sxx
        gap = treatment.mean_x - control.mean_x
        effect = (treatment.mean_y - control.mean_y) - slope * gap
        s2 = (control.syy + treatment.syy - slope * sxy) / (n0 + n1 - 3)
        t = effect / np.sqrt(s2 * (1 / n0 + 1 / n1 + gap * gap / sxx))
    return np.where(np.isfinite(t), t, 0.0)


def prefix_ancova(
    outcome: FloatArray, baseline: FloatArray, n_control: int, m0: IntArray, m1: IntArray
) -> FloatArray:
    """ANCOVA ``outcome ~ arm + baseline`` t statistic at every look, ``(trials, looks)``.

    The same closed form as :func:`myotrial.design.analyses.ancova` on the first
    ``m0[k]`` control and ``m1[k]`` MSCT patients at look k.
    """
    control = _arm_moments(outcome[:, :n_control], baseline[:, :n_control], m0)
    treatment = _arm_moments(outcome[:, n_control:], baseline[:, n_control:], m1)
    return ancova_t(control, treatment)


def prefix_proportions(
    outcome: FloatArray, n_control: int, m0: IntArray, m1: IntArray
) -> FloatArray:
    """Pooled two-proportion z (MSCT minus control) at every look; 0 when undefined."""
    x0 = _running_sums(outcome[:, :n_control], m0)
    x1 = _running_sums(outcome[:, n_control:], m1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (x0 + x1) / (m0 + m1)
        se = np.sqrt(pooled * (1 - pooled) * (1 / m0 + 1 / m1))
        z = (x1 / m1 - x0 / m0) / se
    return np.where(np.isfinite(z) & (se > 0), z, 0.0)


def t_scale(boundary: tuple[float, ...], df: IntArray) -> FloatArray:
    """The t value with the same one-sided tail as each z boundary, at ``df``."""
    return _t_scale(tuple(boundary), tuple(int(d) for d in df))


@lru_cache(maxsize=256)
def _t_scale(boundary: tuple[float, ...], df: tuple[int, ...]) -> FloatArray:
    tail = stats.norm.sf(np.asarray(boundary))
    return np.asarray(stats.t.isf(tail, np.maximum(np.asarray(df), 1)))


def _look_sizes(
    plan: LookPlan, n_control: int, total: int, count: int
) -> tuple[IntArray, IntArray, IntArray, FloatArray, FloatArray]:
    """Analysed per look and arm, and the expected enrolled and analysed per trial."""
    sizes = look_sizes(plan, total)
    m0, m1 = arm_sizes(n_control, total - n_control, sizes)
    weeks = plan.accrual_months * WEEKS_PER_MONTH
    enrolled = np.broadcast_to(
        expected_enrolled(total, tuple(sizes.tolist()), weeks), (count, plan.looks)
    )
    analysed = np.broadcast_to(sizes.astype(float), (count, plan.looks))
    return sizes, m0, m1, enrolled, analysed


def _t_boundaries(plan: LookPlan, sizes: IntArray) -> tuple[FloatArray, FloatArray | None]:
    df = sizes - 3
    return t_scale(plan.efficacy, df), None if plan.futility is None else t_scale(plan.futility, df)


def patient_looks(
    rng: np.random.Generator,
    endpoint: str,
    trials: model.Trials,
    plan: LookPlan,
    n_control: int,
) -> LookResults:
    """Looks of the ANCOVA and response endpoints (prefix sums per arm)."""
    count, total = trials.outcome.shape
    sizes, m0, m1, enrolled, analysed = _look_sizes(plan, n_control, total, count)
    if endpoint == "response":
        stat = prefix_proportions(trials.outcome, n_control, m0, m1)
        return LookResults(
            stat, np.asarray(plan.efficacy), _maybe(plan.futility), enrolled, analysed
        )
    sign = -1.0 if endpoint == "log_ck" else 1.0  # a fall in CK favours MSCT
    stat = sign * prefix_ancova(trials.outcome, trials.baseline, n_control, m0, m1)
    return LookResults(stat, *_t_boundaries(plan, sizes), enrolled, analysed)


def change_looks(
    rng: np.random.Generator,
    values: Mapping[str, Any],
    plan: LookPlan,
    n_control: int,
    n_treatment: int,
    count: int,
) -> LookResults:
    """Looks of the MMT-8 change ANCOVA from each arm's sufficient statistics.

    The statistic at every look has the distribution it has when every patient is
    drawn (:func:`myotrial.design.model.simulate_change_moments`), jointly over the
    looks; only the draws differ from :func:`patient_looks`.
    """
    sizes, m0, m1, enrolled, analysed = _look_sizes(plan, n_control, n_control + n_treatment, count)
    control, treatment = model.simulate_change_moments(rng, values, count, m0, m1)
    stat = ancova_t(control, treatment)
    return LookResults(stat, *_t_boundaries(plan, sizes), enrolled, analysed)


def _maybe(values: tuple[float, ...] | None) -> FloatArray | None:
    return None if values is None else np.asarray(values)


def _entry_times(rng: np.random.Generator, shape: tuple[int, int], weeks: float) -> FloatArray:
    return rng.random(shape) * weeks


def repeated_looks(
    rng: np.random.Generator, trials: model.Trials, plan: LookPlan, n_control: int, alpha: float
) -> LookResults:
    """Looks of the repeated-measures endpoint: every visit held by the look time."""
    count, total, _ = trials.outcome.shape
    sizes = look_sizes(plan, total)
    entry = _entry_times(rng, (count, total), plan.accrual_months * WEEKS_PER_MONTH)
    due = np.sort(entry, axis=1)[:, sizes - 1] + PRIMARY_WEEK
    weeks = np.asarray(MMRM_WEEKS)
    observed = (
        trials.observed if trials.observed is not None else np.ones_like(trials.outcome, bool)
    )
    stats_: list[FloatArray] = []
    for k in range(plan.looks):  # one batched MMRM per look
        held = entry[:, :, None] + weeks[None, None, :] <= due[:, k, None, None]
        decision = analyses.mmrm_monotone(
            trials.outcome, trials.baseline, observed & held, n_control, alpha
        )
        stats_.append(np.where(decision.valid, decision.statistic, 0.0))
    enrolled = (entry[:, :, None] <= due[:, None, :]).sum(axis=1).astype(float)
    df = sizes - 3
    return LookResults(
        np.stack(stats_, axis=1),
        t_scale(plan.efficacy, df),
        None if plan.futility is None else t_scale(plan.futility, df),
        enrolled,
        np.broadcast_to(sizes.astype(float), (count, plan.looks)),
    )


def relapse_looks(
    rng: np.random.Generator, trials: model.Trials, plan: LookPlan, alpha: float
) -> LookResults:
    """Looks of the relapse endpoint, each when its planned number of relapses is seen."""
    count, total = trials.outcome.shape
    entry = _entry_times(rng, (count, total), plan.accrual_months * WEEKS_PER_MONTH)
    included = trials.observed if trials.observed is not None else np.ones((count, total), bool)
    event = trials.event if trials.event is not None else np.ones((count, total), bool)
    event = event & included
    seen_at = np.sort(np.where(event, entry + trials.outcome, np.inf), axis=1)
    sizes = look_sizes(plan, plan.events)
    end = entry.max(axis=1) + trials.outcome.max(axis=1)
    when = seen_at[:, np.minimum(sizes, total) - 1]
    when = np.where(np.isfinite(when), when, end[:, None])  # too few relapses: at the end
    stats_, events = [], []
    for k in range(plan.looks):  # one batched log-rank per look
        at = when[:, k : k + 1]
        entered = included & (entry < at)
        time = np.minimum(trials.outcome, at - entry)
        happened = event & (entry + trials.outcome <= at)
        decision = analyses.logrank(time, happened, trials.arm, alpha, entered)
        stats_.append(-decision.statistic)  # fewer MSCT relapses than expected: positive
        events.append((happened & entered).sum(axis=1).astype(float))
    enrolled = (entry[:, :, None] <= when[:, None, :]).sum(axis=1).astype(float)
    return LookResults(
        np.stack(stats_, axis=1),
        np.asarray(plan.efficacy),
        _maybe(plan.futility),
        enrolled,
        np.stack(events, axis=1),
    )


def simulate_looks(
    rng: np.random.Generator,
    endpoint: str,
    trials: model.Trials,
    plan: LookPlan,
    n_control: int,
    alpha: float,
) -> LookResults:
    """The statistic at every look of every simulated trial for ``endpoint``."""
    if endpoint == "mmrm":
        return repeated_looks(rng, trials, plan, n_control, alpha)
    if endpoint == "relapse":
        return relapse_looks(rng, trials, plan, alpha)
    return patient_looks(rng, endpoint, trials, plan, n_control)


def summarise(total: LookTally, plan: LookPlan) -> dict[str, Any]:
    """Rejection and stopping probabilities per look, expected sizes, with MC SEs."""
    n = total.trials
    reject = sum(total.efficacy_stops) / n
    out: dict[str, Any] = {
        "rejection_probability": reject,
        "mc_se": float(np.sqrt(reject * (1 - reject) / n)),
        "stop_efficacy": [c / n for c in total.efficacy_stops],
        "stop_futility": [c / n for c in total.futility_stops],
        "expected_n_enrolled": total.enrolled_sum / n,
        "expected_n_analysed": total.analysed_sum / n,
        "rejection_probability_strict": total.rejections_strict / n,
    }
    if plan.events:
        out["expected_events"] = total.events_sum / n
    return out


def empty_tally(plan: LookPlan) -> LookTally:
    """Counts of no trials."""
    zero = tuple(0 for _ in range(plan.looks))
    return LookTally(0, zero, zero, 0, 0.0, 0.0, 0.0)
