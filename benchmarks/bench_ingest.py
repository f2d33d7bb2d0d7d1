"""Read and validate a 10,000-patient registry folder (about 200,000 visits).

Runs, on the same CSV files:

The registry is ``myotrial.synthetic.make_registry`` written with
``myotrial.ingest.writer.write_trial_folder``.

1. ``myotrial.ingest.inspect_trial``: strings read by pandas, typed column by column,
   every rule a vectorised mask;
2. a per-row Python loop (``csv.DictReader`` and the same checks for each row), the way a
   validator is often first written.

Prints rows per second for both and the ratio. Usage::

    python benchmarks/bench_ingest.py [--patients 10000] [--seed 7]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from myotrial.errors import Problem
from myotrial.ingest import inspect_trial
from myotrial.trialdata import TABLES

# Ranges of the per-row loop: the same bounds the trial format sets (docs/trial-format.md).
RANGES: dict[str, tuple[float, float | None]] = {
    "phga": (0, 10),
    "ptga": (0, 10),
    "extramuscular": (0, 10),
    "mmt8": (0, 80),
    "haq": (0, 3),
    "ck": (0, None),
    "ck_mb": (0, None),
    "aldolase": (0, None),
    "ldh": (0, None),
    "ast": (0, None),
    "alt": (0, None),
    "fvc_pct": (10, 200),
    "dlco_pct": (10, 200),
    "hrct_score": (0, None),
    "ulcers": (0, None),
    "cdasi_activity": (0, 100),
    "prednisone_mg": (0, 2000),
    "cells_per_kg": (0, 1e8),
    "viability_pct": (0, 100),
}


def write_registry(folder: Path, n_patients: int, seed: int) -> dict[str, int]:
    """Write the synthetic registry as a trial folder; rows per table."""
    from myotrial.ingest.writer import write_trial_folder
    from myotrial.synthetic import make_registry

    trial = make_registry(n_patients, seed=seed)
    write_trial_folder(trial, folder)
    return {t: len(trial.table(t)) for t in TABLES}


def naive_validate(folder: Path) -> list[Problem]:
    """The same rules, one row at a time."""
    problems: list[Problem] = []
    enrolled: dict[str, dt.date] = {}
    with (folder / "patients.csv").open(newline="") as handle:
        for row_number, row in enumerate(csv.DictReader(handle), start=2):
            pid = row["patient_id"]
            if pid in enrolled:
                problems.append(
                    Problem(
                        "patients.csv",
                        row_number,
                        "patient_id",
                        pid,
                        "repeats the key (patient_id)",
                    )
                )
            enrolled[pid] = (
                _date(row["enrolment_date"], "patients.csv", row_number, "enrolment_date", problems)
                or dt.date.min
            )
            _number(row, "age", 18, 100, "patients.csv", row_number, problems)
            _number(row, "weight_kg", 20, 300, "patients.csv", row_number, problems)
            if row["sex"] not in ("F", "M"):
                problems.append(Problem("patients.csv", row_number, "sex", row["sex"], "sex"))
    for name, date_column in (
        ("visits", "visit_date"),
        ("infusions", "infusion_date"),
        ("adverse_events", "onset_date"),
        ("events", "event_date"),
    ):
        _naive_child(folder, name, date_column, enrolled, problems)
    return problems


def _naive_child(
    folder: Path, name: str, date_column: str, enrolled: dict[str, dt.date], problems: list[Problem]
) -> None:
    seen: set[tuple[str, ...]] = set()
    file = f"{name}.csv"
    with (folder / file).open(newline="") as handle:
        for row_number, row in enumerate(csv.DictReader(handle), start=2):
            pid = row["patient_id"]
            date = _date(row[date_column], file, row_number, date_column, problems)
            if pid not in enrolled:
                problems.append(Problem(file, row_number, "patient_id", pid, "unknown"))
            elif date is not None and date < enrolled[pid]:
                problems.append(Problem(file, row_number, date_column, str(date), "before"))
            key = (
                pid,
                row[date_column],
                row.get("term", ""),
                row.get("type", ""),
                row.get("lot", ""),
            )
            if key in seen:
                problems.append(Problem(file, row_number, date_column, str(date), "repeats"))
            seen.add(key)
            for column, (low, high) in RANGES.items():
                if column in row:
                    _number(row, column, low, high, file, row_number, problems)


def _date(text: str, file: str, row: int, column: str, problems: list[Problem]) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        problems.append(Problem(file, row, column, text, "is not a date"))
        return None


def _number(
    row: dict[str, str],
    column: str,
    low: float,
    high: float | None,
    file: str,
    number: int,
    problems: list[Problem],
) -> None:
    text = row.get(column, "")
    if not text:
        return
    try:
        value = float(text)
    except ValueError:
        problems.append(Problem(file, number, column, text, "is not a number"))
        return
    if value < low or (high is not None and value > high):
        problems.append(Problem(file, number, column, text, "is out of range"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        counts = write_registry(folder, args.patients, args.seed)
        rows = sum(counts.values())
        print(f"registry: {args.patients} patients, {counts['visits']} visits, {rows} rows in all")
        start, cpu = time.perf_counter(), time.process_time()
        check = inspect_trial(folder)
        fast, fast_cpu = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        naive = naive_validate(folder)
        slow, slow_cpu = time.perf_counter() - start, time.process_time() - cpu
    if check.problems or naive:
        print(f"unexpected problems: {check.problems[:3]} {naive[:3]}", file=sys.stderr)
        return 1
    print(
        f"myotrial read+validate: {fast:6.2f} s wall, {fast_cpu:6.2f} s CPU, "
        f"{rows / fast:10,.0f} rows/s"
    )
    print(
        f"per-row Python loop:    {slow:6.2f} s wall, {slow_cpu:6.2f} s CPU, "
        f"{rows / slow:10,.0f} rows/s (fewer rules than myotrial checks)"
    )
    print(f"ratio (wall): {slow / fast:.1f}x; ratio (CPU): {slow_cpu / fast_cpu:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
