"""The analysis use case: load a trial, analyse it, write the tables."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from myotrial.analysis.api import analyze
from myotrial.analysis.options import AnalysisOptions
from myotrial.analysis.result import AnalysisResult
from myotrial.errors import ConfigError, InvalidInputError, Problem
from myotrial.files import read_text
from myotrial.services.loading import load_trial
from myotrial.trialdata import TrialData


def read_design(path: Path) -> dict[str, Any]:
    """Read a design written by ``myotrial design`` (a JSON object).

    Raises
    ------
    ConfigError
        If the file cannot be read, is not JSON, or is not a JSON object.
    """
    text = read_text(path, "check the file exists and is UTF-8 text", error=ConfigError)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            [
                Problem(
                    path.name,
                    exc.lineno,
                    None,
                    None,
                    f"is not valid JSON: {exc.msg}",
                    "pass the design.json that myotrial design wrote",
                )
            ]
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(
            [
                Problem(
                    path.name,
                    None,
                    None,
                    type(data).__name__,
                    "must be a JSON object",
                    "pass the design.json that myotrial design wrote",
                )
            ]
        )
    return data


def analyse_as_planned(
    trial: TrialData,
    options: AnalysisOptions | None = None,
    progress: Callable[[str], None] | None = None,
    plan: Mapping[str, Any] | None = None,
) -> AnalysisResult:
    """Analyse ``trial``, the between-arm comparison following ``plan`` when given.

    The one way a design reaches the analysis: ``myotrial analyze --plan`` and
    ``myotrial report --design`` both come here, so a report shows the tables that
    ``analyze`` writes for the same plan.

    Parameters
    ----------
    trial
        The trial to analyse.
    options
        Analysis options; ``None`` for the documented defaults.
    progress
        Called with the name of each analysis step as it starts.
    plan
        A design JSON (:func:`read_design`): its endpoint, test and alpha.

    Returns
    -------
    AnalysisResult
        Every table; ``summary["arm_comparison"]["plan"]`` records the plan.
    """
    return analyze(trial, options, progress, plan)


def run_analysis(
    trial: TrialData,
    out_dir: Path,
    options: AnalysisOptions | None = None,
    progress: Callable[[str], None] | None = None,
    plan: Mapping[str, Any] | None = None,
) -> AnalysisResult:
    """Analyse ``trial`` and write every table and ``summary.json`` into ``out_dir``.

    Parameters
    ----------
    trial
        The trial to analyse.
    out_dir
        Folder for the CSV files and ``summary.json`` (created when absent).
    options
        Analysis options; ``None`` for the documented defaults.
    progress
        Called with the name of each step as it starts (and "writing tables").
    plan
        A design JSON (``myotrial design -o``): the between-arm comparison follows its
        endpoint, test and alpha.

    Returns
    -------
    AnalysisResult
        The tables that were written; a trial with lots also gets the ``product_*``
        tables of :func:`myotrial.analysis.product_api.analyze_product`.
    """
    result = analyse_as_planned(trial, options, progress, plan)
    if progress is not None:
        progress("writing tables")
    result.write(out_dir)
    if not trial.lots.empty:
        # a trial that records its lots also gets the lot-aware tables (product_*.csv)
        from myotrial.analysis.product_api import analyze_product

        if progress is not None:
            progress("lot-aware tables")
        analyze_product(trial, result, options).write(out_dir)
    return result


def analysis_problems(trial: TrialData) -> list[Problem]:
    """What the analysis would refuse in a trial that keeps every rule of the format.

    ``myotrial validate`` promises that ``myotrial analyze`` accepts a trial it passes,
    so it runs the analysis with the default options, writes nothing, and returns the
    problems the analysis would stop on (arms without randomisation dates, pairs it
    cannot score); an empty list when the analysis goes through.
    """
    try:
        analyze(trial)
    except InvalidInputError as exc:
        return list(exc.problems)
    return []


def analyse_to_folder(
    path: Path | None,
    db_url: str,
    out_dir: Path,
    options: AnalysisOptions | None = None,
    progress: Callable[[str], None] | None = None,
    plan: Mapping[str, Any] | None = None,
) -> AnalysisResult:
    """Load a trial (:func:`myotrial.services.loading.load_trial`), analyse it, write the tables.

    Raises
    ------
    myotrial.errors.InvalidInputError
        If the trial is invalid (nothing is written).
    myotrial.errors.MyotrialError
        If the database cannot be read.
    """
    if progress is not None:
        progress("reading the trial")
    return run_analysis(load_trial(path, db_url), out_dir, options, progress, plan)
