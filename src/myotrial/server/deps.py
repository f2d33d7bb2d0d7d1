"""Request dependencies: the service objects and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from myotrial.errors import TokenError
from myotrial.server.security import TokenSigner
from myotrial.services.access import Caller
from myotrial.services.multisite import SiteServices

SESSION_COOKIE = "myotrial_session"
_bearer = HTTPBearer(auto_error=False)


def site_services(request: Request) -> SiteServices:
    services: SiteServices = request.app.state.sites
    return services


def signer(request: Request) -> TokenSigner:
    token_signer: TokenSigner = request.app.state.signer
    return token_signer


def _caller_from_token(token: str, request: Request) -> Caller:
    """The caller a token speaks for; :class:`TokenError` (401) when it speaks for none."""
    try:
        claims = signer(request).check(token)
    except TokenError as exc:
        raise TokenError("invalid or expired token") from exc
    # The database, not the token, is the authority on role and site.
    user = site_services(request).accounts.active_user(claims.username)
    if user is None:
        raise TokenError("unknown or disabled user")
    return Caller(user["username"], user["role"], user["site"])


def api_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The caller of an API request, from its bearer token (401 without one)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise TokenError("not authenticated")
    return _caller_from_token(credentials.credentials, request)


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
Sites = Annotated[SiteServices, Depends(site_services)]
