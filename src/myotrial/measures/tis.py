"""The ACR/EULAR 2016 Total Improvement Score (TIS), vectorised over a PAIRS table.

Source: [ACR/EULAR 2016] Aggarwal R, Rider LG, et al. 2016 ACR/EULAR criteria for minimal,
moderate and major clinical response in adult dermatomyositis and polymyositis. Ann Rheum
Dis 2017;76:792-801; juvenile thresholds: Rider LG et al. Arthritis Rheumatol
2017;69:911-923, Table 3. Conventions are those of docs/measures.md §2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from myotrial.domain import POPULATIONS
from myotrial.measures import _checks
from myotrial.measures.csm import CSM, HAQ_MAX, VAS_MAX_CM
from myotrial.measures.frames import with_scores
from myotrial.measures.pairs import CsmPairs, PairOptions, read_pairs

BAND_EDGES: tuple[float, ...] = (5.0, 15.0, 25.0, 40.0)
"""Improvement-% band edges; a band is (lower edge, upper edge]."""
MMT_BAND_EDGES: tuple[float, ...] = (2.0, 10.0, 20.0, 30.0)

TIS_POINTS: Mapping[str, tuple[float, ...]] = {
    "phga": (0.0, 7.5, 15.0, 17.5, 20.0),
    "ptga": (0.0, 2.5, 5.0, 7.5, 10.0),
    "mmt8": (0.0, 10.0, 20.0, 27.5, 32.5),
    "haq": (0.0, 5.0, 7.5, 7.5, 10.0),
    "enzyme": (0.0, 2.5, 5.0, 7.5, 7.5),
    "extramuscular": (0.0, 7.5, 12.5, 15.0, 20.0),
}
"""Points per band (ACR/EULAR 2016, Table 2)."""

TIS_THRESHOLDS: Mapping[str, tuple[float, ...]] = {
    "adult": (20.0, 40.0, 60.0),
    "juvenile": (30.0, 45.0, 70.0),
}
"""Lowest TIS for minimal, moderate and major improvement."""

CATEGORIES: tuple[str, ...] = ("none", "minimal", "moderate", "major")
MISSING_MODES: tuple[str, ...] = ("strict", "zero")
DECIMALS = 6
"""p is rounded to 6 decimals before banding, so that an exact edge stays in its band."""

TIS_COLUMNS: tuple[str, ...] = (
    *(f"p_{c}" for c in CSM),
    *(f"points_{c}" for c in CSM),
    "tis",
    "category",
    "complete",
    "missing",
)
"""Output columns of :func:`score_tis`, in order."""


@dataclass(frozen=True)
class TisArrays:
    """The TIS of every pair as arrays (the NumPy core of :func:`score_tis`).

    Attributes
    ----------
    p, points : dict of str to ndarray of float64
        Improvement percentage and points per CSM, in :data:`CSM` order.
    tis : ndarray of float64
        The Total Improvement Score per pair (NaN where missing).
    level : ndarray of uint8
        Index into ``(*CATEGORIES, None)``: 0 none ... 3 major, 4 where the TIS is missing.
    absent : ndarray of uint8
        Bit i set where the i-th CSM is absent (0: complete).
    """

    p: dict[str, np.ndarray]
    points: dict[str, np.ndarray]
    tis: np.ndarray
    level: np.ndarray
    absent: np.ndarray

    def columns(self) -> dict[str, np.ndarray]:
        """The score columns of :data:`TIS_COLUMNS`, in order."""
        return {
            **{f"p_{k}": v for k, v in self.p.items()},
            **{f"points_{k}": v for k, v in self.points.items()},
            "tis": self.tis,
            "category": _CATEGORY_LABELS[self.level],
            "complete": self.absent == 0,
            "missing": _MISSING_LABELS[self.absent],
        }


def _improvement(pairs: CsmPairs, key: str) -> np.ndarray:
    """p of one CSM, docs/measures.md §2 (one fresh array, operations in place)."""
    b, f = pairs.baseline[key], pairs.followup[key]
    if key == "mmt8":
        # MMT: (follow-up - baseline) / mmt_max × 100
        p = np.subtract(f, b)
        np.divide(p, pairs.mmt_max, out=p)
    elif key == "enzyme":
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.subtract(b, f)
            np.divide(p, b, out=p)
    else:
        # VAS: (baseline - follow-up) / 10 cm; HAQ: / 3
        p = np.subtract(b, f)
        np.divide(p, HAQ_MAX if key == "haq" else VAS_MAX_CM, out=p)
    np.multiply(p, 100.0, out=p)
    if key == "enzyme":
        # docs/measures.md §2 convention: an enzyme baseline of 0 gives p = 0.
        np.copyto(p, 0.0, where=b == 0)
    return p


def improvement_percent(pairs: CsmPairs) -> dict[str, np.ndarray]:
    """Improvement percentage p per CSM (positive = better), docs/measures.md §2.

    VAS: (baseline - follow-up) / 10 × 100; HAQ: / 3 × 100; MMT: (follow-up - baseline) /
    mmt_max × 100; enzyme (convention): relative to baseline, a baseline of 0 gives 0.
    """
    return {key: _improvement(pairs, key) for key in CSM}


def _points(csm: str, p: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    edges = MMT_BAND_EDGES if csm == "mmt8" else BAND_EDGES
    rounded = np.round(p, DECIMALS, out=scratch)
    # The band is the number of edges strictly below p: p equal to an edge stays in the
    # lower band, as "p <= edge" says. uint8 indexes the 5 points without a cast.
    band = np.zeros(len(p), dtype=np.uint8)
    above = np.empty(len(p), dtype=bool)
    for edge in edges:
        np.greater(rounded, edge, out=above)
        band += above
    points = _POINT_TABLES[csm][band]
    np.copyto(points, np.nan, where=np.isnan(rounded))
    return points


def tis_points(csm: str, p: np.ndarray) -> np.ndarray:
    """Points of ``csm`` for improvement percentages ``p`` (NaN where p is missing).

    ``p`` is rounded to 6 decimals, then banded: p ≤ 5 (any worsening included) scores
    0; 5 < p ≤ 15, 15 < p ≤ 25, 25 < p ≤ 40 and p > 40 score the table's bands 1-4
    (edges 2, 10, 20, 30 for MMT).
    """
    p = np.asarray(p, dtype=np.float64)
    return _points(csm, p, np.empty(len(p)))


def _category_level(tis: np.ndarray, population: str) -> np.ndarray:
    # The category is the number of thresholds reached (TIS >= threshold).
    level = np.zeros(len(tis), dtype=np.uint8)
    reached = np.empty(len(tis), dtype=bool)
    with np.errstate(invalid="ignore"):
        for threshold in TIS_THRESHOLDS[population]:
            np.greater_equal(tis, threshold, out=reached)
            level += reached
    np.copyto(level, len(CATEGORIES), where=np.isnan(tis))
    return level


def tis_category(tis: np.ndarray, population: str = "adult") -> np.ndarray:
    """Category per TIS: none, minimal, moderate or major (None where TIS is missing)."""
    _checks.check_option("population", population, POPULATIONS)
    return _CATEGORY_LABELS[_category_level(np.asarray(tis, dtype=np.float64), population)]


def category_thresholds(population: str = "adult") -> dict[str, float]:
    """The lowest TIS of each response category for ``population``.

    Returns
    -------
    dict
        ``{"minimal": ..., "moderate": ..., "major": ...}`` (adult 20, 40, 60; juvenile
        30, 45, 70).

    Raises
    ------
    ConfigError
        If ``population`` is not adult or juvenile.
    """
    _checks.check_option("population", population, POPULATIONS)
    return dict(zip(CATEGORIES[1:], TIS_THRESHOLDS[population], strict=True))


def describe_thresholds() -> str:
    """The thresholds of every population in words: ``"adult 20/40/60, juvenile 30/45/70"``."""
    return ", ".join(f"{p} {'/'.join(f'{t:g}' for t in TIS_THRESHOLDS[p])}" for p in POPULATIONS)


def absent_code(absent: Mapping[str, np.ndarray]) -> np.ndarray:
    """Per row, a bit mask of the absent CSM (bit i = the i-th key of ``absent``)."""
    rows = np.stack([np.asarray(a, dtype=bool) for a in absent.values()])
    return _pack_bits(rows).view(np.int8)


def _pack_bits(rows: np.ndarray) -> np.ndarray:
    # Bit i of each column is rows[i]: one byte per pair (at most 8 rows). Shifting row
    # by row reads memory in order; packbits along axis 0 is several times slower.
    code = np.zeros(rows.shape[1], dtype=np.uint8)
    shifted = np.empty_like(code)
    for bit, row in enumerate(rows):
        np.left_shift(row.view(np.uint8), bit, out=shifted)
        code |= shifted
    return code


def missing_names(absent: Mapping[str, np.ndarray], code: np.ndarray | None = None) -> np.ndarray:
    """Per row, the names of the absent CSM joined by ";" ("" when none is absent)."""
    code = absent_code(absent) if code is None else code
    return _missing_labels(tuple(absent))[code.view(np.uint8)]


def _missing_labels(keys: tuple[str, ...]) -> np.ndarray:
    # One label per combination of absent measures: 2**6 strings, looked up by code.
    combos = range(1 << len(keys))
    labels = [";".join(k for bit, k in enumerate(keys) if c >> bit & 1) for c in combos]
    return np.asarray(labels, dtype=object)


def tis_arrays(pairs: CsmPairs, population: str = "adult", missing: str = "strict") -> TisArrays:
    """Score checked pairs: arrays in, arrays out (no pandas).

    Parameters
    ----------
    pairs : CsmPairs
        The six CSM at both visits in canonical units, from
        :func:`myotrial.measures.pairs.read_pairs`.
    population : {"adult", "juvenile"}
        Selects the category thresholds.
    missing : {"strict", "zero"}
        As for :func:`score_tis`.

    Returns
    -------
    TisArrays
        p, points and TIS in one float block, the category level and the absent mask.
    """
    _checks.check_option("population", population, POPULATIONS)
    _checks.check_option("missing", missing, MISSING_MODES)
    p = improvement_percent(pairs)
    scratch = np.empty(len(pairs.mmt_max))
    points = {key: _points(key, p[key], scratch) for key in CSM}
    absent = np.stack([np.isnan(p[key]) for key in CSM])
    if missing == "zero":
        # docs/measures.md §2: with missing="zero" an absent measure scores 0.
        for key, row in zip(CSM, absent, strict=True):
            np.copyto(points[key], 0.0, where=row)
    # In strict mode an absent measure's NaN points make the sum NaN: docs/measures.md §2,
    # strict mode never fills an absent measure (phga and MMT above all).
    tis = points["phga"] + points["ptga"]
    for key in CSM[2:]:
        np.add(tis, points[key], out=tis)
    return TisArrays(p, points, tis, _category_level(tis, population), _pack_bits(absent))


_POINT_TABLES: Mapping[str, np.ndarray] = {k: np.asarray(v) for k, v in TIS_POINTS.items()}
_CATEGORY_LABELS = np.asarray([*CATEGORIES, None], dtype=object)
_MISSING_LABELS = _missing_labels(CSM)


def score_tis(
    pairs: pd.DataFrame,
    population: str = "adult",
    missing: str = "strict",
    mmt_max: int | None = None,
    vas_unit: str = "cm",
    enzyme_units: Mapping[str, str] | None = None,
    uln: Mapping[str, float] | None = None,
    source: str = "pairs",
) -> pd.DataFrame:
    """Score the ACR/EULAR 2016 Total Improvement Score for every pair.

    Parameters
    ----------
    pairs : DataFrame
        One row per reference/follow-up pair in the PAIRS layout (``<key>_0``,
        ``<key>_1``, ``mmt_max``, ``<enzyme>_0``, ``<enzyme>_1``, ``<enzyme>_uln``).
    population : {"adult", "juvenile"}
        Selects the category thresholds (20/40/60 or 30/45/70).
    missing : {"strict", "zero"}
        "strict" (default): a row with an absent CSM has no TIS and no category.
        "zero": an absent CSM scores 0 points and the row is marked incomplete.
    mmt_max : {80, 150} or None
        MMT-8 scale for rows whose ``mmt_max`` is empty (None: 80).
    vas_unit : {"cm", "mm"}
        Unit the VAS columns were entered in (mm are divided by 10).
    enzyme_units : mapping, optional
        Per enzyme "U/L" (default) or "ukat/L" (U/L = µkat/L × 60).
    uln : mapping, optional
        Upper limits of normal per enzyme, for rows without ``<enzyme>_uln``.
    source : str
        File name used in error messages.

    Returns
    -------
    scores : pandas.DataFrame
        On the index of ``pairs``, the input columns followed by (``<csm>`` is each of
        phga, ptga, mmt8, haq, enzyme, extramuscular, in that order):

        * ``'p_<csm>'``: float, improvement of the measure in % of its scale (positive
          = better; enzyme relative to baseline); NaN where the measure is absent.
        * ``'points_<csm>'``: float, the measure's points (ACR/EULAR 2016, Table 2);
          NaN where absent in strict mode, 0 with ``missing="zero"``.
        * ``'tis'``: float, the Total Improvement Score 0-100 (sum of the points);
          NaN when a measure is absent in strict mode.
        * ``'category'``: str, none, minimal, moderate or major; None when the TIS is
          missing.
        * ``'complete'``: bool, every measure present at both visits.
        * ``'missing'``: str, the absent measures joined by ";" ("" when none).

        The options that produced it are in ``attrs["options"]``.

    Raises
    ------
    ConfigError
        If an option is not one of its allowed values.
    InvalidInputError
        Listing every cell outside its scale, not a number, or a needed ULN that is absent.
    """
    _checks.check_option("population", population, POPULATIONS)
    _checks.check_option("missing", missing, MISSING_MODES)
    options = PairOptions(mmt_max, vas_unit, dict(enzyme_units or {}), dict(uln or {}), source)
    scores = tis_arrays(read_pairs(pairs, options), population, missing)
    recorded = {"measure": "tis", "population": population, "missing": missing, **options.as_dict()}
    return with_scores(pairs, scores.columns(), recorded)
