"""The web service: ``create_app`` builds the FastAPI application over one trial store.

The application is thin like the command line: routes authenticate, call the site
service and translate myotrial's errors into HTTP answers (422 with every problem,
404, 403).
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from myotrial import __version__
from myotrial.errors import (
    AccessDeniedError,
    InvalidInputError,
    NotFoundError,
    Problem,
    StoreError,
)
from myotrial.server import api, pages
from myotrial.server.pages import LoginRequiredError
from myotrial.server.security import LoginLimiter, TokenSigner
from myotrial.server.settings import ServerSettings
from myotrial.services.sites import SiteService


def create_app(settings: ServerSettings) -> FastAPI:
    """The application serving the trial at ``settings.db_url``.

    Parameters
    ----------
    settings : ServerSettings
        Database, signing secret, token lifetime, cookie and login-limit settings.
    """
    sites = SiteService.open(settings.db_url)

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
    """JSON answers under /api, short pages elsewhere; the same status codes for both."""

    def answer(request: Request, status_code: int, detail: Any) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": detail}, status_code=status_code)
        text = detail if isinstance(detail, str) else "; ".join(str(Problem(**p)) for p in detail)
        return HTMLResponse(
            _ERROR_PAGE.format(status=status_code, text=html.escape(text)), status_code=status_code
        )

    @app.exception_handler(InvalidInputError)
    async def invalid(request: Request, exc: InvalidInputError) -> Response:
        return answer(request, 422, [asdict(p) for p in exc.problems])

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return answer(request, 404, str(exc))

    @app.exception_handler(AccessDeniedError)
    async def denied(request: Request, exc: AccessDeniedError) -> Response:
        return answer(request, 403, str(exc))

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> Response:
        return answer(request, 503, str(exc))

    @app.exception_handler(LoginRequiredError)
    async def login_required(request: Request, exc: LoginRequiredError) -> Response:
        return RedirectResponse("/login", status_code=303)


_ERROR_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{status} · myotrial</title></head><body><main><h1>{status}</h1><p>{text}</p>
<p><a href="/patients">Back to the patients</a></p></main></body></html>"""
