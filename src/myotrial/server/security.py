"""Bearer tokens, CSRF tokens and the failed-login limiter of the web service.

- Passwords are hashed by :mod:`myotrial.services.passwords` (Argon2id) and the roles
  and account rules live in :mod:`myotrial.services.access`; this module handles only
  what HTTP needs.
- Access tokens are signed JWTs (HS256) that carry the user's name, role and site and
  expire (default 30 minutes); the role and site in a token are re-checked against the
  database on every request, so a disabled user loses access at once.
- CSRF: forms carry a token derived from the session token with HMAC, so a page from
  another origin cannot forge a write (the double-submit pattern, OWASP CSRF cheat sheet).
- Failed logins are limited per user name and per client address (sliding window).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

import jwt

from myotrial.errors import TokenError

TOKEN_ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenClaims:
    """Who a valid token speaks for."""

    username: str
    role: str
    site: str | None


@dataclass(frozen=True)
class TokenSigner:
    """Issue and check expiring access tokens with one secret."""

    secret: str
    ttl_seconds: int = 1800

    def issue(self, claims: TokenClaims, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        payload: dict[str, Any] = {
            "sub": claims.username,
            "role": claims.role,
            "site": claims.site,
            "iat": issued,
            "exp": issued + self.ttl_seconds,
        }
        return jwt.encode(payload, self.secret, algorithm=TOKEN_ALGORITHM)

    def check(self, token: str) -> TokenClaims:
        try:
            payload = jwt.decode(
                token,
                self.secret,
                algorithms=[TOKEN_ALGORITHM],
                options={"require": ["sub", "exp", "iat"]},
            )
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from exc
        return TokenClaims(str(payload["sub"]), str(payload.get("role", "")), payload.get("site"))

    def csrf_token(self, session_token: str) -> str:
        """The CSRF token bound to one session token."""
        digest = hmac.new(self.secret.encode(), b"csrf:" + session_token.encode(), hashlib.sha256)
        return digest.hexdigest()

    def csrf_ok(self, session_token: str, submitted: str) -> bool:
        return hmac.compare_digest(self.csrf_token(session_token), submitted or "")


def new_secret() -> str:
    """A fresh random signing secret (tokens die with the process that made it)."""
    return secrets.token_urlsafe(48)


class LoginLimiter:
    """At most ``attempts`` failed logins per key within ``window_seconds``.

    Keys are the user name and the client address, so guessing one user's password from
    many addresses and many users' passwords from one address are both slowed.
    """

    def __init__(self, attempts: int = 5, window_seconds: float = 300.0) -> None:
        self.attempts = attempts
        self.window_seconds = window_seconds
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, keys: tuple[str, ...], now: float | None = None) -> float:
        """Seconds until a login may be tried again (0 when allowed now)."""
        now = time.monotonic() if now is None else now
        wait = 0.0
        with self._lock:
            for key in keys:
                window = self._prune(key, now)
                if len(window) >= self.attempts:
                    wait = max(wait, window[0] + self.window_seconds - now)
        return wait

    def failed(self, keys: tuple[str, ...], now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            for key in keys:
                self._failures[key].append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{username}", None)

    def _prune(self, key: str, now: float) -> deque[float]:
        window = self._failures[key]
        while window and window[0] <= now - self.window_seconds:
            window.popleft()
        return window
