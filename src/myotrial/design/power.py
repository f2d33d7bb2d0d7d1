"""Power, type I error, sample-size search and assurance: the design a user gets.

:func:`run_design` evaluates a :class:`~myotrial.design.simulate.DesignSpec` and returns
a JSON-ready dict (the "design JSON" the report reads): power with its Monte Carlo
standard error, the closed-form power where one exists, the type I error under the
null, every point of the sample-size search, a power curve, assurance, and every model
parameter with its source.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from myotrial.design import analytic, looks
from myotrial.design.parameters import DEFAULTS, MINIMAL_RESPONSE, MMRM_WEEKS, resolve
from myotrial.design.simulate import (
    DEFAULT_BLOCK_SIZE,
    ENDPOINTS,
    TESTS,
    DesignSpec,
    Prior,
    Tally,
    block_count,
    look_plan,
    run_look_block,
    run_tasks,
    tasks_for,
)
from myotrial.version import __version__

N_MIN, N_MAX = 4, 5000
ANALYSIS_TEXT = {
    "response": f"difference in {MINIMAL_RESPONSE} response proportions",
    "mmt8_change": "ANCOVA: MMT-8 change ~ arm + baseline",
    "log_ck": "ANCOVA: change in log CK ~ arm + baseline log CK",
    "mmrm": f"MMRM of MMT-8 change at weeks {', '.join(f'{w:g}' for w in MMRM_WEEKS)} "
    "(final-visit contrast)",
    "relapse": "log-rank test (exact ties) with Cox hazard ratio (Breslow)",
}
TEST_TEXT = {
    "z": "two-sided pooled z-test",
    "fisher": "two-sided Fisher exact test",
    "logistic": "logistic regression with baseline MMT-8 (Wald)",
}
ENDPOINT_PARAMETERS = {
    "response": (
        "p_control",
        "p_treatment",
        "response_baseline_correlation",
        "mmt8_baseline_mean",
        "sd",
    ),
    "mmt8_change": ("mean_control", "mean_treatment", "sd", "correlation", "mmt8_baseline_mean"),
    "log_ck": (
        "ck0_mean",
        "ck0_sd",
        "ck_plateau_control",
        "ck_rate_control",
        "ck_plateau_treatment",
        "ck_rate_treatment",
        "ck_log_sd",
        "ck_week",
    ),
    "mmrm": (
        "mean_control",
        "mean_treatment",
        "sd",
        "correlation",
        "mmt8_rate",
        "mmt8_baseline_mean",
        "dropout_per_visit",
    ),
    "relapse": (
        "relapse_median_control",
        "hazard_ratio",
        "relapse_followup",
        "visit_interval",
        "dropout_per_visit",
        "relapse_p_control",
        "relapse_p_treatment",
    ),
}

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Runner:
    """Where blocks run: ``jobs`` joblib processes, or a Dask ``scheduler``."""

    jobs: int = 1
    scheduler: Any = None
    progress: Progress | None = None

    @property
    def name(self) -> str:
        """``serial``, ``joblib`` or ``dask``."""
        if self.scheduler is not None:
            return "dask"
        return "joblib" if self.jobs > 1 else "serial"


def evaluate(
    spec: DesignSpec, points: Sequence[tuple[int, str]], runner: Runner
) -> dict[tuple[int, str], dict[str, float]]:
    """Simulate every ``(n_control, kind)`` point in one batch of block tasks.

    Returns
    -------
    dict
        ``{(n, kind): {"power", "mc_se", "mean_estimate", "valid_fraction"}}``.
    """
    tasks = [task for n, kind in points for task in tasks_for(spec, n, kind)]
    tallies = run_tasks(tasks, runner.jobs, runner.scheduler, runner.progress)
    per = block_count(spec)
    return {point: _summarise(tallies[i * per : (i + 1) * per]) for i, point in enumerate(points)}


def _summarise(tallies: Sequence[Tally]) -> dict[str, float]:
    trials = sum(t.trials for t in tallies)
    rejections = sum(t.rejections for t in tallies)
    valid = sum(t.valid for t in tallies)
    power = rejections / trials
    return {
        "power": power,
        "mc_se": math.sqrt(power * (1 - power) / trials),
        "mean_estimate": math.fsum(t.estimate_sum for t in tallies) / max(valid, 1),
        "valid_fraction": valid / trials,
    }


def analytic_for(spec: DesignSpec, n: int) -> tuple[float | None, str]:
    """Closed-form power at ``n`` control patients (``None`` where none exists)."""
    return analytic.analytic_power(
        spec.endpoint, spec.test, spec.values, n, spec.n_treatment(n), spec.alpha
    )


def _point(spec: DesignSpec, n: int, result: dict[str, float]) -> dict[str, Any]:
    power, _ = analytic_for(spec, n)
    return {"n_per_arm": n, "n_treatment": spec.n_treatment(n), **result, "analytic_power": power}


def search_sample_size(
    spec: DesignSpec, target: float, runner: Runner, start: int = 8
) -> dict[str, Any]:
    """Smallest control-arm size whose simulated power reaches ``target``.

    Doubles from ``start`` until the target is reached, then bisects; every evaluated
    point is returned in evaluation order.

    Raises
    ------
    ValueError
        If even ``N_MAX`` patients per arm do not reach the target.
    """
    points: list[dict[str, Any]] = []

    def power_at(n: int) -> float:
        result = evaluate(spec, [(n, "alternative")], runner)[(n, "alternative")]
        points.append(_point(spec, n, result))
        return result["power"]

    low, high = N_MIN - 1, max(start, N_MIN)
    while power_at(high) < target:
        low, high = high, high * 2
        if high > N_MAX:
            raise ValueError(f"power {target} is not reached with {N_MAX} patients per arm")
    while high - low > 1:
        middle = (low + high) // 2
        if power_at(middle) >= target:
            high = middle
        else:
            low = middle
    return {"target_power": target, "n_per_arm": high, "points": points}


def curve_points(n: int) -> list[int]:
    """Arm sizes for the power curve around ``n``."""
    return sorted({max(N_MIN, round(n * f)) for f in (0.5, 0.75, 1.0, 1.5, 2.0)})


def run_design(
    spec: DesignSpec,
    n_per_arm: int | None = None,
    target_power: float | None = None,
    runner: Runner | None = None,
    curve: bool = True,
) -> dict[str, Any]:
    """Evaluate a design: power, type I error, search, curve and assurance.

    Parameters
    ----------
    spec
        The design (endpoint, parameters, alpha, ratio, test, sims, seed, block size,
        optional prior for assurance).
    n_per_arm
        Control-arm size (the MSCT arm is ``ratio`` times larger); ignored when
        ``target_power`` is given.
    target_power
        Search the smallest arm size reaching this simulated power.
    runner
        Serial, joblib or Dask execution of the blocks.
    curve
        Also simulate a power curve around the chosen size.

    Returns
    -------
    dict
        JSON-ready design result.
    """
    runner = runner or Runner()
    search = None
    if target_power is not None:
        search = search_sample_size(spec, target_power, runner, start=n_per_arm or 8)
        n_per_arm = int(search["n_per_arm"])
    if n_per_arm is None or n_per_arm < 2:
        raise ValueError(f"n_per_arm must be at least 2, got {n_per_arm}")
    points = [(n_per_arm, "alternative"), (n_per_arm, "null")]
    if spec.prior is not None:
        points.append((n_per_arm, "assurance"))
    extra = [n for n in curve_points(n_per_arm) if n != n_per_arm] if curve else []
    if search is not None:
        extra = [n for n in extra if n not in {p["n_per_arm"] for p in search["points"]}]
    points += [(n, "alternative") for n in extra]
    results = evaluate(spec, points, runner)
    design = _assemble(spec, n_per_arm, results, search, runner)
    if spec.boundaries is not None:
        design.update(group_sequential(spec, n_per_arm, runner))
    return design


def group_sequential(spec: DesignSpec, n_fixed: int, runner: Runner) -> dict[str, Any]:
    """Boundaries, maximum size and simulated operating characteristics of the looks.

    The maximum control-arm size is the fixed design's times the inflation factor
    (rounded up); relapse looks are planned at fractions of the events expected with
    that many patients.

    Returns
    -------
    dict
        ``boundaries``, ``inflation_factor``, ``max_n_per_arm`` and ``group_sequential``
        (settings, per-look stopping probabilities, expected sizes, type I error).
    """
    bounds = spec.boundaries
    if bounds is None:
        raise ValueError("a group-sequential design needs boundaries (--looks above 1)")
    n_max = math.ceil(bounds.inflation_factor * n_fixed - 1e-9)
    events = 0
    if spec.endpoint == "relapse":
        events = max(
            len(bounds.info_rates),
            round(analytic.expected_events(spec.values, n_max, spec.n_treatment(n_max))),
        )
    sim = replace(spec, events=events)
    tasks = tasks_for(sim, n_max, "alternative") + tasks_for(sim, n_max, "null")
    tallies = run_tasks(tasks, runner.jobs, runner.scheduler, runner.progress, run_look_block)
    per = block_count(spec)
    plan = look_plan(sim)
    alternative = looks.summarise(_sum_tallies(tallies[:per], plan), plan)
    null = looks.summarise(_sum_tallies(tallies[per:], plan), plan)
    settings = {
        "looks": len(bounds.info_rates),
        "info_rates": list(bounds.info_rates),
        "spending": bounds.spending,
        "futility": bounds.futility_spending,
        "binding": bounds.binding,
        "alpha_one_sided": bounds.alpha,
        "beta": bounds.beta,
        "drift": bounds.drift,
        "accrual_months": spec.accrual_months,
        "max_n_treatment": spec.n_treatment(n_max),
        "max_events": events or None,
        "primary_week": looks.PRIMARY_WEEK,
    }
    return {
        "boundaries": bounds.rows(),
        "inflation_factor": bounds.inflation_factor,
        "max_n_per_arm": n_max,
        "group_sequential": {
            **settings,
            **alternative,
            "type1_error": null["rejection_probability_strict"],
            "type1_mc_se": math.sqrt(
                null["rejection_probability_strict"]
                * (1 - null["rejection_probability_strict"])
                / spec.sims
            ),
            "null": null,
        },
    }


def _sum_tallies(tallies: Sequence[looks.LookTally], plan: looks.LookPlan) -> looks.LookTally:
    total = looks.empty_tally(plan)
    for t in tallies:
        total = looks.add(total, looks.LookTally(*t))
    return total


def _assemble(
    spec: DesignSpec,
    n: int,
    results: dict[tuple[int, str], dict[str, float]],
    search: dict[str, Any] | None,
    runner: Runner,
) -> dict[str, Any]:
    main, null = results[(n, "alternative")], results[(n, "null")]
    power, method = analytic_for(spec, n)
    curve = [_point(spec, m, r) for (m, kind), r in results.items() if kind == "alternative"]
    seen = {c["n_per_arm"] for c in curve}
    curve += [p for p in (search or {}).get("points", []) if p["n_per_arm"] not in seen]
    design = _header(spec, n)
    design.update(
        power=main["power"],
        mc_se=main["mc_se"],
        mean_estimate=main["mean_estimate"],
        valid_fraction=main["valid_fraction"],
        analytic_power=power,
        analytic_method=method,
        type1_error=null["power"],
        type1_mc_se=null["mc_se"],
        assurance=_assurance(spec, results.get((n, "assurance"))),
        search=search,
        curve=sorted(curve, key=lambda p: p["n_per_arm"]),
        parameters=_parameters(spec),
        runner=runner.name,
        random_streams=RANDOM_STREAMS,
        myotrial_version=__version__,
    )
    if spec.endpoint == "relapse":
        design["expected_events"] = analytic.expected_events(spec.values, n, spec.n_treatment(n))
    return design


RANDOM_STREAMS = (
    "numpy SeedSequence(seed, spawn_key=(4·n_per_arm + k, block)); "
    "k = 0 alternative, 1 null, 2 assurance"
)


def _header(spec: DesignSpec, n: int) -> dict[str, Any]:
    """What the design is: endpoint, analysis, arms and simulation settings."""
    return {
        "endpoint": spec.endpoint,
        "analysis": ANALYSIS_TEXT[spec.endpoint],
        "test": TEST_TEXT[spec.test] if spec.endpoint == "response" else None,
        "alpha": spec.alpha,
        "ratio": spec.ratio,
        "n_per_arm": n,
        "n_treatment": spec.n_treatment(n),
        "n_total": n + spec.n_treatment(n),
        "sims": spec.sims,
        "seed": spec.seed,
        "block_size": spec.block_size,
    }


def _assurance(spec: DesignSpec, result: dict[str, float] | None) -> dict[str, Any] | None:
    if result is None or spec.prior is None:
        return None
    prior = spec.prior
    return {
        "assurance": result["power"],
        "mc_se": result["mc_se"],
        "prior": prior.kind,
        "prior_mean": prior.mean,
        "prior_sd": prior.sd,
        "draws": len(prior.draws),
        "source": prior.source,
    }


def _parameters(spec: DesignSpec) -> dict[str, dict[str, Any]]:
    out = {}
    for name in ENDPOINT_PARAMETERS[spec.endpoint]:
        base = DEFAULTS[name].to_dict()
        base["value"] = spec.values[name]
        base["source"] = spec.sources.get(name, base["source"])
        out[name] = base
    return out


def make_spec(
    endpoint: str,
    overrides: dict[str, float] | None = None,
    *,
    sources: dict[str, str] | None = None,
    alpha: float = 0.05,
    ratio: float = 1.0,
    test: str = "z",
    sims: int = 10_000,
    seed: int = 0,
    block_size: int = DEFAULT_BLOCK_SIZE,
    prior: Prior | None = None,
) -> DesignSpec:
    """Build a design from the default parameters and the values a user changed.

    Raises
    ------
    ValueError
        If the endpoint, test, alpha, ratio, sims or block size is out of range, or a
        parameter name is unknown.
    """
    problems = []
    if endpoint not in ENDPOINTS:
        problems.append(f"endpoint {endpoint!r} is not one of {', '.join(ENDPOINTS)}")
    if test not in TESTS:
        problems.append(f"test {test!r} is not one of {', '.join(TESTS)}")
    if not 0 < alpha < 1:
        problems.append(f"alpha must be between 0 and 1, got {alpha}")
    if ratio <= 0:
        problems.append(f"ratio must be above 0, got {ratio}")
    if sims < 1 or block_size < 1:
        problems.append(f"sims and block size must be at least 1, got {sims}, {block_size}")
    if problems:
        raise ValueError("; ".join(problems))
    params = resolve(overrides, sources)
    return DesignSpec(
        endpoint,
        {k: p.value for k, p in params.items()},
        alpha,
        ratio,
        test,
        sims,
        seed,
        block_size,
        prior,
        {k: p.source for k, p in params.items()},
    )
