"""Load check of ``myotrial serve``: 50 clients entering visits for 30 s on loopback.

Runs the service on PostgreSQL (the multi-user set-up) and, for comparison, on SQLite
(the single-user default), with the same clients; prints visits per second, p50/p95
latency, and checks that the database holds exactly the acknowledged visits.

    python benchmarks/bench_server.py [--clients 50] [--seconds 30]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.server.conftest import PASSWORD, prepare_service  # noqa: E402
from tests.server.live import SECRET, free_port  # noqa: E402

from myotrial.server.loadcheck import LoadResult, run_visit_load  # noqa: E402
from myotrial.store import sqlalchemy_url  # noqa: E402

POSTGRES = os.environ.get("MYOTRIAL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def serve(db_url: str) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "myotrial",
            "serve",
            "--db",
            db_url,
            "--port",
            str(port),
            "--insecure-cookies",
        ],
        env={**os.environ, "MYOTRIAL_SECRET": SECRET},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(base + "/openapi.json", timeout=1)
            return base, process
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


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
    base, process = serve(db_url)
    try:
        result = run_visit_load(base, "inv_a", PASSWORD, "A-01", clients=clients, seconds=seconds)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait()
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
