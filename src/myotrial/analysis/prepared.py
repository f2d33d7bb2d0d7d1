"""The preparation every analysis table starts from: courses, baselines, mapped visits."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from myotrial.analysis import episodes as ep
from myotrial.analysis.change import baseline_values
from myotrial.analysis.options import AnalysisOptions, Notes
from myotrial.analysis.values import visit_values
from myotrial.trialdata import TrialData


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
    values, measures = visit_values(trial.visits, config)
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
