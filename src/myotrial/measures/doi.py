"""The IMACS preliminary definition of improvement (DOI), vectorised over a PAIRS table.

Source: [IMACS DOI] Rider LG et al. Arthritis Rheum 2004;50:2281-90. Rules as in
docs/measures.md §3.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from myotrial.measures import _checks
from myotrial.measures.csm import CSM
from myotrial.measures.pairs import CsmPairs, PairOptions, read_pairs
from myotrial.measures.tis import DECIMALS, MISSING_MODES, append_columns

IMPROVED_PERCENT = 20.0
WORSENED_PERCENT = 25.0
MIN_IMPROVED = 3
MAX_WORSENED = 2

DOI_COLUMNS: tuple[str, ...] = (
    *(f"improved_{c}" for c in CSM),
    *(f"worsened_{c}" for c in CSM),
    "n_improved",
    "n_worsened",
    "doi",
)
"""Output columns of :func:`score_doi`, in order."""


def relative_change(pairs: CsmPairs) -> dict[str, np.ndarray]:
    """Relative change from baseline per CSM in %, positive = better, rounded to 6 decimals.

    MMT: (follow-up - baseline) / baseline; the others: (baseline - follow-up) / baseline.
    A baseline of 0 gives +inf (better), -inf (worse) or 0 (unchanged), so that the rules
    of docs/measures.md §3 follow: from 0 a lower-is-better measure can only stay or worsen.
    """
    change: dict[str, np.ndarray] = {}
    for key in CSM:
        b, f = pairs.baseline[key], pairs.followup[key]
        gain = f - b if key == "mmt8" else b - f
        with np.errstate(invalid="ignore", divide="ignore"):
            relative = np.where(b == 0, np.sign(gain) * np.inf, gain / b * 100.0)
        change[key] = np.where(gain == 0, 0.0, np.round(relative, DECIMALS))
    return change


def improved_worsened(
    change: dict[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per CSM, improved (≥ 20 % better) and worsened (≥ 25 % worse); False where missing."""
    with np.errstate(invalid="ignore"):
        improved = {k: change[k] >= IMPROVED_PERCENT for k in CSM}
        worsened = {k: change[k] <= -WORSENED_PERCENT for k in CSM}
    return improved, worsened


def score_doi(
    pairs: pd.DataFrame,
    missing: str = "strict",
    mmt_max: int | None = None,
    vas_unit: str = "cm",
    enzyme_units: Mapping[str, str] | None = None,
    uln: Mapping[str, float] | None = None,
    source: str = "pairs",
) -> pd.DataFrame:
    """Apply the IMACS 2004 definition of improvement to every pair.

    DOI is met when at least 3 CSM improved by ≥ 20 %, at most 2 worsened by ≥ 25 %, and
    MMT is not among the worsened. The enzyme CSM is the one most abnormal at baseline.

    Parameters
    ----------
    pairs : DataFrame
        One row per pair in the PAIRS layout (see :func:`myotrial.score_tis`).
    missing : {"strict", "zero"}
        "strict" (default): ``doi`` is missing (NA) when a CSM is absent. "zero": an
        absent CSM counts as neither improved nor worsened.
    mmt_max, vas_unit, enzyme_units, uln, source
        As for :func:`myotrial.score_tis`.

    Returns
    -------
    DataFrame
        The input columns, then ``improved_<csm>`` and ``worsened_<csm>`` (bool, False
        where the CSM is absent), ``n_improved``, ``n_worsened`` (int) and ``doi``
        (nullable boolean). The options are in ``attrs["options"]``.

    Raises
    ------
    ConfigError
        If an option is not one of its allowed values.
    InvalidInputError
        Listing every cell outside its scale, not a number, or a needed ULN that is absent.
    """
    _checks.check_option("missing", missing, MISSING_MODES)
    options = PairOptions(mmt_max, vas_unit, dict(enzyme_units or {}), dict(uln or {}), source)
    csm = read_pairs(pairs, options)
    change = relative_change(csm)
    improved, worsened = improved_worsened(change)
    n_improved = np.sum([improved[k] for k in CSM], axis=0).astype(np.int64)
    n_worsened = np.sum([worsened[k] for k in CSM], axis=0).astype(np.int64)
    met = (n_improved >= MIN_IMPROVED) & (n_worsened <= MAX_WORSENED) & ~worsened["mmt8"]
    complete = ~np.logical_or.reduce([np.isnan(change[k]) for k in CSM])
    doi = pd.array(met, dtype="boolean")
    if missing == "strict":
        doi[~complete] = pd.NA
    columns: dict[str, object] = {f"improved_{k}": improved[k] for k in CSM}
    columns |= {f"worsened_{k}": worsened[k] for k in CSM}
    columns |= {"n_improved": n_improved, "n_worsened": n_worsened, "doi": doi}
    recorded = {"measure": "doi", "missing": missing, **options.as_dict()}
    return append_columns(pairs, columns, recorded)
