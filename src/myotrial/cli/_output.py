"""Tabular output of the commands: a table for people, whole records for pipes and files.

On a terminal a command prints a table. When standard output is not a terminal
(``myotrial audit | grep``, ``myotrial validate trial > problems.txt``) it prints every
field in full, one record per line, tab-separated under a header row, so nothing is cut
to the terminal's width and no line is wrapped. ``--format table|tsv|csv|json`` chooses
explicitly. Lines that are not records (counts, where the import was recorded) go to
standard error when the records are machine-readable, so standard output holds the
records only.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click
from rich.table import Table

from myotrial.cli._console import console, err_console
from myotrial.errors import PROBLEM_COLUMNS, Problem

FORMATS: tuple[str, ...] = ("table", "tsv", "csv", "json")

F = TypeVar("F", bound=Callable[..., Any])


def format_option(flag: str = "--format") -> Callable[[F], F]:
    """Add ``--format table|tsv|csv|json`` (default: table on a terminal, else tsv)."""
    return click.option(
        flag,
        "output_format",
        type=click.Choice(FORMATS),
        default=None,
        help="How to print the records (default: table on a terminal, tsv otherwise).",
    )


def chosen_format(output_format: str | None) -> str:
    """The format asked for, else ``table`` on a terminal and ``tsv`` elsewhere."""
    if output_format is not None:
        return output_format
    return "table" if console.is_terminal else "tsv"


def note(text: str, output_format: str) -> None:
    """Print a line that is not a record: beside a table, or on stderr beside records."""
    target = console if output_format == "table" else err_console
    target.print(text, markup=False, soft_wrap=True, highlight=False)


def records_text(
    columns: Sequence[str], rows: Iterable[Sequence[object]], output_format: str
) -> str:
    """Records as TSV, CSV or JSON text, every field whole.

    TSV escapes a backslash, tab or line break inside a field as ``\\\\``, ``\\t``,
    ``\\n``, ``\\r`` (so one record stays one line); CSV quotes as RFC 4180; JSON is an
    array of objects keyed by column.
    """
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    if output_format == "json":
        return json.dumps([dict(zip(columns, row, strict=True)) for row in cells], indent=1) + "\n"
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(cells)
        return buffer.getvalue()
    lines = ["\t".join(columns), *("\t".join(map(_tsv_field, row)) for row in cells)]
    return "\n".join(lines) + "\n"


def _tsv_field(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def print_records(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    output_format: str,
    *,
    headers: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Print records in ``output_format``; ``headers`` label the table's columns."""
    if output_format != "table":
        click.echo(records_text(columns, rows, output_format), nl=False)
        return
    table = Table(*(headers or columns), title=title)
    for column in table.columns:
        column.overflow = "fold"  # a long value wraps inside its cell, never cut short
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def print_problems(problems: Sequence[Problem], output_format: str) -> None:
    """Every problem: grouped for people (``table``), one record each otherwise."""
    if output_format != "table":
        print_records(PROBLEM_COLUMNS, (_problem_row(p) for p in problems), output_format)
        return
    for line in grouped_problem_lines(problems):
        console.print(f"  {line}", markup=False, soft_wrap=True, highlight=False)


def _problem_row(problem: Problem) -> tuple[object, ...]:
    return (problem.file, problem.row, problem.column, problem.value, problem.rule, problem.hint)


def grouped_problem_lines(problems: Sequence[Problem]) -> list[str]:
    """One line per distinct problem; the same problem on many rows is one line with a count.

    ``visits.csv rows 2-4, 9 (4 rows), column ck_uln: ...`` stands for four problems that
    differ only in their row. The order is that of each group's first problem.
    """
    groups: dict[tuple[object, ...], list[Problem]] = {}
    for problem in problems:
        key = (problem.file, problem.column, problem.value, problem.rule, problem.hint)
        groups.setdefault(key, []).append(problem)
    return [_group_line(members) for members in groups.values()]


def _group_line(members: list[Problem]) -> str:
    first = members[0]
    rows = sorted({p.row for p in members if p.row is not None})
    if len(members) == 1 or len(rows) < 2:
        return str(first)
    where = f"{first.file} rows {_row_ranges(rows)} ({len(rows)} rows)"
    if first.column:
        where += f", column {first.column}"
    rest = str(first.__class__(first.file, None, None, first.value, first.rule, first.hint))
    return where + rest[len(first.file) :]


def _row_ranges(rows: list[int]) -> str:
    """``[2, 3, 4, 9]`` as ``2-4, 9``."""
    parts: list[str] = []
    start = previous = rows[0]
    for row in [*rows[1:], None]:
        if row is not None and row == previous + 1:
            previous = row
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if row is not None:
            start = previous = row
    return ", ".join(parts)
