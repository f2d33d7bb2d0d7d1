"""Commands of this group (registered in :mod:`myotrial.cli`): ``analyze``, ``report``."""

from __future__ import annotations

from pathlib import Path

import click

from myotrial.cli._common import (
    analysis_options,
    console,
    database_url,
    db_option,
    err_console,
    output_option,
    report_errors,
    step_display,
    writing,
)


@click.command("report")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@db_option
@output_option("The HTML file to write.")
@click.option("--pdf", is_flag=True, help="Also write a PDF beside the HTML file.")
@click.option(
    "--design",
    "design_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A design JSON from `myotrial design` to add as a section.",
)
@analysis_options
@report_errors
def report_command(
    path: Path | None,
    db: str | None,
    output: Path,
    pdf: bool,
    design_path: Path | None,
    population: str | None,
    missing: str,
) -> None:
    """Write the trial report (one self-contained HTML file) for PATH or the database."""
    from myotrial.analysis.options import AnalysisOptions
    from myotrial.services.report import build_report

    with writing(output), step_display() as step:
        written = build_report(
            path,
            database_url(db),
            output,
            pdf=pdf,
            design_path=design_path,
            options=AnalysisOptions(population=population, missing=missing),
            progress=step,
        )
    for file in written:
        console.print(str(file), soft_wrap=True)


@click.command("analyze")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@db_option
@output_option("Folder for the CSV tables and summary.json.", folder=True, dest="out_dir")
@analysis_options
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A design JSON from `myotrial design -o`: compare the arms as it pre-specifies "
    "(primary endpoint, test, alpha).",
)
@report_errors
def analyze_command(
    path: Path | None,
    db: str | None,
    out_dir: Path,
    population: str | None,
    missing: str,
    plan_path: Path | None,
) -> None:
    """Analyse a trial folder or workbook (PATH) or the trial in the database."""
    from myotrial.analysis.options import AnalysisOptions
    from myotrial.services.analysis import analyse_to_folder, read_design

    options = AnalysisOptions(population=population, missing=missing)
    plan = read_design(plan_path) if plan_path is not None else None
    with writing(out_dir, folder=True), step_display() as step:
        result = analyse_to_folder(
            path,
            database_url(db),
            out_dir,
            options,
            progress=step,
            plan=plan,
        )
    for note in result.summary.get("notes", []):
        err_console.print(f"[yellow]note[/]: {note['message']}", soft_wrap=True)
    console.print(str(out_dir), soft_wrap=True)


COMMANDS: list[click.Command] = [report_command, analyze_command]
