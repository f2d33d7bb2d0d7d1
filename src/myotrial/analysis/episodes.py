"""Treatment episodes (docs/measures.md §5): courses, baselines, study days and time points.

A *course* is one or more infusions, an infusion within ``course_gap_days`` of the
previous one belonging to the same course; each course opens an *episode*. Episode 0 is
the "since study entry" view: every visit after the first infusion, measured against the
first course's baseline, so that re-treated patients can be followed from entry too.

Everything here is vectorised over patients (``merge_asof``, group-wise cumulative sums,
NumPy broadcasting against the few nominal time points).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from myotrial.analysis.options import AnalysisOptions, Notes
from myotrial.config import Timepoint, TrialConfig
from myotrial.domain import ENTRY_EPISODE, EPISODE_COLUMNS
from myotrial.trialdata import TrialData


def courses_from_infusions(infusions: pd.DataFrame, course_gap_days: int) -> pd.DataFrame:
    """Group infusions into courses, one row per course.

    Parameters
    ----------
    infusions
        ``patient_id``, ``infusion_date`` and optionally ``cells_per_kg``.
    course_gap_days
        An infusion at most this many days after the previous one joins its course.

    Returns
    -------
    DataFrame
        ``patient_id``, ``episode`` (1, 2, ... per patient), ``first_infusion``,
        ``last_infusion``, ``n_infusions``, ``cells_per_kg_total``.
    """
    frame = infusions[["patient_id", "infusion_date"]].copy()
    frame["cells"] = _numeric(infusions, "cells_per_kg")
    frame = frame.dropna(subset=["infusion_date"]).sort_values(["patient_id", "infusion_date"])
    gap = frame.groupby("patient_id", sort=False)["infusion_date"].diff().dt.days
    # docs/measures.md §5: a gap above course_gap_days (or a first infusion) opens a course
    frame["episode"] = (gap.isna() | (gap > course_gap_days)).astype(int)
    frame["episode"] = frame.groupby("patient_id", sort=False)["episode"].cumsum()
    grouped = frame.groupby(["patient_id", "episode"], sort=True)
    courses = grouped.agg(
        first_infusion=("infusion_date", "min"),
        last_infusion=("infusion_date", "max"),
        n_infusions=("infusion_date", "size"),
    )
    # a course without any recorded dose has no total (not 0); cythonised, no lambda
    courses["cells_per_kg_total"] = grouped["cells"].sum(min_count=1)
    return courses.reset_index()


def attach_baselines(courses: pd.DataFrame, visits: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """Add ``baseline_date``: the last visit in the window up to the first infusion day.

    docs/measures.md §5: the last visit in the ``window_days`` days up to and including the
    first infusion day of the course; missing (NaT) when there is none.
    """
    left = courses.sort_values("first_infusion")
    right = (
        visits[["patient_id", "visit_date"]]
        .dropna()
        .rename(columns={"visit_date": "baseline_date"})
        .sort_values("baseline_date")
    )
    merged = pd.merge_asof(
        left,
        right,
        left_on="first_infusion",
        right_on="baseline_date",
        by="patient_id",
        direction="backward",
        allow_exact_matches=True,
        tolerance=pd.Timedelta(days=window_days),
    )
    return merged.sort_values(["patient_id", "episode"]).reset_index(drop=True)


def entry_view(episodes: pd.DataFrame) -> pd.DataFrame:
    """The "since study entry" pseudo-episode (number 0) of each patient.

    Its first infusion and baseline are those of the first course; it never ends, so every
    later visit (re-treatments included) falls into it.
    """
    first = episodes[episodes["episode"] == 1].copy()
    first["episode"] = ENTRY_EPISODE
    return first


def followup_visits(visits: pd.DataFrame, episodes: pd.DataFrame) -> pd.DataFrame:
    """Follow-up visits of each episode with their study day.

    A visit belongs to the episode with the latest first infusion strictly before it, so
    the follow-up of episode *e* runs from the day after its first infusion up to and
    including the first infusion day of episode *e + 1* (that visit is also the next
    episode's baseline). Study day = days since the episode's first infusion (day 0).

    Returns
    -------
    DataFrame
        The visit columns plus ``episode``, ``first_infusion``, ``day``.
    """
    right = episodes[["patient_id", "episode", "first_infusion"]].sort_values("first_infusion")
    left = visits.dropna(subset=["visit_date"]).sort_values("visit_date")
    merged = pd.merge_asof(
        left,
        right,
        left_on="visit_date",
        right_on="first_infusion",
        by="patient_id",
        direction="backward",
        allow_exact_matches=False,
    )
    merged = merged.dropna(subset=["episode"])
    merged["episode"] = merged["episode"].astype(int)
    merged["day"] = (merged["visit_date"] - merged["first_infusion"]).dt.days.astype(int)
    return merged.sort_values(["patient_id", "episode", "visit_date"]).reset_index(drop=True)


def map_timepoints(
    followup: pd.DataFrame, timepoints: Sequence[Timepoint], notes: Notes | None = None
) -> pd.DataFrame:
    """Map follow-up visits to the nominal time points of the trial.

    A visit is a candidate for the time point whose window holds it and whose target day
    is nearest (the earlier time point on a tie); per patient, episode and time point the
    candidate nearest the target day is used (the earlier visit on a tie), as docs/analysis.md
    "Time points" says. Other visits keep an empty ``timepoint``.

    Returns
    -------
    DataFrame
        ``followup`` plus ``timepoint`` (name or missing) and ``nominal_day``.
    """
    notes = notes if notes is not None else Notes()
    points = sorted(timepoints, key=lambda t: t.day)
    out = followup.copy()
    out["timepoint"] = pd.Series(pd.NA, index=out.index, dtype="object")
    out["nominal_day"] = np.nan
    if not points or out.empty:
        return out
    targets = np.array([t.day for t in points], dtype=float)
    windows = np.array([t.window for t in points], dtype=float)
    distance = np.abs(out["day"].to_numpy(dtype=float)[:, None] - targets[None, :])
    distance = np.where(distance <= windows[None, :], distance, np.inf)
    nearest = distance.argmin(axis=1)  # argmin keeps the first (earlier) time point on a tie
    in_window = np.isfinite(distance.min(axis=1))
    _note_outside(out.loc[~in_window], notes)
    candidates = out.loc[in_window, ["patient_id", "episode", "visit_date"]].copy()
    candidates["slot"] = nearest[in_window]
    candidates["distance"] = distance[in_window, candidates["slot"].to_numpy()]
    candidates = candidates.sort_values(["patient_id", "episode", "slot", "distance", "visit_date"])
    chosen = ~candidates.duplicated(["patient_id", "episode", "slot"], keep="first")
    _note_crowded(candidates.loc[~chosen], notes)
    slots = candidates.loc[chosen, "slot"].to_numpy()
    names = np.array([t.name for t in points], dtype=object)
    out.loc[candidates.index[chosen], "timepoint"] = names[slots]
    out.loc[candidates.index[chosen], "nominal_day"] = targets[slots]
    return out


def _note_outside(outside: pd.DataFrame, notes: Notes) -> None:
    if outside.empty:
        return
    notes.add(
        "visit_outside_windows",
        f"{len(outside)} follow-up visit(s) fall outside every time-point window; "
        "they count for response, relapse and the mixed model but not in the "
        "time-point tables",
        outside["patient_id"],
        count=len(outside),
    )


def _note_crowded(dropped: pd.DataFrame, notes: Notes) -> None:
    if dropped.empty:
        return
    notes.add(
        "two_visits_in_window",
        f"{len(dropped)} visit(s) share a time-point window with a visit nearer the "
        "target day; the nearer visit (the earlier on a tie) is used",
        dropped["patient_id"],
        count=len(dropped),
    )


def note_empty_timepoints(
    mapped: pd.DataFrame, episodes: pd.DataFrame, timepoints: Sequence[Timepoint], notes: Notes
) -> None:
    """Note each (episode, time point) where no patient has a visit."""
    seen = set(
        mapped.dropna(subset=["timepoint"])[["episode", "timepoint"]].itertuples(
            index=False, name=None
        )
    )
    for episode in sorted(episodes["episode"].unique()):
        empty = [t.name for t in timepoints if (episode, t.name) not in seen]
        if empty:
            notes.add(
                "timepoint_without_data",
                f"episode {episode}: no visit at time point(s) {', '.join(empty)}",
                count=len(empty),
            )


def build_courses(
    trial: TrialData,
    config: TrialConfig | None = None,
    options: AnalysisOptions | None = None,
    notes: Notes | None = None,
) -> pd.DataFrame:
    """Courses with their baseline, re-treatment flag and end of follow-up.

    The response and relapse columns of the episodes table need the scores; they are
    added by :func:`myotrial.analysis.relapse.episode_outcomes`.
    """
    config = config or trial.config
    options = options or AnalysisOptions()
    notes = notes if notes is not None else Notes()
    courses = courses_from_infusions(trial.infusions, config.course_gap_days)
    episodes = attach_baselines(courses, trial.visits, options.baseline_window_days)
    episodes["retreatment"] = episodes["episode"] > 1
    last_visit = (
        followup_visits(trial.visits, episodes)
        .groupby(["patient_id", "episode"])["visit_date"]
        .max()
        .rename("last_visit")
    )
    episodes = episodes.join(last_visit, on=["patient_id", "episode"])
    episodes["end_date"] = episodes[["last_visit", "last_infusion"]].max(axis=1)
    _note_courses(trial, episodes, notes)
    return episodes.drop(columns=["last_visit"])


def _note_courses(trial: TrialData, episodes: pd.DataFrame, notes: Notes) -> None:
    untreated = ~trial.patients["patient_id"].isin(episodes["patient_id"])
    if untreated.any():
        notes.add(
            "patient_without_infusion",
            "patient(s) without any infusion have no episode; they appear in Table 1 "
            "and safety only",
            trial.patients.loc[untreated, "patient_id"],
        )
    no_baseline = episodes[episodes["baseline_date"].isna()]
    if not no_baseline.empty:
        notes.add(
            "episode_without_baseline",
            f"{len(no_baseline)} episode(s) have no visit in the baseline window before "
            "the first infusion; they have no change from baseline, score or response",
            no_baseline["patient_id"],
            count=len(no_baseline),
        )


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def episode_table(episodes: pd.DataFrame) -> pd.DataFrame:
    """The ``episodes`` table (docs/analysis.md) from courses with their outcomes.

    Outcome columns not yet present (``response_date``, ``best_tis``, ``relapse_date``)
    are added empty.
    """
    table = episodes.reindex(columns=list(EPISODE_COLUMNS))
    table["retreatment"] = table["retreatment"].astype(bool)
    for column in ("response_date", "relapse_date"):
        table[column] = pd.to_datetime(table[column])
    table["best_tis"] = table["best_tis"].astype(float)
    return table.sort_values(["patient_id", "episode"]).reset_index(drop=True)
