"""What every CDISC dataset shares: identifiers, ISO 8601 dates, study days, visits.

``STUDYID`` comes from ``trial.toml``'s ``[cdisc] studyid`` (default ``MYOTRIAL``);
``USUBJID`` is ``STUDYID-patient_id``. The reference start date ``RFSTDTC`` is the first
infusion (the first study treatment), or enrolment for a patient never infused, and
study days follow SDTMIG 3.4 §4.4.4: day 1 is the reference day, the day before is -1
(there is no day 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from myotrial.analysis.episodes import attach_baselines
from myotrial.analysis.options import AnalysisOptions
from myotrial.domain.cdisc import CdiscSettings
from myotrial.exchange.redcap.events import ARM_SUFFIX, place_visits, trial_events
from myotrial.exchange.text import format_dates
from myotrial.trialdata import TrialData

SAS_EPOCH = pd.Timestamp("1960-01-01")


@dataclass(frozen=True)
class Dataset:
    """One CDISC dataset: its name, label, rows, and each variable's label.

    ``formats`` gives SAS display formats (``DATE9.`` for ADaM numeric dates);
    ``keys`` the natural key variables, in order.
    """

    name: str
    label: str
    frame: pd.DataFrame
    labels: Mapping[str, str]
    keys: tuple[str, ...] = ()
    formats: Mapping[str, str] = field(default_factory=dict)


def cdisc_settings(trial: TrialData) -> CdiscSettings:
    """The ``[cdisc]`` settings of ``trial.toml`` (defaults when absent)."""
    return trial.config.cdisc


def study_id(trial: TrialData) -> str:
    """``STUDYID``: ``[cdisc] studyid`` of trial.toml, else ``MYOTRIAL``."""
    return cdisc_settings(trial).studyid


def usubjid(trial: TrialData, patient_id: pd.Series) -> pd.Series:
    """Unique subject identifiers ``STUDYID-patient_id``."""
    return study_id(trial) + "-" + patient_id.astype(str)


def iso_date(values: pd.Series) -> pd.Series:
    """ISO 8601 dates (``YYYY-MM-DD``); empty text where missing (SDTM char missing)."""
    return format_dates(values)


def sas_date(values: pd.Series) -> pd.Series:
    """SAS numeric dates (days since 1960-01-01), as ADaM ``*DT`` variables hold them."""
    return (pd.to_datetime(values) - SAS_EPOCH).dt.days.astype("float64")


def reference_starts(trial: TrialData) -> pd.Series:
    """``RFSTDTC`` per patient: first infusion, else enrolment (indexed by patient_id)."""
    first = trial.infusions.groupby("patient_id")["infusion_date"].min()
    enrolled = trial.patients.set_index("patient_id")["enrolment_date"]
    return first.reindex(enrolled.index).fillna(enrolled)


def study_day(dates: pd.Series, patients: pd.Series, trial: TrialData) -> pd.Series:
    """SDTM study day of each date against its patient's reference start (no day 0)."""
    start = patients.map(reference_starts(trial))
    days = (pd.to_datetime(dates) - pd.to_datetime(start)).dt.days.astype("float64")
    return pd.Series(np.where(days >= 0, days + 1, days), index=dates.index)


def visit_numbers(trial: TrialData) -> pd.DataFrame:
    """``VISITNUM`` and ``VISIT`` of each visit, aligned to ``trial.visits``.

    Scheduled visits number 1, 2 ... in schedule order (re-treatment visits from 101);
    unscheduled visits are 900 + their order for the patient, VISIT ``UNSCHEDULED n``.
    """
    placed = place_visits(trial)
    scheduled = [e for e in trial_events(trial.config) if e.course]
    number = {
        e.unique_name: (e.course - 1) * 100 + 1 + i % (len(scheduled) // 2)
        for i, e in enumerate(scheduled)
    }
    label = {e.unique_name: e.name.upper() for e in scheduled}
    event = placed["redcap_event_name"]
    instance = pd.to_numeric(placed["redcap_repeat_instance"], errors="coerce")
    unscheduled = event.eq("unscheduled" + ARM_SUFFIX)
    visitnum = event.map(number).astype("float64").where(~unscheduled, 900 + instance)
    visit = event.map(label).where(
        ~unscheduled, "UNSCHEDULED " + instance.astype("Int64").astype(str)
    )
    return pd.DataFrame({"VISITNUM": visitnum, "VISIT": visit.astype(object)})


def baseline_dates(trial: TrialData) -> pd.Series:
    """Each patient's baseline visit date as the analysis takes it (indexed by patient_id).

    docs/measures.md §5: the last visit in the baseline window up to and including day 0,
    day 0 being the first infusion, else (a patient never infused) the randomisation
    date, as the analysis' intention-to-treat view; missing when no visit qualifies.
    """
    p = trial.patients
    randomised = pd.to_datetime(p.get("randomisation_date", pd.Series(pd.NaT, index=p.index)))
    first = trial.infusions.groupby("patient_id")["infusion_date"].min()
    day0 = pd.Series(randomised.to_numpy(), index=p["patient_id"]).dropna()
    day0 = first.combine_first(day0).rename("first_infusion").dropna()
    starts = day0.reset_index().rename(columns={"index": "patient_id"})
    if starts.empty:
        return pd.Series(dtype="datetime64[ns]")
    window = AnalysisOptions().baseline_window_days
    found = attach_baselines(starts.assign(episode=1), trial.visits, window)
    return found.set_index("patient_id")["baseline_date"]


def sequence(frame: pd.DataFrame, by: str = "USUBJID") -> pd.Series:
    """``--SEQ``: 1, 2 ... within each subject, in the frame's order."""
    return (frame.groupby(by, sort=False).cumcount() + 1).astype("float64")
