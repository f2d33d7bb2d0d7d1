"""The web service: ``create_app`` builds the FastAPI application over one trial store.

The application is thin like the command line: routes authenticate, call the site
service, and one handler turns any myotrial error into the HTTP status its class names
in :mod:`myotrial.errors` (422 with every problem, 404, 403, 401, 503). Guards in front
of every route limit the size and the characters of a request and add the security
headers (:mod:`myotrial.server.guards`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response

from myotrial.errors import (
    InvalidInputError,
    LoginRequiredError,
    MyotrialError,
    Problem,
    StoreError,
    UnconfirmedError,
)
from myotrial.server import api, form_pages, forms_api, pages
from myotrial.server.answers import REQUEST, error_response, problems_detail
from myotrial.server.guards import RequestLimits, SecurityHeaders
from myotrial.server.limiter import LoginLimiter
from myotrial.server.security import TokenSigner
from myotrial.server.settings import ServerSettings
from myotrial.services.multisite import SiteServices
from myotrial.services.passwords import PasswordHasher
from myotrial.store.sessions import kept_secret
from myotrial.version import __version__

_log = logging.getLogger("myotrial.server")

TOKEN_SECRET = "token_secret"
"""Name of the kept signing secret, used when no secret is configured."""


def create_app(settings: ServerSettings, hasher: PasswordHasher | None = None) -> FastAPI:
    """The application serving the trial at ``settings.db_url``.

    Parameters
    ----------
    settings : ServerSettings
        Database, signing secret, token lifetime, cookie, login-limit and size settings.
    hasher : argon2.PasswordHasher, optional
        Hashes new passwords (default: RFC 9106's low-memory Argon2id profile).
    """
    sites = SiteServices.open(settings.db_url, hasher, connections=settings.threads)
    engine = sites.store.engine

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # the routes run in worker threads: as many as the pool has connections
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        yield
        sites.close()

    # No /docs or /redoc: their pages load scripts from a CDN, which the
    # Content-Security-Policy forbids; the description stays at /openapi.json.
    app = FastAPI(
        title="myotrial",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="Multi-site data entry, scoring and audit for myositis cell-therapy trials.",
    )
    app.state.sites = sites
    app.state.settings = settings
    secret = settings.secret or kept_secret(engine, TOKEN_SECRET)
    app.state.signer = TokenSigner(secret, settings.token_ttl_seconds)
    app.state.limiter = LoginLimiter(
        engine, settings.login_attempts, settings.login_window_seconds, settings.max_verifications
    )
    app.include_router(api.router)
    app.include_router(forms_api.router)
    app.include_router(pages.router)
    app.include_router(form_pages.router)
    _error_handlers(app)
    app.add_middleware(
        RequestLimits,
        max_body_bytes=settings.max_body_bytes,
        max_field_chars=settings.max_field_chars,
    )
    app.add_middleware(SecurityHeaders)  # added last, so it wraps every other answer
    return app


def _error_handlers(app: FastAPI) -> None:
    """Answer every myotrial error with the status its class names (:mod:`myotrial.errors`).

    JSON under /api, a short page elsewhere. Invalid input lists every problem; an error
    whose text may quote the database (SQL, parameters, its URL) is logged and answered
    with its class's public message; no answer carries a stack trace.
    """

    @app.exception_handler(LoginRequiredError)
    async def login_required(request: Request, exc: LoginRequiredError) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(MyotrialError)
    async def myotrial_error(request: Request, exc: MyotrialError) -> Response:
        if not exc.public:
            _log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
        return _answer(request, exc)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> Response:
        # Name the field and the rule, never echo the value (it may be megabytes long).
        problems = [
            Problem(REQUEST, None, ".".join(str(p) for p in error["loc"]), None, error["msg"])
            for error in exc.errors()
        ]
        return error_response(request.url.path, 422, problems_detail(problems))

    @app.exception_handler(sa.exc.SQLAlchemyError)
    async def database_error(request: Request, exc: sa.exc.SQLAlchemyError) -> Response:
        # a driver error nothing translated (a dropped connection mid-request): its text
        # holds SQL and parameters, so it is logged and answered as a StoreError
        _log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
        return _answer(request, StoreError(str(exc)))


def _answer(request: Request, exc: MyotrialError) -> Response:
    detail: str | list[dict[str, Any]] = str(exc) if exc.public else exc.public_message
    if isinstance(exc, InvalidInputError):
        detail = problems_detail(exc.problems)
    headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
    # a soft check: the same request with "confirm": true stores the values as entered
    extra = {"confirm_required": True} if isinstance(exc, UnconfirmedError) else None
    return error_response(request.url.path, exc.http_status, detail, headers, extra)
