"""The myotrial exception tree.

Every error myotrial raises on purpose derives from :class:`MyotrialError`, so callers
can catch one class. Foreign exceptions (pandas, SQLAlchemy, tomllib) are translated
at the boundary with ``raise ... from``.

::

    MyotrialError
    ├── InvalidInputError          bad user input; carries every problem found
    │   └── ConfigError            trial.toml or an option is wrong
    ├── StoreError                 the database refused or is out of date
    │   └── NotFoundError          a patient, visit or record does not exist
    ├── AccessDeniedError          the caller's role does not allow the action
    └── AnalysisError              an analysis cannot be computed from the data given

This module imports nothing from myotrial.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields


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


class MyotrialError(Exception):
    """Base class of every error myotrial raises on purpose."""


class InvalidInputError(MyotrialError):
    """Input broke one or more rules; ``problems`` lists every one found.

    Raised before anything is written, so the database is unchanged.
    """

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


class StoreError(MyotrialError):
    """The database could not be read or written as asked."""


class NotFoundError(StoreError):
    """A patient, visit or other record asked for does not exist."""


class AnalysisError(MyotrialError):
    """An analysis cannot be computed from the data given."""


class AccessDeniedError(MyotrialError):
    """The caller is authenticated but their role does not allow the action."""
