"""The login limiter: per user name, per address, never global; shared by every worker.

Rules (OWASP Authentication cheat sheet, "account lockout" and "credential stuffing"):

- after ``attempts`` failed logins for one user name within the window, that user name
  is refused (429) from every address, until the window has passed;
- an address that failed for ``attempts`` different user names within the window is
  refused (429) for any further name (password spraying);
- nothing else is refused: one user's failures never stop another user's correct login.

Every attempt is recorded in the database *before* its password is checked, so
simultaneous guesses for one user name count each other, whichever worker answers them
(:mod:`myotrial.store.logins`). At most ``max_verifications`` Argon2id checks run at
once in one process; each holds 64 MiB, so forty logins at once wait their turn instead
of taking gigabytes. The address rule counts settled failures, and is asked once an
attempt holds its turn to be checked: correct logins of many people behind one proxy
never lock it, and a sprayer's simultaneous guesses overshoot the limit by at most the
checks that run at once.

The client address is the connection's peer, unless that peer is one of the trusted
proxies: then it is the right-most address of ``X-Forwarded-For`` that is not a trusted
proxy (the left part of that header is whatever the client chose to send).
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from starlette.requests import Request

from myotrial.store.logins import (
    AttemptCount,
    address_failures,
    record_attempt,
    settle_attempt,
)

VERIFY_WAIT_SECONDS = 60.0
"""How long a login waits for a free password check before being told to retry (503)."""


class Outcome(enum.Enum):
    """How a login ended."""

    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"
    BUSY = "busy"


@dataclass(frozen=True)
class LoginResult:
    """The outcome of one login; ``user`` when accepted, ``retry_after`` seconds else."""

    outcome: Outcome
    user: dict[str, Any] | None = None
    retry_after: int = 0


class LoginLimiter:
    """Count, limit and check logins.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The trial database, which holds the attempts.
    attempts : int
        Failures per user name, and user names per address, that lock (default 5).
    window_seconds : float
        How long a failure counts (default 5 minutes).
    max_verifications : int
        Password checks run at once by this process.
    """

    def __init__(
        self,
        engine: sa.Engine,
        attempts: int = 5,
        window_seconds: float = 300.0,
        max_verifications: int = 2,
    ) -> None:
        self.engine = engine
        self.attempts = attempts
        self.window_seconds = window_seconds
        self._verifications = threading.BoundedSemaphore(max_verifications)

    def login(
        self,
        username: str,
        address: str,
        verify: Callable[[str], dict[str, Any] | None],
    ) -> LoginResult:
        """Count the attempt, refuse it if locked, else check it with ``verify``.

        Parameters
        ----------
        username, address : str
            The user name tried and the client address it came from.
        verify : callable
            Checks the password of ``username``; returns the user or ``None``.
        """
        by_user = record_attempt(self.engine, username, address, self.window_seconds)
        if by_user.count >= self.attempts:
            return self._refuse(by_user, username)
        if not self._verifications.acquire(timeout=VERIFY_WAIT_SECONDS):
            settle_attempt(self.engine, by_user.attempt_id, "refused", username)
            return LoginResult(Outcome.BUSY, retry_after=1)
        try:
            by_address = address_failures(
                self.engine, by_user, username, address, self.window_seconds
            )
            if by_address.count >= self.attempts:
                return self._refuse(by_address, username)
            user = verify(username)
            # settled before the turn passes on, so the next check counts this failure
            outcome = "failed" if user is None else "succeeded"
            settle_attempt(self.engine, by_user.attempt_id, outcome, username)
        finally:
            self._verifications.release()
        if user is None:
            return LoginResult(Outcome.WRONG)
        return LoginResult(Outcome.ACCEPTED, user=user)

    def _refuse(self, counted: AttemptCount, username: str) -> LoginResult:
        """Settle a locked-out attempt as refused and say when to retry."""
        settle_attempt(self.engine, counted.attempt_id, "refused", username)
        retry = 1
        if counted.oldest is not None:
            ends = counted.oldest + dt.timedelta(seconds=self.window_seconds)
            retry = max(1, math.ceil((ends - dt.datetime.now(dt.UTC)).total_seconds()))
        return LoginResult(Outcome.LOCKED, retry_after=retry)


def client_address(request: Request, trusted_proxies: frozenset[str]) -> str:
    """The address a request came from, believing ``X-Forwarded-For`` only from a proxy.

    Parameters
    ----------
    request : Request
        The request.
    trusted_proxies : frozenset of str
        Addresses of the reverse proxies in front of the service.
    """
    peer = request.client.host if request.client else "unknown"
    if peer not in trusted_proxies:
        return peer
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted_proxies:
            return hop
    return peer
