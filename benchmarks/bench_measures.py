"""Benchmark: ACR/EULAR 2016 TIS for 1,000,000 pairs, vectorised vs one row at a time.

The vectorised scorer (``myotrial.score_tis``: checks, enzyme choice, points, categories)
scores all pairs. The naive alternative is a plain Python function applied to each row in
turn (``DataFrame.itertuples``), the way a per-patient calculator works; it is timed on a
subset and extrapolated to the full size, as the output says. Both run in this process
on the same seeded synthetic pairs, and their results are compared on the subset.

Run: ``python benchmarks/bench_measures.py [--pairs N] [--subset M] [--seed S]``.
"""

from __future__ import annotations

import argparse
import math
import platform
import time

import numpy as np
import pandas as pd

import myotrial

POINTS = {
    "phga": (0, 7.5, 15, 17.5, 20),
    "ptga": (0, 2.5, 5, 7.5, 10),
    "mmt8": (0, 10, 20, 27.5, 32.5),
    "haq": (0, 5, 7.5, 7.5, 10),
    "enzyme": (0, 2.5, 5, 7.5, 7.5),
    "extramuscular": (0, 7.5, 12.5, 15, 20),
}
ENZYMES = ("ck", "aldolase", "ldh", "ast", "alt")


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


def naive_tis(row: dict[str, float]) -> float:
    """One pair, plain Python, strict missing rule, adult population."""
    p = {}
    for key, scale in (("phga", 10), ("ptga", 10), ("extramuscular", 10), ("haq", 3)):
        p[key] = (row[f"{key}_0"] - row[f"{key}_1"]) / scale * 100
    p["mmt8"] = (row["mmt8_1"] - row["mmt8_0"]) / 80 * 100
    best, ratio = None, -1.0
    for name in ENZYMES:
        b, f = row.get(f"{name}_0", math.nan), row.get(f"{name}_1", math.nan)
        if not (math.isnan(b) or math.isnan(f)) and round(b / row[f"{name}_uln"], 6) > ratio:
            best, ratio = (b, f), round(b / row[f"{name}_uln"], 6)
    p["enzyme"] = (
        math.nan if best is None else (0.0 if best[0] == 0 else (best[0] - best[1]) / best[0] * 100)
    )
    if any(math.isnan(v) for v in p.values()):
        return math.nan
    return sum(_points(key, value) for key, value in p.items())


def naive_loop(frame: pd.DataFrame) -> np.ndarray:
    columns = list(frame.columns)
    return np.array(
        [
            naive_tis(dict(zip(columns, row, strict=True)))
            for row in frame.itertuples(index=False, name=None)
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--subset", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = synthetic_pairs(args.pairs, args.seed)
    times, cpu_times = [], []
    for _ in range(args.repeat):
        start, cpu = time.perf_counter(), time.process_time()
        scored = myotrial.score_tis(frame)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
    vector_time, vector_cpu = min(times), min(cpu_times)
    subset = frame.iloc[: args.subset]
    start = time.perf_counter()
    naive = naive_loop(subset)
    naive_time = (time.perf_counter() - start) * args.pairs / args.subset
    np.testing.assert_array_equal(naive, scored["tis"].to_numpy()[: args.subset])
    vector_rate, naive_rate = args.pairs / vector_time, args.pairs / naive_time
    print(
        f"machine: {platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}"
    )
    print(f"pairs: {args.pairs:,} (seed {args.seed}); scored {int(scored['tis'].notna().sum()):,}")
    print(
        f"vectorised score_tis: {vector_time:.3f} s (best of {args.repeat}), "
        f"{vector_rate:,.0f} pairs/s"
    )
    print(
        f"  CPU time of this process: {vector_cpu:.3f} s, "
        f"{args.pairs / vector_cpu:,.0f} pairs per CPU-second"
    )
    print(
        f"one row at a time:    {naive_time:.1f} s extrapolated from {args.subset:,} rows, "
        f"{naive_rate:,.0f} pairs/s"
    )
    print(f"ratio: {naive_time / vector_time:.1f}x faster; results agree on the subset")
    print(
        f"targets: >= 2,000,000 pairs/s {'met' if vector_rate >= 2e6 else 'NOT met'}; "
        f">= 20x {'met' if naive_time / vector_time >= 20 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
