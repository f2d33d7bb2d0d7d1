"""Benchmark: ``myotrial.analyze`` on a synthetic 10,000-patient registry.

Prints the time of every analysis step, the total, the peak memory (resource.getrusage),
and, for two vectorised steps (paired tests over every episode x measure x time point;
mapping visits to time points), the rate against a per-patient loop doing the same work.
Run: ``python benchmarks/bench_analysis.py [N_PATIENTS]``.
"""

from __future__ import annotations

import os
import resource
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats

import myotrial
from myotrial.analysis.episodes import map_timepoints
from myotrial.analysis.paired import paired_summary
from myotrial.synthetic import make_registry

LIMIT_SECONDS = 20.0
"""Two-arm registry of 10,000 patients, between-arm comparison included."""
LIMIT_MB = 2048.0


def peak_mb() -> float:
    """Peak resident memory of this process in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main_thread_clock() -> tuple[float, float, float]:
    """Wall clock, and this thread's CPU time and run-queue wait, in seconds.

    Linux ``/proc/thread-self/schedstat``: time on the CPU, time runnable but waiting
    for a CPU (the machine busy with other work), in ns. What wall time is neither was
    spent blocked: reading or writing, a lock, waiting for another thread.
    """
    try:
        with open("/proc/thread-self/schedstat", encoding="ascii") as stat:
            on_cpu, waiting = (int(v) / 1e9 for v in stat.read().split()[:2])
    except OSError:  # not Linux: the wait is not known
        on_cpu, waiting = time.thread_time(), float("nan")
    return time.perf_counter(), on_cpu, waiting


def run_analysis(trial: myotrial.TrialData) -> tuple[myotrial.AnalysisResult, float]:
    marks: list[tuple[str, tuple[float, float, float]]] = []
    first, cpu = main_thread_clock(), time.process_time()
    result = myotrial.analyze(
        trial, progress=lambda name: marks.append((name, main_thread_clock()))
    )
    last, cpu_end = main_thread_clock(), time.process_time()
    ends = [*marks[1:], ("end", last)]
    print(f"  {'step':32s} {'wall':>8s} {'CPU':>8s} {'queued':>8s} {'blocked':>8s}")
    for (name, (t0, c0, w0)), (_, (t1, c1, w1)) in zip(marks, ends, strict=True):
        blocked = (t1 - t0) - (c1 - c0) - (w1 - w0)
        print(f"  {name:32s} {t1 - t0:7.2f}s {c1 - c0:7.2f}s {w1 - w0:7.2f}s {blocked:7.2f}s")
    wall, on_cpu, queued = (b - a for a, b in zip(first, last, strict=True))
    print(
        f"  whole analysis: {wall:.1f} s wall = {on_cpu:.1f} s on a CPU + {queued:.1f} s "
        f"waiting for a CPU + {wall - on_cpu - queued:.1f} s blocked; process CPU "
        f"(all threads) {cpu_end - cpu:.1f} s"
    )
    return result, wall


def paired_loop(long: pd.DataFrame) -> pd.DataFrame:
    """The naive way: one scipy call per group (what a per-group loop would do)."""
    rows = []
    for key, group in long.groupby(["episode", "measure", "day"], observed=True):
        d = group["x1"].to_numpy() - group["x0"].to_numpy()
        t_p = stats.ttest_rel(group["x1"], group["x0"]).pvalue if len(d) > 1 else np.nan
        w_p = stats.wilcoxon(d).pvalue if np.any(d != 0) else np.nan
        rows.append((*key, t_p, w_p))
    return pd.DataFrame(rows)


def timepoints_loop(followup: pd.DataFrame, config: myotrial.TrialConfig) -> int:
    """The naive way: map each patient's visits in a Python loop."""
    chosen = 0
    for _, visits in followup.groupby(["patient_id", "episode"], sort=False):
        for point in config.timepoints:
            distance = (visits["day"] - point.day).abs()
            chosen += int((distance <= point.window).any())
    return chosen


def compare(name: str, fast: float, slow: float, units: int) -> None:
    print(
        f"{name}: vectorised {units / fast:,.0f}/s, loop {units / slow:,.0f}/s, "
        f"ratio {slow / fast:,.1f}x"
    )


def main() -> None:
    n_patients = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    start = time.perf_counter()
    trial = make_registry(n_patients, seed=1)
    print(
        f"registry: {len(trial.patients):,} patients, {len(trial.visits):,} visits, "
        f"{len(trial.infusions):,} infusions ({time.perf_counter() - start:.1f} s)"
    )
    result, seconds = run_analysis(trial)
    memory = peak_mb()
    print(
        f"analyze: {seconds:.1f} s, {len(result.episodes):,} episodes, "
        f"peak RSS {memory:,.0f} MB (limits {LIMIT_SECONDS:.0f} s, {LIMIT_MB:.0f} MB)"
    )
    from myotrial.analysis.api import prepare
    from myotrial.analysis.change import paired_long
    from myotrial.analysis.options import AnalysisOptions, Notes

    prep = prepare(trial, AnalysisOptions(), Notes())
    long = paired_long(prep.mapped, prep.baseline, prep.measures)
    t0 = time.perf_counter()
    groups = len(paired_summary(long, ["episode", "measure", "day"]))
    t1 = time.perf_counter()
    paired_loop(long)
    t2 = time.perf_counter()
    compare(f"paired tests ({groups} groups, {len(long):,} pairs)", t1 - t0, t2 - t1, groups)
    courses = prep.followup[prep.followup["episode"] > 0]
    sample = courses[courses["patient_id"].isin(courses["patient_id"].unique()[:2000])]
    t0 = time.perf_counter()
    map_timepoints(sample, trial.config.timepoints)
    t1 = time.perf_counter()
    timepoints_loop(sample, trial.config)
    t2 = time.perf_counter()
    compare(
        f"time-point mapping ({len(sample):,} visits of 2,000 patients)",
        t1 - t0,
        t2 - t1,
        len(sample),
    )
    ok = seconds < LIMIT_SECONDS and memory < LIMIT_MB
    print("within limits" if ok else "OVER LIMIT")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
