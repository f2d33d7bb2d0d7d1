"""``myotrial serve --workers N``: several processes, one database, every write kept.

SQLite too: its writers queue (WAL mode, IMMEDIATE write transactions, a busy timeout)
instead of answering 503 "database is locked".
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from myotrial.server.loadcheck import run_visit_load
from myotrial.store import sqlalchemy_url
from tests.server.conftest import PASSWORD, prepare_service
from tests.server.live import live_server

pytestmark = pytest.mark.slow


def _stored_dates(db_url: str, since: dt.date) -> list[str]:
    engine = sa.create_engine(sqlalchemy_url(db_url))
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("select visit_date from visits where visit_date >= :d"), {"d": since}
        ).all()
    engine.dispose()
    return sorted(str(r[0]) for r in rows)


def test_two_workers_and_ten_writers_refuse_nothing_and_keep_everything(
    db_url: str,
) -> None:
    prepare_service(db_url)
    with live_server(db_url, "--workers", "2") as (base, _):
        result = run_visit_load(base, "inv_a", PASSWORD, "A-01", clients=10, seconds=5)
    assert not result.failures, result.failures[:3]
    assert len(result.acknowledged) >= 10
    assert _stored_dates(db_url, dt.date(2030, 1, 1)) == sorted(result.acknowledged)


def test_requests_beyond_the_threads_wait_their_turn(db_url: str) -> None:
    """``--threads 2``: ten writers share two threads (and two pooled connections) per
    worker; the others wait, none is refused and every acknowledged visit is kept."""
    prepare_service(db_url)
    with live_server(db_url, "--workers", "2", "--threads", "2") as (base, _):
        result = run_visit_load(base, "inv_a", PASSWORD, "A-01", clients=10, seconds=3)
    assert not result.failures, result.failures[:3]
    assert _stored_dates(db_url, dt.date(2030, 1, 1)) == sorted(result.acknowledged)


def test_the_pool_keeps_one_connection_per_thread(db_url: str) -> None:
    from myotrial.server.app import create_app
    from myotrial.server.settings import ServerSettings

    prepare_service(db_url)
    app = create_app(ServerSettings(db_url=db_url, threads=3))
    try:
        assert app.state.sites.store.engine.pool.size() == 3
    finally:
        app.state.sites.close()
