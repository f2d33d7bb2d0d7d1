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

from myotrial.errors import InvalidInputError, MyotrialError, Problem, problems_to_csv

DEFAULT_DB = "sqlite:///myotrial.db"
EXIT_INVALID = 2
EXIT_FAILURE = 1

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
        except InvalidInputError as exc:
            err_console.print(f"[bold red]invalid input[/]: {exc}", markup=True, soft_wrap=True)
            sys.exit(EXIT_INVALID)
        except MyotrialError as exc:
            err_console.print(f"[bold red]error[/]: {exc}", soft_wrap=True)
            sys.exit(EXIT_FAILURE)

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
