"""Error answers of the service: JSON under ``/api``, a short page elsewhere.

The application's exception handlers and the request guards (which answer before the
application runs) both answer through :func:`error_response`, so a refused request looks
the same whichever layer refused it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from starlette.responses import HTMLResponse, JSONResponse, Response

from myotrial.errors import Problem

REQUEST = "request"
"""The ``file`` of a problem found in the request itself (its path, query or body)."""


def error_response(
    path: str,
    status_code: int,
    detail: Any,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """The answer to a refused request at ``path``.

    Parameters
    ----------
    path : str
        The request path: under ``/api`` the answer is JSON ``{"detail": ...}``.
    status_code : int
        The HTTP status.
    detail : str or list of dict
        A message, or problems as dictionaries of :class:`myotrial.errors.Problem`.
    headers : dict, optional
        Headers of the answer (``WWW-Authenticate`` with a 401).
    extra : dict, optional
        More keys of a JSON answer (``confirm_required`` for a soft check).
    """
    if path.startswith("/api"):
        body = {"detail": detail, **(extra or {})}
        return JSONResponse(body, status_code=status_code, headers=headers)
    text = detail if isinstance(detail, str) else "; ".join(str(Problem(**p)) for p in detail)
    page = _ERROR_PAGE.format(status=status_code, text=html.escape(text))
    return HTMLResponse(page, status_code=status_code, headers=headers)


def problems_detail(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    """Problems as the dictionaries an error answer carries."""
    return [asdict(p) for p in problems]


_ERROR_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{status} · myotrial</title></head><body><main><h1>{status}</h1><p>{text}</p>
<p><a href="/patients">Back to the patients</a></p></main></body></html>"""
