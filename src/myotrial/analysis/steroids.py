"""Glucocorticoid dose by time point and tapering (docs/measures.md §7)."""

from __future__ import annotations

import pandas as pd

from myotrial.analysis.change import CHANGE_COLUMNS, change_from_baseline, paired_long
from myotrial.analysis.options import AnalysisOptions
from myotrial.measures.steroids import TAPER_MG

STEROID_COLUMNS: tuple[str, ...] = (*CHANGE_COLUMNS, "n_tapered", "share_tapered")


def steroids(
    mapped: pd.DataFrame, baseline: pd.DataFrame, options: AnalysisOptions
) -> pd.DataFrame:
    """Prednisone-equivalent dose (``prednisone_mg``) as in ``change_from_baseline``.

    Adds ``n_tapered`` (patients below 7.5 mg/day at the time point, among the ``n``
    with both values) and ``share_tapered`` (their proportion).
    """
    if "prednisone_mg" not in mapped or "prednisone_mg" not in baseline:
        return pd.DataFrame(columns=list(STEROID_COLUMNS))
    table = change_from_baseline(mapped, baseline, ["prednisone_mg"], options)
    long = paired_long(mapped, baseline, ["prednisone_mg"])
    long["tapered"] = long["x1"] < TAPER_MG
    tapered = long.groupby(["episode", "timepoint"], observed=True)["tapered"].sum()
    table = table.join(tapered.rename("n_tapered"), on=["episode", "timepoint"])
    table["n_tapered"] = table["n_tapered"].fillna(0).astype(int)
    table["share_tapered"] = table["n_tapered"] / table["n"]
    return table.reindex(columns=list(STEROID_COLUMNS))
