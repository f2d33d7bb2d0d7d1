"""Per-visit scores against the episode baseline, response and relapse (docs/measures.md §2-5).

Scoring itself lives in :mod:`myotrial.measures` (TIS, DOI, worsening); this module
lines up each follow-up visit with its reference visit and dates responses and relapses
for every episode at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from myotrial import measures
from myotrial.analysis.options import AnalysisOptions, Notes
from myotrial.analysis.relapse import KEYS, investigator_relapses, note_relapses
from myotrial.analysis.response import SCORE_COLUMNS
from myotrial.config import TrialConfig


def score_visits(
    mapped: pd.DataFrame, baseline: pd.DataFrame, config: TrialConfig, options: AnalysisOptions
) -> pd.DataFrame:
    """Score every follow-up visit against its episode baseline.

    Parameters
    ----------
    mapped
        Follow-up visits (canonical values) with ``episode``, ``day``, ``timepoint``.
    baseline
        Canonical baseline values per patient and episode.
    config, options
        Population (TIS thresholds) and the missing-measure rule.

    Returns
    -------
    DataFrame
        Columns :data:`SCORE_COLUMNS`, one row per follow-up visit of an episode with a
        baseline, ordered by patient, episode and date.
    """
    keys = ["patient_id", "episode"]
    base = mapped[keys].merge(baseline, on=keys, how="left", validate="many_to_one")
    has_base = base["baseline_date"].notna().to_numpy()
    followup = mapped.loc[has_base].reset_index(drop=True)
    reference = base.loc[has_base].reset_index(drop=True)
    pairs = measures.make_pairs(reference, followup, config)
    population = options.population or config.population
    tis = measures.score_tis(pairs, population=population, missing=options.missing)
    doi = measures.score_doi(pairs)
    out = followup[["patient_id", "episode", "timepoint", "visit_date", "day"]].copy()
    for column in SCORE_COLUMNS[5:-4]:
        out[column] = tis[column].to_numpy() if column in tis else np.nan
    out["category"] = tis["category"].to_numpy()
    out["doi"] = doi["doi"].astype("boolean").to_numpy()
    out["worse"] = measures.is_worse(pairs).astype("boolean").to_numpy()
    out["complete"] = tis["complete"].astype(bool).to_numpy()
    return out.reindex(columns=list(SCORE_COLUMNS))


def best_so_far(scores: pd.DataFrame) -> np.ndarray:
    """Row position of the best visit (highest TIS, the earlier on a tie) before each row.

    ``scores`` must be ordered by patient, episode and date; -1 where no earlier visit
    of the episode has a TIS. Grouped cumulative operations only (no loop per episode).
    """
    by = [scores["patient_id"], scores["episode"]]
    tis = scores["tis"].astype(float)
    running = tis.groupby(by, sort=False).cummax()
    running = running.groupby(by, sort=False).ffill()
    previous_best = running.groupby(by, sort=False).shift(1)
    new_best = tis.notna() & (previous_best.isna() | (tis > previous_best))
    position = pd.Series(np.where(new_best, np.arange(len(scores)), np.nan), index=scores.index)
    position = position.groupby(by, sort=False).ffill()
    best = position.groupby(by, sort=False).shift(1)
    return best.fillna(-1).to_numpy(int)


def derived_relapses(scores: pd.DataFrame, visits: pd.DataFrame, config: TrialConfig) -> pd.Series:
    """First confirmed worsening against the best visit so far, after a response.

    Parameters
    ----------
    scores
        Scores with ``response_date`` per row, ordered by patient, episode and date.
    visits
        Canonical visit values (``patient_id``, ``visit_date``, measures).
    config
        Trial configuration (for the PAIRS layout).
    """
    best = best_so_far(scores)
    after = (scores["visit_date"] > scores["response_date"]).to_numpy() & (best >= 0)
    if not after.any():
        return pd.Series(dtype="datetime64[ns]", name="derived_relapse")
    rows = scores.loc[after, [*KEYS, "visit_date"]].reset_index(drop=True)
    lookup = ["patient_id", "visit_date"]
    reference = scores.iloc[best[after]][lookup].merge(visits, on=lookup, how="left")
    current = rows[lookup].merge(visits, on=lookup, how="left")
    rows["worse"] = measures.is_worse(measures.make_pairs(reference, current, config))
    rows["sequence"] = rows["patient_id"].astype(str) + "\x1f" + rows["episode"].astype(str)
    # IMACS 2005: two consecutive worse visits; the first of the two dates the relapse
    confirmed = measures.confirmed_worsening(rows, by="sequence", order="visit_date")
    return rows[confirmed.to_numpy()].groupby(KEYS)["visit_date"].min().rename("derived_relapse")


def episode_outcomes(
    episodes: pd.DataFrame,
    scores: pd.DataFrame,
    visits: pd.DataFrame,
    events: pd.DataFrame,
    config: TrialConfig,
    minimal: float,
    notes: Notes,
) -> pd.DataFrame:
    """Episodes with ``response_date``, ``best_tis`` and ``relapse_date`` filled."""
    scored = scores[scores["episode"] > 0].sort_values([*KEYS, "visit_date"])
    scored = scored.reset_index(drop=True)
    responded = scored[scored["tis"].astype(float) >= minimal]
    outcome = episodes.set_index(KEYS)
    outcome["response_date"] = responded.groupby(KEYS)["visit_date"].min()
    outcome["best_tis"] = scored.groupby(KEYS)["tis"].max().astype(float)
    with_response = scored.join(outcome["response_date"], on=KEYS)
    derived = derived_relapses(with_response, visits, config)
    recorded = investigator_relapses(events, episodes)
    both = pd.concat([recorded, derived], axis=1).reindex(outcome.index)
    outcome["relapse_date"] = both.min(axis=1)
    outcome = outcome.reset_index()
    note_relapses(outcome, notes)
    return outcome
