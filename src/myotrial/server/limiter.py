"""The login limiter: per user name, per address, never global; shared by every worker.

Rules (OWASP Authentication cheat sheet, "account lockout" and "credential stuffing"):

- after ``attempts`` failed logins for one user name within the window, that user name
  is refused (429) from every address, until the window has passed;
- an address that failed for ``attempts`` different user names within the window is
  refused (429) for any further name (password spraying);
- nothing else is refused: one user's failures never stop another user's correct login.

Every attempt is recorded in the database *before* its password is checked, so
simultaneous guesses count each other, whichever worker answers them
(:mod:`myotrial.store.logins`). At most ``max_verifications`` Argon2id checks run at
once in one process; each holds 64 MiB, so forty logins at once wait their turn instead
of taking gigabytes.

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

from myotrial.store.logins import AttemptCounts, record_attempt, settle_attempt

VERIFY_WAIT_SECONDS = 30.0
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
        counts = record_attempt(self.engine, username, address, self.window_seconds)
        if self._locked(counts):
            settle_attempt(self.engine, counts.attempt_id, "refused", username)
            return LoginResult(Outcome.LOCKED, retry_after=self._retry_after(counts))
        if not self._verifications.acquire(timeout=VERIFY_WAIT_SECONDS):
            settle_attempt(self.engine, counts.attempt_id, "refused", username)
            return LoginResult(Outcome.BUSY, retry_after=1)
        try:
            user = verify(username)
        finally:
            self._verifications.release()
        settle_attempt(
            self.engine, counts.attempt_id, "failed" if user is None else "succeeded", username
        )
        if user is None:
            return LoginResult(Outcome.WRONG)
        return LoginResult(Outcome.ACCEPTED, user=user)

    def _locked(self, counts: AttemptCounts) -> bool:
        return counts.user_failures >= self.attempts or counts.address_names >= self.attempts

    def _retry_after(self, counts: AttemptCounts) -> int:
        if counts.oldest is None:
            return 1
        ends = counts.oldest + dt.timedelta(seconds=self.window_seconds)
        return max(1, math.ceil((ends - dt.datetime.now(dt.UTC)).total_seconds()))


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
