"""Chain of identity: from a lot to its donor, its release record, the patients it
treated and the adverse events that began within a week of those infusions.

Pure pandas over the tables of the trial format; :func:`infusion_lots` also gives the
lot-aware analysis (:mod:`myotrial.analysis.product`) each infusion's donor.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from myotrial.domain.release import ReleaseSpec
from myotrial.errors import NotFoundError
from myotrial.product.release import release_failures

AE_WINDOW_DAYS = 7
"""Adverse events beginning up to this many days after an infusion are traced to it."""

INFUSION_COLUMNS: tuple[str, ...] = ("patient_id", "infusion_date", "cells_per_kg", "route")
EVENT_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "infusion_date",
    "onset_date",
    "days_after",
    "term",
    "grade",
    "serious",
    "relatedness",
    "infusion_reaction",
)


@dataclass(frozen=True)
class LotTrace:
    """Everything known about one lot, from donor to the patients' adverse events.

    Attributes
    ----------
    lot : pandas.Series
        The lot's row of ``lots.csv`` (release values, release record, recall).
    donor : pandas.Series or None
        The donor's row of ``donors.csv``; ``None`` when donors are not recorded.
    failures : pandas.DataFrame
        The release rules the lot breaks (:func:`~myotrial.product.release.release_failures`).
    infusions : pandas.DataFrame
        Columns :data:`INFUSION_COLUMNS`, by date.
    adverse_events : pandas.DataFrame
        Columns :data:`EVENT_COLUMNS`: events beginning 0-7 days after an infusion of
        the lot, with that infusion's date.
    """

    lot: pd.Series
    donor: pd.Series | None
    failures: pd.DataFrame
    infusions: pd.DataFrame
    adverse_events: pd.DataFrame

    @property
    def patients(self) -> list[str]:
        """The patients who received the lot, sorted."""
        return sorted(self.infusions["patient_id"].astype(str).unique())


def trace_lot(
    lot: str,
    lots: pd.DataFrame,
    donors: pd.DataFrame,
    infusions: pd.DataFrame,
    adverse_events: pd.DataFrame,
    spec: ReleaseSpec,
) -> LotTrace:
    """Trace ``lot`` through the trial's tables.

    Raises
    ------
    NotFoundError
        If ``lots`` has no such lot.
    """
    found = lots[lots["lot"] == lot]
    if found.empty:
        known = ", ".join(sorted(lots["lot"].dropna().astype(str))[:10]) or "none"
        raise NotFoundError(f"no lot {lot!r} in lots (lots recorded: {known})")
    record = found.iloc[0]
    given = infusions[infusions["lot"] == lot].sort_values(["infusion_date", "patient_id"])
    return LotTrace(
        lot=record,
        donor=_donor(record, donors),
        failures=release_failures(found.iloc[:1], spec),
        infusions=given.reindex(columns=list(INFUSION_COLUMNS)).reset_index(drop=True),
        adverse_events=events_after(given, adverse_events),
    )


def events_after(
    infusions: pd.DataFrame, adverse_events: pd.DataFrame, days: int = AE_WINDOW_DAYS
) -> pd.DataFrame:
    """Adverse events that began on the day of an infusion or up to ``days`` after it.

    Each event is listed once per infusion whose window holds it, with that infusion's
    date and ``days_after``.
    """
    if infusions.empty or adverse_events.empty:
        return pd.DataFrame(columns=list(EVENT_COLUMNS))
    pairs = infusions[["patient_id", "infusion_date"]].merge(
        adverse_events, on="patient_id", how="inner"
    )
    pairs["days_after"] = (pairs["onset_date"] - pairs["infusion_date"]).dt.days
    near = pairs[(pairs["days_after"] >= 0) & (pairs["days_after"] <= days)]
    ordered = near.sort_values(["onset_date", "patient_id"]).reset_index(drop=True)
    return ordered.reindex(columns=list(EVENT_COLUMNS))


def infusion_lots(infusions: pd.DataFrame, lots: pd.DataFrame) -> pd.DataFrame:
    """Infusions with their lot's ``donor`` (missing for a lot not in ``lots``)."""
    donors = lots.dropna(subset=["lot"]).drop_duplicates("lot").set_index("lot")
    donor = donors["donor"] if "donor" in donors.columns else pd.Series(dtype=object)
    return infusions.assign(lot_donor=infusions["lot"].map(donor))


def _donor(record: pd.Series, donors: pd.DataFrame) -> pd.Series | None:
    if "donor" not in donors.columns or pd.isna(record.get("donor")):
        return None
    found = donors[donors["donor"] == record["donor"]]
    return None if found.empty else found.iloc[0]
