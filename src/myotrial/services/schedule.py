"""The visit schedule: each patient's visits due and overdue, from the trial's time points.

Every time point of ``trial.toml`` ``[timepoints]`` (a study day and the half-width of
its window, docs/trial-format.md) is a visit of every patient, expected from ``day -
window`` to ``day + window`` after the patient's day 0: the randomisation date when the
trial has one, else the first infusion (the day 0 of the analyses). A patient not yet at
day 0 has no schedule. A visit inside the window keeps the time point (``done``);
without one it is ``upcoming`` before the window, ``due`` inside it and ``overdue``
after it. After a withdrawal, a loss to follow-up or a death no visit is expected
(``ended``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from myotrial.errors import InvalidInputError, Problem
from myotrial.services.access import Caller
from myotrial.services.uow import UseCases
from myotrial.services.visibility import visible_ids, visible_site
from myotrial.store.unit_of_work import AbstractUnitOfWork
from myotrial.trialdata import TrialData

STATUSES: tuple[str, ...] = ("done", "due", "overdue", "upcoming", "ended")
"""The states of a scheduled visit (see the module's text)."""
ENDING_EVENTS: tuple[str, ...] = ("withdrawal", "lost_to_follow_up", "death")
"""Events after which the patient has no further visit."""
SCHEDULE_TABLES: tuple[str, ...] = ("patients", "infusions", "visits", "events")
SCHEDULE_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "site",
    "timepoint",
    "day",
    "target_date",
    "window_start",
    "window_end",
    "visit_date",
    "status",
)


def day_zero(trial: TrialData) -> pd.Series:
    """Each patient's day 0 (index ``patient_id``): randomisation date, else first infusion.

    Patients with neither are left out: they are not yet on the schedule.
    """
    patients = trial.patients.set_index("patient_id")
    zero = pd.Series(pd.NaT, index=patients.index, dtype="datetime64[ns]")
    if "randomisation_date" in patients:
        zero = pd.to_datetime(patients["randomisation_date"]).astype("datetime64[ns]")
    first = trial.infusions.groupby("patient_id")["infusion_date"].min()
    zero = zero.fillna(first.reindex(zero.index))
    return zero.dropna()


def visit_schedule(trial: TrialData, today: dt.date) -> pd.DataFrame:
    """Every patient's scheduled visits and their state on ``today``.

    Returns
    -------
    pandas.DataFrame
        One row per patient and time point, columns :data:`SCHEDULE_COLUMNS`, by
        patient and study day; ``visit_date`` is the visit nearest the target inside
        the window (missing when there is none).
    """
    zero = day_zero(trial)
    points = pd.DataFrame(
        [(t.name, t.day, t.window) for t in trial.config.timepoints],
        columns=["timepoint", "day", "window"],
    )
    if zero.empty or points.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SCHEDULE_COLUMNS})
    plan = zero.rename("zero").rename_axis("patient_id").reset_index().merge(points, how="cross")
    days = pd.to_timedelta(plan["day"], unit="D")
    half = pd.to_timedelta(plan["window"], unit="D")
    plan["target_date"] = plan["zero"] + days
    plan["window_start"] = plan["target_date"] - half
    plan["window_end"] = plan["target_date"] + half
    plan["visit_date"] = _nearest_visit(plan, trial.visits)
    plan["status"] = _status(plan, _end_of_follow_up(trial.events), pd.Timestamp(today))
    sites = trial.patients.set_index("patient_id")["site"].astype(str)
    plan["site"] = plan["patient_id"].map(sites)
    plan = plan.sort_values(["patient_id", "day"]).reset_index(drop=True)
    return plan[list(SCHEDULE_COLUMNS)]


def _nearest_visit(plan: pd.DataFrame, visits: pd.DataFrame) -> pd.Series:
    pairs = plan[["patient_id", "target_date", "window_start", "window_end"]].reset_index()
    pairs = pairs.merge(visits[["patient_id", "visit_date"]], on="patient_id", how="inner")
    inside = pairs[pairs["visit_date"].between(pairs["window_start"], pairs["window_end"])]
    inside = inside.assign(gap=(inside["visit_date"] - inside["target_date"]).abs())
    nearest = inside.sort_values(["index", "gap"]).drop_duplicates("index")
    return nearest.set_index("index")["visit_date"].reindex(plan.index)


def _end_of_follow_up(events: pd.DataFrame) -> pd.Series:
    if events.empty or "type" not in events:
        return pd.Series(dtype="datetime64[ns]")
    ending = events[events["type"].isin(ENDING_EVENTS)]
    return ending.groupby("patient_id")["event_date"].min()


def _status(plan: pd.DataFrame, ended: pd.Series, today: pd.Timestamp) -> np.ndarray:
    end = plan["patient_id"].map(ended)
    conditions = [
        plan["visit_date"].notna().to_numpy(),
        (end.notna() & (end < plan["window_end"])).to_numpy(),
        (plan["window_end"] < today).to_numpy(),
        (plan["window_start"] <= today).to_numpy(),
    ]
    return np.select(conditions, ["done", "ended", "overdue", "due"], default="upcoming")


class Schedules(UseCases):
    """The visit schedule of the patients a caller may see."""

    def schedule(
        self,
        caller: Caller,
        status: str | None = None,
        patient_id: str | None = None,
        today: dt.date | None = None,
    ) -> list[dict[str, Any]]:
        """Scheduled visits of the caller's patients (investigators: their site's).

        Parameters
        ----------
        caller : Caller
            Who asks.
        status : str, optional
            Only visits in this state (one of :data:`STATUSES`).
        patient_id : str, optional
            Only this patient's visits.
        today : datetime.date, optional
            The day the states are computed for (default today).

        Raises
        ------
        InvalidInputError
            If ``status`` is not one of :data:`STATUSES`.
        NotFoundError
            If ``patient_id`` names a patient the caller may not see.
        AccessDeniedError
            If the caller reads pseudonymised data only.
        """
        if status is not None and status not in STATUSES:
            rule = f"is not one of {', '.join(STATUSES)}"
            raise InvalidInputError([Problem("request", None, "status", status, rule)])
        with self.uow() as uow:
            trial = _visible_trial(uow, caller, patient_id)
        plan = visit_schedule(trial, today or dt.date.today())
        if status is not None:
            plan = plan[plan["status"] == status]
        plan = plan.astype(object).where(plan.notna(), None)
        return [{str(k): v for k, v in row.items()} for row in plan.to_dict("records")]


def _visible_trial(uow: AbstractUnitOfWork, caller: Caller, patient_id: str | None) -> TrialData:
    if patient_id is not None:
        visible_site(uow, caller, patient_id)
    allowed = visible_ids(uow, caller)
    trial = uow.patients.trial()
    wanted = [patient_id] if patient_id is not None else allowed
    if wanted is None:
        return trial
    return trial.with_tables(
        **{t: trial.table(t)[trial.table(t)["patient_id"].isin(wanted)] for t in SCHEDULE_TABLES}
    )
