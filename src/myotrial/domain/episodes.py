"""Treatment episodes: the unit every response and relapse is measured in.

A *course* is one or more infusions, an infusion within ``course_gap_days`` of the
previous one belonging to the same course; each course opens an *episode*, measured
against the baseline visit before its first infusion. Episode 0 is the "since study
entry" view: every visit after the first infusion, against the first course's baseline
(``docs/measures.md``, episodes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

ENTRY_EPISODE = 0
"""Episode number of the "since study entry" view (first baseline, first infusion)."""


@dataclass(frozen=True)
class Episode:
    """One treatment episode of one patient.

    Attributes
    ----------
    patient_id : str
        Study code of the patient.
    episode : int
        1, 2, ... per course in date order; :data:`ENTRY_EPISODE` for the entry view.
    first_infusion : datetime.date
        Date of the course's first infusion.
    n_infusions : int
        Infusions in the course.
    cells_per_kg_total : float
        Cells per kg body weight over the course's infusions.
    baseline_date : datetime.date or None
        The reference visit: the last visit in the baseline window up to and including
        the first infusion day; None when the episode has no baseline.
    retreatment : bool
        The course is not the patient's first (a re-treatment after relapse).
    response_date : datetime.date or None
        First visit reaching at least a minimal TIS response.
    best_tis : float or None
        Highest TIS in the episode.
    relapse_date : datetime.date or None
        After a response, the first of two visits confirming worsening against the best
        visit so far, or a relapse recorded in ``events.csv``, whichever is first.
    end_date : datetime.date or None
        The episode's last visit or last infusion, whichever is later.
    """

    patient_id: str
    episode: int
    first_infusion: dt.date
    n_infusions: int
    cells_per_kg_total: float
    baseline_date: dt.date | None
    retreatment: bool
    response_date: dt.date | None
    best_tis: float | None
    relapse_date: dt.date | None
    end_date: dt.date | None


EPISODE_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Episode))
"""The columns of an episodes table, one per :class:`Episode` attribute, in order."""
