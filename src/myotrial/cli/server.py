"""``myotrial serve`` and ``myotrial user add``: the multi-site web service."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from contextlib import closing
from typing import TYPE_CHECKING, Any

import click

from myotrial.cli._common import console, database_url, db_option, login_name, report_errors
from myotrial.cli._output import chosen_format, format_option, print_records
from myotrial.extras import require
from myotrial.server.settings import DEFAULT_THREADS
from myotrial.services.access import ROLES

if TYPE_CHECKING:
    from fastapi import FastAPI

    from myotrial.server.settings import ServerSettings

WORKER_SETTINGS = "MYOTRIAL_WORKER_SETTINGS"
"""Environment variable passing ``serve``'s settings (never the secret) to its workers."""


@click.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--insecure-cookies",
    is_flag=True,
    help="Send the session cookie over plain HTTP too (testing only).",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDRESS",
    help="A reverse proxy whose X-Forwarded-For names the client (repeatable); the "
    "header is ignored from every other address.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker processes serving requests at once (about one per core; each opens its "
    "own database connections).",
)
@click.option(
    "--threads",
    default=DEFAULT_THREADS,
    show_default=True,
    type=click.IntRange(min=1),
    help="Requests each worker runs at once, each on its own database connection; "
    "more wait their turn.",
)
@click.option(
    "--max-body-bytes",
    default=1024 * 1024,
    show_default=True,
    type=click.IntRange(min=1024),
    help="Largest request body accepted; larger ones are refused with 413.",
)
@report_errors
def serve(
    db: str | None,
    host: str,
    port: int,
    insecure_cookies: bool,
    trusted_proxies: tuple[str, ...],
    workers: int,
    threads: int,
    max_body_bytes: int,
) -> None:
    """Serve the trial over HTTP: JSON API under /api, web pages at /.

    Tokens are signed with $MYOTRIAL_SECRET (at least 32 bytes) or, when it is unset,
    with a secret made once and kept in the database, so tokens outlive a restart. Use
    PostgreSQL (--db postgresql://...) for several users at once. With --workers N,
    N processes share the port; the secret, sessions and login limits live in the
    database, so every worker accepts the same tokens and counts the same failures.
    """
    require("server", needed_for="myotrial serve")
    import uvicorn

    from myotrial.server.app import create_app
    from myotrial.server.settings import ServerSettings

    settings = ServerSettings(
        db_url=database_url(db),
        secret=os.environ.get("MYOTRIAL_SECRET") or None,
        secure_cookies=not insecure_cookies,
        trusted_proxies=trusted_proxies,
        max_body_bytes=max_body_bytes,
        threads=threads,
    )
    # built once here, so a bad database or schema stops the command before any worker
    app = create_app(settings)
    console.print(
        f"myotrial serving {settings.db_url.split('@')[-1]} at http://{host}:{port} "
        f"with {workers} worker{'s' if workers > 1 else ''} "
        f"(API description: http://{host}:{port}/openapi.json)"
    )
    # proxy_headers=False: uvicorn would otherwise believe X-Forwarded-For from loopback;
    # the application applies --trusted-proxy itself.
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "info"}
    if workers == 1:
        uvicorn.run(app, proxy_headers=False, **options)
        return
    app.state.sites.close()  # each worker opens its own
    os.environ[WORKER_SETTINGS] = _worker_settings(settings)
    uvicorn.run(
        "myotrial.cli.server:worker_app",
        factory=True,
        workers=workers,
        proxy_headers=False,
        **options,
    )


def _worker_settings(settings: ServerSettings) -> str:
    """The settings as JSON for the workers; the secret stays in $MYOTRIAL_SECRET."""
    values = dataclasses.asdict(settings)
    values.pop("secret")
    return json.dumps(values)


def worker_app() -> FastAPI:
    """The application of one worker of ``myotrial serve --workers N``."""
    from myotrial.server.app import create_app
    from myotrial.server.settings import ServerSettings

    values = json.loads(os.environ[WORKER_SETTINGS])
    values["trusted_proxies"] = tuple(values["trusted_proxies"])
    secret = os.environ.get("MYOTRIAL_SECRET") or None
    return create_app(ServerSettings(secret=secret, **values))


def _require_accounts(command: str) -> None:
    """Accounts hash passwords with argon2 and sign tokens with PyJWT (the server extra)."""
    require("server", "argon2", "jwt", needed_for=f"myotrial {command}")


@click.group("user")
def user() -> None:
    """Manage the users of the web service."""


_PASSWORD_STDIN = click.option(
    "--password-stdin",
    is_flag=True,
    required=True,
    help="Read the password from standard input (never from the command line).",
)


def _sessions_ended(count: int) -> str:
    return f"; {count} session{'' if count == 1 else 's'} ended"


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--site", default=None, help="The investigator's site.")
@_PASSWORD_STDIN
@db_option
@report_errors
def user_add(name: str, role: str, site: str | None, password_stdin: bool, db: str | None) -> None:
    """Add user NAME with a role (and a site for investigators)."""
    _require_accounts("user add")
    from myotrial.services.multisite import SiteServices

    password = sys.stdin.readline().rstrip("\r\n")
    with closing(SiteServices.open(database_url(db))) as sites:
        sites.accounts.add_user(None, name, password, role, site, actor=login_name())
    console.print(f"added user {name} ({role}{', site ' + site if site else ''})")


@user.command("disable")
@click.argument("name")
@db_option
@report_errors
def user_disable(name: str, db: str | None) -> None:
    """Disable user NAME and end their sessions at once (their tokens stop working)."""
    _require_accounts("user disable")
    from myotrial.services.multisite import SiteServices

    with closing(SiteServices.open(database_url(db))) as sites:
        ended = sites.accounts.disable_user(None, name, actor=login_name())
    console.print(f"disabled user {name}{_sessions_ended(ended)}", soft_wrap=True)


@user.command("enable")
@click.argument("name")
@db_option
@report_errors
def user_enable(name: str, db: str | None) -> None:
    """Let the disabled user NAME log in again (old sessions stay ended)."""
    _require_accounts("user enable")
    from myotrial.services.multisite import SiteServices

    with closing(SiteServices.open(database_url(db))) as sites:
        sites.accounts.enable_user(None, name, actor=login_name())
    console.print(f"enabled user {name}", soft_wrap=True)


@user.command("password")
@click.argument("name")
@_PASSWORD_STDIN
@db_option
@report_errors
def user_password(name: str, password_stdin: bool, db: str | None) -> None:
    """Give user NAME a new password, read from standard input; ends their sessions."""
    _require_accounts("user password")
    from myotrial.services.multisite import SiteServices

    password = sys.stdin.readline().rstrip("\r\n")
    with closing(SiteServices.open(database_url(db))) as sites:
        ended = sites.accounts.set_password(None, name, password, actor=login_name())
    console.print(f"changed the password of {name}{_sessions_ended(ended)}", soft_wrap=True)


@user.command("role")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--site", default=None, help="The site, for an investigator.")
@db_option
@report_errors
def user_role(name: str, role: str, site: str | None, db: str | None) -> None:
    """Give user NAME a new role (and site for an investigator); ends their sessions."""
    _require_accounts("user role")
    from myotrial.services.multisite import SiteServices

    with closing(SiteServices.open(database_url(db))) as sites:
        ended = sites.accounts.set_role(None, name, role, site, actor=login_name())
    where = f", site {site}" if role == "investigator" and site else ""
    console.print(f"{name} is now {role}{where}{_sessions_ended(ended)}", soft_wrap=True)


@user.command("list")
@db_option
@format_option()
@report_errors
def user_list(db: str | None, output_format: str | None) -> None:
    """List the users, their roles and sites."""
    _require_accounts("user list")
    from myotrial.services.multisite import SiteServices

    with closing(SiteServices.open(database_url(db))) as sites:
        rows = sites.accounts.users(None)
    fmt = chosen_format(output_format)
    print_records(
        ("user", "role", "site", "active", "created_utc"),
        (
            (r["username"], r["role"], r["site"] or "", "yes" if r["active"] else "no",
             f"{r['created_at']:%Y-%m-%dT%H:%M:%S}")
            for r in rows
        ),
        fmt,
        headers=("user", "role", "site", "active", "created (UTC)"),
    )  # fmt: skip


COMMANDS: list[click.Command] = [serve, user]
