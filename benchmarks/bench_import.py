"""Import a 10,000-patient registry into SQLite and PostgreSQL: bulk against per-row ORM.

Runs, in one process:

1. ``make_registry`` writes a synthetic registry folder (not timed); then, per backend,
   ``myotrial.ingest.read_trial`` reads and validates it and ``TrialStore.save_trial``
   stores it (one transaction: diff, bulk insert, one audit row per record). Then the
   same folder is imported again (diff only; nothing is written).
2. The naive alternative: the same visits inserted with a per-row ORM loop
   (``session.add`` of one mapped object per row, one commit at the end, no audit
   trail) into an empty database, on ``--naive-visits`` visits.

Prints rows per second for both and the ratio. PostgreSQL comes from
``MYOTRIAL_TEST_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/test``); a
scratch database is created there and dropped. Usage::

    python benchmarks/bench_import.py [--patients 10000] [--naive-visits 5000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session, registry

from myotrial.ingest import read_trial
from myotrial.ingest.writer import write_trial_folder
from myotrial.store import open_store, sqlalchemy_url
from myotrial.store.tables import trial_tables
from myotrial.synthetic import make_registry
from myotrial.trialdata import TABLES, TrialData

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


class Patient:
    """A patients row for the per-row ORM loop."""


class Visit:
    """A visits row for the per-row ORM loop."""


registry().map_imperatively(Patient, trial_tables["patients"])
registry().map_imperatively(Visit, trial_tables["visits"])


@contextmanager
def databases(scratch: Path) -> Iterator[list[tuple[str, str]]]:
    """A fresh SQLite file and, when the server answers, a fresh PostgreSQL database."""
    found = [("SQLite", f"sqlite:///{scratch / 'bench.db'}")]
    admin = sa.create_engine(
        sqlalchemy_url(os.environ.get("MYOTRIAL_TEST_POSTGRES", DEFAULT_POSTGRES)),
        isolation_level="AUTOCOMMIT",
    )
    name = f"myotrial_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        found.append(("PostgreSQL", admin.url.set(database=name).render_as_string(False)))
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL skipped: no server ({exc.orig})")
        name = ""
    try:
        yield found
    finally:
        if name:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def rows_in(trial: TrialData) -> int:
    """Rows over the six tables."""
    return sum(len(trial.table(t)) for t in TABLES)


def bulk_import(folder: Path, url: str) -> dict[str, float]:
    """Seconds to read+validate, to store, and to import again unchanged."""
    start = time.perf_counter()
    trial = read_trial(folder)
    read = time.perf_counter() - start
    store = open_store(url)
    start, cpu = time.perf_counter(), time.process_time()
    store.save_trial(trial, user="bench", reason="benchmark")
    stored = time.perf_counter() - start
    # CPU seconds of this process: on a busy machine closer to what an idle one takes
    # (SQLite works in this process; PostgreSQL's own work is not counted)
    stored_cpu = time.process_time() - cpu
    start = time.perf_counter()
    again = store.save_trial(read_trial(folder), user="bench", reason="benchmark")
    reimport = time.perf_counter() - start
    store.close()
    if again.changed:
        raise RuntimeError("re-importing the same folder wrote something")
    return {
        "read": read,
        "store": stored,
        "store_cpu": stored_cpu,
        "reimport": reimport,
        "rows": rows_in(trial),
    }


def naive_import(trial: TrialData, url: str, n_visits: int) -> float:
    """Visits per second inserted by one ORM object per row (plus their patients)."""
    visits = trial.visits.iloc[:n_visits]
    patients = trial.patients[trial.patients["patient_id"].isin(visits["patient_id"])]
    store = open_store(url)  # the same schema, empty
    session = Session(store.engine)
    start = time.perf_counter()
    for number, row in enumerate(patients.to_dict("records")):
        session.add(Patient(row_number=number, **_plain(row)))
    for number, row in enumerate(visits.to_dict("records")):
        session.add(Visit(row_number=number, **_plain(row)))
    session.commit()
    elapsed = time.perf_counter() - start
    session.close()
    store.close()
    return len(visits) / elapsed


def _plain(row: dict[str, object]) -> dict[str, object]:
    known = {c.name for c in trial_tables["visits"].columns} | {
        c.name for c in trial_tables["patients"].columns
    }
    out: dict[str, object] = {}
    for key, value in row.items():
        if key not in known or pd.isna(value):  # type: ignore[call-overload]
            continue
        out[key] = value.date() if isinstance(value, pd.Timestamp) else value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--naive-visits", type=int, default=5_000)
    args = parser.parse_args()
    trial = make_registry(args.patients, seed=2024)
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        write_trial_folder(trial, scratch / "registry")
        print(
            f"registry: {args.patients} patients, {len(trial.visits)} visits, "
            f"{rows_in(trial)} rows in all"
        )
        with databases(scratch) as backends:
            for label, url in backends:
                report(label, url, scratch, trial, args.naive_visits)


def report(label: str, url: str, scratch: Path, trial: TrialData, n_visits: int) -> None:
    """Run both ways on one backend and print the rates and their ratio."""
    times = bulk_import(scratch / "registry", url)
    rows = times["rows"]
    total = times["read"] + times["store"]
    print(
        f"{label}: read+validate {times['read']:.1f} s, store {times['store']:.1f} s, "
        f"import in all {total:.1f} s ({rows / total:,.0f} rows/s); "
        f"store alone {rows / times['store']:,.0f} rows/s; "
        f"unchanged re-import {times['reimport']:.1f} s; "
        f"store used {times['store_cpu']:.1f} s of this process's CPU"
    )
    naive_url = url.replace("bench.db", "naive.db")
    if label == "PostgreSQL":
        engine = sa.create_engine(sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    naive = naive_import(trial, naive_url, n_visits)
    bulk_rate = len(trial.visits) / times["store"]
    print(
        f"{label}: visits/s stored in bulk (with audit) {bulk_rate:,.0f}; "
        f"per-row ORM session.add (no audit, {n_visits} visits) {naive:,.0f}; "
        f"ratio {bulk_rate / naive:.1f}x"
    )


if __name__ == "__main__":
    main()
