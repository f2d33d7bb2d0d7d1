"""Settings of the HTTP service, given once when the application is made."""

from __future__ import annotations

from dataclasses import dataclass, field

from myotrial.server.security import new_secret


@dataclass(frozen=True)
class ServerSettings:
    """How the service runs.

    Parameters
    ----------
    db_url : str
        The trial database (PostgreSQL for several users at once; SQLite works for one).
    secret : str
        Signs access tokens and CSRF tokens. Give the same secret to every process that
        must accept the same tokens; a random one is made when none is given.
    token_ttl_seconds : int
        Lifetime of an access token (default 30 minutes).
    secure_cookies : bool
        Mark the session cookie ``Secure`` (browsers then send it over HTTPS and to
        localhost only).
    login_attempts, login_window_seconds : int, float
        At most this many failed logins per user name and per address in the window.
    """

    db_url: str
    secret: str = field(default_factory=new_secret, repr=False)
    token_ttl_seconds: int = 1800
    secure_cookies: bool = True
    login_attempts: int = 5
    login_window_seconds: float = 300.0
