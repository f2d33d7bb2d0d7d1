"""``myotrial design`` and ``myotrial randomise``: plan the controlled trial."""

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
    err_console,
    output_option,
    report_errors,
    writing,
)
from myotrial.errors import ConfigError, Problem
from myotrial.text import plural

_VALUE_OPTIONS = {
    "p_control": "Standard-care TIS ≥ 20 response proportion.",
    "p_treatment": "MSCT TIS ≥ 20 response proportion.",
    "mean_control": "Standard-care mean change (MMT-8 points).",
    "mean_treatment": "MSCT mean change (MMT-8 points).",
    "sd": "Between-patient SD of MMT-8 at each visit.",
    "correlation": "Correlation of the measure between baseline and follow-up.",
    "hazard_ratio": "Relapse hazard ratio, MSCT vs standard care.",
    "dropout_per_visit": "Chance of dropout at each visit (mmrm, relapse).",
}


def _option_error(option: str, value: object, rule: str, hint: str = "") -> ConfigError:
    return ConfigError([Problem("command line", None, option, str(value), rule, hint)])


def _value_options(function: Any) -> Any:
    for name, text in reversed(_VALUE_OPTIONS.items()):
        flag = "--" + name.replace("_", "-")
        if name == "dropout_per_visit":
            flag = "--dropout"
        function = click.option(flag, name, type=float, default=None, help=text)(function)
    return function


@click.command("design")
@click.option(
    "--endpoint",
    type=click.Choice(["response", "mmt8_change", "log_ck", "mmrm", "relapse"]),
    default="response",
    show_default=True,
    help="Primary endpoint of the trial.",
)
@_value_options
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set any other model parameter (see docs/design.md).",
)
@click.option(
    "--n-per-arm",
    type=int,
    default=30,
    show_default=True,
    help="Control-arm size (the MSCT arm is ratio times larger).",
)
@click.option(
    "--sims", type=int, default=10_000, show_default=True, help="Simulated trials per scenario."
)
@click.option("--seed", type=int, default=2011, show_default=True)
@click.option(
    "--block-size",
    type=int,
    default=None,
    help="Trials per random-stream block (recorded; changes the streams).",
)
@click.option(
    "--alpha", type=float, default=0.05, show_default=True, help="Two-sided significance level."
)
@click.option("--ratio", default="1:1", show_default=True, help="Allocation MSCT:control.")
@click.option(
    "--test",
    type=click.Choice(["z", "fisher", "logistic"]),
    default="z",
    show_default=True,
    help="Test of the response endpoint.",
)
@click.option(
    "--target-power",
    type=float,
    default=None,
    help="Search the smallest n per arm reaching this power.",
)
@click.option(
    "--looks",
    type=int,
    default=1,
    show_default=True,
    help="Analyses including the final one (above 1: a group-sequential design).",
)
@click.option(
    "--info-rates",
    default=None,
    metavar="T1,T2,..,1",
    help="Information rates of the looks (default: equally spaced).",
)
@click.option(
    "--spending",
    default="obf",
    show_default=True,
    metavar="obf|pocock|hsd:G",
    help="Lan-DeMets alpha-spending function of the efficacy boundary.",
)
@click.option(
    "--futility",
    default="none",
    show_default=True,
    metavar="none|obf|pocock|hsd:G",
    help="Beta-spending function of the futility boundary.",
)
@click.option(
    "--binding/--non-binding",
    default=False,
    show_default=True,
    help="Whether futility stops bind (the efficacy boundary then relies on them).",
)
@click.option(
    "--accrual-months",
    type=float,
    default=12.0,
    show_default=True,
    help="Months over which patients enter (group-sequential simulation).",
)
@click.option("--assurance", is_flag=True, help="Also compute assurance (needs a prior).")
@click.option(
    "--prior-sd",
    type=float,
    default=None,
    help="SD of a normal prior on the effect parameter, for assurance.",
)
@click.option(
    "--from-pilot",
    "from_pilot",
    is_flag=True,
    help="Fit the parameters to the trial in the database (bootstrap).",
)
@click.option(
    "--bootstrap",
    type=int,
    default=2000,
    show_default=True,
    help="Bootstrap resamples of the pilot's patients (with --from-pilot).",
)
@db_option
@click.option(
    "--jobs",
    type=int,
    default=1,
    show_default=True,
    help="joblib worker processes on this machine.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="tcp://HOST:PORT",
    help="Run the blocks on this Dask cluster.",
)
@click.option(
    "--curve/--no-curve",
    default=True,
    show_default=True,
    help="Simulate a power curve around the chosen n.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the design as JSON.")
@output_option("Write the design JSON to this file.", required=False)
@click.option(
    "--html",
    type=click.Path(path_type=Path),
    default=None,
    help="Write a standalone HTML design page.",
)
@report_errors
def design_command(**options: Any) -> None:
    """Simulate the controlled trial: power, type I error, sample size, assurance."""
    from myotrial.services.design import run_design_service

    options["db"] = database_url(options["db"])
    if not options["as_json"]:
        options["pilot_progress"] = lambda line: err_console.print(f"--from-pilot: {line}")
    with ExitStack() as outputs:
        # Both files are checked before the simulation, which may take minutes.
        for name in ("output", "html"):
            if options[name] is not None:
                outputs.enter_context(writing(options[name]))
        design = run_design_service(options, progress_factory=_progress_factory(options))
        text = json.dumps(design, indent=2, allow_nan=False)
        if options["output"] is not None:
            options["output"].write_text(text + "\n", encoding="utf-8")
        if options["html"] is not None:
            from myotrial.report.design_section import render_design_page

            options["html"].write_text(render_design_page(design), encoding="utf-8")
    if options["as_json"]:
        click.echo(text)
    else:
        _print_design(design)


def _progress_factory(options: dict[str, Any]) -> Any:
    if options["as_json"]:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    def factory(total: int | None) -> Progress:
        progress = Progress(
            TextColumn("simulating blocks"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err_console,
            transient=True,
        )
        progress.add_task("blocks", total=total)
        return progress

    return factory


def _fmt(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _print_design(design: dict[str, Any]) -> None:
    console.print(_summary_table(design))
    if "group_sequential" in design:
        console.print(_looks_table(design))
        gs = design["group_sequential"]
        console.print(
            f"rejection ± MC SE {_fmt(gs['rejection_probability'])} ± {_fmt(gs['mc_se'])}; "
            f"type I error {_fmt(gs['type1_error'])} ± {_fmt(gs['type1_mc_se'])}; "
            f"expected n enrolled {gs['expected_n_enrolled']:.1f}"
        )
    if design["search"] is not None:
        console.print(_search_table(design["search"]))
    params = Table(title="Assumptions")
    for col in ("parameter", "value", "unit", "source"):
        params.add_column(col)
    for name, p in design["parameters"].items():
        params.add_row(name, f"{p['value']:g}", p["unit"], p["source"])
    console.print(params)


def _summary_table(d: dict[str, Any]) -> Table:
    table = Table(title=f"Design: {d['endpoint']} ({d['analysis']})")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    rows = [
        ("n per arm (control / MSCT)", f"{d['n_per_arm']} / {d['n_treatment']}"),
        ("power ± MC SE", f"{_fmt(d['power'])} ± {_fmt(d['mc_se'])}"),
        ("analytic power", _fmt(d["analytic_power"])),
        ("type I error ± MC SE", f"{_fmt(d['type1_error'])} ± {_fmt(d['type1_mc_se'])}"),
        ("alpha (two-sided)", str(d["alpha"])),
        ("simulated trials, seed, block size", f"{d['sims']}, {d['seed']}, {d['block_size']}"),
    ]
    if d["valid_fraction"] < 1:
        # degenerate simulated trials (e.g. too few patients left at a visit) do not reject
        rows.append(("simulated trials with a valid analysis", _fmt(d["valid_fraction"])))
    if d["assurance"] is not None:
        a = d["assurance"]
        rows.append(("assurance ± MC SE", f"{_fmt(a['assurance'])} ± {_fmt(a['mc_se'])}"))
    for row in rows:
        table.add_row(*row)
    return table


def _looks_table(d: dict[str, Any]) -> Table:
    gs = d["group_sequential"]
    table = Table(
        title=(
            f"Group-sequential design: {gs['looks']} looks, spending {gs['spending']}, "
            f"futility {gs['futility'] or 'none'}"
            f"{' (binding)' if gs['binding'] else ''}; max n per arm {d['max_n_per_arm']} "
            f"(inflation {d['inflation_factor']:.4f})"
        )
    )
    for col in ("look", "info rate", "efficacy z", "futility z", "P(stop eff.)", "P(stop fut.)"):
        table.add_column(col, justify="right")
    for row, up, down in zip(
        d["boundaries"], gs["stop_efficacy"], gs["stop_futility"], strict=True
    ):
        table.add_row(
            str(row["look"]),
            f"{row['info_rate']:.3f}",
            _fmt(row["efficacy_z"]),
            _fmt(row["futility_z"]),
            _fmt(up),
            _fmt(down),
        )
    return table


def _search_table(search: dict[str, Any]) -> Table:
    table = Table(title=f"Sample-size search (target {search['target_power']})")
    for col in ("n per arm", "power", "MC SE", "analytic"):
        table.add_column(col, justify="right")
    for p in search["points"]:
        table.add_row(
            str(p["n_per_arm"]), _fmt(p["power"]), _fmt(p["mc_se"]), _fmt(p["analytic_power"])
        )
    return table


@click.command("randomise")
@click.option("--n-per-stratum", type=int, default=None, help="Rows in each stratum.")
@click.option(
    "--strata",
    "strata",
    multiple=True,
    metavar="FACTOR=L1,L2",
    help="A stratification factor and its levels (repeatable).",
)
@click.option("--block-sizes", default=None, help="Allowed block lengths, e.g. 2,4.")
@click.option("--seed", type=int, required=True, help="Seed of the list.")
@click.option("--ratio", default="1:1", show_default=True, help="Allocation MSCT:control.")
@click.option(
    "--minimise",
    "minimise_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Allocate the patients of this CSV, in order, by minimisation instead.",
)
@click.option(
    "--factors", default="site,diagnosis", show_default=True, help="Minimisation factors."
)
@click.option(
    "--probability",
    type=float,
    default=0.8,
    show_default=True,
    help="Minimisation: chance of the arm of least imbalance.",
)
@output_option("CSV file to write.")
@report_errors
def randomise_command(
    n_per_stratum: int | None,
    strata: tuple[str, ...],
    block_sizes: str | None,
    seed: int,
    ratio: str,
    minimise_file: Path | None,
    factors: str,
    probability: float,
    output: Path,
) -> None:
    """Write a stratified permuted-block randomisation list and its SHA-256, or
    allocate patients by minimisation (--minimise), as myotrial serve does."""
    from myotrial.services.design import make_minimised_allocations, make_randomisation_list

    if minimise_file is not None:
        names = [f.strip() for f in factors.split(",") if f.strip()]
        _, _, parsed = _parse_randomise(strata, block_sizes, ratio)
        with writing(output):
            allocated = make_minimised_allocations(
                minimise_file, names, parsed, probability, seed, output
            )
        counts = allocated["arm"].value_counts()
        shown = ", ".join(f"{arm} {n}" for arm, n in counts.items())
        console.print(f"{plural(len(allocated), 'patient')} allocated ({shown}) to {output}")
        return
    if n_per_stratum is None:
        raise ConfigError(
            [Problem("command line", None, "--n-per-stratum", None, "is required for a list")]
        )
    factors_levels, sizes, parsed_ratio = _parse_randomise(strata, block_sizes, ratio)
    with writing(output):
        frame, digest, report = make_randomisation_list(
            factors_levels, n_per_stratum, sizes, parsed_ratio, seed, output
        )
    table = Table(title=f"Balance per stratum ({output.name})")
    for col in report.columns:
        table.add_column(str(col), justify="right")
    for row in report.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    console.print(table)
    console.print(f"{plural(len(frame), 'row')} written to {output}")
    console.print(f"SHA-256 {digest}")


def _parse_randomise(
    strata: tuple[str, ...], block_sizes: str | None, ratio: str
) -> tuple[dict[str, list[str]], list[int], tuple[int, int]]:
    from myotrial.design.randomise import parse_ratio

    problems: list[Problem] = []
    factors = _parse_strata(strata or ("site=1", "diagnosis=PM,DM"), problems)
    try:
        parsed_ratio = parse_ratio(ratio)
    except ValueError as exc:
        problems.append(Problem("command line", None, "--ratio", ratio, str(exc)))
        parsed_ratio = (1, 1)
    unit = sum(parsed_ratio)
    text = block_sizes or f"{unit},{2 * unit}"
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        sizes = []
        problems.append(
            Problem(
                "command line",
                None,
                "--block-sizes",
                text,
                "must be whole numbers separated by commas",
                "e.g. 2,4",
            )
        )
    if problems:
        raise ConfigError(problems)
    return factors, sizes, parsed_ratio


def _parse_strata(strata: tuple[str, ...], problems: list[Problem]) -> dict[str, list[str]]:
    factors: dict[str, list[str]] = {}
    for item in strata:
        name, sep, levels = item.partition("=")
        names = [lv.strip() for lv in levels.split(",") if lv.strip()]
        if not sep or not name.strip() or not names:
            problems.append(
                Problem(
                    "command line",
                    None,
                    "--strata",
                    item,
                    "must look like FACTOR=LEVEL1,LEVEL2",
                    "e.g. --strata site=A,B,C",
                )
            )
        else:
            factors[name.strip()] = names
    return factors


COMMANDS: list[click.Command] = [design_command, randomise_command]
