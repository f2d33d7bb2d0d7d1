"""Lung and skin per patient and episode (docs/measures.md §6).

FVC and DLCO (% predicted) and the HRCT extent score at the episode baseline and at the
last follow-up visit that has the value; active skin ulcers and CDASI activity likewise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from myotrial.measures.lung import (
    DLCO_FALL_POINTS,
    FVC_FALL_POINTS,
    FVC_IMPROVEMENT_PERCENT,
    PROGRESSION_DAYS,
)

LUNG_SKIN_MEASURES: tuple[str, ...] = (
    "fvc_pct",
    "dlco_pct",
    "hrct_score",
    "ulcers",
    "cdasi_activity",
)
LUNG_SKIN_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "episode",
    *(
        f"{m}_{part}"
        for m in LUNG_SKIN_MEASURES
        for part in ("baseline", "last", "change", "relative_change")
    ),
    "fvc_improved",
    "lung_progression",
    "ulcers_healed",
)


def lung_skin(baseline: pd.DataFrame, followup: pd.DataFrame) -> pd.DataFrame:
    """The ``lung_skin`` table.

    Parameters
    ----------
    baseline
        Baseline values per patient and episode (episodes 1, 2, ...).
    followup
        Follow-up visits with ``patient_id``, ``episode``, ``day``, ``visit_date``.

    Returns
    -------
    DataFrame
        Columns :data:`LUNG_SKIN_COLUMNS`, one row per patient and episode with at least
        one lung or skin value; flags are missing when their measure is.
    """
    keys = ["patient_id", "episode"]
    present = [m for m in LUNG_SKIN_MEASURES if m in followup or m in baseline]
    if not present:
        return pd.DataFrame(columns=list(LUNG_SKIN_COLUMNS))
    base = baseline.reindex(columns=[*keys, *present]).set_index(keys)
    ordered = followup.sort_values("visit_date").reindex(columns=[*keys, "day", *present])
    last = ordered.groupby(keys)[present].last()  # last non-missing value per measure
    table = base.join(last, lsuffix="_baseline", rsuffix="_last", how="outer")
    table = table.reindex(
        columns=[f"{m}_{p}" for m in LUNG_SKIN_MEASURES for p in ("baseline", "last")]
    )
    table = table[table.notna().any(axis=1)].astype(float)
    for m in LUNG_SKIN_MEASURES:
        table[f"{m}_change"] = table[f"{m}_last"] - table[f"{m}_baseline"]
        with np.errstate(divide="ignore", invalid="ignore"):
            table[f"{m}_relative_change"] = table[f"{m}_change"] / table[f"{m}_baseline"] * 100
    table["fvc_improved"] = _flag(
        table["fvc_pct_relative_change"] >= FVC_IMPROVEMENT_PERCENT,
        table["fvc_pct_relative_change"],
    )
    table["lung_progression"] = _progression(table, ordered, keys)
    # docs/measures.md §6: healed = from above 0 to 0, so only a course with ulcers at
    # baseline can heal; without any the flag is missing, not "not healed"
    with_ulcers = table["ulcers_baseline"].where(table["ulcers_baseline"] > 0)
    table["ulcers_healed"] = _flag(
        (table["ulcers_baseline"] > 0) & (table["ulcers_last"] == 0),
        with_ulcers + table["ulcers_last"],
    )
    return table.reset_index().reindex(columns=list(LUNG_SKIN_COLUMNS))


def _progression(table: pd.DataFrame, ordered: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Any visit within a year with FVC or DLCO down by the cut-offs of ``measures.lung``."""
    year = ordered[ordered["day"] <= PROGRESSION_DAYS].reindex(
        columns=[*keys, "fvc_pct", "dlco_pct"]
    )
    lowest = year.groupby(keys)[["fvc_pct", "dlco_pct"]].min().reindex(table.index)
    fvc_fall = table["fvc_pct_baseline"] - lowest["fvc_pct"].astype(float)
    dlco_fall = table["dlco_pct_baseline"] - lowest["dlco_pct"].astype(float)
    progressed = (fvc_fall >= FVC_FALL_POINTS) | (dlco_fall >= DLCO_FALL_POINTS)
    known = fvc_fall.notna() | dlco_fall.notna()
    return _flag(progressed, known.where(known, np.nan))


def _flag(condition: pd.Series, known: pd.Series) -> pd.Series:
    """A nullable boolean: missing where the values it depends on are missing."""
    return condition.astype("boolean").mask(known.isna())
