"""The ACR/EULAR 2016 Total Improvement Score (TIS), vectorised over a PAIRS table.

Source: [ACR/EULAR 2016] Aggarwal R, Rider LG, et al. 2016 ACR/EULAR criteria for minimal,
moderate and major clinical response in adult dermatomyositis and polymyositis. Ann Rheum
Dis 2017;76:792-801; juvenile thresholds: Rider LG et al. Arthritis Rheumatol
2017;69:911-923, Table 3. Conventions are those of docs/measures.md §2.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from myotrial.domain import POPULATIONS
from myotrial.measures import _checks
from myotrial.measures.csm import CSM, HAQ_MAX, VAS_MEASURES
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


def improvement_percent(pairs: CsmPairs) -> dict[str, np.ndarray]:
    """Improvement percentage p per CSM (positive = better), docs/measures.md §2.

    VAS: (baseline - follow-up) / 10 × 100; HAQ: / 3 × 100; MMT: (follow-up - baseline) /
    mmt_max × 100; enzyme (convention): relative to baseline, a baseline of 0 gives 0.
    """
    b, f = pairs.baseline, pairs.followup
    p = {key: (b[key] - f[key]) / 10.0 * 100.0 for key in VAS_MEASURES}
    p["haq"] = (b["haq"] - f["haq"]) / HAQ_MAX * 100.0
    p["mmt8"] = (f["mmt8"] - b["mmt8"]) / pairs.mmt_max * 100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        enzyme = (b["enzyme"] - f["enzyme"]) / b["enzyme"] * 100.0
    # docs/measures.md §2 convention: an enzyme baseline of 0 gives p = 0.
    p["enzyme"] = np.where(b["enzyme"] == 0, 0.0, enzyme)
    return {key: p[key] for key in CSM}


def tis_points(csm: str, p: np.ndarray) -> np.ndarray:
    """Points of ``csm`` for improvement percentages ``p`` (NaN where p is missing).

    ``p`` is rounded to 6 decimals, then banded: p ≤ 5 (any worsening included) scores
    0; 5 < p ≤ 15, 15 < p ≤ 25, 25 < p ≤ 40 and p > 40 score the table's bands 1-4
    (edges 2, 10, 20, 30 for MMT).
    """
    edges = MMT_BAND_EDGES if csm == "mmt8" else BAND_EDGES
    rounded = np.round(p, DECIMALS)
    # The band is the number of edges strictly below p: p equal to an edge stays in the
    # lower band, as "p <= edge" says (searchsorted side="left" gives the same band).
    band = np.zeros(len(rounded), dtype=np.int8)
    for edge in edges:
        band += rounded > edge
    points = np.asarray(TIS_POINTS[csm]).take(band)
    np.copyto(points, np.nan, where=np.isnan(rounded))
    return points


def tis_category(tis: np.ndarray, population: str = "adult") -> np.ndarray:
    """Category per TIS: none, minimal, moderate or major (None where TIS is missing)."""
    _checks.check_option("population", population, POPULATIONS)
    # The category is the number of thresholds reached (TIS >= threshold).
    level = np.zeros(len(tis), dtype=np.int8)
    with np.errstate(invalid="ignore"):
        for threshold in TIS_THRESHOLDS[population]:
            level += tis >= threshold
    np.copyto(level, len(CATEGORIES), where=np.isnan(tis))
    return np.asarray([*CATEGORIES, None], dtype=object).take(level)


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
    code = np.zeros(len(next(iter(absent.values()))), dtype=np.int8)
    for bit, key in enumerate(absent):
        code |= absent[key].view(np.int8) << bit
    return code


def missing_names(absent: Mapping[str, np.ndarray], code: np.ndarray | None = None) -> np.ndarray:
    """Per row, the names of the absent CSM joined by ";" ("" when none is absent)."""
    keys = list(absent)
    code = absent_code(absent) if code is None else code
    # One label per combination of absent measures: 2**6 strings, looked up by code.
    table = np.asarray(
        [";".join(k for bit, k in enumerate(keys) if c >> bit & 1) for c in range(1 << len(keys))],
        dtype=object,
    )
    return table[code]


def append_columns(
    pairs: pd.DataFrame, columns: Mapping[str, Any], options: dict[str, object]
) -> pd.DataFrame:
    """The input columns (minus any stale output columns) followed by ``columns``."""
    stale = [c for c in columns if c in pairs.columns]
    # A shallow copy plus one block per new column: no copy of the (large) input data.
    result = pairs.drop(columns=stale) if stale else pairs.copy(deep=False)
    for name, values in columns.items():
        result[name] = values
    result.attrs["options"] = options
    return result


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
    DataFrame
        The input columns, then ``p_<csm>`` (improvement %), ``points_<csm>``, ``tis``,
        ``category`` (none, minimal, moderate, major; None when the TIS is missing),
        ``complete`` (bool) and ``missing`` (absent CSM joined by ";"). The options that
        produced it are in ``attrs["options"]``.

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
    csm = read_pairs(pairs, options)
    p = improvement_percent(csm)
    points = {key: tis_points(key, p[key]) for key in CSM}
    absent = {key: np.isnan(p[key]) for key in CSM}
    code = absent_code(absent)
    complete = code == 0
    if missing == "zero":
        # docs/measures.md §2: with missing="zero" an absent measure scores 0.
        for key in CSM:
            np.copyto(points[key], 0.0, where=absent[key])
    # In strict mode an absent measure's NaN points make the sum NaN: docs/measures.md §2,
    # strict mode never fills an absent measure (phga and MMT above all).
    tis = points["phga"] + points["ptga"] + points["mmt8"] + points["haq"]
    tis += points["enzyme"] + points["extramuscular"]
    columns: dict[str, np.ndarray] = {f"p_{k}": p[k] for k in CSM}
    columns |= {f"points_{k}": points[k] for k in CSM}
    columns |= {
        "tis": tis,
        "category": tis_category(tis, population),
        "complete": complete,
        "missing": missing_names(absent, code),
    }
    recorded = {"measure": "tis", "population": population, "missing": missing, **options.as_dict()}
    return append_columns(pairs, columns, recorded)
