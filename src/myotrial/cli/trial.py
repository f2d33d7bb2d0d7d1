"""Commands on a whole trial: the demonstration (and, as they land, validate, import,
correct and audit)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from myotrial.cli._common import EXIT_INVALID, console, report_errors
from myotrial.errors import problems_to_csv
from myotrial.services.demo import DEMO_SEED, DemoStep, run_demo

COMMANDS: list[click.Command] = []


@click.command()
@click.option(
    "--out",
    "out_dir",
    default="demo-output",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for everything the demonstration writes.",
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
@click.option(
    "--problems-csv",
    "problems_csv",
    type=click.Path(path_type=Path),
    default=None,
    metavar="FILE",
    help="Also write every problem to FILE as CSV.",
)
@report_errors
def validate(path: Path, problems_csv: Path | None) -> None:
    """Check a trial folder or .xlsx workbook and list every problem; change nothing.

    Exit status 0 when the trial keeps every rule, 2 when any problem is found.
    """
    from myotrial.ingest import inspect_trial

    check = inspect_trial(path)
    console.print(f"{path}: checksum {check.trial.checksum or '-'}", markup=False)
    for table, rows in check.rows.items():
        extra = check.trial.extra_columns.get(table, ())
        note = f"; extra columns kept: {', '.join(extra)}" if extra else ""
        console.print(f"  {table}: {rows} rows{note}", markup=False)
    if problems_csv is not None:
        problems_csv.write_text(problems_to_csv(check.problems), encoding="utf-8")
    if not check.problems:
        console.print("no problems found", markup=False)
        return
    count = len(check.problems)
    console.print(f"{count} problem{'s' if count != 1 else ''} found:", markup=False)
    for problem in check.problems:
        console.print(f"  {problem}", markup=False, soft_wrap=True)
    sys.exit(EXIT_INVALID)


COMMANDS.append(validate)
