"""The IMACS preliminary definition of improvement (DOI), vectorised over a PAIRS table.

Source: [IMACS DOI] Rider LG et al. Arthritis Rheum 2004;50:2281-90. Rules as in
docs/measures.md §3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from myotrial.measures import _checks
from myotrial.measures.csm import CSM
from myotrial.measures.frames import with_scores
from myotrial.measures.pairs import CsmPairs, PairOptions, read_pairs
from myotrial.measures.tis import DECIMALS, MISSING_MODES

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


def _change_into(pairs: CsmPairs, key: str, out: np.ndarray) -> None:
    b, f = pairs.baseline[key], pairs.followup[key]
    gain = np.subtract(f, b) if key == "mmt8" else np.subtract(b, f)
    from_zero = b == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(gain, b, out=out)
        np.multiply(out, 100.0, out=out)
        if from_zero.any():
            # From 0 the change is +inf (better), -inf (worse) or 0 (set below).
            np.copyto(out, np.sign(gain) * np.inf, where=from_zero)
    np.round(out, DECIMALS, out=out)
    np.copyto(out, 0.0, where=gain == 0)


def relative_change(pairs: CsmPairs) -> dict[str, np.ndarray]:
    """Relative change from baseline per CSM in %, positive = better, rounded to 6 decimals.

    MMT: (follow-up - baseline) / baseline; the others: (baseline - follow-up) / baseline.
    A baseline of 0 gives +inf (better), -inf (worse) or 0 (unchanged), so that the rules
    of docs/measures.md §3 follow: from 0 a lower-is-better measure can only stay or worsen.
    """
    change = np.empty((len(CSM), len(pairs.mmt_max)))
    for key, row in zip(CSM, change, strict=True):
        _change_into(pairs, key, row)
    return dict(zip(CSM, change, strict=True))


def improved_worsened(
    change: dict[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per CSM, improved (≥ 20 % better) and worsened (≥ 25 % worse); False where missing."""
    with np.errstate(invalid="ignore"):
        improved = {k: change[k] >= IMPROVED_PERCENT for k in CSM}
        worsened = {k: change[k] <= -WORSENED_PERCENT for k in CSM}
    return improved, worsened


@dataclass(frozen=True)
class DoiArrays:
    """The DOI of every pair as arrays (the NumPy core of :func:`score_doi`).

    Attributes
    ----------
    flags : ndarray of bool, shape (12, n)
        Rows ``improved_<csm>`` (6, in :data:`CSM` order) then ``worsened_<csm>`` (6).
    counts : ndarray of int64, shape (2, n)
        ``n_improved`` and ``n_worsened``.
    met : ndarray of bool, shape (n,)
        The definition of improvement is met (whatever is missing).
    complete : ndarray of bool, shape (n,)
        Every CSM is present at both visits.
    absent : ndarray of bool, shape (6, n)
        Per CSM (in :data:`CSM` order), absent at either visit.
    """

    flags: np.ndarray
    counts: np.ndarray
    met: np.ndarray
    complete: np.ndarray
    absent: np.ndarray


def doi_arrays(pairs: CsmPairs) -> DoiArrays:
    """Apply the IMACS 2004 definition to checked pairs: arrays in, arrays out."""
    k, n = len(CSM), len(pairs.mmt_max)
    flags = np.empty((2 * k, n), dtype=bool)
    counts = np.empty((2, n), dtype=np.int64)
    change = np.empty(n)
    absent = np.empty((k, n), dtype=bool)
    for i, key in enumerate(CSM):
        _change_into(pairs, key, change)
        np.isnan(change, out=absent[i])
        with np.errstate(invalid="ignore"):
            np.greater_equal(change, IMPROVED_PERCENT, out=flags[i])
            np.less_equal(change, -WORSENED_PERCENT, out=flags[k + i])
    np.sum(flags[:k], axis=0, dtype=np.int64, out=counts[0])
    np.sum(flags[k:], axis=0, dtype=np.int64, out=counts[1])
    met = (counts[0] >= MIN_IMPROVED) & (counts[1] <= MAX_WORSENED)
    met &= ~flags[k + CSM.index("mmt8")]
    complete: np.ndarray = ~np.any(absent, axis=0)
    return DoiArrays(flags, counts, met, complete, absent)


def undecided(scores: DoiArrays) -> np.ndarray:
    """Pairs whose DOI depends on the absent CSM (docs/measures.md §3, three-valued logic).

    Met whatever the absent measures are (each worsened at worst) is met; failing even
    with each absent measure improved is not met; only the rest is unknown.
    """
    k = len(CSM)
    absent = scores.absent.sum(axis=0)
    mmt = CSM.index("mmt8")
    mmt_worse, mmt_absent = scores.flags[k + mmt], scores.absent[mmt]
    improved, worsened = scores.counts
    possible = (improved + absent >= MIN_IMPROVED) & (worsened <= MAX_WORSENED) & ~mmt_worse
    certain = (improved >= MIN_IMPROVED) & (worsened + absent <= MAX_WORSENED)
    certain &= ~mmt_worse & ~mmt_absent
    return possible & ~certain


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
        "strict" (default): ``doi`` is missing (NA) when an absent CSM could change
        the answer (met or not met otherwise). "zero": an absent CSM counts as
        neither improved nor worsened.
    mmt_max, vas_unit, enzyme_units, uln, source
        As for :func:`myotrial.score_tis`.

    Returns
    -------
    scores : pandas.DataFrame
        On the index of ``pairs``, the input columns followed by (``<csm>`` is each of
        phga, ptga, mmt8, haq, enzyme, extramuscular, in that order):

        * ``'improved_<csm>'``: bool, at least 20 % better than baseline (False where
          the measure is absent).
        * ``'worsened_<csm>'``: bool, at least 25 % worse (False where absent).
        * ``'n_improved'``: int, measures improved.
        * ``'n_worsened'``: int, measures worsened.
        * ``'doi'``: nullable boolean, the definition is met (at least 3 improved, at
          most 2 worsened, MMT-8 not worsened); in strict mode NA when an absent
          measure could change the answer.

        The options are in ``attrs["options"]``.

    Raises
    ------
    ConfigError
        If an option is not one of its allowed values.
    InvalidInputError
        Listing every cell outside its scale, not a number, or a needed ULN that is absent.
    """
    _checks.check_option("missing", missing, MISSING_MODES)
    options = PairOptions(mmt_max, vas_unit, dict(enzyme_units or {}), dict(uln or {}), source)
    scores = doi_arrays(read_pairs(pairs, options))
    # strict: unknown (NA) only where the absent CSM could change the answer.
    unknown = undecided(scores) if missing == "strict" else np.zeros_like(scores.met)
    doi = pd.arrays.BooleanArray(scores.met, unknown)
    columns = dict(zip(DOI_COLUMNS, [*scores.flags, *scores.counts], strict=False))
    recorded = {"measure": "doi", "missing": missing, **options.as_dict()}
    return with_scores(pairs, {**columns, "doi": doi}, recorded)
