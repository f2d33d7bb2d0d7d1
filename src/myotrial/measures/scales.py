"""The clinical scales of the measures: their bounds, units and unit conversions.

Every number that bounds a measure lives here once: the readers' range checks
(:mod:`myotrial.ingest.schema`) and the measures' own checks read it from here.

Sources: IMACS core set (Rider LG et al. Arthritis Care Res 2011;63 Suppl 11:S118-57):
global activity on a 10 cm visual analogue scale, Kendall 0-10 manual muscle testing
(MMT-8 total 0-80 one side, 0-150 both sides and axial); HAQ-DI 0-3 (Fries JF et al.
Arthritis Rheum 1980;23:137-45); ACR/EULAR 2016 adult criteria from age 18 (Aggarwal R
et al. Ann Rheum Dis 2017;76:792-801). Conventions of ``docs/measures.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from myotrial.domain import ENZYME_UNITS, MMT_SCALES, VAS_UNITS, Scale

VAS_STANDARD_UNIT = VAS_UNITS[0]
"""The unit the measures compute a VAS in (cm); mm are converted."""
ENZYME_STANDARD_UNIT = ENZYME_UNITS[0]
"""The unit the measures compute enzyme activity in (U/L); µkat/L are converted."""
VAS_MAX_CM = 10.0
"""A visual analogue scale runs from 0 to 10 cm."""
MM_PER_CM = 10.0
HAQ_MAX = 3.0
"""HAQ-DI and each HAQ category score run from 0 to 3."""
GRADE_MAX = 10.0
"""Kendall muscle grades run from 0 to 10."""
MMT_MAXIMA: tuple[int, ...] = MMT_SCALES
"""Upper ends of the two MMT-8 forms (one side; both sides and axial)."""
UKAT_TO_UL = 60.0
"""U/L = µkat/L × 60 (1 µkat = 60 µmol/min)."""
ENZYME_UNIT_FACTORS: Mapping[str, float] = dict(zip(ENZYME_UNITS, (1.0, UKAT_TO_UL), strict=True))
"""Factor from each declared enzyme unit to U/L."""
ENZYME_MIN = 0.0
"""Enzyme activity cannot be negative."""
ULN_ABOVE = 0.0
"""A laboratory's upper limit of normal is above 0."""
ADULT_MIN_AGE = 18.0
"""The adult criteria (ACR/EULAR 2016) apply from 18 years; juvenile ones below."""
MAX_AGE = 100.0


@dataclass(frozen=True)
class Bounds:
    """Inclusive bounds of a scale; ``above_minimum`` makes the lower one exclusive."""

    minimum: float | None
    maximum: float | None
    above_minimum: bool = False


_FIXED: Mapping[Scale, Bounds] = {
    Scale.MMT_GRADE: Bounds(0.0, GRADE_MAX),
    # The total's upper end is each visit's own mmt_max (80 or 150), checked per row.
    Scale.MMT_TOTAL: Bounds(0.0, None),
    Scale.HAQ_DI: Bounds(0.0, HAQ_MAX),
    Scale.HAQ_CATEGORY: Bounds(0.0, HAQ_MAX),
    Scale.ENZYME: Bounds(ENZYME_MIN, None),
    Scale.ULN: Bounds(ULN_ABOVE, None, above_minimum=True),
}


def vas_scale_max(vas_unit: str) -> float:
    """Upper end of the VAS as entered: 10 (cm) or 100 (mm)."""
    return VAS_MAX_CM * MM_PER_CM if vas_unit == "mm" else VAS_MAX_CM


def scale_bounds(scale: Scale, vas_unit: str = "cm", population: str = "adult") -> Bounds:
    """The bounds of ``scale`` for a trial entering VAS in ``vas_unit``.

    Parameters
    ----------
    scale : Scale
        The clinical scale.
    vas_unit : {"cm", "mm"}
        Unit of the visual analogue scales (0-10 cm or 0-100 mm).
    population : {"adult", "juvenile"}
        An adult trial enrols ages 18-100, a juvenile one 0-100.

    Returns
    -------
    Bounds
        Inclusive bounds (``None`` for none).
    """
    if scale is Scale.VAS:
        return Bounds(0.0, vas_scale_max(vas_unit))
    if scale is Scale.AGE:
        return Bounds(ADULT_MIN_AGE if population == "adult" else 0.0, MAX_AGE)
    return _FIXED[scale]
