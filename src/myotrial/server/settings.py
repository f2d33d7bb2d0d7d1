"""Settings of the HTTP service, given once when the application is made."""

from __future__ import annotations

from dataclasses import dataclass

from myotrial.errors import ConfigError, Problem

MIN_SECRET_BYTES = 32
"""The shortest signing secret accepted: HS256 needs a key of at least its 256-bit output
(RFC 7518 §3.2), and a short one can be guessed offline from any token."""


DEFAULT_THREADS = 8
"""Requests a worker runs at once by default: enough to keep a core and the database
busy while some wait on the database, few enough that they do not queue on the
interpreter's lock (measured in docs/performance.md)."""


@dataclass(frozen=True)
class ServerSettings:
    """How the service runs.

    Parameters
    ----------
    db_url : str
        The trial database (PostgreSQL for several users at once; SQLite works for one).
    secret : str or None
        Signs access tokens and CSRF tokens; at least 32 bytes. ``None`` (the default)
        uses the secret kept in the database, made once on first use, so every worker
        and every restart accepts the same tokens.
    token_ttl_seconds : int
        Lifetime of an access token (default 30 minutes).
    secure_cookies : bool
        Mark the session cookie ``Secure`` (browsers then send it over HTTPS and to
        localhost only).
    login_attempts, login_window_seconds : int, float
        After this many failed logins for one user name within the window, that user is
        refused from every address; an address that failed for this many different user
        names is refused for any other name.
    max_verifications : int
        Password checks run at once by one process (each Argon2id check holds 64 MiB);
        further logins wait their turn.
    trusted_proxies : tuple of str
        Addresses of the reverse proxies whose ``X-Forwarded-For`` names the client; the
        header is ignored from anyone else.
    max_body_bytes : int
        The largest request body accepted (default 1 MiB); larger ones get 413.
    max_field_chars : int
        The longest text accepted in any one field, path or query value (422 beyond).
    threads : int
        Requests one worker process runs at once, each on its own database connection
        (the pool keeps that many open); further requests wait their turn.
    """

    db_url: str
    secret: str | None = None
    token_ttl_seconds: int = 1800
    secure_cookies: bool = True
    login_attempts: int = 5
    login_window_seconds: float = 300.0
    max_verifications: int = 2
    trusted_proxies: tuple[str, ...] = ()
    max_body_bytes: int = 1024 * 1024
    max_field_chars: int = 10_000
    threads: int = DEFAULT_THREADS

    def __post_init__(self) -> None:
        if self.secret is not None and len(self.secret.encode()) < MIN_SECRET_BYTES:
            raise ConfigError(
                [
                    Problem(
                        "MYOTRIAL_SECRET",
                        None,
                        None,
                        None,
                        f"is {len(self.secret.encode())} bytes; at least {MIN_SECRET_BYTES} "
                        "are needed",
                        'make one with python -c "import secrets; '
                        'print(secrets.token_urlsafe(48))", or unset it to use the '
                        "secret kept in the database",
                    )
                ]
            )
        if self.max_verifications < 1:
            raise ValueError(f"max_verifications must be at least 1, not {self.max_verifications}")
