"""Request guards that run before any route: size limits, text checks, security headers.

- **Body size.** A body longer than ``max_body_bytes`` (default 1 MiB) is refused with
  413 before it is read in full; the limit holds whether or not ``Content-Length`` is
  sent.
- **Text.** Every text of a request (the path, each query value, each key and value of a
  JSON or form body) is refused with 422 when it holds a control character (Unicode
  category Cc, such as NUL; tab, line feed and carriage return are allowed in bodies) or
  a lone surrogate, which no database text column can store, or when it is longer than
  ``max_field_chars``.
- **Headers.** Every answer carries a Content-Security-Policy (scripts only with the
  page's nonce, nothing from another origin, no framing), ``X-Frame-Options: DENY``,
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` and
  ``Cache-Control: no-store`` (pages and API answers hold patient data; no browser or
  proxy cache may keep them). An unexpected failure inside a route is answered here,
  with these headers and a fixed message, and logged; it never reaches the framework's
  own 500 page.
"""

from __future__ import annotations

import json
import logging
import secrets
import unicodedata
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from myotrial.errors import Problem
from myotrial.server.answers import REQUEST, error_response, problems_detail

_log = logging.getLogger("myotrial.server")

INTERNAL_ERROR = "the server failed to answer this request; the failure is in its log"
"""The whole body of an answer to an unexpected failure (no trace, no SQL, no path)."""

CSP_NONCE = "csp_nonce"
"""Key of the request state holding the nonce that inline scripts of a page must carry."""

_BODY_WHITESPACE = frozenset("\t\n\r")


def text_problem(where: str, text: str, max_chars: int, body: bool) -> Problem | None:
    """Why ``text`` (found at ``where``) cannot be accepted, or ``None``.

    Parameters
    ----------
    where : str
        Where the text was found, such as ``path``, ``query.status`` or ``body.reason``.
    text : str
        The text.
    max_chars : int
        The longest text accepted.
    body : bool
        Whether the text comes from a body, where tab, line feed and carriage return are
        ordinary characters of a multi-line answer.
    """
    if len(text) > max_chars:
        return Problem(
            REQUEST, None, where, None, f"is longer than {max_chars} characters", "shorten it"
        )
    for char in text:
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and not (body and char in _BODY_WHITESPACE)):
            return Problem(
                REQUEST,
                None,
                where,
                None,
                f"holds the control character U+{ord(char):04X}",
                "remove it; only printable text is accepted",
            )
    return None


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every text inside a decoded JSON value, with where it sits (keys included)."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{where}.{key}", str(key)
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")


class RequestLimits:
    """ASGI middleware refusing oversize bodies (413) and unacceptable text (422)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_field_chars: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_field_chars = max_field_chars

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if self._declared_length(scope) > self.max_body_bytes:
            await self._too_large(path)(scope, receive, send)
            return
        body = await self._read_body(receive)
        if body is None:
            await self._too_large(path)(scope, receive, send)
            return
        problems = [
            p
            for where, text, in_body in await self._texts(scope, body)
            if (p := text_problem(where, text, self.max_field_chars, in_body)) is not None
        ]
        if problems:
            await error_response(path, 422, problems_detail(problems[:20]))(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _declared_length(self, scope: Scope) -> int:
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return self.max_body_bytes + 1
        return 0

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or ``None`` as soon as it passes the limit."""
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    def _too_large(self, path: str) -> Any:
        detail = f"the request body is larger than {self.max_body_bytes} bytes"
        return error_response(path, 413, detail)

    async def _texts(self, scope: Scope, body: bytes) -> list[tuple[str, str, bool]]:
        """Every text of the request: (where, text, whether it comes from the body)."""
        texts: list[tuple[str, str, bool]] = [("path", scope["path"], False)]
        query = scope.get("query_string", b"").decode("latin-1")
        for key, value in parse_qsl(query, keep_blank_values=True):
            texts += [(f"query.{key}", key, False), (f"query.{key}", value, False)]
        if not body:
            return texts
        content_type = Request(scope).headers.get("content-type", "")
        if content_type.startswith("application/json"):
            try:
                decoded = json.loads(body)
            except ValueError:
                return texts  # the route answers malformed JSON with its own 422
            texts += [(w, t, True) for w, t in _strings(decoded, "body")]
        elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/")):
            form = await Request(scope, _replay(body, _no_more)).form()
            for key, value in form.multi_items():
                texts.append((f"body.{key}", key, True))
                if not isinstance(value, UploadFile):
                    texts.append((f"body.{key}", value, True))
        return texts


async def _no_more() -> Message:
    return {"type": "http.disconnect"}


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the already read body once, then defers to ``receive``."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def content_security_policy(nonce: str) -> str:
    """The policy of every answer: same-origin everything, scripts only with ``nonce``.

    Styles may be inline (the page's style sheet and the SVG charts' style attributes);
    no script, style, image or frame comes from another origin, and no page may frame
    this one (clickjacking).
    """
    return (
        "default-src 'none'; "
        f"script-src 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; "
        "connect-src 'self'; "
        "form-action 'self'; "
        "base-uri 'none'; "
        "frame-ancestors 'none'"
    )


class SecurityHeaders:
    """ASGI middleware adding the security headers to every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        scope.setdefault("state", {})[CSP_NONCE] = nonce
        headers = [
            (b"content-security-policy", content_security_policy(nonce).encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"cache-control", b"no-store"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        names = {name for name, _ in headers}

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                kept = [(n, v) for n, v in message.get("headers", []) if n.lower() not in names]
                message = {**message, "headers": kept + headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # An exception no handler took would reach the framework's outermost layer,
            # which answers 500 without these headers (and, in debug, with a trace):
            # answer here instead, with the headers and a fixed message, and log it.
            _log.error("%s %s failed", scope.get("method"), scope["path"], exc_info=exc)
            if started:
                raise
            answer = error_response(scope["path"], 500, INTERNAL_ERROR)
            await answer(scope, receive, send_with_headers)
