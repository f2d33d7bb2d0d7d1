"""The content of each section of the report, from the analysis tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from myotrial.analysis.result import AnalysisResult
from myotrial.report.formatting import HtmlTable, generic_table, is_missing, num, percent
from myotrial.report.tables import (
    baseline_table,
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
    core = [m for m in measures if m not in LUNG + SKIN + STEROID]
    return {
        "table1": baseline_table(result.baseline) if len(result.baseline) else None,
        "exposure": exposure_tables(trial, result.episodes),
        "measure_tables": [pilot_style(course, m) for m in core],
        "response_tables": [
            response_table(result.response, e) for e in _episodes_of(result.response)
        ],
        "relapse": relapse_rows(result),
        "lung_tables": [pilot_style(course, m) for m in measures if m in LUNG],
        "skin_tables": [pilot_style(course, m) for m in measures if m in SKIN],
        "lung_skin_flags": flag_counts(result.lung_skin),
        "lung_skin_listing": _listing(result.lung_skin, "Per patient and course"),
        "steroid_tables": steroid_tables(result, course),
        "safety_summary": _listing(result.safety_summary, "Patients with adverse events"),
        "safety_table": _listing(result.safety, "Adverse events by term, grade and seriousness"),
        "longitudinal": _listing(result.longitudinal, "Mixed model estimates (95 % CI)"),
        "pilot_tables": pilot_comparison(result.change_from_baseline, _pilot(pilot)),
    }


def _episodes_of(frame: pd.DataFrame) -> list[int]:
    if frame.empty:
        return []
    if "episode" not in frame:
        return [1]
    return sorted(int(e) for e in frame["episode"].dropna().unique())


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
    return (
        f"Median relapse-free time {num(median, 0)} days (95 % CI "
        f"{num(relapse.get('ci_low'), 0)} to {num(relapse.get('ci_high'), 0)})."
    )


def relapse_rows(result: AnalysisResult) -> list[tuple[str, str]]:
    """Counts of responders, relapses and re-treatments, and the median relapse-free time."""
    episodes = result.episodes
    if episodes.empty:
        return []
    first = first_course(episodes)
    responders = first["response_date"].notna()
    relapsed = first["relapse_date"].notna()
    later = episodes[episodes["episode"] > 1]
    return [
        ("Responded in the first course", percent(responders.sum(), len(first))),
        ("Relapsed after responding", percent((relapsed & responders).sum(), responders.sum())),
        ("Re-treatment courses", str(len(later))),
        (
            "Responded again after re-treatment",
            percent(later["response_date"].notna().sum(), len(later)),
        ),
        ("Relapse-free time", relapse_median_text(result)),
    ]


def flag_counts(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """For each yes/no column of ``lung_skin``: patients with yes among those assessed."""
    rows: list[tuple[str, str]] = []
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_bool_dtype(values):
            continue
        assessed = values.dropna()
        label = generic_table(frame[[column]].head(0), "").columns[0]
        rows.append((label, percent(int(assessed.astype(bool).sum()), len(assessed))))
    return rows


def steroid_tables(result: AnalysisResult, course: pd.DataFrame) -> list[HtmlTable]:
    """Prednisone by time point (pilot style) and the share tapered below 7.5 mg/day."""
    steroids = first_course(result.steroids)
    if set(steroids.columns) >= CHANGE_COLUMNS and len(steroids):
        tables = [pilot_style(steroids, m) for m in ordered_measures(steroids)]
        extra = [c for c in steroids.columns if "taper" in c]
        if extra:
            tables.append(
                generic_table(steroids[["timepoint", *extra]], "Patients tapered below 7.5 mg/day")
            )
        return tables
    if len(steroids):
        return [generic_table(steroids, "Glucocorticoid dose")]
    return [pilot_style(course, m) for m in ordered_measures(course) if m in STEROID]


def design_html(design: Mapping[str, Any] | None) -> str | None:
    """The design engineer's section, when a design is given and the section is installed."""
    if design is None:
        return None
    try:
        from myotrial.report.design_section import render_design_section
    except ImportError:
        return (
            '<p class="empty">No data for this section: this installation of myotrial '
            "has no design module, so the design cannot be shown.</p>"
        )
    html: str = render_design_section(dict(design))
    return html
