"""Build and write the synthetic registry: vectorised against a per-patient loop.

Runs, in one process:

1. ``make_registry`` (whole arrays, no loop over patients) for ``--patients`` patients,
   and ``write_trial_folder`` on the result (each distinct value formatted once, rows
   joined column-wise);
2. the same disease model driven one patient at a time (a Python loop that builds each
   patient's visits and appends rows), and the visits written row by row with
   ``csv.writer``: the way such a generator and writer are often first written. The loop
   runs on ``--naive-patients`` patients and its rate is per patient.

Prints patients and visit rows per second for both and the ratios. Usage::

    python benchmarks/bench_synthetic.py [--patients 10000] [--naive-patients 1000]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from myotrial.ingest.writer import csv_text, write_trial_folder
from myotrial.synthetic import make_registry, model
from myotrial.synthetic.registry import GRID_DAYS, GRID_REACH


def naive_visits(n_patients: int, seed: int) -> list[dict[str, object]]:
    """Visits of ``n_patients`` built one patient at a time with the same model."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    start = np.datetime64("2015-01-05", "D")
    for index in range(n_patients):
        severity = rng.standard_normal(1)
        levels = model.draw_levels(rng, severity)
        day0 = start + int(rng.integers(0, 5 * 365))
        days = [float(-rng.integers(4, 22))]
        for nominal, reach in zip(GRID_DAYS, GRID_REACH, strict=True):
            days.append(float(nominal + rng.integers(-reach, reach + 1)))
        day = np.array(days)
        patient = np.zeros(day.size, dtype=np.intp)
        never = np.full(day.size, np.inf)
        rate = model.CK_RATE_PER_DAY * float(np.exp(rng.normal(0.0, 0.15)))
        muscle = model.activity(day, rate, never, never, np.full(day.size, 0.8))
        values = model.visit_measures(rng, levels, patient, muscle, muscle, muscle)
        for k in range(day.size):
            row: dict[str, object] = {
                "patient_id": f"R{index + 1:06d}",
                "visit_date": str(day0 + int(day[k])),
            }
            row.update({name: float(v[k]) for name, v in values.items()})
            rows.append(row)
    return rows


def naive_write(rows: list[dict[str, object]], path: Path) -> None:
    """Write visit rows one by one, formatting each cell in Python."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(list(rows[0]))
        for row in rows:
            writer.writerow(
                ["" if isinstance(v, float) and np.isnan(v) else v for v in row.values()]
            )


def time_vectorised(n_patients: int, seed: int, folder: Path) -> dict[str, float]:
    """Seconds to build the registry, write its folder, and write its visits alone."""
    started = time.perf_counter()
    registry = make_registry(n_patients, seed=seed)
    build = time.perf_counter() - started
    started = time.perf_counter()
    write_trial_folder(registry, folder / "registry")
    folder_time = time.perf_counter() - started
    # The comparison writes visits only, as the loop does, through the same code path.
    started = time.perf_counter()
    (folder / "visits.csv").write_text(csv_text(registry.visits), encoding="utf-8")
    visits_time = time.perf_counter() - started
    return {
        "patients": n_patients,
        "visits": len(registry.visits),
        "build": build,
        "folder": folder_time,
        "write": visits_time,
    }


def time_naive(n_patients: int, seed: int, folder: Path) -> dict[str, float]:
    """Seconds to build and write visits one patient and one row at a time."""
    started = time.perf_counter()
    rows = naive_visits(n_patients, seed=seed)
    build = time.perf_counter() - started
    started = time.perf_counter()
    naive_write(rows, folder / "naive_visits.csv")
    write = time.perf_counter() - started
    return {"patients": n_patients, "visits": len(rows), "build": build, "write": write}


def rates(fast: dict[str, float], slow: dict[str, float]) -> pd.DataFrame:
    """Rates of both approaches and their ratio."""
    table = pd.DataFrame(
        {
            "rate": ["build, patients/s", "build, visits/s", "write visits.csv, rows/s"],
            "vectorised": [
                fast["patients"] / fast["build"],
                fast["visits"] / fast["build"],
                fast["visits"] / fast["write"],
            ],
            "per-patient loop": [
                slow["patients"] / slow["build"],
                slow["visits"] / slow["build"],
                slow["visits"] / slow["write"],
            ],
        }
    )
    table["ratio"] = table["vectorised"] / table["per-patient loop"]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--naive-patients", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fast = time_vectorised(args.patients, args.seed, Path(tmp))
        slow = time_naive(args.naive_patients, args.seed, Path(tmp))
    print(
        f"registry: {fast['patients']:.0f} patients, {fast['visits']:.0f} visits; "
        f"build {fast['build']:.2f} s, whole folder written in {fast['folder']:.2f} s"
    )
    print(
        f"per-patient loop: {slow['patients']:.0f} patients, {slow['visits']:.0f} visits; "
        f"build {slow['build']:.2f} s, write {slow['write']:.2f} s"
    )
    formats = {
        "vectorised": "{:,.0f}".format,
        "per-patient loop": "{:,.0f}".format,
        "ratio": "{:.1f}x".format,
    }
    print(rates(fast, slow).to_string(index=False, formatters=formats))


if __name__ == "__main__":
    main()
