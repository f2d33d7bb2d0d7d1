"""Opening a database: URL forms, connection settings and migrations to the current schema."""

from __future__ import annotations

import threading
import weakref
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from myotrial.errors import StoreError

MIGRATIONS = "myotrial.store:migrations"
_POSTGRES_PREFIXES = ("postgresql+psycopg://", "postgresql://", "postgres://")
WRITE_OPTION = "myotrial_write"
"""Execution option marking a connection whose transaction will write (SQLite: IMMEDIATE)."""
SQLITE_BUSY_SECONDS = 60.0
"""How long a SQLite writer waits for another process's write to finish before failing."""
_write_locks: weakref.WeakKeyDictionary[sa.Engine, threading.Lock] = weakref.WeakKeyDictionary()


def sqlalchemy_url(url: str) -> str:
    """``url`` with the psycopg 3 driver named for PostgreSQL, unchanged otherwise."""
    for prefix in _POSTGRES_PREFIXES:
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_engine(url: str, connections: int | None = None) -> sa.Engine:
    """An engine for ``url`` (SQLite file or PostgreSQL), with safe transaction settings.

    ``connections``: how many connections the pool keeps open (the threads that use the
    engine at once, as for a server); a burst beyond it may open as many again, closed
    when returned. The default suits a command (five).

    Raises
    ------
    StoreError
        If the URL is malformed or names a database driver that is not installed.
    """
    try:
        # pre-ping: a pooled connection the server dropped (restart, idle timeout,
        # pg_terminate_backend) is replaced on checkout instead of failing a request
        pool = (
            {} if connections is None else {"pool_size": connections, "max_overflow": connections}
        )
        engine = sa.create_engine(sqlalchemy_url(url), pool_pre_ping=True, **pool)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise StoreError(
            f"cannot use database URL {url!r}: {exc} "
            "(use sqlite:///FILE.db or postgresql://USER@HOST:PORT/DB)"
        ) from exc
    if engine.dialect.name == "sqlite":
        _sqlite_transactions(engine)
        _write_locks[engine] = threading.Lock()
    return engine


def write_lock(engine: sa.Engine) -> threading.Lock | None:
    """The lock queueing this process's SQLite writers (``None`` for PostgreSQL).

    SQLite allows one writer at a time; waiting in line in the process is fair and
    immediate, where SQLite's own busy handler polls with growing sleeps.
    """
    return _write_locks.get(engine)


def _sqlite_transactions(engine: sa.Engine) -> None:
    """Let SQLite run every statement, DDL included, inside one real transaction.

    The Python sqlite3 driver otherwise commits before DDL and begins lazily, which
    would break all-or-nothing imports and migrations; foreign keys are off by default.
    A file database runs in WAL mode (readers never wait for the writer); a transaction
    that will write begins IMMEDIATE, taking the write lock first and waiting up to
    :data:`SQLITE_BUSY_SECONDS` for it: a deferred one that read first could not
    upgrade once another writer committed, and would fail with "database is locked".
    """

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_SECONDS * 1000)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        # 64 MB page cache: a 200,000-visit import keeps its indexes in memory
        cursor.execute("PRAGMA cache_size = -65536")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return config


def upgrade(engine: sa.Engine) -> None:
    """Bring the database to the newest schema; write nothing when it is already there.

    Raises
    ------
    StoreError
        If the database cannot be reached, or was written by a newer myotrial whose
        schema this version does not know.
    """
    config = _config()
    script = ScriptDirectory.from_config(config)
    known = {revision.revision for revision in script.walk_revisions()}
    try:
        with engine.begin() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
            newer = current - known
            if newer:
                raise StoreError(
                    f"the database has schema revision {', '.join(sorted(newer))}, written "
                    "by a newer myotrial than this one "
                    "(upgrade myotrial: pip install --upgrade myotrial)"
                )
            if current == set(script.get_heads()):
                return
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot open the database {engine.url!r}: {exc}") from exc


def schema_revision(engine: sa.Engine) -> str | None:
    """The schema revision the database is at (``None`` for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
