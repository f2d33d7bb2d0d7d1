"""``myotrial interim``: the data monitoring committee's interim look."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from myotrial.cli._common import (
    console,
    database_url,
    db_option,
    output_option,
    report_errors,
    writing,
)


@click.command("interim")
@click.option(
    "--plan",
    "plan_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The design JSON of `myotrial design --looks K -o FILE`.",
)
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@db_option
@output_option("Folder for interim.json, open.html and closed.html.", folder=True)
@click.option(
    "--as-of", default=None, metavar="YYYY-MM-DD", help="Data cut (default: latest date)."
)
@click.option(
    "--record",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File recording the looks held (default: PLAN.looks.json beside the plan).",
)
@click.option(
    "--prior-mean",
    type=float,
    default=None,
    help="Prior mean of the drift (default: the design's).",
)
@click.option(
    "--prior-sd",
    type=float,
    default=None,
    help="Prior SD of the drift (default: the design's drift).",
)
@click.option("--open-only", is_flag=True, help="Write only the open (pooled) report.")
@click.option("--json", "as_json", is_flag=True, help="Print the interim result as JSON.")
@report_errors
def interim_command(
    plan_path: Path, path: Path | None, db: str | None, output: Path, **options: Any
) -> None:
    """Interim look: boundaries at the information reached, decision, conditional power."""
    from myotrial.services.interim import run_interim
    from myotrial.services.loading import load_trial

    with ExitStack() as outputs:
        # The folder and the record file are checked before the trial is read.
        outputs.enter_context(writing(output, folder=True))
        if options["record"] is not None:
            outputs.enter_context(writing(options["record"]))
        trial = load_trial(path, database_url(db))
        result = run_interim(
            plan_path,
            trial,
            output,
            as_of=options["as_of"],
            record=options["record"],
            prior_mean=options["prior_mean"],
            prior_sd=options["prior_sd"],
            unblinded=not options["open_only"],
        )
    keys = (
        "information_fraction",
        "z",
        "efficacy_boundary",
        "futility_boundary",
        "decision",
        "conditional_power_design",
        "conditional_power_trend",
        "predictive_probability",
    )
    if options["as_json"]:
        click.echo(json.dumps({k: result[k] for k in keys}, indent=2))
        return
    table = Table(title=f"Interim look {result['look']} (data as of {result['as_of']})")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key in keys:
        value = result[key]
        table.add_row(
            key.replace("_", " "), f"{value:.4f}" if isinstance(value, float) else str(value)
        )
    console.print(table)
    for file in result["files"]:
        console.print(file, soft_wrap=True)


COMMANDS: list[click.Command] = [interim_command]
