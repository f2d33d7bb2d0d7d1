"""``myotrial.analyze``: a trial in, every table of docs/analysis.md out.

The steps run in a fixed order and report themselves through ``progress`` so that the
command line can show them; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from myotrial.analysis import episodes as ep
from myotrial.analysis.change import change_from_baseline
from myotrial.analysis.comparison import compare_arms
from myotrial.analysis.headline import courses_per_episode
from myotrial.analysis.longitudinal import longitudinal
from myotrial.analysis.lung_skin import lung_skin
from myotrial.analysis.options import AnalysisOptions, Notes
from myotrial.analysis.prepared import Prepared, prepare
from myotrial.analysis.relapse import combine_relapse, relapse_survival
from myotrial.analysis.response import response_table
from myotrial.analysis.result import AnalysisResult
from myotrial.analysis.safety import death_dates, safety_summary, safety_table
from myotrial.analysis.scoring import episode_outcomes, score_visits
from myotrial.analysis.steroids import steroids
from myotrial.analysis.summary import build_summary
from myotrial.analysis.table1 import table1
from myotrial.measures.tis import category_thresholds
from myotrial.trialdata import TrialData

STEPS: tuple[str, ...] = (
    "episodes and time points",
    "scores, response and relapse",
    "change from baseline",
    "between-arm comparison",
    "Table 1",
    "safety",
    "lung and skin",
    "steroids",
    "mixed model",
    "summary",
)
Progress = Callable[[str], None]


def analyze(
    trial: TrialData,
    options: AnalysisOptions | None = None,
    progress: Progress | None = None,
    plan: Mapping[str, Any] | None = None,
) -> AnalysisResult:
    """Run every analysis of docs/analysis.md on ``trial``.

    Parameters
    ----------
    trial
        The trial (from ``myotrial.ingest.read_trial`` or the store).
    options
        How to analyse; ``None`` takes every documented default.
    progress
        Called with the name of each step (:data:`STEPS`) as it starts.
    plan
        A design JSON (``myotrial design -o``): the between-arm comparison follows its
        endpoint, test and alpha.

    Returns
    -------
    result : AnalysisResult
        Every table as a DataFrame attribute (full precision; ``docs/analysis.md`` gives
        each column's meaning), and ``summary`` with counts, notes on edge cases met, the
        options and the methods text:

        * ``episodes``: ``'patient_id'``, ``'episode'``, ``'first_infusion'``,
          ``'n_infusions'``, ``'cells_per_kg_total'``, ``'baseline_date'``,
          ``'retreatment'``, ``'response_date'``, ``'best_tis'``, ``'relapse_date'``,
          ``'end_date'``.
        * ``baseline`` (Table 1): ``'arm'``, ``'characteristic'``, ``'level'``, ``'n'``,
          ``'value'``, ``'mean'``, ``'sd'``, ``'median'``, ``'q1'``, ``'q3'``,
          ``'count'``, ``'percent'``.
        * ``change_from_baseline``: ``'episode'``, ``'measure'``, ``'timepoint'``,
          ``'day'``, ``'n'``, ``'baseline_mean'``, ``'baseline_sd'``, ``'mean'``,
          ``'sd'``, ``'change_mean'``, ``'change_sd'``, ``'change_ci_low'``,
          ``'change_ci_high'``, ``'p_ttest'``, ``'p_wilcoxon'``,
          ``'percent_change_median'``.
        * ``scores`` (one row per follow-up visit): ``'patient_id'``, ``'episode'``,
          ``'timepoint'``, ``'visit_date'``, ``'day'``, ``'p_<csm>'`` and
          ``'points_<csm>'`` for each core set measure, ``'tis'``, ``'category'``,
          ``'doi'``, ``'worse'``, ``'complete'`` (as :func:`myotrial.score_tis`).
        * ``response``: ``'episode'``, ``'timepoint'``, ``'criterion'``, ``'n'``,
          ``'responders'``, ``'proportion'``, ``'ci_low'``, ``'ci_high'``,
          ``'unscorable'``, ``'denominator'``, ``'proportion_nri'``, ``'ci_low_nri'``,
          ``'ci_high_nri'``.
        * ``relapse``: ``'time_days'``, ``'at_risk'``, ``'events'``, ``'competing'``,
          ``'censored'``, ``'survival'``, ``'ci_low'``, ``'ci_high'``, ``'curve'``,
          ``'arm'``, ``'cumulative_incidence'``.
        * ``safety``: ``'term'``, ``'grade'``, ``'serious'``, ``'relatedness'``,
          ``'patients'``, ``'events'``; ``safety_summary``: ``'item'``,
          ``'patients'``, ``'percent'``.
        * ``lung_skin``: ``'patient_id'``, ``'episode'``, then ``'<m>_baseline'``,
          ``'<m>_last'``, ``'<m>_change'``, ``'<m>_relative_change'`` for fvc_pct,
          dlco_pct, hrct_score, ulcers and cdasi_activity, ``'fvc_improved'``,
          ``'lung_progression'``, ``'ulcers_healed'``.
        * ``steroids``: the columns of ``change_from_baseline``, ``'n_tapered'``,
          ``'share_tapered'``.
        * ``longitudinal``: ``'measure'``, ``'term'``, ``'timepoint'``, ``'day'``,
          ``'estimate'``, ``'std_error'``, ``'ci_low'``, ``'ci_high'``, ``'p_value'``,
          ``'n_patients'``, ``'n_observations'``.
        * ``arm_comparison`` (two-arm trials; empty otherwise): ``'endpoint'``,
          ``'timepoint'``, ``'population'``, ``'estimand'``, ``'estimate'``,
          ``'ci_low'``, ``'ci_high'``, ``'p_value'``, ``'n_treatment'``,
          ``'n_control'``, ``'method'``.
    """
    options = options or AnalysisOptions()
    notes = Notes()
    step = progress or (lambda name: None)
    step(STEPS[0])
    prep = prepare(trial, options, notes)
    step(STEPS[1])
    outcomes = score_outcomes(trial, prep, options, notes)
    step(STEPS[2])
    change = change_from_baseline(
        *_with_tis(prep, outcomes.scores), [*prep.measures, "tis"], options, notes
    )
    step(STEPS[3])
    minimal = category_thresholds(options.population or trial.config.population)["minimal"]
    arms = compare_arms(trial, prep.values, options, minimal, notes, plan)
    step(STEPS[4])
    # Table 1 of a randomised trial: every patient at the randomisation baseline (ITT);
    # of a one-arm trial: the first course's baseline
    entry_values = (
        arms.baseline if arms.baseline is not None else prep.baseline[prep.baseline["episode"] == 1]
    )
    characteristics = table1(trial.patients, entry_values, prep.measures)
    step(STEPS[5])
    ae_table = safety_table(trial.adverse_events)
    ae_summary = safety_summary(trial.patients, trial.adverse_events, trial.events)
    step(STEPS[6])
    courses_only = prep.followup["episode"] > 0
    lungs = lung_skin(prep.baseline[prep.baseline["episode"] > 0], prep.followup[courses_only])
    step(STEPS[7])
    steroid_table = steroids(prep.mapped, prep.baseline, options)
    step(STEPS[8])
    mixed = longitudinal(prep.baseline, prep.mapped, options.confidence, notes)
    step(STEPS[9])
    tables = {
        "episodes": outcomes.episodes,
        "baseline": characteristics,
        "change_from_baseline": change,
        "scores": outcomes.scores,
        "response": outcomes.response,
        "relapse": combine_relapse(outcomes.relapse, arms.incidence),
        "safety": ae_table,
        "safety_summary": ae_summary,
        "lung_skin": lungs,
        "steroids": steroid_table,
        "longitudinal": mixed,
        "arm_comparison": arms.table,
        "safety_by_arm": arms.safety,
    }
    extra = {"relapse": outcomes.relapse_median, "arm_comparison": arms.summary}
    summary = build_summary(trial, options, prep, tables, notes, extra)
    return AnalysisResult(**tables, summary=summary)


@dataclass(frozen=True)
class Outcomes:
    """Scores and what depends on them: episodes with outcomes, response, relapse."""

    scores: pd.DataFrame
    episodes: pd.DataFrame
    response: pd.DataFrame
    relapse: pd.DataFrame
    relapse_median: dict[str, Any]


def score_outcomes(
    trial: TrialData, prep: Prepared, options: AnalysisOptions, notes: Notes
) -> Outcomes:
    """Score every follow-up visit, date responses and relapses, tabulate response rates."""
    config = trial.config
    thresholds = category_thresholds(options.population or config.population)
    scores = score_visits(prep.mapped, prep.baseline, config, options)
    courses = episode_outcomes(
        prep.episodes, scores, prep.values, trial.events, config, thresholds["minimal"], notes
    )
    episodes = ep.episode_table(courses)
    response = response_table(scores, thresholds, options.confidence, courses_per_episode(episodes))
    deaths = death_dates(trial.events, trial.adverse_events)
    relapse, median = relapse_survival(episodes, options.confidence, notes, deaths)
    return Outcomes(scores, episodes, response, relapse, median)


def _with_tis(prep: Prepared, scores: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mapped visits and baselines with a ``tis`` column (0 at baseline, by definition)."""
    keys = ["patient_id", "episode", "visit_date"]
    mapped = prep.mapped.merge(scores[[*keys, "tis"]], on=keys, how="left")
    return mapped, prep.baseline.assign(tis=0.0)
