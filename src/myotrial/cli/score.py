"""``myotrial score tis|doi`` and ``myotrial classify``: the measures over a table file.

Each command reads a CSV or Excel table, calls one function of :mod:`myotrial.measures`,
and writes the result as CSV. Bad input exits with status 2 and one line per problem.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pandas as pd

from myotrial.cli._common import console, err_console, output_option, report_errors, writing
from myotrial.domain import MMT_SCALES, POPULATIONS, VAS_UNITS
from myotrial.errors import ConfigError, Problem
from myotrial.files import READ_ERRORS, reading
from myotrial.measures.tis import describe_thresholds
from myotrial.text import CSV_FLOAT_FORMAT, plural

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV file or the first sheet of an Excel workbook (header in row 1).

    Raises
    ------
    InvalidInputError
        If the file cannot be read or parsed.
    """
    failures = (*READ_ERRORS, ValueError, pd.errors.ParserError)
    with reading(path.name, "a UTF-8 CSV with a header row, or an .xlsx", catch=failures):
        if path.suffix.lower() in EXCEL_SUFFIXES:
            return pd.read_excel(path, sheet_name=0)
        return pd.read_csv(path, encoding="utf-8")


def _run(path: Path, out: Path, scorer: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    with writing(out):
        result = scorer(read_table(path))
        result.to_csv(out, index=False, float_format=CSV_FLOAT_FORMAT)
    return result


@click.group("score")
def score() -> None:
    """Score response criteria for a table of baseline/follow-up pairs (PAIRS.csv)."""


def _pair_options(function: Callable[..., None]) -> Callable[..., None]:
    """The options every PAIRS command shares: MMT scale, units and ULNs."""
    options = [
        click.option(
            "--mmt-max",
            type=click.Choice([str(m) for m in MMT_SCALES]),
            default=None,
            help="MMT-8 scale for rows whose mmt_max is empty (default 80).",
        ),
        click.option(
            "--vas-unit",
            type=click.Choice(VAS_UNITS),
            default="cm",
            show_default=True,
            help="Unit of the VAS columns.",
        ),
        click.option(
            "--uln",
            "uln",
            multiple=True,
            metavar="ENZYME=VALUE",
            help="Upper limit of normal for rows without <enzyme>_uln; repeatable.",
        ),
        click.option(
            "--enzyme-unit",
            "enzyme_unit",
            multiple=True,
            metavar="ENZYME=UNIT",
            help="U/L (default) or ukat/L for an enzyme; repeatable.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _assignments(values: tuple[str, ...], option: str, number: bool) -> dict[str, Any]:
    """``("ck=200", ...)`` as a mapping; a malformed entry is a :class:`ConfigError`."""
    parsed: dict[str, Any] = {}
    problems = []
    for value in values:
        name, _, text = value.partition("=")
        if not name.strip() or not text.strip():
            problems.append(
                Problem(
                    "options", None, option, value, "must be ENZYME=VALUE", f"e.g. {option} ck=200"
                )
            )
            continue
        try:
            parsed[name.strip()] = float(text) if number else text.strip()
        except ValueError:
            problems.append(
                Problem(
                    "options", None, option, value, "must be ENZYME=NUMBER", f"e.g. {option} ck=200"
                )
            )
    if problems:
        raise ConfigError(problems)
    return parsed


def _pair_kwargs(
    mmt_max: str | None,
    vas_unit: str,
    uln: tuple[str, ...],
    enzyme_unit: tuple[str, ...],
    source: str,
) -> dict[str, Any]:
    return {
        "mmt_max": None if mmt_max is None else int(mmt_max),
        "vas_unit": vas_unit,
        "uln": _assignments(uln, "--uln", number=True),
        "enzyme_units": _assignments(enzyme_unit, "--enzyme-unit", number=False),
        "source": source,
    }


@score.command("tis")
@click.argument("pairs", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@output_option("CSV file to write: the input columns, then the TIS columns.", dest="out")
@click.option(
    "--population",
    type=click.Choice(POPULATIONS),
    default="adult",
    show_default=True,
    help=f"Category thresholds ({describe_thresholds()}).",
)
@click.option(
    "--missing",
    type=click.Choice(["strict", "zero"]),
    default="strict",
    show_default=True,
    help="strict: no TIS when a measure is absent; zero: it scores 0.",
)
@_pair_options
@report_errors
def score_tis_command(
    pairs: Path, out: Path, population: str, missing: str, **options: Any
) -> None:
    """ACR/EULAR 2016 Total Improvement Score for every pair in PAIRS (CSV or Excel)."""
    from myotrial.measures import score_tis

    kwargs = _pair_kwargs(**options, source=pairs.name)
    result = _run(
        pairs, out, lambda frame: score_tis(frame, population=population, missing=missing, **kwargs)
    )
    counts = result["category"].value_counts().to_dict()
    scored = int(result["tis"].notna().sum())
    labels = ("none", "minimal", "moderate", "major")
    console.print(
        f"{plural(len(result), 'pair')}, {scored} scored: "
        + ", ".join(f"{k} {counts.get(k, 0)}" for k in labels)
        + f"; written to {out}",
        soft_wrap=True,
    )


@score.command("doi")
@click.argument("pairs", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@output_option("CSV file to write: the input columns, then the DOI columns.", dest="out")
@click.option(
    "--missing",
    type=click.Choice(["strict", "zero"]),
    default="strict",
    show_default=True,
    help="strict: no DOI when a measure is absent.",
)
@_pair_options
@report_errors
def score_doi_command(pairs: Path, out: Path, missing: str, **options: Any) -> None:
    """IMACS 2004 definition of improvement for every pair in PAIRS (CSV or Excel)."""
    from myotrial.measures import score_doi

    kwargs = _pair_kwargs(**options, source=pairs.name)
    result = _run(pairs, out, lambda frame: score_doi(frame, missing=missing, **kwargs))
    met = int(result["doi"].fillna(False).sum())
    console.print(
        f"{plural(len(result), 'pair')}, {met} meet the DOI; written to {out}", soft_wrap=True
    )


@click.command("classify")
@click.argument("patients", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@output_option("CSV file to write: the input columns, then the classification columns.", dest="out")
@report_errors
def classify_command(patients: Path, out: Path) -> None:
    """EULAR/ACR 2017 and Bohan-Peter classification of every patient in PATIENTS."""
    from myotrial.measures.classification import classify, item_columns

    def classified(frame: pd.DataFrame) -> pd.DataFrame:
        if not item_columns(frame):
            err_console.print(
                f"warning: {patients.name} has no classification item column (age_at_onset, "
                "weakness_upper, heliotrope, ... in docs/measures.md §8): every patient is "
                "not classifiable",
                markup=False,
                soft_wrap=True,
            )
        return classify(frame, source=patients.name)

    result = _run(patients, out, classified)
    counts = result["eular_acr_category"].value_counts().to_dict()
    console.print(
        f"{plural(len(result), 'patient')} (EULAR/ACR 2017): "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        + f"; written to {out}",
        soft_wrap=True,
    )


COMMANDS: list[click.Command] = [score, classify_command]
