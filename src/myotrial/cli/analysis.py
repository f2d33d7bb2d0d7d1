"""Commands of this group (registered in :mod:`myotrial.cli`): ``analyze``, ``report``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from myotrial.cli._common import console, database_url, db_option, err_console, report_errors


@click.command("report")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@db_option
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write.",
)
@click.option("--pdf", is_flag=True, help="Also write a PDF beside the HTML file.")
@click.option(
    "--design",
    "design_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A design JSON from `myotrial design` to add as a section.",
)
@report_errors
def report_command(
    path: Path | None, db: str | None, output: Path, pdf: bool, design_path: Path | None
) -> None:
    """Write the trial report (one self-contained HTML file) for PATH or the database."""
    from myotrial.services.report import build_report

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("starting", total=None)
        written = build_report(
            path,
            database_url(db),
            output,
            pdf=pdf,
            design_path=design_path,
            progress=lambda name: bar.update(task, description=name),
        )
    for file in written:
        console.print(str(file), soft_wrap=True)


COMMANDS: list[click.Command] = [report_command]
