"""Request dependencies: the service objects, the authenticated caller and its session."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from myotrial.errors import TokenError
from myotrial.server.limiter import LoginLimiter, LoginResult, client_address
from myotrial.server.security import TokenClaims, TokenSigner
from myotrial.services.access import Caller
from myotrial.services.multisite import SiteServices
from myotrial.store.sessions import (
    forget_expired_sessions,
    open_session,
    revoke_session,
    session_user,
)

SESSION_COOKIE = "myotrial_session"
_bearer = HTTPBearer(auto_error=False)


def site_services(request: Request) -> SiteServices:
    services: SiteServices = request.app.state.sites
    return services


async def _sites_dependency(request: Request) -> SiteServices:
    # async: FastAPI runs a plain function dependency in a worker thread, a hop that
    # costs more than this attribute read
    return site_services(request)


def signer(request: Request) -> TokenSigner:
    token_signer: TokenSigner = request.app.state.signer
    return token_signer


def limiter(request: Request) -> LoginLimiter:
    login_limiter: LoginLimiter = request.app.state.limiter
    return login_limiter


def caller_address(request: Request) -> str:
    """The client's address (``X-Forwarded-For`` believed from trusted proxies only)."""
    trusted: frozenset[str] = frozenset(request.app.state.settings.trusted_proxies)
    return client_address(request, trusted)


def _engine(request: Request) -> sa.Engine:
    return site_services(request).store.engine


def start_session(request: Request, user: dict[str, Any]) -> str:
    """Open a session for ``user`` and return its signed token."""
    token_signer = signer(request)
    with _engine(request).begin() as connection:
        forget_expired_sessions(connection)
        session_id = open_session(connection, user["username"], token_signer.ttl_seconds)
    claims = TokenClaims(user["username"], user["role"], user["site"], session_id)
    return token_signer.issue(claims)


def end_session(request: Request, token: str) -> None:
    """Revoke the session of ``token`` (nothing happens for an invalid token)."""
    try:
        claims = signer(request).check(token)
    except TokenError:
        return
    with _engine(request).begin() as connection:
        revoke_session(connection, claims.session_id)


def _caller_from_token(token: str, request: Request) -> Caller:
    """The caller a token speaks for; :class:`TokenError` (401) when it speaks for none."""
    try:
        claims = signer(request).check_known(token)
    except TokenError as exc:
        raise TokenError("invalid or expired token") from exc
    # The database, not the token, is the authority: the session must be live and its
    # user active, and the role and site are the user's current ones.
    # one read, outside a transaction (no BEGIN and ROLLBACK around it)
    reading = _engine(request).connect().execution_options(isolation_level="AUTOCOMMIT")
    with reading as connection:
        user = session_user(connection, claims.session_id)
    if user is None or user["username"] != claims.username:
        raise TokenError("the session has ended; log in again")
    return Caller(user["username"], user["role"], user["site"])


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The bearer token of an API request (401 without one); async, as it does no I/O
    (a plain function would be run in a worker thread)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise TokenError("not authenticated")
    return credentials.credentials


def api_caller(request: Request, token: Annotated[str, Depends(bearer_token)]) -> Caller:
    """The caller of an API request, from its bearer token (401 without a live one)."""
    return _caller_from_token(token, request)


def page_caller(request: Request) -> Caller | None:
    """The caller of a web page, from the session cookie (``None`` when logged out)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return _caller_from_token(token, request)
    except TokenError:
        return None


ApiCaller = Annotated[Caller, Depends(api_caller)]
BearerToken = Annotated[str, Depends(bearer_token)]
Sites = Annotated[SiteServices, Depends(_sites_dependency)]


def attempt_login(request: Request, username: str, password: str) -> LoginResult:
    """Check a login through the limiter (counted before the password is checked)."""
    sites = site_services(request)
    return limiter(request).login(
        username, caller_address(request), lambda name: sites.accounts.authenticate(name, password)
    )
