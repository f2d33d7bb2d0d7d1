"""Use case: write the trial report for a trial folder or the trial in a database.

The command line and the HTTP server both call :func:`build_report`; the steps (load,
analyse, render, print to PDF) are reported through ``progress`` so each face can show
them its own way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from myotrial.analysis.options import AnalysisOptions
from myotrial.analysis.result import AnalysisResult
from myotrial.errors import ConfigError, Problem
from myotrial.files import read_text
from myotrial.services.loading import load_trial
from myotrial.trialdata import TrialData

Progress = Callable[[str], None]


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


def build_report(
    path: Path | None,
    db_url: str,
    output: Path,
    *,
    pdf: bool = False,
    design_path: Path | None = None,
    options: AnalysisOptions | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Load a trial, analyse it and write its report; return the files written.

    Parameters
    ----------
    path
        A trial folder or workbook; ``None`` reads the trial stored at ``db_url``.
    db_url
        Database URL used when ``path`` is ``None``.
    output
        The HTML file to write; with ``pdf`` the PDF goes beside it (``.pdf``).
    pdf
        Also print the report to PDF.
    design_path
        A design JSON from ``myotrial design`` to add as a section.
    options
        Analysis options (``None``: the defaults of docs/analysis.md).
    progress
        Called with the name of each step as it starts.

    Raises
    ------
    myotrial.errors.InvalidInputError
        If the trial or the design file is invalid (nothing is written).
    myotrial.errors.MyotrialError
        If the analysis or the PDF fails.
    """
    from myotrial.report import write_report

    step = progress or (lambda _name: None)
    if pdf:
        from myotrial.report.pdf import check_pdf_engine

        check_pdf_engine()  # before the HTML: a missing engine writes nothing
    design = read_design(design_path) if design_path is not None else None
    step("loading the trial")
    trial = load_trial(path, db_url)
    step("analysing")
    result = _analyse(trial, options, step)
    return write_report(trial, result, output, pdf=pdf, design=design, progress=step)


def _analyse(trial: TrialData, options: AnalysisOptions | None, step: Progress) -> AnalysisResult:
    from myotrial.analysis.api import analyze

    return analyze(trial, options, progress=lambda name: step(f"analysing: {name}"))
