"""``myotrial code-ae``: MedDRA coding of the reported adverse-event terms."""

from __future__ import annotations

from pathlib import Path

import click

from myotrial.cli._common import database_url, db_option, login_name, report_errors, writing
from myotrial.cli._output import chosen_format, format_option, note, print_records
from myotrial.services.loading import is_database_url
from myotrial.text import plural

COMMANDS: list[click.Command] = []


@click.command("code-ae")
@click.argument("path", required=False, metavar="[DATABASE_OR_FOLDER]")
@click.option(
    "--meddra",
    "meddra",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="DIR",
    help="The MedAscii folder of your MedDRA distribution (llt.asc, pt.asc, hlt_pt.asc, "
    "hlgt_hlt.asc, soc_hlgt.asc, mdhier.asc).",
)
@click.option(
    "--assign",
    "assign",
    multiple=True,
    metavar="TERM=LLTCODE",
    help="Code every event reporting TERM to the current lowest level term LLTCODE "
    "(repeatable); an unknown code is refused.",
)
@db_option
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path),
    default=None,
    metavar="DIR|FILE.xlsx",
    help="For a trial folder or workbook: where the coded trial is written.",
)
@click.option("--user", default=None, help="Who codes (default: your login name).")
@click.option("--reason", default="", help="Why, for the audit trail (default: MedDRA coding).")
@format_option()
@report_errors
def code_ae(
    path: str | None,
    meddra: Path,
    assign: tuple[str, ...],
    db: str | None,
    output: Path | None,
    user: str | None,
    reason: str,
    output_format: str | None,
) -> None:
    """Code the adverse events' reported terms to MedDRA and list the terms left uncoded.

    A term is coded to the current lowest level term of the same name (exactly, else
    ignoring case), with its preferred term and primary HLT, HLGT and SOC. In the
    database (DATABASE_OR_FOLDER a URL, or none: --db) every coded value is written
    with an audit row; a trial folder or workbook is written coded to -o. Code the
    terms listed as uncoded with --assign 'TERM=LLTCODE'. MedDRA is not shipped: use
    your organisation's licensed distribution.
    """
    from myotrial.services.coding import code_stored_events, code_trial_file

    fmt = chosen_format(output_format)
    if path is not None and not is_database_url(path):
        if output is None:
            raise click.UsageError("-o DIR|FILE.xlsx is needed to code a trial folder or workbook")
        with writing(output, folder=output.suffix.lower() != ".xlsx"):
            result = code_trial_file(meddra, path, output, assign)
        note(f"coded trial written: {plural(len(result.written), 'file')} in {output}", fmt)
    else:
        url = path or database_url(db)
        result = code_stored_events(meddra, url, user or login_name(), reason, assign)
        where = (
            f"coding {result.changeset} recorded in the audit trail"
            if result.changeset is not None
            else "nothing changed"
        )
        note(f"{plural(len(result.changes), 'coded value')} written: {where}", fmt)
    note(f"{result.coded} of {plural(result.events, 'adverse event')} coded", fmt)
    if result.uncoded:
        rows = [(u.term, u.events, u.reason) for u in result.uncoded]
        print_records(
            ("term", "events", "reason"),
            rows,
            fmt,
            title=f"{plural(len(rows), 'term')} for manual coding (--assign 'TERM=LLTCODE')",
        )


COMMANDS.append(code_ae)
