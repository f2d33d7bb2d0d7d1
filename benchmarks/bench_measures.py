"""Benchmark: ACR/EULAR 2016 TIS for 1,000,000 pairs, DataFrame API vs a per-pair scorer.

``myotrial.score_tis`` (checks, enzyme choice, points, categories, the result frame) scores
all pairs through its DataFrame face. The alternative is the plain Python a web
calculator runs: one dict per pair, no pandas, no NumPy. It scores every pair too, in
chunks (the dicts are built before each chunk is timed, so only scoring is timed); the
two agree on every pair's TIS and category. Both run on one core (NumPy runs these
operations single-threaded; ``--pin`` also binds the process to one core). Wall time and
CPU time are both printed: on a machine shared with other work the CPU-time rate is the
one-core figure, the wall-time rate includes waiting for the CPU.

Run: ``python benchmarks/bench_measures.py [--pairs N] [--seed S] [--repeat R] [--pin]``.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time

import numpy as np
import pandas as pd

import myotrial

# The calculator's own constants, written out as a calculator would (ACR/EULAR 2016).
POINTS = {
    "phga": (0, 7.5, 15, 17.5, 20),
    "ptga": (0, 2.5, 5, 7.5, 10),
    "mmt8": (0, 10, 20, 27.5, 32.5),
    "haq": (0, 5, 7.5, 7.5, 10),
    "enzyme": (0, 2.5, 5, 7.5, 7.5),
    "extramuscular": (0, 7.5, 12.5, 15, 20),
}
THRESHOLDS = ((60, "major"), (40, "moderate"), (20, "minimal"))
ENZYMES = ("ck", "aldolase", "ldh", "ast", "alt")
CHUNK = 100_000


def synthetic_pairs(n: int, seed: int) -> pd.DataFrame:
    """Seeded pairs on clinical grids, two enzymes with ULNs, 2 % missing values."""
    rng = np.random.default_rng(seed)
    data: dict[str, np.ndarray] = {}
    for visit in ("0", "1"):
        for key in ("phga", "ptga", "extramuscular"):
            data[f"{key}_{visit}"] = rng.integers(0, 101, n) / 10
        data[f"haq_{visit}"] = rng.integers(0, 25, n) / 8
        data[f"mmt8_{visit}"] = rng.integers(0, 81, n).astype(float)
        data[f"ck_{visit}"] = rng.integers(20, 5000, n).astype(float)
        data[f"ldh_{visit}"] = rng.integers(100, 1500, n).astype(float)
    frame = pd.DataFrame(data).mask(rng.random((n, len(data))) < 0.02)
    return frame.assign(ck_uln=200.0, ldh_uln=250.0)


def _points(key: str, p: float) -> float:
    edges = (2, 10, 20, 30) if key == "mmt8" else (5, 15, 25, 40)
    p = round(p, 6)
    return POINTS[key][sum(p > e for e in edges)]


def _enzyme_p(pair: dict[str, float]) -> float:
    best, ratio = None, -1.0
    for name in ENZYMES:
        b, f = pair.get(f"{name}_0", math.nan), pair.get(f"{name}_1", math.nan)
        if not (math.isnan(b) or math.isnan(f)) and round(b / pair[f"{name}_uln"], 6) > ratio:
            best, ratio = (b, f), round(b / pair[f"{name}_uln"], 6)
    if best is None:
        return math.nan
    return 0.0 if best[0] == 0 else (best[0] - best[1]) / best[0] * 100


def calculator_tis(pair: dict[str, float]) -> tuple[float, str | None]:
    """One pair, plain Python: TIS and category, strict missing rule, adult population."""
    p = {}
    for key, scale in (("phga", 10), ("ptga", 10), ("extramuscular", 10), ("haq", 3)):
        p[key] = (pair[f"{key}_0"] - pair[f"{key}_1"]) / scale * 100
    p["mmt8"] = (pair["mmt8_1"] - pair["mmt8_0"]) / 80 * 100
    p["enzyme"] = _enzyme_p(pair)
    if any(math.isnan(v) for v in p.values()):
        return math.nan, None
    tis = sum(_points(key, value) for key, value in p.items())
    return tis, next((name for cut, name in THRESHOLDS if tis >= cut), "none")


def calculator_run(frame: pd.DataFrame) -> tuple[np.ndarray, list[str | None], float]:
    """Score every pair with :func:`calculator_tis`; the seconds spent scoring only."""
    tis, categories, seconds = [], [], 0.0
    columns = list(frame.columns)
    for start in range(0, len(frame), CHUNK):
        block = frame.iloc[start : start + CHUNK].to_numpy().tolist()
        pairs = [dict(zip(columns, row, strict=True)) for row in block]
        begin = time.perf_counter()
        scored = [calculator_tis(pair) for pair in pairs]
        seconds += time.perf_counter() - begin
        tis += [s[0] for s in scored]
        categories += [s[1] for s in scored]
    return np.asarray(tis), categories, seconds


def pin_to_one_core() -> str:
    """Run on one CPU core (Linux); say which."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            return next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pin", action="store_true", help="bind the process to one core")
    args = parser.parse_args()
    pinned = pin_to_one_core() if args.pin else "not pinned"
    frame = synthetic_pairs(args.pairs, args.seed)
    times, cpu_times = [], []
    for _ in range(args.repeat):
        start, cpu = time.perf_counter(), time.process_time()
        scored = myotrial.score_tis(frame)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
    frame_time, frame_cpu = min(times), min(cpu_times)
    tis, categories, calculator_time = calculator_run(frame)
    np.testing.assert_array_equal(tis, scored["tis"].to_numpy())
    if categories != scored["category"].tolist():
        raise AssertionError("categories differ between the calculator and score_tis")
    frame_rate, calculator_rate = args.pairs / frame_time, args.pairs / calculator_time
    cpu_rate, ratio = args.pairs / frame_cpu, calculator_time / frame_time
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    print(f"machine: {cpu_model()}, {platform.machine()}, {os.cpu_count()} cores, {pinned}")
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}; "
        f"load average {load:.1f}"
    )
    print(f"pairs: {args.pairs:,} (seed {args.seed}); scored {int(scored['tis'].notna().sum()):,}")
    print(
        f"score_tis (DataFrame in, DataFrame out): {frame_time:.3f} s (best of {args.repeat}), "
        f"{frame_rate:,.0f} pairs/s; CPU {frame_cpu:.3f} s, {cpu_rate:,.0f} pairs per CPU-second"
    )
    print(
        f"per-pair calculator (one dict per pair): {calculator_time:.1f} s for all pairs, "
        f"{calculator_rate:,.0f} pairs/s"
    )
    print(f"ratio (wall time): {ratio:.1f}x; TIS and category agree on every pair")
    print(
        f"targets: >= 5,000,000 pairs/s wall {'met' if frame_rate >= 5e6 else 'NOT met'}, "
        f"per CPU-second {'met' if cpu_rate >= 5e6 else 'NOT met'}; "
        f">= 40x {'met' if ratio >= 40 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
