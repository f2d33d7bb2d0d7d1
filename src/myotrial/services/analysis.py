"""The analysis use case: load a trial, analyse it, write the tables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from myotrial.analysis.api import analyze
from myotrial.analysis.options import AnalysisOptions
from myotrial.analysis.result import AnalysisResult
from myotrial.trialdata import TrialData


def run_analysis(
    trial: TrialData,
    out_dir: Path,
    options: AnalysisOptions | None = None,
    progress: Callable[[str], None] | None = None,
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

    Returns
    -------
    AnalysisResult
        The tables that were written.
    """
    result = analyze(trial, options, progress)
    if progress is not None:
        progress("writing tables")
    result.write(out_dir)
    return result
