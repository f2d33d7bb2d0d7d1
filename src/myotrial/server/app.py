"""The web service: ``create_app`` builds the FastAPI application over one trial store.

The application is thin like the command line: routes authenticate, call the site
service, and one handler turns any myotrial error into the HTTP status its class names
in :mod:`myotrial.errors` (422 with every problem, 404, 403, 401, 503).
"""

from __future__ import annotations

import html
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from myotrial import __version__
from myotrial.errors import InvalidInputError, LoginRequiredError, MyotrialError, Problem
from myotrial.server import api, pages
from myotrial.server.security import LoginLimiter, TokenSigner
from myotrial.server.settings import ServerSettings
from myotrial.services.multisite import SiteServices

_log = logging.getLogger("myotrial.server")


def create_app(settings: ServerSettings) -> FastAPI:
    """The application serving the trial at ``settings.db_url``.

    Parameters
    ----------
    settings : ServerSettings
        Database, signing secret, token lifetime, cookie and login-limit settings.
    """
    sites = SiteServices.open(settings.db_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        sites.close()

    app = FastAPI(
        title="myotrial",
        version=__version__,
        lifespan=lifespan,
        description="Multi-site data entry, scoring and audit for myositis cell-therapy trials.",
    )
    app.state.sites = sites
    app.state.settings = settings
    app.state.signer = TokenSigner(settings.secret, settings.token_ttl_seconds)
    app.state.limiter = LoginLimiter(settings.login_attempts, settings.login_window_seconds)
    app.include_router(api.router)
    app.include_router(pages.router)
    _error_handlers(app)
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


def _answer(request: Request, exc: MyotrialError) -> Response:
    detail: str | list[dict[str, Any]] = str(exc) if exc.public else exc.public_message
    if isinstance(exc, InvalidInputError):
        detail = [asdict(p) for p in exc.problems]
    headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
    if request.url.path.startswith("/api"):
        return JSONResponse({"detail": detail}, status_code=exc.http_status, headers=headers)
    text = detail if isinstance(detail, str) else "; ".join(str(Problem(**p)) for p in detail)
    page = _ERROR_PAGE.format(status=exc.http_status, text=html.escape(text))
    return HTMLResponse(page, status_code=exc.http_status, headers=headers)


_ERROR_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{status} · myotrial</title></head><body><main><h1>{status}</h1><p>{text}</p>
<p><a href="/patients">Back to the patients</a></p></main></body></html>"""
