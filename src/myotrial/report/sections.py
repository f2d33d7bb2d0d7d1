"""The content of each section of the report, from the analysis tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from myotrial.analysis.result import AnalysisResult
from myotrial.measures import lung
from myotrial.measures.steroids import TAPER_MG
from myotrial.report.formatting import (
    HtmlTable,
    column_label,
    generic_table,
    is_missing,
    num,
    percent,
    reported_options,
    timepoint_label,
)
from myotrial.report.narrative import headline
from myotrial.report.table1 import baseline_table
from myotrial.report.tables import (
    exposure_tables,
    first_course,
    ordered_measures,
    pilot_comparison,
    pilot_style,
    response_table,
)
from myotrial.trialdata import TrialData

LUNG = ("fvc_pct", "dlco_pct", "hrct_score")
SKIN = ("ulcers", "cdasi_activity")
STEROID = ("prednisone_mg",)
CHANGE_COLUMNS = {"measure", "timepoint", "day", "n", "baseline_mean", "mean", "p_ttest"}


def all_sections(
    trial: TrialData, result: AnalysisResult, pilot: pd.DataFrame | None
) -> dict[str, Any]:
    """Template variables of every section except the figures."""
    course = first_course(result.change_from_baseline)
    measures = ordered_measures(course)
    level = reported_options(result).level
    core = [m for m in measures if m not in LUNG + SKIN + STEROID]
    return {
        "table1": baseline_table(result.baseline) if len(result.baseline) else None,
        "exposure": exposure_tables(trial, result.episodes),
        "measure_tables": [pilot_style(course, m, level) for m in core],
        "response_tables": [
            response_table(result.response, e, level) for e in _episodes_of(result.response)
        ],
        "relapse": relapse_rows(result),
        "lung_tables": [pilot_style(course, m, level) for m in measures if m in LUNG],
        "skin_tables": [pilot_style(course, m, level) for m in measures if m in SKIN],
        "lung_skin_flags": flag_counts(result.lung_skin),
        "lung_skin_listing": _listing(result.lung_skin, "Per patient and course"),
        "steroid_tables": steroid_tables(result, course),
        "safety_summary": _listing(result.safety_summary, "Patients with adverse events"),
        "safety_table": _listing(result.safety, "Adverse events by term, grade and seriousness"),
        "longitudinal": _listing(result.longitudinal, f"Mixed model estimates ({level} CI)"),
        "pilot_tables": pilot_comparison(result.change_from_baseline, _pilot(pilot)),
    }


def _episodes_of(frame: pd.DataFrame) -> list[int]:
    """Courses in reading order: first, re-treatments, then since study entry (0)."""
    if frame.empty:
        return []
    if "episode" not in frame:
        return [1]
    found = sorted(int(e) for e in frame["episode"].dropna().unique())
    return [e for e in found if e > 0] + [e for e in found if e == 0]


def _listing(frame: pd.DataFrame, caption: str) -> HtmlTable | None:
    return generic_table(frame, caption) if len(frame) else None


def _pilot(pilot: pd.DataFrame | None) -> pd.DataFrame:
    if pilot is not None:
        return pilot
    from myotrial.data import pilot_summary

    table: pd.DataFrame = pilot_summary()
    return table


def relapse_median_text(result: AnalysisResult) -> str:
    """The Kaplan-Meier median relapse-free time in words (from ``summary.json``)."""
    relapse = result.summary.get("relapse", {})
    if not isinstance(relapse, Mapping):
        relapse = {}
    median = relapse.get("median_days")
    if is_missing(median):
        return "The median relapse-free time was not reached."
    low, high = relapse.get("median_ci_low"), relapse.get("median_ci_high")
    # lifelines gives an infinite (here missing) upper limit when the curve stays above 0.5.
    upper = "not reached" if is_missing(high) else f"{num(high, 0)} days"
    return (
        f"Median relapse-free time {num(median, 0)} days ({reported_options(result).level} CI "
        f"{num(low, 0)} days to {upper})."
    )


def relapse_rows(result: AnalysisResult) -> list[tuple[str, str]]:
    """Counts of responders, relapses and re-treatments, and the median relapse-free time."""
    if result.episodes.empty:
        return []
    counts = headline(result)
    responders = counts["first_course_responders"]
    return [
        (
            "Responded in the first course (best of its visits)",
            percent(responders, counts["first_courses_scored"]),
        ),
        ("First courses without a scorable visit", str(counts["first_courses_not_scored"])),
        ("Relapsed after responding", percent(counts["relapsed_after_response"], responders)),
        ("Re-treatment courses", str(counts["retreatment_courses"])),
        (
            "Responded again after re-treatment",
            percent(counts["retreatment_responders"], counts["retreatment_courses"]),
        ),
        ("Relapse-free time", relapse_median_text(result)),
    ]


FLAG_LABELS = {
    "fvc_improved": f"FVC improved ({lung.improvement_rule()})",
    "lung_progression": f"Lung progression ({lung.progression_rule()})",
    "ulcers_healed": "Skin ulcers healed (from above 0 to 0)",
}


def flag_counts(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """For each yes/no flag of ``lung_skin``: courses flagged among those assessed."""
    rows: list[tuple[str, str]] = []
    for column in frame.columns:
        values = frame[column]
        if column not in FLAG_LABELS and not pd.api.types.is_bool_dtype(values):
            continue
        assessed = values.dropna()
        if assessed.empty:
            continue
        label = FLAG_LABELS.get(column, column_label(str(column)))
        rows.append((label, percent(int(assessed.astype(bool).sum()), len(assessed))))
    return rows


def steroid_tables(result: AnalysisResult, course: pd.DataFrame) -> list[HtmlTable]:
    """Prednisone by time point (pilot style) and the share tapered below the taper dose."""
    steroids = first_course(result.steroids)
    level = reported_options(result).level
    if set(steroids.columns) >= CHANGE_COLUMNS and len(steroids):
        tables = [pilot_style(steroids, m, level) for m in ordered_measures(steroids)]
        if "n_tapered" in steroids:
            tables.append(tapered_table(steroids))
        return tables
    if len(steroids):
        return [generic_table(steroids, "Glucocorticoid dose")]
    return [pilot_style(course, m, level) for m in ordered_measures(course) if m in STEROID]


def tapered_table(steroids: pd.DataFrame) -> HtmlTable:
    """Patients below the taper dose at each time point, among those with both doses."""
    rows = steroids.sort_values("day", kind="stable")
    body = [
        [timepoint_label(r.timepoint), num(r.day, 0), percent(r.n_tapered, r.n)]
        for r in rows.itertuples(index=False)
    ]
    return HtmlTable(
        f"Patients tapered below {TAPER_MG:g} mg/day prednisone",
        ["Time point", "Day", "Tapered/n (%)"],
        body,
        key="steroids-tapered",
    )


def design_html(design: Mapping[str, Any] | None) -> str | None:
    """The design section (a whole ``<section id="design">``) when a design is given."""
    if design is None:
        return None
    try:
        from myotrial.report.design_section import render_design_section
    except ImportError:
        return (
            '<section id="design"><h2>Design of the controlled trial</h2><p class="empty">'
            "No data for this section: this installation of myotrial has no design module, "
            "so the design cannot be shown.</p></section>"
        )
    html: str = render_design_section(dict(design))
    return html
