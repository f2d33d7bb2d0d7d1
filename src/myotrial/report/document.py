"""Assemble the report: figures, tables and text into one self-contained HTML file.

Everything the page needs is inside it: CSS in a ``<style>`` element, figures as inline
SVG, no script, no font or image from elsewhere, so it opens offline, can be mailed to a
reviewer, and prints (print CSS; PDF through :mod:`myotrial.report.pdf`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from myotrial.analysis.methods import conventions, from_records
from myotrial.analysis.relapse import RELAPSE_FREE
from myotrial.analysis.result import AnalysisResult
from myotrial.measures.tis import category_thresholds
from myotrial.report import arms as report_arms
from myotrial.report import figures, narrative, sections
from myotrial.report.formatting import reported_options
from myotrial.report.product_section import product_section
from myotrial.report.swimmer import swimmer
from myotrial.report.tables import first_course, mean_points
from myotrial.trialdata import TABLES, TrialData
from myotrial.version import __version__

Progress = Callable[[str], None]


def render_report(
    trial: TrialData,
    result: AnalysisResult,
    design: Mapping[str, Any] | None = None,
    *,
    pilot: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> str:
    """The trial report as one self-contained HTML document.

    Parameters
    ----------
    trial
        The trial as analysed (its patients, infusions and visits feed the figures).
    result
        The analysis of ``trial`` (:func:`myotrial.analyze`).
    design
        A design as written by ``myotrial design`` (JSON object); adds a design section.
    pilot
        The published pilot means to compare with; default
        :func:`myotrial.data.pilot_summary`.
    progress
        Called with the name of each step as it starts (for a progress display).

    Returns
    -------
    str
        The HTML text (UTF-8, no external resources).
    """
    step = progress or (lambda _name: None)
    context = _context(trial, result, design, pilot, step)
    step("writing HTML")
    return _environment().get_template("report.html.j2").render(**context)


def write_report(
    trial: TrialData,
    result: AnalysisResult,
    path: Path | str,
    pdf: bool = False,
    design: Mapping[str, Any] | None = None,
    *,
    progress: Progress | None = None,
) -> list[Path]:
    """Write the report to ``path`` (HTML) and, with ``pdf``, beside it as ``.pdf``.

    Returns
    -------
    list of Path
        The files written, HTML first.

    Raises
    ------
    myotrial.errors.MyotrialError
        If a PDF is asked for and no PDF engine is available (see ``docs/report.md``).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    html = render_report(trial, result, design, progress=progress)
    target.write_text(html, encoding="utf-8")
    written = [target]
    if pdf:
        if progress:
            progress("writing PDF")
        from myotrial.report.pdf import html_to_pdf

        written.append(html_to_pdf(target, target.with_suffix(".pdf")))
    return written


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("myotrial.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def _context(
    trial: TrialData,
    result: AnalysisResult,
    design: Mapping[str, Any] | None,
    pilot: pd.DataFrame | None,
    step: Progress,
) -> dict[str, Any]:
    options = reported_options(result)
    thresholds = category_thresholds(options.population or trial.config.population)
    step("drawing figures")
    context: dict[str, Any] = {
        "title": trial.config.name,
        "generated": dt.date.today().isoformat(),
        "version": __version__,
        "summary": {
            "exposure": narrative.exposure_sentence(trial, result),
            "results": narrative.key_results(result, thresholds["minimal"]),
            "primary": narrative.primary_sentence(result),
        },
        "figures": _figures(trial, result, thresholds),
        "level": options.level,
    }
    step("building tables")
    context.update(sections.all_sections(trial, result, pilot))
    context["arms"] = _arm_context(trial, result)
    context["design_html"] = sections.design_html(design)
    context["product"] = product_section(trial, result)
    # the methods the analysis wrote; rebuilt from its options only for an older result
    context["conventions"] = from_records(result.summary.get("conventions")) or conventions(
        trial.config, options
    )
    context["provenance"] = _provenance(trial, result)
    return context


def _arm_context(trial: TrialData, result: AnalysisResult) -> dict[str, Any] | None:
    """The controlled-trial sections (``None`` for a one-arm trial)."""
    table = report_arms.comparison_table(result)
    if table is None:
        return None
    return {
        "consort": report_arms.consort_svg(trial, result),
        "table": table,
        "forest": report_arms.forest_plot(result),
        "safety": report_arms.safety_table(result),
        "plan": report_arms.plan_rows(result),
    }


def _relapse_free(relapse: pd.DataFrame) -> pd.DataFrame:
    """The Kaplan-Meier rows of the ``relapse`` table (not the incidence by arm)."""
    if "curve" not in relapse:
        return relapse
    rows: pd.DataFrame = relapse[relapse["curve"] == RELAPSE_FREE]
    return rows


def _figures(
    trial: TrialData, result: AnalysisResult, thresholds: dict[str, float]
) -> dict[str, figures.ReportFigure]:
    change = result.change_from_baseline
    best = (
        first_course(result.episodes).set_index("patient_id")["best_tis"]
        if len(result.episodes)
        else pd.Series(dtype="float64")
    )
    window = reported_options(result).baseline_window_days
    mmt8_label = f"MMT-8 (0-{trial.config.mmt_max})"
    return {
        "ck": figures.spaghetti(trial, mean_points(change, "ck"), "ck", "CK (U/L)", True, window),
        "mmt8": figures.spaghetti(
            trial, mean_points(change, "mmt8"), "mmt8", mmt8_label, False, window
        ),
        "swimmer": swimmer(trial, result.episodes),
        "waterfall": figures.waterfall(best.astype("float64"), thresholds),
        "km": figures.kaplan_meier(
            _relapse_free(result.relapse),
            sections.relapse_median_text(result),
            reported_options(result).level,
        ),
    }


def _provenance(trial: TrialData, result: AnalysisResult) -> list[tuple[str, str]]:
    summary = result.summary
    checksum = trial.checksum or str(summary.get("input_checksum") or "")
    checksum_label = "Input checksum (SHA-256 of the files read)"
    if not checksum:
        checksum, checksum_label = tables_checksum(trial), "Data checksum (SHA-256 of the tables)"
    rows = [
        ("Trial", trial.config.name),
        ("Data source", trial.source or "built in memory (not read from files)"),
        (checksum_label, checksum),
        ("Analysis software", f"myotrial {summary.get('version', __version__)}"),
        ("Report software", f"myotrial {__version__}"),
        ("Report date", dt.date.today().isoformat()),
    ]
    options = summary.get("options")
    if isinstance(options, Mapping) and options:
        # Time point windows are listed in the methods; the scalar options are shown here.
        shown = [f"{k} = {v}" for k, v in sorted(options.items()) if not isinstance(v, Mapping)]
        rows.append(("Analysis options", "; ".join(shown)))
    return rows


def tables_checksum(trial: TrialData) -> str:
    """SHA-256 over the six tables as CSV, in the order of :data:`~myotrial.trialdata.TABLES`.

    Used when the trial was not read from files (so there is no input checksum), e.g. the
    synthetic pilot: the same data always gives the same checksum.
    """
    digest = hashlib.sha256()
    for name in TABLES:
        digest.update(name.encode("utf-8"))
        digest.update(trial.table(name).to_csv(index=False, date_format="%Y-%m-%d").encode())
    return digest.hexdigest()
