"""How each registry patient's follow-up runs and ends (simulated patients).

Drawn per patient from the seed, on whole arrays:

- **Leaving the study**: a constant hazard per scheduled visit, higher in the control arm
  (patients who know they receive standard care alone leave more often); the visit from
  which nothing more is seen is the day of leaving, recorded as a ``withdrawal`` (consent
  withdrawn) or ``lost_to_follow_up`` event.
- **Death**: rare, from a constant yearly hazard that is eight times higher with
  interstitial lung disease (ILD: respiratory failure, infection), the same in both arms;
  seen only while the patient is followed (up to the last scheduled visit).
- **Relapse or flare**: after a response to MSC (MSCT arm) or during standard care alone
  (control arm, a flare or treatment failure), activity climbs back towards its level at
  entry from a day between 120 and 330; the investigator records it about four weeks
  later if the patient is still followed. Most relapses are treated: a second course of
  MSC (MSCT arm) or rescue with intravenous immunoglobulin (control arm).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

LEAVING_PER_VISIT = {"MSCT": 0.005, "control": 0.008}
"""Chance of leaving at each scheduled visit, per arm."""
WITHDRAWAL_SHARE = 0.4
"""Share of those leaving who withdraw consent; the others are lost to follow-up."""
DEATH_PER_YEAR = 0.005
DEATH_PER_YEAR_ILD = 0.04
RELAPSE_SHARE = {"MSCT": 0.30, "control": 0.50}
"""Share of patients whose disease relapses (flares) between day 120 and 330."""
RELAPSE_WINDOW_DAYS = (120.0, 330.0)
RECOGNISED_AFTER_DAYS = 28.0
"""A relapse is recognised about four weeks after it starts building."""
RETREAT_SHARE = 0.8
"""Share of recognised relapses treated (second MSC course or immunoglobulin rescue)."""
TREATED_AFTER_DAYS = (35, 60)
"""Days from the start of a relapse to its treatment."""


def follow_up(
    rng: np.random.Generator,
    treated: NDArray[np.bool_],
    ild: NDArray[np.bool_],
    grid_days: FloatArray,
) -> pd.DataFrame:
    """Per patient: when follow-up ends and why, and the relapse with its treatment.

    Parameters
    ----------
    rng
        The random generator.
    treated
        True for the MSCT arm, False for standard care alone.
    ild
        Interstitial lung disease (raises the hazard of death).
    grid_days
        The scheduled follow-up days (the last one ends the study).

    Returns
    -------
    DataFrame
        One row per patient (days since study day 0; ``inf`` when it does not happen):
        ``dropout_day`` (first visit missed by a patient who left), ``withdrawn`` (the
        reason of leaving is a withdrawal), ``death_day`` (deaths seen during follow-up),
        ``leave_day`` (the earlier of the two), ``relapse_day`` (activity starts to
        climb), ``relapse_recorded`` (the investigator records it while the patient is
        followed), ``retreat_day`` (second MSC course) and ``rescue_day``
        (immunoglobulin in the control arm).
    """
    n = treated.size
    leaving = np.where(treated, LEAVING_PER_VISIT["MSCT"], LEAVING_PER_VISIT["control"])
    missed = rng.geometric(leaving, n) - 1  # visits attended before leaving
    dropout_day = np.append(grid_days, np.inf)[np.minimum(missed, grid_days.size)]
    withdrawn = rng.random(n) < WITHDRAWAL_SHARE
    yearly = np.where(ild, DEATH_PER_YEAR_ILD, DEATH_PER_YEAR)
    death_day = rng.exponential(365.0 / -np.log1p(-yearly))
    # A death is seen only while the patient is followed, up to the study's last visit.
    seen = death_day < np.minimum(dropout_day, grid_days[-1])
    death_day = np.where(seen, np.floor(death_day), np.inf)
    dropout_day = np.where(seen, np.inf, dropout_day)
    leave_day = np.minimum(dropout_day, death_day)
    share = np.where(treated, RELAPSE_SHARE["MSCT"], RELAPSE_SHARE["control"])
    relapse = rng.random(n) < share
    relapse_day = np.where(relapse, rng.uniform(*RELAPSE_WINDOW_DAYS, n), np.inf)
    relapse_day = np.where(relapse_day < leave_day, relapse_day, np.inf)
    recorded = relapse_day + RECOGNISED_AFTER_DAYS < leave_day
    second_line = np.where(
        recorded & (rng.random(n) < RETREAT_SHARE),
        np.floor(relapse_day) + rng.integers(*TREATED_AFTER_DAYS, n),
        np.inf,
    )
    second_line = np.where(second_line < leave_day, second_line, np.inf)
    return pd.DataFrame(
        {
            "dropout_day": dropout_day,
            "withdrawn": withdrawn & np.isfinite(dropout_day),
            "death_day": death_day,
            "leave_day": leave_day,
            "relapse_day": relapse_day,
            "relapse_recorded": recorded,
            "retreat_day": np.where(treated, second_line, np.inf),
            "rescue_day": np.where(treated, np.inf, second_line),
        }
    )
