"""Shared fixtures: database URLs for SQLite and for the real PostgreSQL server, and the
optional tools (headless Chromium, a PDF engine).

PostgreSQL tests take the server from ``MYOTRIAL_TEST_POSTGRES`` (default
``postgresql://postgres@127.0.0.1:5432/test``) and isolate themselves in a database of
their own, created for the test session and dropped after it.

One rule for every optional tool (see :func:`unavailable`): on a user's machine a test
whose tool is missing skips with the reason shown; under CI (``CI`` set), which installs
every tool (``.ci/run``), it fails instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def unavailable(reason: str) -> NoReturn:
    """Skip the test with ``reason``; under CI, where every tool is installed, fail it."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must have it (.ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of headless Chromium (Debian's ``chromium``); skips or fails when absent."""
    from myotrial.report.pdf import chromium_executable

    path = chromium_executable()
    if path is None:
        unavailable("headless Chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def pdf_engine() -> None:
    """A PDF engine (WeasyPrint or Chromium) is installed; skips or fails otherwise."""
    from myotrial.errors import PdfError
    from myotrial.report.pdf import check_pdf_engine

    try:
        check_pdf_engine()
    except PdfError:
        unavailable(
            "no PDF engine is installed (pip install 'myotrial[pdf]' or apt-get install chromium)"
        )


def _admin_url() -> str:
    return os.environ.get("MYOTRIAL_TEST_POSTGRES", DEFAULT_POSTGRES)


def _sqlalchemy_url(url: str) -> str:
    """Use the psycopg 3 driver whatever form the URL was given in."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test session (dropped afterwards)."""
    import sqlalchemy as sa

    admin = sa.create_engine(_sqlalchemy_url(_admin_url()), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("select 1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        unavailable(f"no PostgreSQL server at {_admin_url()} ({exc.orig})")
    name = f"myotrial_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = admin.url.set(database=name)
    try:
        yield base.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, once on SQLite and once on PostgreSQL.

    The PostgreSQL variant empties its session database before each test so tests stay
    independent without paying for a new database each time.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'trial.db'}"
        return
    url: str = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    yield url


def _reset_postgres(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
