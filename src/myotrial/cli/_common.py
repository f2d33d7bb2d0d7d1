"""What every command shares: the --db option, error reporting and exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from myotrial.errors import InvalidInputError, MyotrialError, Problem, problems_to_csv

DEFAULT_DB = "sqlite:///myotrial.db"
# The exit statuses are those of the exception tree (myotrial.errors): 2 invalid input.
EXIT_INVALID = InvalidInputError.exit_code

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])


def database_url(value: str | None) -> str:
    """``--db``, else ``MYOTRIAL_DB``, else the SQLite file in the current folder."""
    return value or os.environ.get("MYOTRIAL_DB") or DEFAULT_DB


def db_option(function: F) -> F:
    """Add ``--db URL`` (default: ``MYOTRIAL_DB``, then ``sqlite:///myotrial.db``)."""
    option = click.option(
        "--db",
        "db",
        default=None,
        metavar="URL",
        help="Database URL (default: $MYOTRIAL_DB, then sqlite:///myotrial.db).",
    )
    return option(function)


def report_errors(function: F) -> F:
    """Turn myotrial errors into a clear message and the contract's exit status."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except MyotrialError as exc:
            what = "invalid input" if isinstance(exc, InvalidInputError) else "error"
            # escape: a message may quote brackets (SQL, file names) that are not markup
            err_console.print(f"[bold red]{what}[/]: {escape(str(exc))}", soft_wrap=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


def problems_csv_option(help_text: str) -> Callable[[F], F]:
    """Add ``--problems-csv FILE`` (where to write every problem found, as CSV)."""
    return click.option(
        "--problems-csv",
        "problems_csv",
        type=click.Path(path_type=Path),
        default=None,
        metavar="FILE",
        help=help_text,
    )


def write_problems_csv(problems: Iterable[Problem], path: Path) -> None:
    """Write ``problems`` as CSV (file, row, column, value, rule, hint)."""
    path.write_text(problems_to_csv(problems), encoding="utf-8")
