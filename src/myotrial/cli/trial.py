"""Commands on a whole trial: the demonstration, validate, import, correct and audit."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from myotrial.cli._common import (
    EXIT_INVALID,
    STDOUT,
    console,
    database_url,
    db_option,
    err_console,
    login_name,
    output_option,
    problems_csv_option,
    report_errors,
    write_problems_csv,
    write_text,
    writing,
)
from myotrial.cli._output import (
    chosen_format,
    format_option,
    grouped_problem_lines,
    note,
    print_problems,
    print_records,
)
from myotrial.errors import ConflictError, InvalidInputError, Problem
from myotrial.services.demo import DEMO_SEED, DemoStep, run_demo
from myotrial.text import plural

if TYPE_CHECKING:
    from myotrial.store import ImportSummary

COMMANDS: list[click.Command] = []


@click.command()
@output_option(
    "Folder for everything the demonstration writes.",
    folder=True,
    required=False,
    default="demo-output",
    dest="out_dir",
)
@click.option(
    "--seed",
    default=DEMO_SEED,
    show_default=True,
    type=int,
    help="Seed of the synthetic pilot (same seed, same files).",
)
@report_errors
def demo(out_dir: Path, seed: int) -> None:
    """Build the synthetic pilot trial (simulated patients) and run the pipeline on it."""
    console.print(f"[bold]myotrial demo[/]: synthetic pilot into {out_dir}", soft_wrap=True)
    with writing(out_dir, folder=True):
        run_demo(out_dir, progress=_print_step, seed=seed)
    console.print("[bold green]done[/]: every patient in this output is simulated.")


def _print_step(step: DemoStep) -> None:
    # soft_wrap: a path is printed whole, never broken across lines, so it can be copied.
    console.print(f"[green]✓[/] {step.name}: {step.summary}", soft_wrap=True)
    for path in step.paths:
        console.print(f"    {path}", soft_wrap=True, markup=False)


COMMANDS.append(demo)


@click.command("validate")
@click.argument("path")  # a path or a database URL (a Path would fold its "//")
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="PATH is a REDCap export: mapping file (TOML or CSV) for other field/event names.",
)
@problems_csv_option("Also write every problem to FILE as CSV.")
@format_option()
@report_errors
def validate(
    path: str, mapping: Path | None, problems_csv: Path | None, output_format: str | None
) -> None:
    """Check a trial and list every problem; change nothing.

    PATH is anything the other commands read: a trial folder, an .xlsx workbook, a
    REDCap export folder (records.csv and dictionary.csv) or a database URL. Exit status
    0 when the trial keeps every rule, 2 when any problem is found. Off a terminal the
    problems are printed one per line, tab-separated, the counts on stderr.
    """
    from myotrial.services.analysis import analysis_problems
    from myotrial.services.loading import inspect_source

    # --csv - is the problems as CSV on standard output, and nothing else there.
    to_stdout = problems_csv is not None and str(problems_csv) == STDOUT
    fmt = "csv" if to_stdout else chosen_format(output_format)
    read_as = "redcap" if mapping is not None else "auto"
    if problems_csv is not None and not to_stdout:
        with writing(problems_csv):  # the target is checked before the trial is read
            check = inspect_source(path, format=read_as, mapping=mapping)
    else:
        check = inspect_source(path, format=read_as, mapping=mapping)
    problems = check.problems
    if not problems and check.trial is not None:
        problems = analysis_problems(check.trial)
    checksum = check.trial.checksum if check.trial is not None else None
    note(f"{path}: checksum {checksum or '-'}", fmt)
    for table, rows in check.rows.items():
        extra = check.trial.extra_columns.get(table, ()) if check.trial is not None else ()
        kept = f"; extra columns kept: {', '.join(extra)}" if extra else ""
        note(f"  {table}: {plural(rows, 'row')}{kept}", fmt)
    _print_notes(list(check.notes))
    if problems_csv is not None and not to_stdout:
        write_problems_csv(problems, problems_csv)
    if not problems:
        note("no problems found", fmt)
        if fmt != "table":
            print_problems([], fmt)
        return
    note(f"{plural(len(problems), 'problem')} found:", fmt)
    print_problems(problems, fmt)
    sys.exit(EXIT_INVALID)


COMMANDS.append(validate)


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@db_option
@click.option("--user", default=None, help="Who imports (default: your login name).")
@click.option("--reason", default="", help="Why, for the audit trail.")
@click.option(
    "--format",
    "format_",
    type=click.Choice(["folder", "redcap", "odm"]),
    default="folder",
    show_default=True,
    help="folder: trial folder or .xlsx workbook; redcap: a REDCap export folder; "
    "odm: a CDISC ODM 1.3.2 file (myotrial export odm).",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="With --format redcap: mapping file (TOML or CSV) for other field/event names.",
)
@click.option(
    "--allow-deletions",
    is_flag=True,
    help="Delete stored rows the input lacks and overwrite rows entered or corrected "
    "through the service (refused otherwise).",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the inserts, updates and deletions; write nothing."
)
@problems_csv_option("On invalid input, also write every problem to FILE as CSV.")
@format_option("--output-format")
@report_errors
def import_command(
    path: Path,
    db: str | None,
    user: str | None,
    reason: str,
    format_: str,
    mapping: Path | None,
    allow_deletions: bool,
    dry_run: bool,
    problems_csv: Path | None,
    output_format: str | None,
) -> None:
    """Validate a trial and store it: all-or-nothing, every change audited.

    Exit status 2, with every problem listed and nothing written, on invalid input, and
    when the import would delete rows or overwrite rows entered or corrected through
    the service without --allow-deletions.
    """
    from myotrial.services.trial import import_trial

    if mapping is not None and format_ != "redcap":
        raise click.UsageError("--mapping applies to --format redcap only")
    url = database_url(db)
    notes: list[Problem] = []
    try:
        summary = import_trial(
            path, url, user or _login(), reason, format_, mapping, notes, allow_deletions, dry_run
        )
    except InvalidInputError as exc:
        if problems_csv is not None:
            write_problems_csv(exc.problems, problems_csv)
        _print_problems(exc)
        sys.exit(EXIT_INVALID)
    _print_notes(notes)
    fmt = chosen_format(output_format)
    rows = [(r.table, r.inserted, r.updated, r.deleted, r.unchanged) for r in summary.tables]
    title = f"{path} (dry run: nothing written)" if dry_run else str(path)
    print_records(IMPORT_COLUMNS, rows, fmt, title=title)
    if dry_run:
        _print_changes(summary, fmt)
    elif summary.changed:
        note(f"import {summary.import_id} recorded in {url}", fmt)
    else:
        note(f"nothing changed: {url} already holds this trial", fmt)


IMPORT_COLUMNS = ("table", "inserted", "updated", "deleted", "unchanged")
CHANGE_COLUMNS = ("action", "table_name", "record_key", "field", "old_value", "new_value")


def _print_changes(summary: ImportSummary, fmt: str) -> None:
    """Every insert, update and deletion a dry run found, then what would be refused."""
    changes = summary.changes.astype(object).where(summary.changes.notna(), "")
    rows = changes[list(CHANGE_COLUMNS)].itertuples(index=False, name=None)
    headers = ("action", "table", "key", "field", "old value", "new value")
    print_records(CHANGE_COLUMNS, rows, fmt, headers=headers, title="changes")
    for problem in summary.refused:
        err_console.print(f"would be refused: {problem}", markup=False, soft_wrap=True)
    note("dry run: nothing written", fmt)


def _print_notes(notes: list[Problem]) -> None:
    """REDCap missing-data codes read as missing: reported, never silent."""
    if notes:
        err_console.print(
            f"{plural(len(notes), 'REDCap missing-data code')} read as missing:", markup=False
        )
    for line in grouped_problem_lines(notes):
        err_console.print(f"  {line}", markup=False, soft_wrap=True)


def _print_problems(error: InvalidInputError) -> None:
    what = "refused" if isinstance(error, ConflictError) else "invalid input"
    err_console.print(
        f"{what}, nothing written: {plural(len(error.problems), 'problem')}",
        markup=False,
    )
    for line in grouped_problem_lines(error.problems):
        err_console.print(f"  {line}", markup=False, soft_wrap=True)


def _login() -> str:
    """The operating system's login name, as the audit trail's default user."""
    return login_name()


# ignore_unknown_options: a negative VALUE such as -5 is a value, not an option
@click.command("correct", context_settings={"ignore_unknown_options": True})
@click.argument("patient")
@click.argument("date")
@click.argument("field")
@click.argument("value")
@click.option("--reason", required=True, help="Why the value is corrected (required).")
@db_option
@click.option("--user", default=None, help="Who corrects (default: your login name).")
@report_errors
def correct_command(
    patient: str, date: str, field: str, value: str, reason: str, db: str | None, user: str | None
) -> None:
    """Correct FIELD of PATIENT's visit on DATE to VALUE, checked and audited."""
    from myotrial.services.trial import correct_value

    url = database_url(db)
    done = correct_value(url, patient, date, field, value, reason, user or _login())
    where = f"{done.patient_id} {done.visit_date} {done.field}"
    if not done.changed:
        console.print(
            f"{where} already holds {_as_written(done.new_value)}: nothing written", markup=False
        )
        return
    old, new = _as_written(done.old_value), _as_written(done.new_value)
    console.print(f"{where}: {old} -> {new} (audited)", markup=False)


_WHOLE_FLOAT = re.compile(r"-?\d+\.0")


def _as_written(value: str | None) -> str:
    """A stored value quoted as a trial file writes it: ``'785'``, not ``'785.0'``.

    The store keeps numbers as Python writes floats; a whole number loses the ``.0``
    that the user never typed (docs/trial-format.md: numbers as written). Missing: empty.
    """
    if value is None:
        return "(empty)"
    return repr(value[:-2] if _WHOLE_FLOAT.fullmatch(value) else value)


@click.command("audit")
@click.option("--patient", default=None, metavar="ID", help="Only this patient's rows.")
@db_option
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path),
    default=None,
    metavar="FILE",
    help="Also write the rows to FILE as CSV; FILE - writes them to standard output.",
)
@format_option()
@report_errors
def audit_command(
    patient: str | None, db: str | None, csv_path: Path | None, output_format: str | None
) -> None:
    """Print the audit trail: who changed what, when, old and new value, and why.

    Every field is printed whole; off a terminal one change per line, tab-separated.
    """
    from myotrial.services.trial import audit_trail

    trail = audit_trail(database_url(db), patient)
    if csv_path is not None:
        write_text(csv_path, trail.to_csv(index=False, date_format=AUDIT_STAMP))
        if str(csv_path) == STDOUT:
            return
    fmt = chosen_format(output_format)
    text = trail.astype(object).where(trail.notna(), None)
    if fmt != "table":
        text["changed_at"] = trail["changed_at"].dt.strftime(AUDIT_STAMP)
        print_records(list(trail.columns), text.itertuples(index=False, name=None), fmt)
        return
    text["changed_at"] = trail["changed_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    print_records(
        list(AUDIT_TABLE),
        text[list(AUDIT_TABLE)].itertuples(index=False, name=None),
        fmt,
        headers=list(AUDIT_TABLE.values()),
        title=f"audit trail ({plural(len(trail), 'row')})",
    )


# The time of a change to the microsecond, in UTC, as the audit trail stores it.
AUDIT_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"
# Columns of the audit table on a terminal and their headers (tsv/csv/json: every column).
AUDIT_TABLE = {
    "changed_at": "when (UTC)",
    "user": "user",
    "table": "table",
    "key": "key",
    "action": "action",
    "field": "field",
    "old_value": "old",
    "new_value": "new",
    "reason": "reason",
}


COMMANDS.extend([import_command, correct_command, audit_command])
