"""Commands on a whole trial: the demonstration (and, as they land, validate, import,
correct and audit)."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click
from rich.table import Table

from myotrial.cli._common import (
    EXIT_INVALID,
    console,
    database_url,
    db_option,
    err_console,
    output_option,
    problems_csv_option,
    report_errors,
    write_problems_csv,
)
from myotrial.errors import InvalidInputError, Problem
from myotrial.services.demo import DEMO_SEED, DemoStep, run_demo

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
    run_demo(out_dir, progress=_print_step, seed=seed)
    console.print("[bold green]done[/]: every patient in this output is simulated.")


def _print_step(step: DemoStep) -> None:
    # soft_wrap: a path is printed whole, never broken across lines, so it can be copied.
    console.print(f"[green]✓[/] {step.name}: {step.summary}", soft_wrap=True)
    for path in step.paths:
        console.print(f"    {path}", soft_wrap=True, markup=False)


COMMANDS.append(demo)


@click.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
@problems_csv_option("Also write every problem to FILE as CSV.")
@report_errors
def validate(path: Path, problems_csv: Path | None) -> None:
    """Check a trial folder or .xlsx workbook and list every problem; change nothing.

    Exit status 0 when the trial keeps every rule, 2 when any problem is found.
    """
    from myotrial.ingest import inspect_trial

    check = inspect_trial(path)
    console.print(f"{path}: checksum {check.trial.checksum or '-'}", markup=False, soft_wrap=True)
    for table, rows in check.rows.items():
        extra = check.trial.extra_columns.get(table, ())
        note = f"; extra columns kept: {', '.join(extra)}" if extra else ""
        console.print(f"  {table}: {rows} rows{note}", markup=False)
    if problems_csv is not None:
        write_problems_csv(check.problems, problems_csv)
    if not check.problems:
        console.print("no problems found", markup=False)
        return
    count = len(check.problems)
    console.print(f"{count} problem{'s' if count != 1 else ''} found:", markup=False)
    for problem in check.problems:
        console.print(f"  {problem}", markup=False, soft_wrap=True)
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
    type=click.Choice(["folder", "redcap"]),
    default="folder",
    show_default=True,
    help="folder: trial folder or .xlsx workbook; redcap: a REDCap export folder.",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="With --format redcap: mapping file (TOML or CSV) for other field/event names.",
)
@problems_csv_option("On invalid input, also write every problem to FILE as CSV.")
@report_errors
def import_command(
    path: Path,
    db: str | None,
    user: str | None,
    reason: str,
    format_: str,
    mapping: Path | None,
    problems_csv: Path | None,
) -> None:
    """Validate a trial and store it: all-or-nothing, every change audited.

    Exit status 2, with every problem listed and nothing written, on invalid input.
    """
    from myotrial.services.trial import import_trial

    if mapping is not None and format_ != "redcap":
        raise click.UsageError("--mapping applies to --format redcap only")
    url = database_url(db)
    notes: list[Problem] = []
    try:
        summary = import_trial(path, url, user or _login(), reason, format_, mapping, notes)
    except InvalidInputError as exc:
        if problems_csv is not None:
            write_problems_csv(exc.problems, problems_csv)
        _print_problems(exc)
        sys.exit(EXIT_INVALID)
    _print_notes(notes)
    table = Table("table", "inserted", "updated", "deleted", "unchanged", title=str(path))
    for row in summary.tables:
        counts = (row.inserted, row.updated, row.deleted, row.unchanged)
        table.add_row(row.table, *map(str, counts))
    console.print(table)
    if summary.changed:
        console.print(f"import {summary.import_id} recorded in {url}", markup=False)
    else:
        console.print(f"nothing changed: {url} already holds this trial", markup=False)


def _print_notes(notes: list[Problem]) -> None:
    """REDCap missing-data codes read as missing: reported, never silent."""
    if notes:
        err_console.print(
            f"{len(notes)} REDCap missing-data code(s) read as missing:", markup=False
        )
    for note in notes:
        err_console.print(f"  {note}", markup=False, soft_wrap=True)


def _print_problems(error: InvalidInputError) -> None:
    count = len(error.problems)
    err_console.print(
        f"invalid input, nothing written: {count} problem{'s' if count != 1 else ''}",
        markup=False,
    )
    for problem in error.problems:
        err_console.print(f"  {problem}", markup=False, soft_wrap=True)


def _login() -> str:
    """The operating system's login name, as the audit trail's default user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


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
        console.print(f"{where} already holds {done.new_value!r}: nothing written", markup=False)
        return
    console.print(f"{where}: {done.old_value!r} -> {done.new_value!r} (audited)", markup=False)


@click.command("audit")
@click.option("--patient", default=None, metavar="ID", help="Only this patient's rows.")
@db_option
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path),
    default=None,
    metavar="FILE",
    help="Also write the rows to FILE as CSV.",
)
@report_errors
def audit_command(patient: str | None, db: str | None, csv_path: Path | None) -> None:
    """Print the audit trail: who changed what, when, old and new value, and why."""
    from myotrial.services.trial import audit_trail

    trail = audit_trail(database_url(db), patient)
    if csv_path is not None:
        trail.to_csv(csv_path, index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ")
    table = Table(
        "when (UTC)",
        "user",
        "table",
        "key",
        "action",
        "field",
        "old",
        "new",
        "reason",
        title=f"audit trail ({len(trail)} rows)",
    )
    text = trail.astype(object).where(trail.notna(), "")
    text["changed_at"] = trail["changed_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    columns = [
        "changed_at",
        "user",
        "table",
        "key",
        "action",
        "field",
        "old_value",
        "new_value",
        "reason",
    ]
    for row in text[columns].itertuples(index=False, name=None):
        table.add_row(*(_short(str(v)) for v in row))
    console.print(table)


def _short(text: str, width: int = 60) -> str:
    """A whole inserted record is long; the table shows its start (--csv has it all)."""
    return text if len(text) <= width else text[: width - 1] + "…"


COMMANDS.extend([import_command, correct_command, audit_command])
