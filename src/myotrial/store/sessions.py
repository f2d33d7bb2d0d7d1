"""The web service's kept secrets and issued sessions.

``server_keys`` holds secrets made once and then shared by every worker and every
restart (the token-signing secret when none is configured, the pseudonymisation key).
``sessions`` holds one row per issued token: a token is accepted only while its row
exists, is not revoked and has not expired, so logging out or changing an account ends
its sessions at once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import sqlalchemy as sa

from myotrial.store.tables import server_keys, sessions, users


def kept_secret(engine: sa.Engine, name: str) -> str:
    """The secret called ``name``, made (256 random bits and more) on first use.

    Two processes asking at once both end with the secret that reached the database
    first: the loser's insert fails on the primary key and it reads the winner's.
    """
    with engine.connect() as connection:
        value = _read_key(connection, name)
    if value is not None:
        return value
    try:
        with engine.begin() as connection:
            connection.execute(
                server_keys.insert().values(
                    name=name, value=secrets.token_urlsafe(48), created_at=_now()
                )
            )
    except sa.exc.IntegrityError:
        pass  # another process made it first
    with engine.connect() as connection:
        value = _read_key(connection, name)
    if value is None:
        raise RuntimeError(f"the server key {name!r} could neither be read nor made")
    return value


def _read_key(connection: sa.Connection, name: str) -> str | None:
    row = connection.execute(sa.select(server_keys.c.value).where(server_keys.c.name == name))
    return row.scalar_one_or_none()


def open_session(connection: sa.Connection, username: str, ttl_seconds: int) -> str:
    """Record a new session of ``username``; return its id (random, 128 bits and more)."""
    session_id = secrets.token_urlsafe(24)
    issued = _now()
    connection.execute(
        sessions.insert().values(
            id=session_id,
            username=username,
            issued_at=issued,
            expires_at=issued + dt.timedelta(seconds=ttl_seconds),
        )
    )
    return session_id


def session_user(connection: sa.Connection, session_id: str) -> dict[str, Any] | None:
    """The active user whose live session is ``session_id``, or ``None``."""
    query = (
        sa.select(users)
        .join(sessions, sessions.c.username == users.c.username)
        .where(
            sessions.c.id == session_id,
            sessions.c.revoked_at.is_(None),
            sessions.c.expires_at > _now(),
            users.c.active.is_(True),
        )
    )
    row = connection.execute(query).mappings().first()
    return None if row is None else dict(row)


def revoke_session(connection: sa.Connection, session_id: str) -> None:
    """End one session (logging out)."""
    connection.execute(
        sessions.update()
        .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
        .values(revoked_at=_now())
    )


def revoke_sessions_of(connection: sa.Connection, username: str) -> int:
    """End every live session of ``username``; return how many were ended."""
    result = connection.execute(
        sessions.update()
        .where(sessions.c.username == username, sessions.c.revoked_at.is_(None))
        .values(revoked_at=_now())
    )
    return int(result.rowcount)


def forget_expired_sessions(connection: sa.Connection) -> None:
    """Delete sessions that expired a day ago or more (they can never be used again)."""
    cutoff = _now() - dt.timedelta(days=1)
    connection.execute(sessions.delete().where(sessions.c.expires_at < cutoff))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
