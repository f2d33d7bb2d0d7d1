"""Read and validate a 10,000-patient registry folder (about 200,000 visits).

Runs, on the same CSV files:

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

import numpy as np
import pandas as pd

from myotrial.errors import Problem
from myotrial.ingest import inspect_trial

VISIT_MEASURES = (
    "phga",
    "ptga",
    "extramuscular",
    "mmt8",
    "haq",
    "ck",
    "aldolase",
    "ldh",
    "fvc_pct",
    "prednisone_mg",
)
RANGES = {
    "phga": (0, 10),
    "ptga": (0, 10),
    "extramuscular": (0, 10),
    "mmt8": (0, 80),
    "haq": (0, 3),
    "ck": (0, None),
    "aldolase": (0, None),
    "ldh": (0, None),
    "fvc_pct": (10, 200),
    "prednisone_mg": (0, 2000),
}


def registry_frames(n_patients: int, seed: int) -> dict[str, pd.DataFrame]:
    """A valid registry built with array operations: about 20 visits per patient."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("R", np.arange(n_patients).astype(str))
    enrolment = np.datetime64("2015-01-01") + rng.integers(0, 2000, n_patients)
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "site": rng.integers(1, 30, n_patients).astype(str),
            "sex": rng.choice(["F", "M"], n_patients),
            "age": rng.integers(18, 80, n_patients),
            "diagnosis": rng.choice(["PM", "DM", "IMNM", "ASS"], n_patients),
            "enrolment_date": enrolment,
            "weight_kg": rng.normal(70, 12, n_patients).clip(40, 150).round(1),
            "refractory": "true",
        }
    )
    per = rng.integers(15, 26, n_patients)
    owner = np.repeat(np.arange(n_patients), per)
    step = np.concatenate([np.arange(k) for k in per]) * 30
    visits = pd.DataFrame({"patient_id": ids[owner], "visit_date": enrolment[owner] + step})
    n = len(visits)
    for column in VISIT_MEASURES:
        low, high = RANGES[column]
        visits[column] = rng.uniform(low, high if high is not None else 5000, n).round(1)
    visits.loc[rng.random(n) < 0.05, "haq"] = np.nan
    infusions = pd.DataFrame(
        {
            "patient_id": ids,
            "infusion_date": enrolment + 1,
            "source": rng.choice(["BM", "UC"], n_patients),
            "cells_per_kg": 1e6,
        }
    )
    return {"patients": patients, "visits": visits, "infusions": infusions}


def write_registry(folder: Path, frames: dict[str, pd.DataFrame]) -> None:
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    (folder / "trial.toml").write_text('[trial]\nname = "registry"\n[uln]\nck = 200\n')


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
    for name, date_column in (("visits", "visit_date"), ("infusions", "infusion_date")):
        _naive_child(folder, name, date_column, enrolled, problems)
    return problems


def _naive_child(
    folder: Path, name: str, date_column: str, enrolled: dict[str, dt.date], problems: list[Problem]
) -> None:
    seen: set[tuple[str, dt.date]] = set()
    file = f"{name}.csv"
    with (folder / file).open(newline="") as handle:
        for row_number, row in enumerate(csv.DictReader(handle), start=2):
            pid = row["patient_id"]
            date = _date(row[date_column], file, row_number, date_column, problems)
            if pid not in enrolled:
                problems.append(Problem(file, row_number, "patient_id", pid, "unknown"))
            elif date is not None and date < enrolled[pid]:
                problems.append(Problem(file, row_number, date_column, str(date), "before"))
            if date is not None and (pid, date) in seen:
                problems.append(Problem(file, row_number, date_column, str(date), "repeats"))
            seen.add((pid, date or dt.date.min))
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
        frames = registry_frames(args.patients, args.seed)
        write_registry(folder, frames)
        rows = sum(len(f) for f in frames.values())
        print(
            f"registry: {args.patients} patients, {len(frames['visits'])} visits, "
            f"{rows} rows in all"
        )
        start = time.perf_counter()
        check = inspect_trial(folder)
        fast = time.perf_counter() - start
        start = time.perf_counter()
        naive = naive_validate(folder)
        slow = time.perf_counter() - start
    if check.problems or naive:
        print(f"unexpected problems: {check.problems[:3]} {naive[:3]}", file=sys.stderr)
        return 1
    print(f"myotrial read+validate: {fast:7.2f} s  {rows / fast:12,.0f} rows/s")
    print(
        f"per-row Python loop:    {slow:7.2f} s  {rows / slow:12,.0f} rows/s "
        "(fewer rules: no workbook, no flags, no extra columns)"
    )
    print(f"ratio: {slow / fast:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
