"""Put every dated record of a trial on one axis: days since the patient's first infusion.

The figures of the report (spaghetti, swimmer) share this axis. Day 0 is the first
infusion of the first course (docs/measures.md §5: infusion day = day 0), so re-treatment
courses appear later on the same lane; patients never infused count from enrolment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from myotrial.domain import ENZYMES
from myotrial.measures.csm import to_units_per_litre
from myotrial.measures.visits import BASELINE_WINDOW_DAYS
from myotrial.trialdata import TrialData


def first_infusion(trial: TrialData) -> pd.Series:
    """Day 0 of each patient (index ``patient_id``): the first infusion.

    A patient never infused (a control arm) counts from enrolment instead, the day they
    entered the trial, so both arms share one axis.
    """
    patients = trial.patients
    day0 = pd.Series(dtype="datetime64[ns]", name="day0")
    if not patients.empty and "enrolment_date" in patients:
        day0 = pd.Series(
            pd.to_datetime(patients["enrolment_date"]).to_numpy(),
            index=patients["patient_id"].to_numpy(),
            name="day0",
        )
    infusions = trial.infusions
    if infusions.empty or "infusion_date" not in infusions:
        return day0
    first: pd.Series = infusions.groupby("patient_id")["infusion_date"].min()
    return first.combine_first(day0).rename("day0")


def days_since_entry(frame: pd.DataFrame, date_column: str, day0: pd.Series) -> pd.Series:
    """Days from each row's patient's first infusion to ``date_column`` (float, NaN if none)."""
    start = frame["patient_id"].map(day0)
    delta = pd.to_datetime(frame[date_column]) - pd.to_datetime(start)
    days: pd.Series = delta.dt.days.astype("float64")
    return days


def measure_in_report_unit(trial: TrialData, measure: str) -> pd.Series:
    """A visit column in the unit the report shows (enzymes in U/L)."""
    values = pd.to_numeric(trial.visits[measure], errors="coerce").astype("float64")
    if measure not in ENZYMES:
        return values
    converted = to_units_per_litre(values.to_numpy(), trial.config.unit(measure))
    return pd.Series(converted, index=values.index, name=values.name)


def patient_series(
    trial: TrialData, measure: str, baseline_window_days: int = BASELINE_WINDOW_DAYS
) -> pd.DataFrame:
    """One row per visit with a value: ``patient_id``, ``day``, ``value``, sorted.

    Visits before the baseline window (docs/measures.md §5; ``baseline_window_days``, the
    analysis option, 30 days by default) are left out: they have no place on the study-day
    axis.
    """
    visits = trial.visits
    if visits.empty or measure not in visits:
        return pd.DataFrame({"patient_id": [], "day": [], "value": []})
    frame = pd.DataFrame(
        {
            "patient_id": visits["patient_id"].to_numpy(),
            "day": days_since_entry(visits, "visit_date", first_infusion(trial)).to_numpy(),
            "value": measure_in_report_unit(trial, measure).to_numpy(),
        }
    )
    keep = frame["value"].notna() & frame["day"].notna() & (frame["day"] >= -baseline_window_days)
    return frame[keep].sort_values(["patient_id", "day"], kind="stable").reset_index(drop=True)


def split_by_patient(series: pd.DataFrame) -> list[np.ndarray]:
    """The (day, value) points of each patient as one array each, for a LineCollection."""
    if series.empty:
        return []
    points = series[["day", "value"]].to_numpy(dtype="float64")
    codes = series["patient_id"].to_numpy()
    boundaries = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    return [chunk for chunk in np.split(points, boundaries) if len(chunk) > 1]
