"""Recent login attempts, shared by every worker of the service through the database.

Each attempt is recorded *before* its password is checked (outcome ``pending``), and
committed, so that attempts racing each other count one another: of any number of
simultaneous attempts for one user name, the n-th to count sees at least the n - 1
recorded before it.
The outcome becomes ``failed``, ``succeeded``, ``refused`` (turned away by the limiter,
never checked) or ``cleared`` (a failure forgiven by the user's later success).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from myotrial.store.tables import login_attempts

COUNTED = ("pending", "failed")
"""Outcomes that count against a user name: failures and attempts not yet checked."""


@dataclass(frozen=True)
class AttemptCount:
    """The attempts that count against one attempt's user name or address.

    Attributes
    ----------
    attempt_id : int
        The recorded attempt.
    count : int
        Other counted attempts for the user name, or other user names that failed from
        the address, within the window.
    oldest : datetime or None
        When the oldest of those attempts was made (the window ends after it).
    """

    attempt_id: int
    count: int
    oldest: dt.datetime | None


def record_attempt(
    engine: sa.Engine, username: str, address: str, window_seconds: float
) -> AttemptCount:
    """Record a pending attempt, then count the user name's other pending and failed ones.

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
    by_user = sa.and_(
        login_attempts.c.id != attempt_id,
        login_attempts.c.attempted_at >= start,
        login_attempts.c.username == username,
        login_attempts.c.outcome.in_(COUNTED),
    )
    query = sa.select(sa.func.count(), sa.func.min(login_attempts.c.attempted_at)).where(by_user)
    with engine.connect() as connection:
        count, oldest = connection.execute(query).one()
    return AttemptCount(attempt_id, int(count), _aware(oldest))


def address_failures(
    engine: sa.Engine, attempt: AttemptCount, username: str, address: str, window_seconds: float
) -> AttemptCount:
    """Count the other user names that failed from ``address`` within the window.

    Only settled failures count: a burst of correct logins of different people behind
    one address (a hospital's proxy) must not lock that address out.
    """
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=window_seconds)
    query = sa.select(
        sa.func.count(sa.distinct(login_attempts.c.username)),
        sa.func.min(login_attempts.c.attempted_at),
    ).where(
        login_attempts.c.address == address,
        login_attempts.c.username != username,
        login_attempts.c.attempted_at >= start,
        login_attempts.c.outcome == "failed",
    )
    with engine.connect() as connection:
        count, oldest = connection.execute(query).one()
    return AttemptCount(attempt.attempt_id, int(count), _aware(oldest))


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
