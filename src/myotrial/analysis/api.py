"""``myotrial.analyze``: a trial in, every table of ANALYSIS.md out.

The steps run in a fixed order and report themselves through ``progress`` so that the
command line can show them; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from myotrial.analysis import episodes as ep
from myotrial.analysis.change import baseline_values, change_from_baseline
from myotrial.analysis.longitudinal import longitudinal
from myotrial.analysis.lung_skin import lung_skin
from myotrial.analysis.options import AnalysisOptions, Notes
from myotrial.analysis.relapse import RELAPSE_COLUMNS
from myotrial.analysis.response import RESPONSE_COLUMNS, SCORE_COLUMNS
from myotrial.analysis.result import AnalysisResult
from myotrial.analysis.safety import safety_summary, safety_table
from myotrial.analysis.steroids import steroids
from myotrial.analysis.summary import build_summary
from myotrial.analysis.table1 import table1
from myotrial.analysis.values import measure_columns, visit_values
from myotrial.trialdata import TrialData

STEPS: tuple[str, ...] = (
    "episodes and time points",
    "change from baseline",
    "Table 1",
    "safety",
    "lung and skin",
    "steroids",
    "mixed model",
    "summary",
)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Prepared:
    """Episodes, visit values and their mapping, shared by every table."""

    episodes: pd.DataFrame
    measures: list[str]
    values: pd.DataFrame
    followup: pd.DataFrame
    mapped: pd.DataFrame
    baseline: pd.DataFrame


def prepare(trial: TrialData, options: AnalysisOptions, notes: Notes) -> Prepared:
    """Courses, baselines, the since-entry view, follow-up visits and their time points."""
    config = trial.config
    courses = ep.build_courses(trial, config, options, notes)
    entry = ep.entry_view(courses)
    views = pd.concat([courses, entry], ignore_index=True)
    values = visit_values(trial.visits, config)
    measures = measure_columns(values)
    # two passes: a visit belongs to one course and, separately, to the since-entry view
    by_course = ep.followup_visits(values, courses)
    since_entry = ep.followup_visits(values, entry)
    followup = pd.concat([by_course, since_entry], ignore_index=True)
    mapped = pd.concat(
        [
            ep.map_timepoints(by_course, config.timepoints, notes),
            ep.map_timepoints(since_entry, config.timepoints),
        ],
        ignore_index=True,
    )
    ep.note_empty_timepoints(mapped[mapped["episode"] > 0], courses, config.timepoints, notes)
    baseline = baseline_values(values, views)
    return Prepared(courses, measures, values, followup, mapped, baseline)


def analyze(
    trial: TrialData, options: AnalysisOptions | None = None, progress: Progress | None = None
) -> AnalysisResult:
    """Run every analysis of ANALYSIS.md on ``trial``.

    Parameters
    ----------
    trial
        The trial (from ``myotrial.ingest.read_trial`` or the store).
    options
        How to analyse; ``None`` takes every documented default.
    progress
        Called with the name of each step (:data:`STEPS`) as it starts.

    Returns
    -------
    AnalysisResult
        Every table, and ``summary`` with counts, notes on edge cases met, the options
        and the methods text.
    """
    options = options or AnalysisOptions()
    notes = Notes()
    step = progress or (lambda name: None)
    step(STEPS[0])
    prep = prepare(trial, options, notes)
    episode_rows = prep.episodes[prep.episodes["episode"] > 0]
    step(STEPS[1])
    change = change_from_baseline(prep.mapped, prep.baseline, prep.measures, options, notes)
    step(STEPS[2])
    entry_values = prep.baseline[prep.baseline["episode"] == 1]
    characteristics = table1(trial.patients, entry_values, prep.measures)
    step(STEPS[3])
    ae_table = safety_table(trial.adverse_events)
    ae_summary = safety_summary(trial.patients, trial.adverse_events, trial.events)
    step(STEPS[4])
    courses_only = prep.followup["episode"] > 0
    lungs = lung_skin(prep.baseline[prep.baseline["episode"] > 0], prep.followup[courses_only])
    step(STEPS[5])
    steroid_table = steroids(prep.mapped, prep.baseline, options)
    step(STEPS[6])
    mixed = longitudinal(prep.baseline, prep.mapped, options.confidence, notes)
    step(STEPS[7])
    tables = {
        "episodes": ep.episode_table(episode_rows),
        "baseline": characteristics,
        "change_from_baseline": change,
        "scores": pd.DataFrame(columns=list(SCORE_COLUMNS)),
        "response": pd.DataFrame(columns=list(RESPONSE_COLUMNS)),
        "relapse": pd.DataFrame(columns=list(RELAPSE_COLUMNS)),
        "safety": ae_table,
        "safety_summary": ae_summary,
        "lung_skin": lungs,
        "steroids": steroid_table,
        "longitudinal": mixed,
    }
    summary = build_summary(trial, options, prep, tables, notes)
    return AnalysisResult(**tables, summary=summary)
