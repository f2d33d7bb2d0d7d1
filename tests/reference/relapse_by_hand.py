"""Relapse times derived by hand from a trial's raw tables, for the reference tests.

Written apart from the analysis, the plain way (a loop over each patient's visits), from
docs/measures.md §4-5 and docs/analysis.md:

- a *sequence* is what a response and a relapse are dated in: a course of infusions
  (from ``infusions.csv``: a gap over 28 days opens a new course; its follow-up runs to
  the next course's first infusion day) or, between arms, one sequence per patient from
  the randomisation date with no end;
- its baseline is the last visit in the 30 days up to and including its day 0;
- response: the first follow-up visit with TIS >= 20 against the baseline (the TIS of
  each visit from ``myotrial.measures.score_tis``, itself checked against ACR/EULAR 2016
  in tests/unit);
- relapse: the first ``relapse`` of ``events.csv`` after day 0 (within the course), or,
  after the response, the first of two consecutive visits worse (IMACS 2005, written out
  below) than the best visit so far (highest TIS, the earlier on a tie), the earlier of
  the two;
- death: a ``death`` event or a grade 5 adverse event, the earliest date.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from myotrial import measures
from myotrial.trialdata import TrialData

COURSE_GAP_DAYS, BASELINE_DAYS, MINIMAL_TIS = 28, 30, 20.0
WORSENING_CSM = ("phga", "ptga", "mmt8", "haq", "extramuscular")


@dataclass
class Sequence:
    """One course (or the ITT view of a patient): where its visits start and stop."""

    patient_id: str
    episode: int
    start: pd.Timestamp
    stop: pd.Timestamp | None  # the next course's first infusion day, included
    last_infusion: pd.Timestamp | None = None


def courses(trial: TrialData) -> list[Sequence]:
    """Courses from the infusions, in the order of the patients and their infusions."""
    out: list[Sequence] = []
    for patient, rows in trial.infusions.groupby("patient_id", sort=True):
        dates = sorted(rows["infusion_date"])
        groups: list[list[pd.Timestamp]] = []
        for date in dates:
            if groups and (date - groups[-1][-1]).days <= COURSE_GAP_DAYS:
                groups[-1].append(date)
            else:
                groups.append([date])
        for number, group in enumerate(groups, start=1):
            stop = groups[number][0] if number < len(groups) else None
            out.append(Sequence(str(patient), number, group[0], stop, group[-1]))
    return out


def randomised(trial: TrialData) -> list[Sequence]:
    """One sequence per patient from the randomisation date (intention to treat)."""
    return [
        Sequence(str(p), 1, d, None)
        for p, d in zip(
            trial.patients["patient_id"], trial.patients["randomisation_date"], strict=True
        )
    ]


def _worse_percent(reference: float, current: float, higher_is_better: bool) -> float:
    if math.isnan(reference) or math.isnan(current):
        return math.nan
    if reference == 0:
        rise = current - reference
        return 0.0 if rise == 0 else (-math.inf if higher_is_better == (rise > 0) else math.inf)
    change = (current - reference) / reference * 100
    return round(-change if higher_is_better else change, 6)


def worse(reference: pd.Series, current: pd.Series) -> bool:
    """IMACS 2005 (docs/measures.md §4): is ``current`` worse than ``reference``?"""
    percent = {
        k: _worse_percent(float(reference[k]), float(current[k]), k == "mmt8")
        for k in WORSENING_CSM
    }
    phga_rise = round(float(current["phga"]) - float(reference["phga"]), 6)
    extra_rise = round(float(current["extramuscular"]) - float(reference["extramuscular"]), 6)
    rule1 = phga_rise >= 2 and percent["mmt8"] >= 20
    rule2 = extra_rise >= 2
    rule3 = sum(p >= 30 for p in percent.values()) >= 3
    return bool(rule1 or rule2 or rule3)


def outcomes(trial: TrialData, sequences: list[Sequence]) -> pd.DataFrame:
    """Per sequence: baseline, response, best TIS, relapse and end of follow-up dates."""
    visits = trial.visits.sort_values(["patient_id", "visit_date"])
    by_patient = {p: v.reset_index(drop=True) for p, v in visits.groupby("patient_id")}
    relapse_events = trial.events[trial.events["type"] == "relapse"]
    recorded = relapse_events.groupby("patient_id")["event_date"].apply(sorted).to_dict()
    empty = visits.iloc[:0]
    pieces = []
    for s in sequences:
        mine = by_patient.get(s.patient_id, empty)
        window = mine[
            (mine["visit_date"] <= s.start)
            & ((s.start - mine["visit_date"]).dt.days <= BASELINE_DAYS)
        ]
        until = mine["visit_date"] <= s.stop if s.stop is not None else True
        later = mine[(mine["visit_date"] > s.start) & until]
        base = window.iloc[-1] if len(window) else None
        pieces.append((s, base, later.reset_index(drop=True)))
    tis = _all_tis(trial, [(b, later) for _, b, later in pieces])
    rows = []
    for (s, base, later), scores in zip(pieces, tis, strict=True):
        events = [
            d
            for d in recorded.get(s.patient_id, [])
            if d > s.start and (s.stop is None or d <= s.stop)
        ]
        response, derived = _response_and_worsening(later, scores)
        relapse = min([d for d in [*events[:1], derived] if d is not None], default=None)
        last_visit = later["visit_date"].max() if len(later) else None
        ends = [d for d in (last_visit, s.last_infusion) if d is not None and not pd.isna(d)]
        rows.append(
            {
                "patient_id": s.patient_id,
                "episode": s.episode,
                "start": s.start,
                "next_course": s.stop,
                "baseline_date": None if base is None else base["visit_date"],
                "response_date": response,
                "best_tis": np.nanmax(scores) if np.isfinite(scores).any() else np.nan,
                "relapse_date": relapse,
                "end_date": max(ends) if ends else None,
            }
        )
    frame = pd.DataFrame(rows)
    for column in (
        "start",
        "next_course",
        "baseline_date",
        "response_date",
        "relapse_date",
        "end_date",
    ):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def _all_tis(
    trial: TrialData, pairs: list[tuple[pd.Series | None, pd.DataFrame]]
) -> list[np.ndarray]:
    """The TIS of every follow-up visit against its baseline (NaN without a baseline)."""
    reference, current, sizes = [], [], []
    for base, later in pairs:
        n = len(later) if base is not None else 0
        sizes.append(len(later))
        if n:
            reference.append(pd.DataFrame([base] * n))
            current.append(later)
    scored = iter(())
    if reference:
        made = measures.make_pairs(
            pd.concat(reference, ignore_index=True),
            pd.concat(current, ignore_index=True),
            trial.config,
        )
        scored = iter(measures.score_tis(made, population="adult")["tis"].to_numpy(float))
    out = []
    for (base, _), size in zip(pairs, sizes, strict=True):
        out.append(
            np.array([next(scored) for _ in range(size)])
            if base is not None
            else np.full(size, np.nan)
        )
    return out


def _response_and_worsening(
    later: pd.DataFrame, tis: np.ndarray
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    responded = [i for i, t in enumerate(tis) if t >= MINIMAL_TIS]
    if not responded:
        return None, None
    response = later.loc[responded[0], "visit_date"]
    flags: list[tuple[pd.Timestamp, bool]] = []
    for i in range(len(later)):
        if later.loc[i, "visit_date"] <= response:
            continue
        earlier = [(t, j) for j, t in enumerate(tis[:i]) if not math.isnan(t)]
        best = max(earlier, key=lambda item: (item[0], -item[1]))[1]
        flags.append((later.loc[i, "visit_date"], worse(later.loc[best], later.loc[i])))
    for (date, first), (_, second) in itertools.pairwise(flags):
        if first and second:
            return response, date
    return response, None


def death_dates(trial: TrialData) -> dict[str, pd.Timestamp]:
    """Earliest death of each patient: a ``death`` event or a grade 5 adverse event."""
    events = trial.events[trial.events["type"] == "death"][["patient_id", "event_date"]]
    fatal = trial.adverse_events[trial.adverse_events["grade"] == 5]
    both = pd.concat(
        [
            events.rename(columns={"event_date": "date"}),
            fatal[["patient_id", "onset_date"]].rename(columns={"onset_date": "date"}),
        ]
    )
    return both.groupby("patient_id")["date"].min().to_dict()


def itt_relapse_times(trial: TrialData) -> pd.DataFrame:
    """Days from randomisation to the first relapse (status 1), to a death before any
    relapse (status 2), or to the last visit (status 0; day 0 when never seen again)."""
    done = outcomes(trial, randomised(trial))
    deaths = death_dates(trial)
    rows = []
    for r, arm in zip(done.itertuples(), trial.patients["arm"], strict=True):
        death = deaths.get(r.patient_id)
        relapsed = not pd.isna(r.relapse_date) and not (
            death is not None and death < r.relapse_date
        )
        died = not relapsed and death is not None
        stop = r.relapse_date if relapsed else (death if died else r.end_date)
        days = 0.0 if pd.isna(stop) else max((stop - r.start).days, 0)
        rows.append((r.patient_id, arm, float(days), 1 if relapsed else (2 if died else 0)))
    return pd.DataFrame(rows, columns=["patient_id", "arm", "time", "status"])


def relapse_free_times(trial: TrialData, episodes: pd.DataFrame) -> pd.DataFrame:
    """From each patient's first response (first course with one) to its relapse (event),
    a death before any further course (competing), or the end of that course's follow-up."""
    deaths = death_dates(trial)
    first = episodes.dropna(subset=["response_date"]).sort_values(["patient_id", "episode"])
    first = first.drop_duplicates("patient_id")
    first = first[~(first["relapse_date"] < first["response_date"])]
    rows = []
    for r in first.itertuples():
        death = deaths.get(r.patient_id)
        relapsed = not pd.isna(r.relapse_date) and not (
            death is not None and death < r.relapse_date
        )
        died = (
            not relapsed
            and death is not None
            and (pd.isna(r.next_course) or death <= r.next_course)
        )
        stop = r.relapse_date if relapsed else (death if died else r.end_date)
        rows.append((r.patient_id, float((stop - r.response_date).days), relapsed, died))
    return pd.DataFrame(rows, columns=["patient_id", "days", "relapse", "death"])
