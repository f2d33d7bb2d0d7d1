"""Use case: write the trial report for a trial folder or the trial in a database.

The command line and the HTTP server both call :func:`build_report`; the steps (load,
analyse, render, print to PDF) are reported through ``progress`` so each face can show
them its own way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from myotrial.analysis.options import AnalysisOptions
from myotrial.services.analysis import analyse_as_planned, read_design
from myotrial.services.loading import load_trial

Progress = Callable[[str], None]


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
    result = analyse_as_planned(
        trial, options, lambda name: step(f"analysing: {name}"), plan=design
    )
    return write_report(trial, result, output, pdf=pdf, design=design, progress=step)
