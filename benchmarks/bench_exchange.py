"""Benchmark: REDCap export cells, vectorised against a per-row loop; round-trip rates.

Formats the visits of a synthetic registry as REDCap cells with the column-wise
formatter the export uses, and with a Python loop that formats one visit (row) at a
time, in one process; then times the whole export and read-back of the registry.
Prints both rates and the ratio.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import pandas as pd

from myotrial.exchange.redcap.export import project_fields, table_records, write_redcap
from myotrial.ingest.redcap import read_redcap
from myotrial.synthetic import make_registry

PATIENTS = 2_000


def _cell(value: object) -> str:
    """One cell as the per-row loop formats it."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return "" if pd.isna(value) else value.strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def per_row(visits: pd.DataFrame) -> list[dict[str, str]]:
    """The naive alternative: a dict of formatted cells per visit."""
    return [{k: _cell(v) for k, v in row.items()} for row in visits.to_dict("records")]


def timed(label: str, run: object, rows: int) -> float:
    start = time.perf_counter()
    run()  # type: ignore[operator]
    seconds = time.perf_counter() - start
    print(f"{label}: {rows / seconds:,.0f} rows/s ({seconds:.2f} s)")
    return rows / seconds


def main() -> None:
    trial = make_registry(PATIENTS, seed=7)
    visits = trial.visits
    fields = [f for f in project_fields(trial) if f.table == "visits"]
    print(f"registry: {PATIENTS} patients, {len(visits)} visits, {visits.shape[1]} columns")
    fast = timed("column-wise formatting", lambda: table_records(visits, fields), len(visits))
    slow = timed("per-row loop", lambda: per_row(visits), len(visits))
    print(f"ratio: {fast / slow:.1f}x")
    with tempfile.TemporaryDirectory() as folder:
        rows = sum(len(trial.table(t)) for t in ("patients", "visits", "infusions"))
        timed("write_redcap (whole project)", lambda: write_redcap(trial, Path(folder)), rows)
        timed("read_redcap (parse, check, validate)", lambda: read_redcap(folder), rows)


if __name__ == "__main__":
    main()
