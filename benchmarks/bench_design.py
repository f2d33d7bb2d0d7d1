"""Trial-design simulation: batched NumPy versus the per-trial loops users write today.

Runs in one process, on the same simulated trials:

1. ANCOVA trials (n = 60): simulate-and-analyse batched vs statsmodels OLS per trial;
2. log-rank (relapse, n = 60, visit ties): batched vs lifelines ``logrank_test`` per trial;
3. 10 million simulated ANCOVA trials through ``run_tasks`` with joblib on 2 cores.

Prints trials per second and the ratios. Usage: ``python benchmarks/bench_design.py
[--big-trials N] [--jobs J]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import statsmodels.api as sm

from myotrial.design import analyses, model
from myotrial.design.parameters import DEFAULTS
from myotrial.design.power import make_spec
from myotrial.design.simulate import Tally, run_block, run_tasks, tasks_for

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


def main() -> None:
    """Run the three benchmarks and print rates and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big-trials", type=int, default=10_000_000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    bench_ancova()
    bench_logrank()
    bench_big(args.big_trials, args.jobs)


if __name__ == "__main__":
    main()
