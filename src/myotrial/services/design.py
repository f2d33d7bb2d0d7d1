"""The design use cases the command line (and later the server) call."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from myotrial.design.power import Runner, make_spec, run_design
from myotrial.design.randomise import (
    balance_report,
    list_csv,
    minimise,
    randomisation_list,
    sha256,
)
from myotrial.design.sequential import Boundaries, design_boundaries, parse_spending
from myotrial.design.simulate import (
    EFFECT_PARAMETER,
    PRIOR_BOUNDS,
    DesignSpec,
    Prior,
    block_count,
)
from myotrial.errors import ConfigError, Problem
from myotrial.services.loading import load_trial

_VALUE_NAMES = (
    "p_control",
    "p_treatment",
    "mean_control",
    "mean_treatment",
    "sd",
    "correlation",
    "hazard_ratio",
    "dropout_per_visit",
)


def _problem(option: str, value: object, rule: str, hint: str = "") -> ConfigError:
    return ConfigError([Problem("command line", None, option, str(value), rule, hint)])


def parse_params(items: tuple[str, ...]) -> dict[str, float]:
    """``("NAME=1.5", ...)`` → ``{"NAME": 1.5}``.

    Raises
    ------
    ConfigError
        Listing every item that is not NAME=NUMBER.
    """
    out: dict[str, float] = {}
    problems: list[Problem] = []
    for item in items:
        name, sep, text = item.partition("=")
        try:
            out[name.strip()] = float(text)
        except ValueError:
            sep = ""
        if not sep:
            problems.append(
                Problem(
                    "command line",
                    None,
                    "--param",
                    item,
                    "must look like NAME=NUMBER",
                    "e.g. --param ck_plateau_control=600",
                )
            )
    if problems:
        raise ConfigError(problems)
    return out


def parse_allocation(text: str) -> float:
    """``"2:1"`` (MSCT:control) → 2.0; a plain number is taken as the ratio itself."""
    from myotrial.design.randomise import parse_ratio

    try:
        msct, control = parse_ratio(text) if ":" in text else (float(text), 1.0)
    except ValueError as exc:
        raise _problem("--ratio", text, "must look like 1:1 or 2:1 (MSCT:control)") from exc
    return float(msct) / float(control)


def build_spec(options: Mapping[str, Any]) -> DesignSpec:
    """Turn command-line options into a design, pilot fit and prior included.

    Raises
    ------
    ConfigError
        If an option is out of range or a parameter name is unknown.
    """
    overrides = {n: options[n] for n in _VALUE_NAMES if options.get(n) is not None}
    overrides.update(options.get("params_parsed") or {})
    endpoint = options["endpoint"]
    sources: dict[str, str] = {}
    prior = None
    if options.get("from_pilot"):
        fitted, sources, prior = _pilot_inputs(options)
        # a value the user gave wins over the pilot's, and its source is "user"
        sources = {k: v for k, v in sources.items() if k not in overrides}
        overrides = {**fitted, **overrides}
    spec_kwargs = dict(
        alpha=options["alpha"],
        ratio=parse_allocation(options["ratio"]),
        test=options["test"],
        sims=options["sims"],
        seed=options["seed"],
    )
    if options.get("block_size"):
        spec_kwargs["block_size"] = options["block_size"]
    try:
        spec = make_spec(endpoint, overrides, sources=sources, **spec_kwargs)
    except ValueError as exc:
        raise _problem("design options", None, str(exc)) from exc
    spec = replace(
        spec,
        boundaries=sequential_boundaries(options),
        accrual_months=float(options.get("accrual_months") or 12.0),
    )
    if options.get("assurance"):
        prior = prior or normal_prior(spec, options.get("prior_sd"))
        return replace(spec, prior=prior)
    return spec


def info_rates(looks: int, text: str | None) -> list[float]:
    """The information rates of ``looks`` analyses: ``text`` or equally spaced.

    Raises
    ------
    ConfigError
        If the rates are not numbers, or not ``looks`` of them.
    """
    if not text:
        return [(k + 1) / looks for k in range(looks)]
    try:
        rates = [float(part) for part in text.split(",")]
    except ValueError as exc:
        raise _problem(
            "--info-rates", text, "must be numbers separated by commas", "e.g. 0.33,0.67,1"
        ) from exc
    if len(rates) != looks:
        raise _problem(
            "--info-rates",
            text,
            f"gives {len(rates)} rates for {looks} looks",
            "give one per look, the last 1",
        )
    return rates


def sequential_boundaries(options: Mapping[str, Any]) -> Boundaries | None:
    """Boundaries of the group-sequential design the options ask for (``None``: fixed).

    The efficacy boundary is one-sided at half the two-sided ``--alpha``; beta is one
    minus the target power (default 0.8).

    Raises
    ------
    ConfigError
        If the looks, rates or spending functions are invalid.
    """
    looks = int(options.get("looks") or 1)
    if looks < 1:
        raise _problem("--looks", looks, "must be at least 1")
    if looks == 1 and not options.get("info_rates"):
        return None
    rates = info_rates(looks, options.get("info_rates"))
    try:
        spending = parse_spending(options.get("spending") or "obf")
        text = options.get("futility") or "none"
        futility = None if text == "none" else parse_spending(text, "--futility")
        return design_boundaries(
            rates,
            options["alpha"] / 2,
            1 - (options.get("target_power") or 0.8),
            spending,
            futility,
            bool(options.get("binding")),
        )
    except ValueError as exc:
        raise _problem("group-sequential options", None, str(exc)) from exc


def _pilot_inputs(
    options: Mapping[str, Any],
) -> tuple[dict[str, float], dict[str, str], Prior | None]:
    from myotrial.design.pilot import pilot_design_inputs

    say = options.get("pilot_progress")
    if say is not None:
        say("reading the trial from the database")
    trial = load_trial(None, str(options.get("db")))
    return pilot_design_inputs(
        options["endpoint"], trial, options.get("bootstrap", 2000), options["seed"], say
    )


def normal_prior(spec: DesignSpec, sd: float | None) -> Prior:
    """A normal prior centred on the assumed effect, for assurance without a pilot.

    Raises
    ------
    ConfigError
        If no positive SD is given.
    """
    if sd is None or sd <= 0:
        raise _problem(
            "--prior-sd",
            sd,
            "assurance needs a prior SD above 0",
            "give --prior-sd, or use --from-pilot for bootstrap draws",
        )
    name = EFFECT_PARAMETER[spec.endpoint]
    return Prior(
        "normal",
        mean=spec.values[name],
        sd=sd,
        bounds=PRIOR_BOUNDS[spec.endpoint],
        source=f"normal prior on {name}, SD {sd} (user)",
    )


def run_design_service(
    options: dict[str, Any], progress_factory: Callable[[int | None], Any] | None = None
) -> dict[str, Any]:
    """Run ``myotrial design`` with its options; returns the design JSON dict.

    Raises
    ------
    ConfigError
        For options out of range.
    """
    options = {**options, "params_parsed": parse_params(tuple(options.get("params", ())))}
    spec = build_spec(options)
    if options.get("jobs", 1) < 1:
        raise _problem("--jobs", options["jobs"], "must be at least 1")
    total = None
    if options.get("target_power") is None:
        points = 2 + (spec.prior is not None) + (4 if options.get("curve", True) else 0)
        points += 2 if spec.boundaries is not None else 0
        total = points * block_count(spec)
    if progress_factory is None:
        return _run(spec, options, None)
    with progress_factory(total) as bar:
        task = bar.task_ids[0]
        return _run(spec, options, lambda k: bar.advance(task, k))


def _run(
    spec: DesignSpec, options: Mapping[str, Any], progress: Callable[[int], None] | None
) -> dict[str, Any]:
    runner = Runner(options.get("jobs", 1), options.get("scheduler"), progress)
    try:
        return run_design(
            spec,
            options.get("n_per_arm"),
            options.get("target_power"),
            runner,
            curve=options.get("curve", True),
        )
    except ValueError as exc:
        raise _problem("design options", None, str(exc)) from exc


def make_randomisation_list(
    factors: dict[str, list[str]],
    n_per_stratum: int,
    block_sizes: list[int],
    ratio: tuple[int, int],
    seed: int,
    output: Path,
) -> tuple[pd.DataFrame, str, pd.DataFrame]:
    """Build, write and fingerprint a randomisation list.

    Returns
    -------
    (list, sha256, balance report)

    Raises
    ------
    ConfigError
        If the block sizes or strata are invalid.
    """
    try:
        frame = randomisation_list(factors, n_per_stratum, block_sizes, ratio, seed)
    except ValueError as exc:
        raise _problem("--block-sizes/--strata", block_sizes, str(exc)) from exc
    data = list_csv(frame)
    output.write_bytes(data)
    return frame, sha256(data), balance_report(frame, list(factors))


def make_minimised_allocations(
    patients: Path,
    factors: list[str],
    ratio: tuple[int, int],
    probability: float,
    seed: int,
    output: Path,
) -> pd.DataFrame:
    """Allocate the patients of a CSV file, in its order, by minimisation; write them.

    The allocation ``myotrial serve`` makes when the same patients are randomised in
    this order with this seed (:func:`myotrial.design.randomise.minimise`).

    Raises
    ------
    ConfigError
        If the file lacks ``patient_id`` or a factor, or the probability is not 0.5-1.
    """
    from myotrial.files import read_text

    text = read_text(patients, "check the file exists and is UTF-8 text", error=ConfigError)
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    missing = [c for c in ("patient_id", *factors) if c not in frame.columns]
    if missing:
        raise _problem("--minimise", patients.name, f"has no column {', '.join(missing)}")
    if not 0.5 <= probability <= 1:
        raise _problem("--probability", probability, "must be from 0.5 to 1")
    allocated = minimise(frame, factors, ratio, probability, seed)
    output.write_bytes(list_csv(allocated))
    return allocated
