"""What every command shares: the --db and -o options, error reporting and exit codes."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.markup import escape

# console is imported by the commands from here, with the options they share
from myotrial.cli._console import console as console
from myotrial.cli._console import err_console
from myotrial.cli._output import grouped_problem_lines
from myotrial.domain import POPULATIONS
from myotrial.errors import (
    InvalidInputError,
    MyotrialError,
    OutputError,
    Problem,
    problems_to_csv,
)

DEFAULT_DB = "sqlite:///myotrial.db"
# The exit statuses are those of the exception tree (myotrial.errors): 2 invalid input.
EXIT_INVALID = InvalidInputError.exit_code


F = TypeVar("F", bound=Callable[..., Any])


def login_name() -> str:
    """The operating system's login name, as the audit trail's default user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


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
        except InvalidInputError as exc:
            _print_invalid(exc)
            sys.exit(exc.exit_code)
        except MyotrialError as exc:
            # escape: a message may quote brackets (SQL, file names) that are not markup
            err_console.print(f"[bold red]error[/]: {escape(str(exc))}", soft_wrap=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


def _print_invalid(error: InvalidInputError) -> None:
    """Every problem of ``error``, the same problem on many rows as one line with a count."""
    # The message's first line is its summary ("688 problems found"); the problems
    # follow, grouped, in place of the message's first fifty.
    text = str(error)
    head = text.split("\n", 1)[0] if error.problems else text
    err_console.print(f"[bold red]invalid input[/]: {escape(head)}", soft_wrap=True)
    for line in grouped_problem_lines(error.problems):
        err_console.print(f"  {line}", markup=False, soft_wrap=True, highlight=False)


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
        # No file/folder check here: `writing` reports a wrong target as
        # "cannot write PATH: ..." (exit 1) like every other failed write.
        type=click.Path(path_type=path_type),
        help=help_text,
    )


def analysis_options(function: F) -> F:
    """Add ``--population`` and ``--missing``, the options of an analysis (docs/analysis.md).

    ``analyze``, ``report`` and ``export adam`` share them, so a non-default analysis
    can be reported and exported as it was analysed.
    """
    population = click.option(
        "--population",
        type=click.Choice(POPULATIONS),
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


STDOUT = "-"


def write_text(path: Path | str, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8), or to standard output when ``path`` is ``-``.

    Raises
    ------
    OutputError
        ``cannot write PATH: REASON`` when the file cannot be written (read-only, a
        folder, a missing parent folder), so the user sees a reason, not a traceback.
    """
    if str(path) == STDOUT:
        click.echo(text, nl=False)
        return
    with writing(path):
        Path(path).write_text(text, encoding="utf-8")


@contextmanager
def writing(path: Path | str, *, folder: bool = False) -> Iterator[None]:
    """Check that ``path`` can take a command's output; report a failed write there.

    Before the work: a file's path must not be a folder and its folder must exist; a
    folder's path must not be a file (the folder itself is created if absent). During
    the work: an ``OSError`` on ``path``, inside it, beside it (``report.pdf``) or on a
    folder above it becomes :class:`OutputError`, ``cannot write PATH: REASON``.

    Raises
    ------
    OutputError
        If the output cannot be written, before or while writing.
    """
    target = Path(path)
    _check_target(target, folder)
    try:
        yield
    except OSError as exc:
        failed = Path(exc.filename) if exc.filename else target
        if not _touches(failed, target, folder):
            raise
        raise OutputError(failed, exc.strerror or str(exc)) from exc


def _check_target(target: Path, folder: bool) -> None:
    if folder:
        if target.exists() and not target.is_dir():
            raise OutputError(target, "is a file, not a folder")
        return
    if target.is_dir():
        raise OutputError(target, "is a folder, not a file")
    if not target.parent.is_dir():
        raise OutputError(target, f"the folder {target.parent} does not exist")


def _touches(failed: Path, target: Path, folder: bool) -> bool:
    """Whether a failure on ``failed`` is a failure to write ``target`` (a file's
    siblings count: ``report.pdf`` is written beside ``report.html``)."""
    failed, target = failed.absolute(), target.absolute()
    return (
        failed == target
        or target in failed.parents
        or failed in target.parents
        or (not folder and failed.parent == target.parent)
    )


def write_problems_csv(problems: Iterable[Problem], path: Path) -> None:
    """Write ``problems`` as CSV (file, row, column, value, rule, hint); ``-``: stdout."""
    write_text(path, problems_to_csv(problems))
