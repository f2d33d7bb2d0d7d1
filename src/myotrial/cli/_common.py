"""What every command shares: the --db and -o options, error reporting and exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
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


@contextmanager
def step_display() -> Iterator[Callable[[str], None]]:
    """A spinner naming the current step on a terminal; nothing when stderr is not one.

    Yields the function to call with each step's name. Off a terminal a live display
    would leave blank lines in a log, so the steps are simply not shown.
    """
    if not err_console.is_terminal:
        yield lambda _name: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("starting", total=None)
        yield lambda name: bar.update(task, description=name)


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


class AliasedOption(click.Option):
    """An option whose ``hidden_aliases`` work but are left out of ``--help``.

    Old spellings (``--out``, ``--problems-csv``) keep working for scripts written
    against them, while the help shows one spelling per option.
    """

    def __init__(self, *args: Any, hidden_aliases: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hidden_aliases = hidden_aliases

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        shown = self.opts
        self.opts = [opt for opt in shown if opt not in self.hidden_aliases]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = shown


def output_option(
    help_text: str,
    *,
    folder: bool = False,
    required: bool = True,
    default: Any = None,
    dest: str = "output",
    path_type: type = Path,
) -> Callable[[F], F]:
    """Add ``-o/--output`` (``--out`` still accepted): the file or folder a command writes."""
    return click.option(
        "-o",
        "--output",
        "--out",
        dest,
        cls=AliasedOption,
        hidden_aliases=("--out",),
        required=required,
        default=default,
        show_default=default is not None,
        metavar="DIR" if folder else "FILE",
        type=click.Path(file_okay=not folder, dir_okay=folder, path_type=path_type),
        help=help_text,
    )


def analysis_options(function: F) -> F:
    """Add ``--population`` and ``--missing``, the options of an analysis (docs/analysis.md).

    ``analyze``, ``report`` and ``export adam`` share them, so a non-default analysis
    can be reported and exported as it was analysed.
    """
    population = click.option(
        "--population",
        type=click.Choice(["adult", "juvenile"]),
        default=None,
        help="TIS thresholds (default: the trial's population).",
    )
    missing = click.option(
        "--missing",
        type=click.Choice(["strict", "zero"]),
        default="strict",
        show_default=True,
        help="TIS when a core set measure is absent.",
    )
    return population(missing(function))


def problems_csv_option(help_text: str) -> Callable[[F], F]:
    """Add ``--csv FILE`` (``--problems-csv`` still accepted): every problem found, as CSV."""
    return click.option(
        "--csv",
        "--problems-csv",
        "problems_csv",
        cls=AliasedOption,
        hidden_aliases=("--problems-csv",),
        type=click.Path(path_type=Path),
        default=None,
        metavar="FILE",
        help=help_text + " FILE - writes to standard output.",
    )


def write_problems_csv(problems: Iterable[Problem], path: Path) -> None:
    """Write ``problems`` as CSV (file, row, column, value, rule, hint)."""
    path.write_text(problems_to_csv(problems), encoding="utf-8")
