"""Worsening against a reference visit and its confirmation over a visit sequence.

Source: [IMACS worsening] Oddis CV et al. Arthritis Rheum 2005;52:2607-15, as used for
"confirmed deterioration" in ProDERM (Aggarwal R et al. NEJM 2022;387:1264-78).
Rules as in docs/measures.md §4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from myotrial.measures.doi import relative_change
from myotrial.measures.pairs import PairOptions, read_pairs
from myotrial.measures.tis import DECIMALS

PHGA_RISE_CM = 2.0
MMT_FALL_PERCENT = 20.0
EXTRAMUSCULAR_RISE_CM = 2.0
CSM_WORSE_PERCENT = 30.0
MIN_CSM_WORSE = 3
NON_ENZYME_CSM: tuple[str, ...] = ("phga", "ptga", "mmt8", "haq", "extramuscular")


def is_worse(
    pairs: pd.DataFrame,
    mmt_max: int | None = None,
    vas_unit: str = "cm",
    source: str = "pairs",
) -> pd.Series:
    """Whether each visit (``_1``) is worse than its reference visit (``_0``).

    A visit is worse if any of (docs/measures.md §4):

    1. phga rises by ≥ 2 cm **and** mmt8 falls by ≥ 20 % (relative to the reference);
    2. extramuscular activity rises by ≥ 2 cm;
    3. ≥ 3 of phga, ptga, mmt8, haq, extramuscular worsen by ≥ 30 % (relative).

    Differences and percentages are rounded to 6 decimals before comparison, so that an
    exact edge (5.1 → 7.1 cm) counts. A missing measure cannot show worsening; from a
    reference of 0, any rise of a lower-is-better measure is a relative worsening.

    Parameters
    ----------
    pairs : DataFrame
        PAIRS layout: ``<key>_0`` the reference visit, ``<key>_1`` the visit judged.
    mmt_max, vas_unit, source
        As for :func:`myotrial.score_tis`.

    Returns
    -------
    Series of bool
        Named ``worse``, on the index of ``pairs``.

    Raises
    ------
    InvalidInputError
        Listing every cell outside its scale or not a number.
    """
    csm = read_pairs(
        pairs, PairOptions(mmt_max=mmt_max, vas_unit=vas_unit, source=source), enzymes=False
    )
    change = relative_change(csm)
    rise = {
        k: np.round(csm.followup[k] - csm.baseline[k], DECIMALS) for k in ("phga", "extramuscular")
    }
    with np.errstate(invalid="ignore"):
        rule1 = (rise["phga"] >= PHGA_RISE_CM) & (change["mmt8"] <= -MMT_FALL_PERCENT)
        rule2 = rise["extramuscular"] >= EXTRAMUSCULAR_RISE_CM
        n_worse = np.sum([change[k] <= -CSM_WORSE_PERCENT for k in NON_ENZYME_CSM], axis=0)
    return pd.Series(rule1 | rule2 | (n_worse >= MIN_CSM_WORSE), index=pairs.index, name="worse")


def confirmed_worsening(
    frame: pd.DataFrame,
    by: str = "patient_id",
    order: str = "visit_date",
    worse: str = "worse",
) -> pd.Series:
    """Mark the first visit of each pair of consecutive worse visits (docs/measures.md §4).

    Worsening is confirmed when two consecutive visits of the same patient are worse;
    the first of the two dates the confirmed worsening, so it is the one marked.

    Parameters
    ----------
    frame : DataFrame
        One row per visit. If it has a boolean column ``worse`` that is used; otherwise
        ``frame`` must be in the PAIRS layout and :func:`is_worse` is applied to it.
    by : str
        Column identifying the sequence (patient or episode).
    order : str
        Column giving the visit order within a sequence.
    worse : str
        Name of the column holding the worse flags.

    Returns
    -------
    Series of bool
        Named ``confirmed_worsening``, on the index of ``frame``: True where this visit
        and the next visit of the same sequence are both worse.
    """
    flags = frame[worse].astype("boolean").fillna(False) if worse in frame else is_worse(frame)
    ordered = pd.DataFrame(
        {
            "by": frame[by].to_numpy(),
            "order": frame[order].to_numpy(),
            "worse": flags.to_numpy(dtype=bool),
        },
        index=frame.index,
    )
    ordered = ordered.sort_values(["by", "order"], kind="stable")
    following = ordered.groupby("by", sort=False)["worse"].shift(-1, fill_value=False)
    confirmed = ordered["worse"] & following.astype(bool)
    return confirmed.reindex(frame.index).rename("confirmed_worsening")
