"""The pseudonymised export: what a statistician needs, and nothing that names a patient.

What it holds
-------------
- ``patients``: pseudonym, arm, diagnosis and the enrolment day;
- ``infusions``: day, dose (``cells_per_kg``), tissue of origin, donor type;
- ``visits``: day and every measure (numbers and flags, including ``<enzyme>_uln``);
- ``adverse_events``: onset and resolution days, grade, seriousness, relatedness,
  infusion reaction;
- ``events``: day and type (relapse, withdrawal, lost to follow-up, death);
- ``settings``: the scales and limits the measures are read against (population, MMT
  scale, VAS unit, course gap, enzyme units, ULNs, time points).

What it protects against
------------------------
- **Re-identification by the code.** A pseudonym is ``P-`` and 16 hexadecimal digits
  of HMAC-SHA-256 (RFC 2104) of the patient code under a key made once at random and
  kept in the trial database (:func:`myotrial.store.sessions.kept_secret`). The key is
  never shown, exported or derived from anything a user sees (not from the trial's
  checksum, which ``validate`` prints), so holding the export and a list of candidate
  codes does not reveal which pseudonym is whose. The same patient keeps the same
  pseudonym in every export of the database, so exports can be compared over time.
- **Re-identification by dates.** Every date becomes a study day: days since the
  patient's day 0, the first infusion (the enrolment date for a patient never infused).
  Calendar dates, which link a record to a clinic appointment, are not exported.
- **Linkage through the product or free text.** No site, no product lot (which a
  manufacturer's records tie to one patient), no route or viability, and no free text
  (adverse-event terms, system organ class and outcome, event notes, extra columns),
  which may hold names, places or dates.

What it does not protect against: a reader who knows a patient's arm, diagnosis and
course of treatment closely (a trial's small size makes such patients recognisable);
the export is for statisticians working under the trial's data agreement, not for
publication.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import pandas as pd

from myotrial.domain import TABLES, Kind
from myotrial.domain.config import TrialConfig
from myotrial.trialdata import TrialData

PSEUDONYM_DIGITS = 16
"""Hexadecimal digits of the HMAC kept in a pseudonym (64 bits: no collision expected
below billions of patients)."""

PATIENT_COLUMNS: tuple[str, ...] = ("arm", "diagnosis")
INFUSION_COLUMNS: tuple[str, ...] = ("cells_per_kg", "source", "donor")
ADVERSE_EVENT_COLUMNS: tuple[str, ...] = ("grade", "serious", "relatedness", "infusion_reaction")
EVENT_COLUMNS: tuple[str, ...] = ("type",)
"""Columns kept besides the pseudonym and the days; everything else is left out."""

DAY_COLUMNS: Mapping[str, Mapping[str, str]] = {
    "patients": {"enrolment_date": "enrolment_day"},
    "infusions": {"infusion_date": "day"},
    "visits": {"visit_date": "day"},
    "adverse_events": {"onset_date": "onset_day", "resolved_date": "resolved_day"},
    "events": {"event_date": "day"},
}
"""Each exported date and the study-day column that replaces it."""


def pseudonym(key: bytes, patient_id: str) -> str:
    """The pseudonym of ``patient_id`` under ``key`` (``P-`` and 16 hex digits)."""
    digest = hmac.new(key, patient_id.encode(), hashlib.sha256).hexdigest()
    return "P-" + digest[:PSEUDONYM_DIGITS]


def day_zero(trial: TrialData) -> pd.Series:
    """Each patient's day 0: the first infusion, or the enrolment date if never infused."""
    enrolled = trial.patients.set_index("patient_id")["enrolment_date"]
    first = trial.infusions.groupby("patient_id")["infusion_date"].min()
    return pd.to_datetime(first.reindex(enrolled.index)).fillna(pd.to_datetime(enrolled))


def pseudonymise(trial: TrialData, key: bytes) -> dict[str, Any]:
    """The pseudonymised export of ``trial`` under ``key``.

    Parameters
    ----------
    trial : TrialData
        The identified trial.
    key : bytes
        The secret HMAC key (at least 32 bytes; see the module notes).

    Returns
    -------
    dict
        ``patients``, ``infusions``, ``visits``, ``adverse_events`` and ``events`` as
        DataFrames whose first column is ``patient`` (the pseudonym), then the study
        days and the kept columns; ``settings``, a mapping of the trial's scales and
        limits.

    Raises
    ------
    ValueError
        If ``key`` is shorter than 32 bytes.
    """
    if len(key) < 32:
        raise ValueError(f"the pseudonymisation key must be at least 32 bytes, not {len(key)}")
    zero = day_zero(trial)
    codes = pd.Series({p: pseudonym(key, str(p)) for p in zero.index}, dtype=object)
    kept = {
        "patients": PATIENT_COLUMNS,
        "infusions": INFUSION_COLUMNS,
        "visits": _measure_columns(),
        "adverse_events": ADVERSE_EVENT_COLUMNS,
        "events": EVENT_COLUMNS,
    }
    tables: dict[str, Any] = {
        name: _table(trial.table(name), columns, DAY_COLUMNS[name], zero, codes)
        for name, columns in kept.items()
    }
    tables["settings"] = _settings(trial.config)
    return tables


def _measure_columns() -> tuple[str, ...]:
    """Every visit column holding a number or a flag (the measures and their ULNs)."""
    visits = next(t for t in TABLES if t.name == "visits")
    return tuple(c.name for c in visits.columns if c.kind in (Kind.NUMBER, Kind.INTEGER, Kind.BOOL))


def _table(
    frame: pd.DataFrame,
    columns: tuple[str, ...],
    days: Mapping[str, str],
    zero: pd.Series,
    codes: pd.Series,
) -> pd.DataFrame:
    """One table with its patient codes, dates and left-out columns replaced."""
    out = pd.DataFrame({"patient": codes.reindex(frame["patient_id"]).to_numpy()})
    start = pd.to_datetime(zero.reindex(frame["patient_id"])).reset_index(drop=True)
    for date_column, day_column in days.items():
        dates = pd.to_datetime(_column(frame, date_column))
        out[day_column] = (dates - start).dt.days.astype("Int64")
    for column in columns:
        out[column] = _column(frame, column).to_numpy()
    sort = ["patient", *list(days.values())[:1]]
    return out.sort_values(sort, kind="stable").reset_index(drop=True)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column of ``frame``, or missing values when the trial did not record it."""
    if name in frame.columns:
        return frame[name].reset_index(drop=True)
    return pd.Series([pd.NA] * len(frame), dtype=object)


def _settings(config: TrialConfig) -> dict[str, Any]:
    """The scales and limits measures are read against (no trial name, no release data)."""
    settings = config.to_dict()
    scales = {k: v for k, v in settings["trial"].items() if k != "name"}
    return {
        **scales,
        "units": settings["units"],
        "uln": settings["uln"],
        "timepoints": settings["timepoints"],
        "day_zero": "first infusion (enrolment for a patient never infused)",
    }
