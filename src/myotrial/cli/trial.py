"""Commands on a whole trial: the demonstration (and, as they land, validate, import,
correct and audit)."""

from __future__ import annotations

from pathlib import Path

import click

from myotrial.cli._common import console, report_errors
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
