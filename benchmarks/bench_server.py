"""Load check of ``myotrial serve``: 50 clients entering visits for 30 s on loopback.

Runs the service on PostgreSQL (the multi-user set-up) and, for comparison, on SQLite
(the single-user default), with the same clients; prints visits per second, p50/p95
latency, and checks that the database holds exactly the acknowledged visits.

    python benchmarks/bench_server.py [--clients 50] [--seconds 30]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.server.conftest import PASSWORD, prepare_service  # noqa: E402
from tests.server.live import live_server  # noqa: E402

from myotrial.server.loadcheck import LoadResult, run_visit_load  # noqa: E402
from myotrial.store import sqlalchemy_url  # noqa: E402

POSTGRES = os.environ.get("MYOTRIAL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def stored(db_url: str) -> int:
    engine = sa.create_engine(sqlalchemy_url(db_url))
    with engine.connect() as connection:
        count = connection.execute(
            sa.text("select count(*) from visits where visit_date >= '2030-01-01'")
        ).scalar_one()
    engine.dispose()
    return int(count)


def run(label: str, db_url: str, clients: int, seconds: float) -> LoadResult:
    prepare_service(db_url)
    with live_server(db_url) as (base, _):
        result = run_visit_load(base, "inv_a", PASSWORD, "A-01", clients=clients, seconds=seconds)
    count = stored(db_url)
    print(
        f"{label:>10}: {len(result.acknowledged):6d} visits acknowledged in "
        f"{result.seconds:5.1f} s = {result.per_second:7.1f}/s; p50 "
        f"{result.percentile(50) * 1000:6.1f} ms, p95 {result.percentile(95) * 1000:6.1f} ms;"
        f" {len(result.failures)} failures; stored {count} "
        f"({'exact' if count == len(result.acknowledged) else 'MISMATCH'})"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    admin = sa.create_engine(sqlalchemy_url(POSTGRES), isolation_level="AUTOCOMMIT")
    name = f"myotrial_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        pg = run(
            "PostgreSQL",
            str(admin.url.set(database=name).render_as_string(False)),
            args.clients,
            args.seconds,
        )
        with tempfile.TemporaryDirectory() as folder:
            lite = run("SQLite", f"sqlite:///{folder}/bench.db", args.clients, args.seconds)
        print(f"PostgreSQL / SQLite throughput: {pg.per_second / lite.per_second:.2f}x")
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
