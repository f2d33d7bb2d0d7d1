"""REDCap events of the shipped project and where each visit goes among them.

Arm 1 has one event per nominal time point of ``trial.toml`` for the first course
(``baseline``, ``week1`` ... ``month12``), the same for a re-treatment course
(``rt_baseline``, ``rt_week1`` ...), ``unscheduled`` (the visit instrument repeats there)
and ``logs`` (the repeating infusion, adverse event, trial event and medication logs).
REDCap's unique event names add ``_arm_1``.

A visit is placed in the event whose window it falls in, nearest the target day (earlier
on a tie), as the analysis maps visits to time points (docs/analysis.md "Time points");
every other visit, including those of a third course, goes to ``unscheduled``. The
visit date is a field of the visit, so the placement never changes what is read back.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from myotrial.config import TrialConfig
from myotrial.exchange.redcap.dictionary import REPEATING_FORMS
from myotrial.measures.visits import BASELINE_WINDOW_DAYS
from myotrial.trialdata import TrialData

ARM_SUFFIX = "_arm_1"
UNSCHEDULED = "unscheduled"
LOGS = "logs"


@dataclass(frozen=True)
class Event:
    """One REDCap event: its name, label, target day and window (days before/after)."""

    name: str
    label: str
    day: int
    before: int
    after: int
    course: int

    @property
    def unique_name(self) -> str:
        """REDCap's unique event name (``baseline_arm_1``)."""
        return self.name + ARM_SUFFIX


def trial_events(config: TrialConfig) -> list[Event]:
    """The events of the project for ``config``'s time points, in schedule order."""
    events: list[Event] = []
    for course, prefix, title in ((1, "", ""), (2, "rt_", "Re-treatment ")):
        events.append(
            Event(
                f"{prefix}baseline",
                f"{title}Baseline".strip().capitalize(),
                0,
                BASELINE_WINDOW_DAYS,
                0,
                course,
            )
        )
        events.extend(
            Event(
                f"{prefix}{t.name}", f"{title}{t.name}".strip(), t.day, t.window, t.window, course
            )
            for t in config.timepoints
        )
    events.append(Event(UNSCHEDULED, "Unscheduled visit", 0, 0, 0, 0))
    events.append(Event(LOGS, "Logs (infusions, adverse events, events, medications)", 0, 0, 0, 0))
    return events


def events_table(config: TrialConfig) -> pd.DataFrame:
    """The events in REDCap's event import format (``events.csv``)."""
    events = trial_events(config)
    return pd.DataFrame(
        {
            "event_name": [e.name for e in events],
            "arm_num": 1,
            "day_offset": [e.day for e in events],
            "offset_min": [e.before for e in events],
            "offset_max": [e.after for e in events],
            "unique_event_name": [e.unique_name for e in events],
            "custom_event_label": [e.label for e in events],
        }
    )


def instrument_event_table(config: TrialConfig) -> pd.DataFrame:
    """Which instrument is collected at which event (REDCap's instrument mapping format)."""
    rows: list[tuple[int, str, str]] = []
    for event in trial_events(config):
        if event.name == LOGS:
            rows.extend((1, event.unique_name, form) for form in REPEATING_FORMS)
            continue
        if event.name == "baseline":
            rows.append((1, event.unique_name, "patient"))
        rows.append((1, event.unique_name, "visit"))
    return pd.DataFrame(rows, columns=["arm_num", "unique_event_name", "form"])


def repeating_table() -> pd.DataFrame:
    """Repeating instruments per event (REDCap's repeating instruments format)."""
    rows = [(LOGS + ARM_SUFFIX, form, "") for form in REPEATING_FORMS]
    rows.append((UNSCHEDULED + ARM_SUFFIX, "visit", "[visit_date]"))
    return pd.DataFrame(rows, columns=["event_name", "form_name", "custom_form_label"])


def course_starts(trial: TrialData) -> pd.DataFrame:
    """First day of the first two courses per patient (enrolment if never infused).

    Returns columns patient_id, course (1 or 2), start, next_start (NaT if none).
    """
    gap = trial.config.course_gap_days
    infused = (
        trial.infusions[["patient_id", "infusion_date"]]
        .dropna()
        .sort_values(["patient_id", "infusion_date"])
    )
    step = infused.groupby("patient_id")["infusion_date"].diff().dt.days
    # docs/measures.md §5: an infusion within course_gap_days of the previous one joins its course
    opens = step.isna() | (step > gap)
    infused = infused.assign(course=opens.groupby(infused["patient_id"]).cumsum())[opens]
    untreated = trial.patients.loc[
        ~trial.patients["patient_id"].isin(infused["patient_id"]), ["patient_id", "enrolment_date"]
    ].dropna()
    untreated = untreated.rename(columns={"enrolment_date": "infusion_date"}).assign(course=1)
    starts = pd.concat([infused, untreated], ignore_index=True)
    starts = starts.rename(columns={"infusion_date": "start"}).sort_values(["patient_id", "course"])
    starts["next_start"] = starts.groupby("patient_id")["start"].shift(-1)
    return starts.loc[starts["course"] <= 2].reset_index(drop=True)


def place_visits(trial: TrialData) -> pd.DataFrame:
    """The REDCap event of each visit, aligned to ``trial.visits``' index.

    Returns columns redcap_event_name, redcap_repeat_instrument, redcap_repeat_instance
    (text, empty when not repeating).
    """
    visits = trial.visits[["patient_id", "visit_date"]].copy()
    visits["visit_row"] = range(len(visits))
    events = pd.DataFrame([vars(e) for e in trial_events(trial.config) if e.course])
    targets = course_starts(trial).merge(events, on="course")
    cand = visits.merge(targets, on="patient_id")
    day = (cand["visit_date"] - cand["start"]).dt.days
    inside = (day >= cand["day"] - cand["before"]) & (day <= cand["day"] + cand["after"])
    before_next = cand["next_start"].isna() | (cand["visit_date"] < cand["next_start"])
    cand = cand.assign(distance=(day - cand["day"]).abs())[
        inside & (before_next | (cand["day"] == 0))
    ]
    cand = cand.sort_values(["distance", "visit_date"], kind="mergesort")
    chosen = cand.drop_duplicates(["patient_id", "name"]).drop_duplicates("visit_row")
    placed = visits.merge(chosen[["visit_row", "name"]], on="visit_row", how="left")
    unscheduled = placed["name"].isna()
    placed["redcap_event_name"] = placed["name"].fillna(UNSCHEDULED) + ARM_SUFFIX
    placed["redcap_repeat_instrument"] = unscheduled.map({True: "visit", False: ""})
    order = placed[unscheduled].sort_values(["patient_id", "visit_date"], kind="mergesort")
    instance = order.groupby("patient_id").cumcount() + 1
    placed["redcap_repeat_instance"] = instance.astype(str).reindex(placed.index).fillna("")
    placed.index = trial.visits.index
    return placed[["redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"]]
