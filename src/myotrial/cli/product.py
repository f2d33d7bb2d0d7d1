"""``myotrial lots``: trace a lot to its patients, record its release, recall it."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import click

from myotrial.cli._common import console, database_url, db_option, report_errors
from myotrial.cli._output import chosen_format, format_option, note, print_records
from myotrial.ingest.cells import format_value
from myotrial.product.trace import LotTrace
from myotrial.text import plural

COMMANDS: list[click.Command] = []
TRACE_COLUMNS: tuple[str, ...] = (
    "lot",
    "donor",
    "patient_id",
    "infusion_date",
    "cells_per_kg",
    "adverse_events_0_7_days",
)


@click.group("lots")
def lots_group() -> None:
    """The cell-product lots: trace, release and recall (docs/trial-format.md)."""


@lots_group.command("trace")
@click.argument("lot")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@db_option
@format_option()
@report_errors
def trace_command(lot: str, path: Path | None, db: str | None, output_format: str | None) -> None:
    """Trace LOT: its donor, release record, every infusion and the adverse events that
    began within 7 days of them. Reads PATH (a trial folder or workbook) or the database."""
    from myotrial.services.loading import load_trial
    from myotrial.services.product import trace, trace_record

    trial = load_trial(path, database_url(db))
    found = trace(trial, lot)
    fmt = chosen_format(output_format)
    if fmt == "json":
        click.echo(json.dumps(trace_record(found, trial.config.release), indent=1))
        return
    note(_release_line(found), fmt)
    rows = trace_rows(found)
    print_records(TRACE_COLUMNS, rows, fmt, title=f"lot {lot}: {plural(len(rows), 'infusion')}")


@lots_group.command("release")
@click.argument("lot")
@db_option
@click.option("--user", default=None, help="Who releases (an account with the release role).")
@report_errors
def release_command(lot: str, db: str | None, user: str | None) -> None:
    """Record the release of LOT by a user with the release role, audited.

    Refused when the lot fails its release specification (every failed rule is named),
    is already released, or is recalled.
    """
    from myotrial.services.product import release

    name = user or getpass.getuser()
    release(database_url(db), lot, name)
    console.print(f"lot {lot} released by {name}", markup=False)


@lots_group.command("recall")
@click.argument("lot")
@click.option("--reason", required=True, help="Why the lot is recalled (audited).")
@db_option
@click.option("--user", default=None, help="Who recalls (default: your login name).")
@format_option()
@report_errors
def recall_command(
    lot: str, reason: str, db: str | None, user: str | None, output_format: str | None
) -> None:
    """Recall LOT: audited; every later import refuses infusions of it from today.

    Lists the patients who received the lot and its infusions dated after today.
    """
    from myotrial.services.product import recall

    summary = recall(database_url(db), lot, reason, user or getpass.getuser())
    fmt = chosen_format(output_format)
    note(
        f"lot {lot} recalled on {summary.recalled_date}: {reason}; patients who received it: "
        f"{', '.join(summary.patients) or 'none'}",
        fmt,
    )
    later = summary.later_infusions
    print_records(
        ("patient_id", "infusion_date", "cells_per_kg"),
        [tuple(format_value(v) for v in row) for row in later.itertuples(index=False)],
        fmt,
        title=f"infusions after the recall: {plural(len(later), 'infusion')}",
    )


def trace_rows(found: LotTrace) -> list[tuple[str | None, ...]]:
    """One row per infusion: lot, donor, patient, date, dose, adverse events 0-7 days."""
    events = found.adverse_events
    terms = events.groupby(["patient_id", "infusion_date"])["term"].agg("; ".join)
    donor = format_value(found.lot.get("donor"))
    return [
        (
            format_value(found.lot["lot"]),
            donor,
            format_value(row.patient_id),
            format_value(row.infusion_date),
            format_value(row.cells_per_kg),
            terms.get((row.patient_id, row.infusion_date)),
        )
        for row in found.infusions.itertuples()
    ]


def _release_line(found: LotTrace) -> str:
    lot = found.lot
    released = format_value(lot.get("released")) == "true"
    line = f"lot {lot['lot']} (donor {format_value(lot.get('donor'))}): "
    line += (
        f"released by {lot['released_by']} on {format_value(lot['released_date'])}"
        if released
        else "not released"
    )
    if len(found.failures):
        line += "; fails release: " + "; ".join(found.failures["reason"])
    if format_value(lot.get("recalled")) == "true":
        line += f"; recalled {format_value(lot.get('recalled_date'))}: {lot.get('recall_reason')}"
    return line


COMMANDS.append(lots_group)
