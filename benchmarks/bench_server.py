"""Load check of ``myotrial serve``: 50 clients entering visits for 30 s on loopback.

Runs the service on PostgreSQL (the multi-user set-up) and, for comparison, on SQLite
(the single-user default) with 10; prints visits per second, p50/p95 latency, the
answers refused with 503, and checks that the database holds exactly the acknowledged
visits (none lost, none doubled). Every visit goes to one patient, whose history grows
by thousands of visits during the run.

    python benchmarks/bench_server.py [--clients 50] [--sqlite-clients 10] [--seconds 30]
        [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import resource
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


def stored(db_url: str) -> list[str]:
    """Dates of the load's visits in the database, one per stored row."""
    engine = sa.create_engine(sqlalchemy_url(db_url))
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("select visit_date from visits where visit_date >= '2030-01-01'")
        ).all()
    engine.dispose()
    return sorted(str(row[0]) for row in rows)


def run(label: str, db_url: str, clients: int, seconds: float, workers: int) -> LoadResult:
    prepare_service(db_url)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    mine = resource.getrusage(resource.RUSAGE_SELF)
    with live_server(db_url, "--workers", str(workers)) as (base, _):
        result = run_visit_load(base, "inv_a", PASSWORD, "A-01", clients=clients, seconds=seconds)
        load = os.getloadavg()[0]
    # the server's processes are this one's children: their CPU, start-up included
    server = _cpu(resource.getrusage(resource.RUSAGE_CHILDREN)) - _cpu(before)
    writers = _cpu(resource.getrusage(resource.RUSAGE_SELF)) - _cpu(mine)
    dates = stored(db_url)
    exact = dates == sorted(result.acknowledged)  # none lost, none doubled
    refused = sum(f.split(": ", 1)[-1].startswith("503") for f in result.failures)
    print(
        f"{label:>10}: {clients} writers, {workers} workers: {len(result.acknowledged):6d} "
        f"visits acknowledged in {result.seconds:5.1f} s = {result.per_second:7.1f}/s; p50 "
        f"{result.percentile(50) * 1000:6.1f} ms, p95 {result.percentile(95) * 1000:6.1f} ms;"
        f" {len(result.failures)} failures ({refused} with 503); stored {len(dates)} "
        f"({'exact' if exact else 'MISMATCH'})"
    )
    done = max(len(result.acknowledged), 1)
    print(
        f"{'':>10}  CPU per visit: server {server / done * 1000:.1f} ms (start-up included), "
        f"writers {writers / done * 1000:.1f} ms; load average at the end {load:.1f}"
    )
    return result


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def entry_cpu_ms(history: int, entries: int = 200) -> float:
    """CPU milliseconds per visit entry for a patient with ``history`` stored visits."""
    import time

    import pandas as pd
    from tests.server.conftest import small_trial

    from myotrial.services.access import Caller
    from myotrial.services.entry import DataEntry
    from myotrial.store import open_store

    trial = small_trial()
    days = pd.date_range("2025-01-08", periods=history, freq="D")
    visits = pd.DataFrame({"patient_id": "A-01", "visit_date": days, "phga": 4.0, "ck": 500.0})
    others = trial.visits[trial.visits["patient_id"] != "A-01"]
    trial = trial.with_tables(visits=pd.concat([visits, others], ignore_index=True))
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{folder}/entry.db")
        store.save_trial(trial, user="bench", reason="history")
        entry = DataEntry(store.unit_of_work)
        caller = Caller("inv_a", "investigator", "A")
        start = time.process_time()
        for number in range(entries):
            day = (pd.Timestamp("2040-01-01") + pd.Timedelta(days=number)).date().isoformat()
            entry.add_visit(caller, "A-01", {"visit_date": day, "phga": 3, "ck": 310}, "bench")
        spent = time.process_time() - start
        store.close()
    return spent / entries * 1000


def list_timings(db_url: str, patients: int) -> None:
    """Wall time and size of the audit and patient pages on a ``patients``-patient trial."""
    import time

    import httpx

    from myotrial.services.multisite import SiteServices
    from myotrial.services.passwords import password_hasher
    from myotrial.store import open_store
    from myotrial.synthetic import make_registry

    store = open_store(db_url)
    store.save_trial(make_registry(patients, seed=2024), user="bench", reason="registry")
    store.close()
    sites = SiteServices.open(db_url, password_hasher(light=True))
    sites.accounts.add_user(None, "monitor", PASSWORD, "monitor", None)
    sites.accounts.add_user(None, "inv", PASSWORD, "investigator", "7")  # one of 25 sites
    sites.close()
    with live_server(db_url) as (base, _), httpx.Client(base_url=base, timeout=600) as http:
        for user in ("monitor", "inv"):
            login = {"username": user, "password": PASSWORD}
            answer = http.post("/api/auth/token", json=login).json()
            bearer = {"Authorization": f"Bearer {answer['access_token']}"}
            http.cookies.set("myotrial_session", answer["access_token"])
            for path in (
                "/audit",
                "/api/audit",
                "/api/audit?limit=1000",
                "/api/audit?table=visits&since=2000-01-01",
                "/api/patients",
                "/patients?search=07",
            ):
                started = time.perf_counter()
                response = http.get(path, headers=bearer)
                spent = time.perf_counter() - started
                cursor = response.headers.get("X-Next-Cursor", "")
                later = 0.0
                if cursor:
                    started = time.perf_counter()
                    http.get(path, params={"cursor": cursor}, headers=bearer)
                    later = time.perf_counter() - started
                print(
                    f"{user:>8} {path:<42} {response.status_code} {len(response.content):8d} "
                    f"bytes {spent * 1000:7.1f} ms (next page {later * 1000:6.1f} ms)"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="PostgreSQL writers")
    parser.add_argument("--sqlite-clients", type=int, default=10, help="SQLite writers")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--list-patients", type=int, default=10_000, help="0 to skip")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    small, large = entry_cpu_ms(10), entry_cpu_ms(1000)
    print(
        f"entry CPU per visit: {small:.1f} ms with 10 visits of history, {large:.1f} ms "
        f"with 1,000 ({large / small:.2f}x)"
    )
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
            args.workers,
        )
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.db"
            lite = run("SQLite", url, args.sqlite_clients, args.seconds, args.workers)
        print(f"PostgreSQL / SQLite throughput: {pg.per_second / lite.per_second:.2f}x")
        print(f"load average after the writers: {os.getloadavg()[0]:.1f}")
        if args.list_patients:
            with admin.connect() as connection:
                connection.execute(sa.text(f'CREATE DATABASE "{name}_lists"'))
            lists_url = str(admin.url.set(database=f"{name}_lists").render_as_string(False))
            list_timings(lists_url, args.list_patients)
            print(f"load average after the lists: {os.getloadavg()[0]:.1f}")
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}_lists" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
