"""Reading a user's file: one translation of what can go wrong into a problem.

Every reader of a user's file (``trial.toml``, a design, a REDCap mapping, dictionary or
records, a PAIRS table, a workbook) reports a file it cannot open or decode the same way:
``<file>: cannot be read: <reason> (<what to do>)``, as an
:class:`~myotrial.errors.InvalidInputError` (or a :class:`~myotrial.errors.ConfigError`
for settings), raised from the operating system's error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from myotrial.errors import InvalidInputError, Problem

READ_ERRORS: tuple[type[Exception], ...] = (OSError, UnicodeDecodeError)
"""What opening and decoding a text file can raise."""


def file_problem(file: str, rule: str, hint: str) -> Problem:
    """A problem about a whole file (no row, no column)."""
    return Problem(file, None, None, None, rule, hint)


def unreadable(file: str, error: BaseException, hint: str, form: str = "") -> Problem:
    """The problem of a file that cannot be read (as ``form``, e.g. ``" as CSV"``).

    The reason is the operating system's words (``No such file or directory``) when it
    gives them, else the error's message.
    """
    reason = getattr(error, "strerror", None) or str(error)
    return file_problem(file, f"cannot be read{form}: {reason}", hint)


@contextmanager
def reading(
    file: str,
    hint: str,
    *,
    form: str = "",
    error: type[InvalidInputError] = InvalidInputError,
    catch: tuple[type[Exception], ...] = READ_ERRORS,
) -> Iterator[None]:
    """Translate any of ``catch`` raised inside the block into ``error`` about ``file``.

    Raises
    ------
    InvalidInputError
        (or ``error``) with one :func:`unreadable` problem, from the original error.
    """
    try:
        yield
    except catch as exc:
        raise error([unreadable(file, exc, hint, form)]) from exc


def read_text(
    path: Path,
    hint: str,
    *,
    encoding: str = "utf-8",
    error: type[InvalidInputError] = InvalidInputError,
) -> str:
    """The text of ``path``.

    Raises
    ------
    InvalidInputError
        (or ``error``) if the file cannot be opened or is not text in ``encoding``.
    """
    with reading(path.name, hint, error=error):
        return path.read_text(encoding=encoding)
