"""Recent login attempts, shared by every worker of the service through the database.

Each attempt is recorded *before* its password is checked (outcome ``pending``), and
committed, so that attempts racing each other count one another: of any number of
simultaneous attempts, the n-th to count sees at least the n - 1 recorded before it.
The outcome becomes ``failed``, ``succeeded``, ``refused`` (turned away by the limiter,
never checked) or ``cleared`` (a failure forgiven by the user's later success).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from myotrial.store.tables import login_attempts

COUNTED = ("pending", "failed")
"""Outcomes that count against a user name or an address."""


@dataclass(frozen=True)
class AttemptCounts:
    """What the limiter needs to know about one attempt's user name and address.

    Attributes
    ----------
    attempt_id : int
        The recorded attempt.
    user_failures : int
        Other counted attempts for the same user name within the window.
    address_names : int
        Other user names with counted attempts from the same address within the window.
    oldest : datetime or None
        When the oldest of those counted attempts was made (the window ends after it).
    """

    attempt_id: int
    user_failures: int
    address_names: int
    oldest: dt.datetime | None


def record_attempt(
    engine: sa.Engine, username: str, address: str, window_seconds: float
) -> AttemptCounts:
    """Record a pending attempt, then count the attempts that concern it.

    Attempts older than the window are deleted on the way: they no longer count.
    """
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(seconds=window_seconds)
    with engine.begin() as connection:
        connection.execute(login_attempts.delete().where(login_attempts.c.attempted_at < start))
        result = connection.execute(
            login_attempts.insert().values(
                username=username, address=address, attempted_at=now, outcome="pending"
            )
        )
        attempt_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    # Counted after the commit above, so that racing attempts see this one.
    counted = sa.and_(
        login_attempts.c.id != attempt_id,
        login_attempts.c.attempted_at >= start,
        login_attempts.c.outcome.in_(COUNTED),
    )
    by_user = sa.and_(counted, login_attempts.c.username == username)
    by_address = sa.and_(
        counted, login_attempts.c.address == address, login_attempts.c.username != username
    )
    with engine.connect() as connection:
        failures, oldest_user = connection.execute(
            sa.select(sa.func.count(), sa.func.min(login_attempts.c.attempted_at)).where(by_user)
        ).one()
        names, oldest_address = connection.execute(
            sa.select(
                sa.func.count(sa.distinct(login_attempts.c.username)),
                sa.func.min(login_attempts.c.attempted_at),
            ).where(by_address)
        ).one()
    oldest = min((t for t in (oldest_user, oldest_address) if t is not None), default=None)
    return AttemptCounts(attempt_id, int(failures), int(names), _aware(oldest))


def settle_attempt(engine: sa.Engine, attempt_id: int, outcome: str, username: str) -> None:
    """Record the outcome of an attempt; a success forgives the user name's failures."""
    with engine.begin() as connection:
        connection.execute(
            login_attempts.update().where(login_attempts.c.id == attempt_id).values(outcome=outcome)
        )
        if outcome == "succeeded":
            connection.execute(
                login_attempts.update()
                .where(login_attempts.c.username == username, login_attempts.c.outcome == "failed")
                .values(outcome="cleared")
            )


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every time here is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)
