"""The analysis use case: load a trial, analyse it, write the tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sqlalchemy.engine import make_url

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


def load_trial(path: Path | None, db_url: str) -> TrialData:
    """A trial folder or workbook (``path``), else the trial stored at ``db_url``.

    Raises
    ------
    myotrial.errors.InvalidInputError
        If the folder or workbook breaks a rule of the trial format.
    myotrial.errors.StoreError
        If the database cannot be read.
    """
    if path is not None:
        from myotrial.ingest import read_trial

        return read_trial(path)
    from myotrial.store import open_store

    store = open_store(db_url)
    try:
        trial = store.load_trial()
    finally:
        store.close()
    # summary.json names where the trial came from, never a password
    return replace(trial, source=trial.source or make_url(db_url).render_as_string(True))


def analyse_to_folder(
    path: Path | None,
    db_url: str,
    out_dir: Path,
    options: AnalysisOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> AnalysisResult:
    """Load a trial (folder, workbook or database), analyse it, write the tables.

    Raises
    ------
    myotrial.errors.InvalidInputError
        If the trial is invalid (nothing is written).
    myotrial.errors.MyotrialError
        If the database cannot be read.
    """
    if progress is not None:
        progress("reading the trial")
    return run_analysis(load_trial(path, db_url), out_dir, options, progress)
