"""``myotrial export redcap|sdtm|adam|fhir|odm``: a trial in the formats others read.

Each command takes the trial from PATH (a trial folder, workbook or REDCap export) or,
without PATH, from the database (``--db``), calls one export service and lists the files
it wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.markup import escape

from myotrial.cli._common import (
    AliasedOption,
    analysis_options,
    console,
    database_url,
    db_option,
    output_option,
    report_errors,
    writing,
)
from myotrial.exchange.cdisc.transport import FORMATS, check_writers
from myotrial.extras import require
from myotrial.services import exchange as service
from myotrial.services.loading import is_database_url, load_trial
from myotrial.text import plural

COMMANDS: list[click.Command] = []

_path_argument = click.argument(
    "path", required=False, type=click.Path(exists=True, path_type=Path)
)
_out_dir = output_option("Folder to write into (created if absent).", folder=True, dest="out")
_format_option = click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    default="both",
    show_default=True,
    help="SAS transport v5 (.xpt), Dataset-JSON v1.1 (.json) or both.",
)


def _listed(paths: list[Path]) -> None:
    for path in paths:
        console.print(f"  {path}", soft_wrap=True, markup=False)


def _exporting(
    what: str, run: Callable[..., list[Path]], folder: bool = True
) -> Callable[..., None]:
    def command(path: Path | None, db: str | None, out: Path, **options: Any) -> None:
        with writing(out, folder=folder):
            trial = load_trial(path, database_url(db))
            written = run(trial, out, **options)
        console.print(f"[bold green]{what}[/]: {plural(len(written), 'file')}", soft_wrap=True)
        _listed(written)

    return command


@click.group("export")
def export() -> None:
    """Export a trial for REDCap, CDISC (SDTM, ADaM, ODM) or FHIR."""


@export.command("redcap")
@_path_argument
@db_option
@_out_dir
@report_errors
def redcap(path: Path | None, db: str | None, out: Path) -> None:
    """REDCap project: dictionary.csv, records.csv (import format), events and instruments."""
    _exporting("REDCap", service.export_redcap)(path, db, out)


@export.command("sdtm")
@_path_argument
@db_option
@_out_dir
@_format_option
@click.option(
    "--check",
    is_flag=True,
    help="Also run the conformance rules and write conformance.csv (docs/exchange.md).",
)
@report_errors
def sdtm(path: Path | None, db: str | None, out: Path, file_format: str, check: bool) -> None:
    """SDTM datasets (TS, DM, SV, DS, EX, CM, AE, CE, MH, LB, QS, VS, RE, FA, SUPP--) and
    define.xml."""
    check_writers(file_format)
    _exporting("SDTM", service.export_sdtm)(path, db, out, file_format=file_format, check=check)
    if check:
        findings = pd.read_csv(out / "conformance.csv")
        colour = "green" if findings.empty else "yellow"
        console.print(
            f"[bold {colour}]conformance[/]: {plural(len(findings), 'finding')} "
            f"({escape(str(out / 'conformance.csv'))})",
            soft_wrap=True,
        )


@export.command("adam")
@_path_argument
@db_option
@_out_dir
@_format_option
@analysis_options
@report_errors
def adam(
    path: Path | None,
    db: str | None,
    out: Path,
    file_format: str,
    population: str | None,
    missing: str,
) -> None:
    """ADaM datasets ADSL, ADEFF (core set measures and TIS per course), ADTTE and
    define.xml."""
    from myotrial.analysis.options import AnalysisOptions

    check_writers(file_format)
    options = AnalysisOptions(population=population, missing=missing)
    _exporting("ADaM", service.export_adam)(path, db, out, file_format=file_format, options=options)


@export.command("fhir")
@_path_argument
@db_option
@click.option(
    "-o",
    "--output",
    "--out",
    "out",
    cls=AliasedOption,
    hidden_aliases=("--out",),
    required=True,
    metavar="FILE|DIR/",
    help="Bundle file (.json); a folder (DIR/) gets DIR/bundle.json.",
)
@report_errors
def fhir(path: Path | None, db: str | None, out: str) -> None:
    """FHIR R4 Bundle: Patient, ResearchStudy/Subject, Observation, infusions, AEs."""
    require("exchange", "fhir.resources", needed_for="myotrial export fhir")
    target = service.bundle_path(out)
    # -o DIR/: the folder is created like any output folder; -o FILE: its folder must exist.
    as_folder = target != Path(out)
    run = _exporting(
        "FHIR bundle", lambda trial, _: [service.export_fhir(trial, target)], as_folder
    )
    run(path, db, target.parent if as_folder else target)


@export.command("odm")
@_path_argument
@db_option
@click.option(
    "-o",
    "--output",
    "--out",
    "out",
    cls=AliasedOption,
    hidden_aliases=("--out",),
    required=True,
    metavar="FILE.xml|DIR/",
    help="ODM file (.xml); a folder (DIR/) gets DIR/odm.xml.",
)
@click.option(
    "--audit",
    is_flag=True,
    help="Add the audit trail (AdminData users, AuditRecords); the trial must come from "
    "the database.",
)
@report_errors
def odm(path: Path | None, db: str | None, out: str, audit: bool) -> None:
    """CDISC ODM 1.3.2: study metadata, the trial's settings, clinical data (and audit)."""
    require("exchange", "lxml", needed_for="myotrial export odm")
    if audit and path is not None and not is_database_url(path):
        raise click.UsageError("--audit needs the trial from the database (--db, no PATH)")
    target = service.bundle_path(out, "odm.xml")
    as_folder = target != Path(out)
    url = database_url(db)

    def run(trial: object, _: Path) -> list[Path]:
        trail = service.odm_audit(str(path) if path is not None else url) if audit else None
        return [service.export_odm(trial, target, trail)]  # type: ignore[arg-type]

    _exporting("ODM", run, as_folder)(path, db, target.parent if as_folder else target)


COMMANDS.append(export)
