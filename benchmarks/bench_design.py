"""Trial-design simulation: batched NumPy versus the per-trial loops users write today.

Runs in one process, on the same simulated trials:

1. ANCOVA trials (n = 60): simulate-and-analyse batched vs statsmodels OLS per trial;
2. log-rank (relapse, n = 60, visit ties): batched vs lifelines ``logrank_test`` per trial;
3. 10 million simulated ANCOVA trials through ``run_tasks`` with joblib on 2 cores;
4. group-sequential ANCOVA (3 looks, O'Brien-Fleming-type efficacy and futility,
   34 per arm at most): batched looks (each arm's sufficient statistics drawn per look)
   vs a loop fitting statsmodels OLS at each look of each trial on patients drawn one by
   one, in CPU time of one core (target: 300,000 trials/s per core), and the
   same blocks run serially, with joblib and on Dask (identical counts required);
5. ``--from-pilot`` on a two-arm registry of 10,000 patients: each arm fitted to its
   own patients with 2,000 bootstrap resamples (target: under a minute).

Prints trials per second and the ratios. Usage: ``python benchmarks/bench_design.py
[--big-trials N] [--jobs J]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import statsmodels.api as sm

from myotrial.design import analyses, model
from myotrial.design.looks import arm_sizes, first_stop, look_sizes, t_scale
from myotrial.design.parameters import DEFAULTS
from myotrial.design.power import make_spec
from myotrial.design.sequential import Spending, design_boundaries
from myotrial.design.simulate import (
    Tally,
    look_plan,
    run_block,
    run_look_block,
    run_tasks,
    tasks_for,
)

VALUES = {k: p.value for k, p in DEFAULTS.items()}


def _rate(trials: int, seconds: float) -> float:
    return trials / seconds


def bench_ancova(loop_trials: int = 2000, batch_trials: int = 200_000) -> float:
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    sim = model.simulate_change(rng, VALUES, 30, 30, loop_trials)
    for i in range(loop_trials):
        x = np.column_stack([np.ones(60), sim.arm, sim.baseline[i]])
        sm.OLS(sim.outcome[i], x).fit()
    loop = _rate(loop_trials, time.perf_counter() - start)
    spec = make_spec("mmt8_change", {}, sims=batch_trials, seed=1, block_size=batch_trials)
    start = time.perf_counter()
    run_tasks(tasks_for(spec, 30, "alternative"))  # simulate and analyse, one process
    batch = _rate(batch_trials, time.perf_counter() - start)
    print(
        f"ANCOVA n=60  statsmodels loop {loop:12,.0f} trials/s | batched {batch:14,.0f} "
        f"trials/s | ratio {batch / loop:8.0f}x"
    )
    return batch / loop


def bench_logrank(loop_trials: int = 200, batch_trials: int = 50_000) -> float:
    from lifelines.statistics import logrank_test

    rng = np.random.default_rng(2)
    start = time.perf_counter()
    sim = model.simulate_relapse(rng, VALUES, 30, 30, loop_trials)
    arm = sim.arm == 1
    for i in range(loop_trials):
        assert sim.event is not None
        logrank_test(
            sim.outcome[i, ~arm], sim.outcome[i, arm], sim.event[i, ~arm], sim.event[i, arm]
        )
    loop = _rate(loop_trials, time.perf_counter() - start)
    start = time.perf_counter()
    sim = model.simulate_relapse(rng, VALUES, 30, 30, batch_trials)
    assert sim.event is not None
    analyses.logrank(sim.outcome, sim.event, sim.arm, 0.05, sim.observed)
    batch = _rate(batch_trials, time.perf_counter() - start)
    print(
        f"log-rank n=60 lifelines loop  {loop:12,.0f} trials/s | batched {batch:14,.0f} "
        f"trials/s | ratio {batch / loop:8.0f}x  (batched includes the Cox fit)"
    )
    return batch / loop


def _timed_block(*task: object) -> tuple[Tally, float]:
    """A block plus the CPU seconds its worker spent on it."""
    start = time.process_time()
    tally = run_block(*task)  # type: ignore[arg-type]
    return tally, time.process_time() - start


def bench_big(trials: int, jobs: int) -> float:
    from joblib import Parallel, delayed

    spec = make_spec("mmt8_change", {}, sims=trials, seed=1, block_size=50_000)
    tasks = tasks_for(spec, 30, "alternative")
    start = time.perf_counter()
    out = Parallel(n_jobs=jobs)(delayed(_timed_block)(*task) for task in tasks)
    seconds = time.perf_counter() - start
    done = sum(t.trials for t, _ in out)
    cpu = sum(c for _, c in out)
    print(
        f"{done:,} simulated ANCOVA trials (n=60), joblib on {jobs} processes: wall "
        f"{seconds:.1f} s ({done / seconds:,.0f} trials/s); worker CPU {cpu:.1f} s "
        f"({done / cpu:,.0f} trials per CPU-second, i.e. {cpu / jobs:.1f} s wall on "
        f"{jobs} idle cores); power {sum(t.rejections for t, _ in out) / done:.4f}"
    )
    return seconds


def _looks_spec(trials: int, block: int) -> object:
    from dataclasses import replace

    bounds = design_boundaries([1 / 3, 2 / 3, 1], 0.025, 0.2, Spending("obf"), Spending("obf"))
    spec = make_spec("mmt8_change", {}, sims=trials, seed=1, block_size=block)
    return replace(spec, boundaries=bounds)


def _loop_looks(trials: int) -> float:
    """Trials per CPU-second of the loop: statsmodels OLS on the analysed patients."""
    spec = _looks_spec(trials, trials)
    plan = look_plan(spec)  # type: ignore[arg-type]
    sizes = look_sizes(plan, 68)
    m0, m1 = arm_sizes(34, 34, sizes)
    efficacy, futility = t_scale(plan.efficacy, sizes - 3), t_scale(plan.futility or (), sizes - 3)
    sim = model.simulate_change(np.random.default_rng(3), VALUES, 34, 34, trials)
    start = time.process_time()
    stats = np.zeros((trials, plan.looks))
    for i in range(trials):
        for k in range(plan.looks):
            rows = np.r_[np.arange(m0[k]), 34 + np.arange(m1[k])]
            x = np.column_stack([np.ones(len(rows)), sim.arm[rows], sim.baseline[i, rows]])
            stats[i, k] = sm.OLS(sim.outcome[i, rows], x).fit().tvalues[1]
            if stats[i, k] >= efficacy[k] or stats[i, k] <= futility[k]:
                break  # the trial stops: later looks are not fitted
        else:
            continue
        stats[i, k + 1 :] = stats[i, k]
    first_stop(stats, efficacy, futility)
    return trials / (time.process_time() - start)


def bench_looks(trials: int = 1_000_000, loop_trials: int = 2000) -> float:
    """Group-sequential ANCOVA: batched trials per CPU-second vs the statsmodels loop."""
    loop = _loop_looks(loop_trials)
    spec = _looks_spec(trials, 100_000)
    tasks = tasks_for(spec, 34, "alternative")  # type: ignore[arg-type]
    run_look_block(_looks_spec(2000, 2000), 34, "alternative", 0)  # type: ignore[arg-type]
    wall, start = time.perf_counter(), time.process_time()
    run_tasks(tasks, worker=run_look_block)
    batch = trials / (time.process_time() - start)
    wall = trials / (time.perf_counter() - wall)
    print(
        f"GS ANCOVA 3 looks, <=68 patients: statsmodels loop {loop:10,.0f} trials/s | "
        f"batched {batch:12,.0f} trials/s per core ({wall:,.0f}/s wall) | "
        f"ratio {batch / loop:6.0f}x | "
        f"target 300,000/s {'met' if batch >= 300_000 else 'NOT met'}"
    )
    _same_everywhere(_looks_spec(40_000, 10_000))
    return batch / loop


def _same_everywhere(spec: object) -> None:
    from dask.distributed import LocalCluster

    tasks = tasks_for(spec, 34, "alternative")  # type: ignore[arg-type]
    serial = run_tasks(tasks, worker=run_look_block)
    joblib = run_tasks(tasks, jobs=2, worker=run_look_block)
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        dask = run_tasks(tasks, scheduler=cluster.scheduler_address, worker=run_look_block)
    same = serial == joblib == dask
    print(f"GS blocks serial / joblib / Dask identical: {same}")
    if not same:
        raise SystemExit("group-sequential blocks differ between runners")


def bench_from_pilot(patients: int = 10_000, resamples: int = 2000) -> float:
    """CPU and wall seconds of the two-arm pilot fit with its bootstrap."""
    from myotrial.design.pilot import pilot_design_inputs
    from myotrial.synthetic import make_registry

    trial = make_registry(patients, seed=1)
    wall, cpu = time.perf_counter(), time.process_time()
    pilot_design_inputs("response", trial, resamples, 1)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"--from-pilot fit, two-arm registry of {patients:,} patients, {resamples:,} "
        f"resamples: wall {wall:.1f} s, CPU {cpu:.1f} s (target under 60 s)"
    )
    return wall


def main() -> None:
    """Run the three benchmarks and print rates and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big-trials", type=int, default=10_000_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--looks-trials", type=int, default=1_000_000)
    parser.add_argument("--only-looks", action="store_true", help="Run only benchmark 4.")
    args = parser.parse_args()
    if not args.only_looks:
        bench_ancova()
        bench_logrank()
        bench_big(args.big_trials, args.jobs)
    bench_looks(args.looks_trials)
    if not args.only_looks:
        bench_from_pilot()


if __name__ == "__main__":
    main()
