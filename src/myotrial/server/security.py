"""Bearer tokens and CSRF tokens of the web service.

- Passwords are hashed by :mod:`myotrial.services.passwords` (Argon2id) and the roles
  and account rules live in :mod:`myotrial.services.access`; this module handles only
  what HTTP needs.
- Access tokens are signed JWTs (HS256) that name the user and one session and expire
  (default 30 minutes). A token is accepted only while its session is live in the
  database and its user is active, and the role and site are read from the database on
  every request: logging out, a disabled account, a new password or a new role end the
  session at once.
- CSRF: forms carry a token derived from the session token with HMAC, so a page from
  another origin cannot forge a write (the double-submit pattern, OWASP CSRF cheat sheet).
- Failed logins are limited per user name and per client address
  (:mod:`myotrial.server.limiter`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
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
    session_id: str = ""
    expires: int = 0


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
            "sid": claims.session_id,
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
                options={"require": ["sub", "sid", "exp", "iat"]},
            )
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from exc
        return TokenClaims(
            str(payload["sub"]),
            str(payload.get("role", "")),
            payload.get("site"),
            str(payload["sid"]),
            int(payload["exp"]),
        )

    def check_known(self, token: str) -> TokenClaims:
        """:meth:`check`, verifying each token's signature once per process.

        A bearer client sends one token with every request; its signature and claims
        cannot change, so they are kept (for the last 4,096 tokens) and only the expiry
        is compared again. Whether the session is still live is not kept: the caller
        asks the database every time, so logging out ends the session at once.
        """
        claims = _verified(self, token)
        if claims.expires <= time.time():
            raise TokenError("Signature has expired")
        return claims

    def csrf_token(self, session_token: str) -> str:
        """The CSRF token bound to one session token."""
        digest = hmac.new(self.secret.encode(), b"csrf:" + session_token.encode(), hashlib.sha256)
        return digest.hexdigest()

    def csrf_ok(self, session_token: str, submitted: str) -> bool:
        return hmac.compare_digest(self.csrf_token(session_token), submitted or "")


@functools.lru_cache(maxsize=4096)
def _verified(signer: TokenSigner, token: str) -> TokenClaims:
    return signer.check(token)
