"""Simulated trials in reproducible blocks, run serially, with joblib or on Dask.

The random stream of every block is
``numpy.random.SeedSequence(seed, spawn_key=(scenario, block))`` with a fixed block size,
so the trials of a block do not depend on which process runs it or in which order:
serial, joblib and Dask runs give identical counts. A block returns integer counts and
float sums; totals are added in block order, so they are identical too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
from scipy import stats

from myotrial.design import analyses, looks, model
from myotrial.design.decision import Decisions
from myotrial.design.sequential import Boundaries

ENDPOINTS: tuple[str, ...] = ("response", "mmt8_change", "log_ck", "mmrm", "relapse")
TESTS: tuple[str, ...] = ("z", "fisher", "logistic")
KINDS: dict[str, int] = {"alternative": 0, "null": 1, "assurance": 2}
DEFAULT_BLOCK_SIZE = 10_000
CHUNK = 2000
"""Trials simulated per NumPy call inside a block (fixed: part of the random streams)."""

EFFECT_PARAMETER: Mapping[str, str] = {
    "response": "p_treatment",
    "mmt8_change": "mean_treatment",
    "log_ck": "ck_plateau_treatment",
    "mmrm": "mean_treatment",
    "relapse": "hazard_ratio",
}
"""The parameter that carries the treatment effect (varied by assurance)."""

PRIOR_BOUNDS: Mapping[str, tuple[float, float]] = {  # where assurance draws are clipped
    "response": (0.0, 1.0),
    "mmt8_change": (-80.0, 80.0),
    "log_ck": (1.0, 1e6),
    "mmrm": (-80.0, 80.0),
    "relapse": (0.01, 100.0),
}

_NULL: Mapping[str, Mapping[str, str]] = {
    "response": {"p_treatment": "p_control"},
    "mmt8_change": {"mean_treatment": "mean_control"},
    "log_ck": {
        "ck_plateau_treatment": "ck_plateau_control",
        "ck_rate_treatment": "ck_rate_control",
    },
    "mmrm": {"mean_treatment": "mean_control"},
    "relapse": {"relapse_p_treatment": "relapse_p_control"},
}

_SIMULATORS: Mapping[str, Callable[..., model.Trials]] = {
    "response": model.simulate_response,
    "mmt8_change": model.simulate_change,
    "log_ck": model.simulate_log_ck,
    "mmrm": model.simulate_repeated,
    "relapse": model.simulate_relapse,
}


@dataclass(frozen=True)
class Prior:
    """Uncertainty about the effect parameter, for assurance.

    ``kind`` is ``"normal"`` (mean, sd), truncated to ``bounds``, or ``"draws"``
    (bootstrap values, sampled with replacement, clipped to ``bounds``).
    """

    kind: str
    mean: float = 0.0
    sd: float = 0.0
    draws: tuple[float, ...] = ()
    bounds: tuple[float, float] = (-np.inf, np.inf)
    source: str = ""


@dataclass(frozen=True)
class DesignSpec:
    """Everything a simulated trial needs; picklable, so workers receive it whole."""

    endpoint: str
    values: Mapping[str, float]
    alpha: float = 0.05
    ratio: float = 1.0
    test: str = "z"
    sims: int = 10_000
    seed: int = 0
    block_size: int = DEFAULT_BLOCK_SIZE
    prior: Prior | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    boundaries: Boundaries | None = None
    accrual_months: float = 12.0
    events: int = 0

    def n_treatment(self, n_control: int) -> int:
        """MSCT-arm size for ``n_control`` control patients at the allocation ratio."""
        return max(1, round(self.ratio * n_control))

    def null_values(self) -> dict[str, float]:
        """Parameter values with no treatment effect (for the type I error)."""
        values = dict(self.values)
        for target, origin in _NULL[self.endpoint].items():
            values[target] = values[origin]
        if self.endpoint == "relapse":
            values["hazard_ratio"] = 1.0
        return values


class Tally(NamedTuple):
    """What one block contributes: counts and sums of the arm-effect estimates."""

    trials: int
    rejections: int
    valid: int
    estimate_sum: float
    estimate_sumsq: float


def block_generator(seed: int, scenario: int, block: int) -> np.random.Generator:
    """The random generator of one block (docs/design.md: spawn_key = (scenario, block))."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(scenario, block)))
    )


def scenario_id(n_control: int, kind: str) -> int:
    """A stable scenario number for the arm size and hypothesis."""
    return 4 * n_control + KINDS[kind]


def block_count(spec: DesignSpec) -> int:
    """Number of blocks of ``spec.block_size`` trials needed for ``spec.sims``."""
    return -(-spec.sims // spec.block_size)


def simulate_block(
    spec: DesignSpec, n_control: int, kind: str, block: int
) -> Iterator[tuple[model.Trials, Decisions]]:
    """Simulate and analyse the trials of one block, in chunks of :data:`CHUNK` trials.

    The block's generator runs through the chunks in order, so the trials depend only
    on (seed, scenario, block, block size); chunks keep the arrays small enough to stay
    in cache.

    Yields
    ------
    (trials, decisions)
        One chunk of simulated trials and their analysis.
    """
    rng = block_generator(spec.seed, scenario_id(n_control, kind), block)
    for simulated, values in _chunks(spec, rng, n_control, kind, block):
        yield simulated, analyse(spec, simulated, n_control, values)


def _chunk_values(
    spec: DesignSpec, rng: np.random.Generator, kind: str, block: int
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The size and parameter values of each :data:`CHUNK` of one block's trials."""
    size = min(spec.block_size, spec.sims - block * spec.block_size)
    base: dict[str, Any] = spec.null_values() if kind == "null" else dict(spec.values)
    for start in range(0, size, CHUNK):
        chunk = min(CHUNK, size - start)
        values = dict(base)
        if kind == "assurance":
            values[EFFECT_PARAMETER[spec.endpoint]] = draw_effects(spec, rng, chunk)
        yield chunk, values


def _chunks(
    spec: DesignSpec, rng: np.random.Generator, n_control: int, kind: str, block: int
) -> Iterator[tuple[model.Trials, dict[str, Any]]]:
    """The simulated trials of one block, :data:`CHUNK` at a time, with their values."""
    simulate = _SIMULATORS[spec.endpoint]
    for chunk, values in _chunk_values(spec, rng, kind, block):
        yield simulate(rng, values, n_control, spec.n_treatment(n_control), chunk), values


def look_plan(spec: DesignSpec) -> looks.LookPlan:
    """The group-sequential plan of ``spec`` (which must have boundaries).

    Raises
    ------
    ValueError
        If ``spec`` is a fixed design.
    """
    b = spec.boundaries
    if b is None:
        raise ValueError("a group-sequential simulation needs boundaries (--looks above 1)")
    return looks.LookPlan(
        b.info_rates, b.efficacy, b.futility, b.binding, spec.accrual_months, spec.events
    )


def run_look_block(spec: DesignSpec, n_control: int, kind: str, block: int) -> looks.LookTally:
    """One block of group-sequential trials: stops per look and sizes at stopping.

    The MMT-8 change ANCOVA draws each arm's sufficient statistics per look
    (:func:`myotrial.design.looks.change_looks`, the same distribution as drawing every
    patient); the other endpoints draw the patients as :func:`run_block` does, then
    their accrual. Results do not depend on where the block runs.
    """
    plan = look_plan(spec)
    rng = block_generator(spec.seed, scenario_id(n_control, kind), block)
    total = looks.empty_tally(plan)
    n_treatment = spec.n_treatment(n_control)
    for chunk, values in _chunk_values(spec, rng, kind, block):
        if spec.endpoint == "mmt8_change":
            results = looks.change_looks(rng, values, plan, n_control, n_treatment, chunk)
        else:
            simulated = _SIMULATORS[spec.endpoint](rng, values, n_control, n_treatment, chunk)
            results = looks.simulate_looks(
                rng, spec.endpoint, simulated, plan, n_control, spec.alpha
            )
        total = looks.add(total, looks.tally(results, plan))
    return total


FAVOURS_MSCT: Mapping[str, float] = {
    "response": 1.0,
    "mmt8_change": 1.0,
    "log_ck": -1.0,  # a fall in CK
    "mmrm": 1.0,
    "relapse": -1.0,  # fewer relapses than expected in the MSCT arm
}
"""Sign of the analysis result that favours MSCT, per endpoint."""


def favours_msct(endpoint: str, decisions: Decisions) -> np.ndarray:
    """True for the trials whose result points to a benefit of MSCT.

    The estimate's sign, except for relapse, where the log-rank statistic (observed
    minus expected MSCT relapses) exists even when the Cox estimate does not.
    """
    value = decisions.statistic if endpoint == "relapse" else decisions.estimate
    return np.asarray(FAVOURS_MSCT[endpoint] * np.nan_to_num(value) > 0)


def run_block(spec: DesignSpec, n_control: int, kind: str, block: int) -> Tally:
    """One block's counts: the unit of work sent to joblib or Dask workers.

    Assurance is the chance of success, so it counts only rejections favouring MSCT (a
    significant result showing harm is no success).
    """
    counts = [0, 0, 0]
    sums = [0.0, 0.0]
    for _, decisions in simulate_block(spec, n_control, kind, block):
        est = np.where(decisions.valid, decisions.estimate, 0.0)
        est = np.where(np.isfinite(est), est, 0.0)
        reject = decisions.reject
        if kind == "assurance":
            reject = reject & favours_msct(spec.endpoint, decisions)
        counts[0] += len(reject)
        counts[1] += int(reject.sum())
        counts[2] += int(decisions.valid.sum())
        sums[0] += float(est.sum())
        sums[1] += float((est * est).sum())
    return Tally(counts[0], counts[1], counts[2], sums[0], sums[1])


def draw_effects(spec: DesignSpec, rng: np.random.Generator, size: int) -> np.ndarray:
    """Per-trial values of the effect parameter drawn from ``spec.prior``."""
    prior = spec.prior
    if prior is None:
        raise ValueError("assurance needs a prior (normal or bootstrap draws)")
    if prior.kind == "draws":
        values = np.asarray(prior.draws)[rng.integers(0, len(prior.draws), size)]
        return np.clip(values, *prior.bounds)
    # a normal prior is truncated to the parameter's range, not clipped: clipping would
    # pile the mass beyond a bound onto the bound (e.g. a response probability of 1)
    low, high = ((b - prior.mean) / prior.sd for b in prior.bounds)
    return np.asarray(
        stats.truncnorm.rvs(low, high, loc=prior.mean, scale=prior.sd, size=size, random_state=rng)
    )


def analyse(
    spec: DesignSpec, trials: model.Trials, n_control: int, values: Mapping[str, Any]
) -> Decisions:
    """Run the endpoint's primary analysis on a batch of trials."""
    if spec.endpoint == "response":
        if spec.test == "fisher":
            return analyses.fisher_test(trials.outcome, n_control, spec.alpha)
        if spec.test == "logistic":
            return analyses.logistic_test(trials.outcome, trials.baseline, n_control, spec.alpha)
        return analyses.two_proportion_z(trials.outcome, n_control, spec.alpha)
    if spec.endpoint == "relapse":
        event = trials.event if trials.event is not None else np.ones_like(trials.outcome, bool)
        return analyses.logrank(trials.outcome, event, trials.arm, spec.alpha, trials.observed)
    if spec.endpoint == "mmrm":
        if float(values["dropout_per_visit"]) > 0 and trials.observed is not None:
            return analyses.mmrm_monotone(
                trials.outcome, trials.baseline, trials.observed, n_control, spec.alpha
            )
        # complete data: unstructured MMRM at the final visit = final-visit ANCOVA
        return analyses.ancova(trials.outcome[:, :, -1], trials.baseline, n_control, spec.alpha)
    return analyses.ancova(trials.outcome, trials.baseline, n_control, spec.alpha)


Task = tuple[DesignSpec, int, str, int]


def tasks_for(spec: DesignSpec, n_control: int, kind: str) -> list[Task]:
    """The block tasks of one scenario."""
    return [(spec, n_control, kind, b) for b in range(block_count(spec))]


def run_tasks(
    tasks: Sequence[Task],
    jobs: int = 1,
    scheduler: Any = None,
    progress: Callable[[int], None] | None = None,
    worker: Callable[..., Any] | None = None,
) -> list[Any]:
    """Run block tasks serially, with joblib (``jobs > 1``) or on Dask (``scheduler``).

    Parameters
    ----------
    tasks
        ``(spec, n_control, kind, block)`` tuples.
    jobs
        Worker processes for joblib; 1 runs in this process.
    scheduler
        A Dask scheduler address (``"tcp://HOST:PORT"``) or a ``distributed.Client``.
    progress
        Called with the number of blocks just finished.
    worker
        The block function: :func:`run_block` (default) or :func:`run_look_block`.

    Returns
    -------
    list
        The workers' tallies in the order of ``tasks``, whatever order they finished in.
    """
    work = worker or run_block
    if scheduler is not None:
        return _run_dask(tasks, scheduler, progress, work)
    if jobs > 1:
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=jobs, return_as="generator")
        results = parallel(delayed(work)(*task) for task in tasks)
        return _collect(results, progress)
    return _collect((work(*task) for task in tasks), progress)


def _collect(results: Iterable[Any], progress: Callable[[int], None] | None) -> list[Any]:
    out = []
    for tally in results:
        out.append(tally)
        if progress is not None:
            progress(1)
    return out


def _run_dask(
    tasks: Sequence[Task],
    scheduler: Any,
    progress: Callable[[int], None] | None,
    work: Callable[..., Any],
) -> list[Any]:
    from dask.distributed import Client, as_completed

    client = Client(scheduler) if isinstance(scheduler, str) else scheduler
    try:
        futures = [client.submit(work, *task, pure=False) for task in tasks]
        for _ in as_completed(futures):
            if progress is not None:
                progress(1)
        return [f.result() for f in futures]
    finally:
        if isinstance(scheduler, str):
            client.close()


def with_values(spec: DesignSpec, **values: float) -> DesignSpec:
    """A copy of ``spec`` with some parameter values replaced."""
    return replace(spec, values={**spec.values, **values})
