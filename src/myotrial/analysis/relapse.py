"""Response and relapse of each episode, and relapse-free time (docs/measures.md §5).

Response: the first follow-up visit with TIS at or above the population's minimal
threshold (ACR/EULAR 2016: 20 for adults). Relapse (**convention**): a relapse recorded by
the investigator in ``events.csv`` during the episode, or, after a response, confirmed
worsening (IMACS 2005, two consecutive worse visits) against the best visit so far
(highest TIS); the first of the two visits dates it. The earlier of the two is used.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from myotrial.analysis.options import Notes

RELAPSE_COLUMNS: tuple[str, ...] = (
    "time_days",
    "at_risk",
    "events",
    "competing",
    "censored",
    "survival",
    "ci_low",
    "ci_high",
    "curve",
    "arm",
    "cumulative_incidence",
)
RELAPSE_FREE = "relapse_free_after_response"
"""``curve`` of the Kaplan-Meier rows: relapse-free time from the first response."""
INCIDENCE = "relapse_incidence_from_randomisation"
"""``curve`` of the Aalen-Johansen rows: cumulative incidence of relapse by arm (ITT)."""
KEYS: list[str] = ["patient_id", "episode"]


def investigator_relapses(events: pd.DataFrame, episodes: pd.DataFrame) -> pd.Series:
    """First investigator-recorded relapse of each episode (after its first infusion, up to
    and including the next course's first infusion day)."""
    if events.empty or "type" not in events:
        return pd.Series(dtype="datetime64[ns]", name="investigator_relapse")
    relapses = events.loc[events["type"] == "relapse", ["patient_id", "event_date"]].dropna()
    right = episodes[[*KEYS, "first_infusion"]].sort_values("first_infusion")
    merged = pd.merge_asof(
        relapses.sort_values("event_date"),
        right,
        left_on="event_date",
        right_on="first_infusion",
        by="patient_id",
        direction="backward",
        allow_exact_matches=False,
    ).dropna(subset=["episode"])
    merged["episode"] = merged["episode"].astype(int)
    return merged.groupby(KEYS)["event_date"].min().rename("investigator_relapse")


def note_relapses(outcome: pd.DataFrame, notes: Notes) -> None:
    ordered = outcome.sort_values(KEYS)
    relapsed = ordered["relapse_date"].notna()
    has_next = ordered.groupby("patient_id")["episode"].shift(-1).notna()
    lone = ordered[relapsed & ~has_next]
    if not lone.empty:
        notes.add(
            "relapse_without_retreatment",
            f"{len(lone)} episode(s) end in a relapse with no later course; the relapse "
            "counts in the relapse table",
            lone["patient_id"],
            count=len(lone),
        )
    unexplained = ordered[has_next & ~relapsed]
    if not unexplained.empty:
        notes.add(
            "retreatment_without_relapse",
            f"{len(unexplained)} course(s) are followed by another course without a "
            "recorded or derived relapse; the next course is still a new episode",
            unexplained["patient_id"],
            count=len(unexplained),
        )


def relapse_survival(
    episodes: pd.DataFrame,
    confidence: float,
    notes: Notes,
    deaths: pd.Series | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Kaplan-Meier of relapse-free time from each patient's first response.

    The first episode with a response counts; time runs from its response to its relapse,
    censored at the end of that episode's follow-up. A course that ends in a re-treatment
    without a relapse ends there too (censored at the next course's first infusion). A
    death before a relapse and before any further course ends follow-up as a competing
    event (on its date, after the course's last visit): it is not a relapse, is counted in
    ``competing``, and censors the Kaplan-Meier curve. Intervals use the
    log(-log) transform (lifelines' exponential Greenwood, R ``conf.type = "log-log"``),
    which is undefined where the survival is 1 (R gives NA): no interval there.

    Returns
    -------
    (DataFrame, dict)
        The ``relapse`` table (:data:`RELAPSE_COLUMNS`) and the median with its interval.
    """
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    ordered = episodes.sort_values(KEYS)
    # the first infusion of the next course, where one follows (a death after it is not
    # a competing event of this course's relapse-free time)
    starts = ordered.get("first_infusion", pd.Series(pd.NaT, index=ordered.index))
    ordered = ordered.assign(next_course=starts.groupby(ordered["patient_id"]).shift(-1))
    first = ordered.dropna(subset=["response_date"]).drop_duplicates("patient_id")
    early = first["relapse_date"] < first["response_date"]
    if early.any():
        notes.add(
            "relapse_before_response",
            "relapse recorded before the first response: left out of the relapse analysis",
            first.loc[early, "patient_id"],
        )
    first = first[~early]
    median: dict[str, Any] = {
        "patients": len(first),
        "relapses": 0,
        "median_days": None,
        "median_ci_low": None,
        "median_ci_high": None,
    }
    if first.empty:
        notes.add("no_response", "no episode reached a response: no relapse analysis")
        return pd.DataFrame(columns=list(RELAPSE_COLUMNS)), median
    death = first["patient_id"].map(deaths if deaths is not None else {}).astype("datetime64[ns]")
    event = first["relapse_date"].notna() & ~(death < first["relapse_date"])
    # Visits stop at a death, so it comes after the course's last visit: it ends the
    # course's follow-up unless a further course started first.
    died = ~event & death.notna() & ~(death > first["next_course"])
    stop = first["relapse_date"].where(event, death.where(died, first["end_date"]))
    days = (stop - first["response_date"]).dt.days.astype(float)
    kmf = KaplanMeierFitter(alpha=1 - confidence).fit(days, event_observed=event)
    table = _km_table(kmf, days[died.to_numpy()])
    ci = median_survival_times(kmf.confidence_interval_)
    median.update(
        relapses=int(event.sum()),
        median_days=_finite(kmf.median_survival_time_),
        median_ci_low=_finite(ci.iloc[0, 0]),
        median_ci_high=_finite(ci.iloc[0, 1]),
    )
    return table, median


def _km_table(kmf: Any, death_days: pd.Series) -> pd.DataFrame:
    events = kmf.event_table
    survival = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_
    table = pd.DataFrame(
        {
            "time_days": events.index.to_numpy(float),
            "at_risk": events["at_risk"].to_numpy(),
            "events": events["observed"].to_numpy(),
            "competing": death_days.value_counts().reindex(events.index, fill_value=0).to_numpy(),
            "censored": events["censored"].to_numpy(),
            "survival": survival.reindex(events.index).to_numpy(),
            "ci_low": ci.iloc[:, 0].reindex(events.index).to_numpy(),
            "ci_high": ci.iloc[:, 1].reindex(events.index).to_numpy(),
        }
    )
    # lifelines starts its table at time 0 with survival 1 and a zero-width interval
    unity = table["survival"] >= 1.0
    table.loc[unity, ["ci_low", "ci_high"]] = np.nan
    # the censored column counts deaths too (lifelines); they are competing, not censored
    table["censored"] = table["censored"] - table["competing"]
    table["curve"] = RELAPSE_FREE
    table["arm"] = "all"
    return table.reindex(columns=list(RELAPSE_COLUMNS))


def combine_relapse(km: pd.DataFrame, incidence: pd.DataFrame) -> pd.DataFrame:
    """The ``relapse`` table: Kaplan-Meier rows, then cumulative incidence by arm (ITT)."""
    if incidence.empty:
        return km.reindex(columns=list(RELAPSE_COLUMNS))
    rows = incidence.assign(curve=INCIDENCE)
    return pd.concat([km, rows], ignore_index=True).reindex(columns=list(RELAPSE_COLUMNS))


def _finite(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return number if np.isfinite(number) else None
