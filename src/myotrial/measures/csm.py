"""The six IMACS core set measures (CSM): names, scales, units and the enzyme choice.

Sources: [ACR/EULAR 2016] Aggarwal R, Rider LG, et al. Ann Rheum Dis 2017;76:792-801;
[IMACS DOI] Rider LG et al. Arthritis Rheum 2004;50:2281-90.
"""

from __future__ import annotations

import numpy as np

from myotrial.domain import VAS_COLUMNS
from myotrial.measures.scales import (
    ENZYME_UNIT_FACTORS,
    HAQ_MAX,
    MM_PER_CM,
    MMT_MAXIMA,
    UKAT_TO_UL,
    VAS_MAX_CM,
    vas_scale_max,
)

__all__ = [
    "CSM",
    "ENZYME_UNIT_FACTORS",
    "HAQ_MAX",
    "MMT_MAXIMA",
    "PAIR_MEASURES",
    "TIS_ENZYMES",
    "UKAT_TO_UL",
    "VAS_MAX_CM",
    "VAS_MEASURES",
    "choose_enzyme",
    "most_abnormal_enzyme",
    "times_uln",
    "to_units_per_litre",
    "vas_scale_max",
    "vas_to_cm",
]

CSM: tuple[str, ...] = ("phga", "ptga", "mmt8", "haq", "enzyme", "extramuscular")
"""The core set measures in the order of every output table."""

VAS_MEASURES: tuple[str, ...] = VAS_COLUMNS
"""Measures on a 0-10 cm visual analogue scale (0-100 when entered in mm)."""

PAIR_MEASURES: tuple[str, ...] = ("phga", "ptga", "mmt8", "haq", "extramuscular")
"""Measures that a PAIRS table gives directly as ``<key>_0`` and ``<key>_1``."""

TIS_ENZYMES: tuple[str, ...] = ("ck", "aldolase", "ldh", "ast", "alt")
"""Candidate enzymes for the TIS enzyme CSM, in the tie-break order of docs/measures.md §1."""


def vas_to_cm(values: np.ndarray, vas_unit: str) -> np.ndarray:
    """VAS values in cm: unchanged for ``"cm"``, divided by 10 for ``"mm"``."""
    return values / MM_PER_CM if vas_unit == "mm" else values


def to_units_per_litre(values: np.ndarray, unit: str) -> np.ndarray:
    """Enzyme activity in U/L from the declared ``unit`` (``"U/L"`` or ``"ukat/L"``).

    Raises
    ------
    ValueError
        If ``unit`` is not one of the two accepted units.
    """
    if unit not in ENZYME_UNIT_FACTORS:
        raise ValueError(f"unknown enzyme unit {unit!r}; expected U/L or ukat/L")
    return values * ENZYME_UNIT_FACTORS[unit]


def times_uln(values: np.ndarray, uln: np.ndarray | float) -> np.ndarray:
    """Enzyme activity as a multiple of its upper limit of normal (×ULN).

    Both arguments must be in the same unit. A missing ULN gives a missing result.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(values, dtype=np.float64) / uln


def most_abnormal_enzyme(
    baseline: np.ndarray, followup: np.ndarray, uln: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Choose, per row, the enzyme most abnormal at baseline (docs/measures.md §1).

    Parameters
    ----------
    baseline, followup, uln : ndarray, shape (n, k)
        Enzyme values at the two visits and the upper limits of normal, one column per
        enzyme in the tie-break order of :data:`TIS_ENZYMES`. NaN = missing.

    Returns
    -------
    choice : ndarray of int, shape (n,)
        Column of the chosen enzyme; -1 where no enzyme is present at both visits.
    needs_uln : ndarray of bool, shape (n, k)
        Cells whose ULN is needed for the choice (two or more candidates) but missing.

    Notes
    -----
    Candidates are the enzymes present at both visits; the highest ×ULN at baseline wins,
    ties going to the earlier column (ck, aldolase, ldh, ast, alt). ×ULN is rounded to
    6 decimals so that equal ratios computed in floating point tie as they should.
    """
    k = baseline.shape[1]
    choice, needs = choose_enzyme(
        [baseline[:, j] for j in range(k)],
        [followup[:, j] for j in range(k)],
        [uln[:, j] for j in range(k)],
    )
    return choice, np.column_stack(needs) if k else np.zeros((len(baseline), 0), dtype=bool)


def choose_enzyme(
    baseline: list[np.ndarray], followup: list[np.ndarray], uln: list[np.ndarray]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """:func:`most_abnormal_enzyme` over one 1-D array per enzyme (no copies into 2-D).

    Returns the chosen position per row (-1 for none) and, per enzyme, the rows whose
    ULN is needed but missing.
    """
    n = len(baseline[0]) if baseline else 0
    best = np.full(n, -np.inf)
    # Branch-free updates (maximum, integer blend): the winner varies row by row, and
    # masked copies with such masks run several times slower.
    choice = np.full(n, -1, dtype=np.int8)
    count = np.zeros(n, dtype=np.uint8)
    ratio, better, step = np.empty(n), np.empty(n, dtype=bool), np.empty(n, dtype=np.int8)
    present = []
    for j, (b, f, limit) in enumerate(zip(baseline, followup, uln, strict=True)):
        here = ~np.isnan(b)
        here &= ~np.isnan(f)
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(b, limit, out=ratio)
        np.round(ratio, 6, out=ratio)
        # A single candidate needs no ULN: any finite score makes it the choice.
        np.copyto(ratio, 0.0, where=np.isnan(ratio))
        np.copyto(ratio, -np.inf, where=~here)
        # Strictly greater: a tie keeps the earlier enzyme (ck, aldolase, ldh, ast, alt).
        np.greater(ratio, best, out=better)
        np.maximum(best, ratio, out=best)
        np.subtract(j, choice, out=step)
        step *= better
        choice += step
        count += here
        present.append(here)
    several = count >= 2
    needs = [here & several & np.isnan(limit) for here, limit in zip(present, uln, strict=True)]
    return choice.astype(np.int64), needs
