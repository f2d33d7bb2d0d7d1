"""The myotrial exception tree, and what each error means to a shell and to HTTP.

Every error myotrial raises on purpose derives from :class:`MyotrialError`, so callers
can catch one class. Foreign exceptions (pandas, SQLAlchemy, tomllib, argon2, PyJWT) are
translated at the boundary with ``raise ... from``.

Each class carries the exit status of a command that stops on it (``exit_code``) and
the status of the HTTP answer (``http_status``); the command line and the web service
read these two attributes and nothing else, so the mapping is written only here::

    class                          exit  HTTP  meaning
    MyotrialError                    1   400   base class: the request cannot be done
    ├── InvalidInputError            2   422   bad user input; carries every problem found
    │   ├── ConfigError              2   422   trial.toml or an option is wrong
    │   ├── ConflictError            2   409   the input clashes with what is stored
    │   └── UnconfirmedError         2   422   a soft check asks the user to confirm a value
    ├── AnalysisError                1   422   an analysis cannot be computed from the data
    ├── ExportError                  1   422   the data break a limit of the export format
    ├── AccessDeniedError            1   403   the caller's role does not allow the action
    ├── TokenError                   1   401   the token is missing, forged or expired
    │   └── LoginRequiredError       1   401   a page needs a session (web: go to /login)
    ├── StoreError                   1   503   the database refused or is out of date
    │   └── NotFoundError            1   404   a patient, visit or record does not exist
    ├── PdfError                     1   503   no PDF engine, or the engine failed
    ├── OutputError                  1   500   a file or folder asked for cannot be written
    └── MissingDependencyError       1   503   an optional package is not installed

Exit status 0 means success. A :class:`StoreError` may quote the database driver (SQL,
parameters, the URL); its ``public`` flag is false, so the web service answers with the
class's :attr:`~MyotrialError.public_message` instead of the text.

This module imports nothing from myotrial.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import ClassVar


@dataclass(frozen=True)
class Problem:
    """One problem in the input: where it is, what it is, and what to do.

    ``row`` is the row number as a spreadsheet shows it (the header is row 1, so the
    first data row is row 2); ``None`` when the problem concerns a whole file or column.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str
    hint: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        text = f"{where}: "
        if self.value is not None:
            text += f"{self.value!r} "
        text += self.rule
        if self.hint:
            text += f" ({self.hint})"
        return text


PROBLEM_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Problem))


def problems_to_csv(problems: Iterable[Problem]) -> str:
    """Render problems as CSV text with the columns of :data:`PROBLEM_COLUMNS`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=PROBLEM_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for problem in problems:
        writer.writerow({k: ("" if v is None else v) for k, v in asdict(problem).items()})
    return buffer.getvalue()


EXIT_OK = 0
"""Exit status of a command that did what was asked."""


class MyotrialError(Exception):
    """Base class of every error myotrial raises on purpose.

    Attributes
    ----------
    exit_code : int
        Exit status of a command that stops on this error (2 invalid input, 1 other).
    http_status : int
        Status of the web service's answer.
    public : bool
        Whether the message may be shown to a remote user as it is; when false the web
        service shows :attr:`public_message` (the message may quote SQL or a URL).
    public_message : str
        What a remote user is told when ``public`` is false.
    """

    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 400
    public: ClassVar[bool] = True
    public_message: ClassVar[str] = "the request could not be carried out"


class InvalidInputError(MyotrialError):
    """Input broke one or more rules; ``problems`` lists every one found.

    Raised before anything is written, so the database is unchanged.
    """

    exit_code = 2
    http_status = 422

    def __init__(self, problems: Sequence[Problem], message: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if message is None:
            count = len(self.problems)
            head = f"{count} problem{'s' if count != 1 else ''} found"
            message = head + "".join(f"\n  {p}" for p in self.problems[:50])
            if count > 50:
                message += f"\n  ... and {count - 50} more"
        super().__init__(message)


class ConfigError(InvalidInputError):
    """trial.toml, a settings value or a command-line option is invalid."""


class ConflictError(InvalidInputError):
    """The input clashes with what is stored: a visit that already exists, or an
    import that would delete rows or overwrite values entered through the service.

    Nothing is written; ``problems`` name the keys concerned.
    """

    http_status = 409


class UnconfirmedError(InvalidInputError):
    """The input keeps every rule but a soft check finds a value unusual (a date after
    today, a CK far above normal, a large change of weight): it is stored only when the
    user confirms it (``confirm`` in the API, a confirm step on the page).

    Nothing is written; ``problems`` name each value to confirm.
    """


class AnalysisError(MyotrialError):
    """An analysis cannot be computed from the data given."""

    http_status = 422


class ExportError(MyotrialError):
    """A dataset cannot be written in the format asked (a limit of the format is broken)."""

    http_status = 422


class AccessDeniedError(MyotrialError):
    """The caller is authenticated but their role does not allow the action."""

    http_status = 403


class TokenError(MyotrialError):
    """The token is missing, forged, malformed or expired, or its user is disabled."""

    http_status = 401


class LoginRequiredError(TokenError):
    """A web page needs a session and the request has none (answered with the login page)."""


class StoreError(MyotrialError):
    """The database could not be read or written as asked."""

    http_status = 503
    public = False
    public_message = (
        "the database could not carry out the request; nothing was written "
        "(the server's log has the details)"
    )


class NotFoundError(StoreError):
    """A patient, visit or other record asked for does not exist."""

    http_status = 404
    public = True


class PdfError(MyotrialError):
    """The PDF could not be written (no engine, or the engine failed)."""

    http_status = 503


class OutputError(MyotrialError):
    """A file or folder asked for cannot be written (read-only, a folder, no parent).

    The message is ``cannot write PATH: REASON``; ``path`` and ``reason`` are kept.
    The path is the server's own, so a remote user is told only that output failed.
    """

    http_status = 500
    public = False
    public_message = "the server could not write its output; nothing was written"

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot write {self.path}: {reason}")


class MissingDependencyError(MyotrialError):
    """An optional package is not installed; the message names the extra that installs it.

    ``package`` is the missing import name, ``extra`` the myotrial extra (``server``,
    ``exchange``, ``pdf``, ``dask``) that declares it.
    """

    http_status = 503

    def __init__(self, package: str, extra: str, needed_for: str = "this command") -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{needed_for} needs {package}, which is not installed: pip install 'myotrial[{extra}]'"
        )
