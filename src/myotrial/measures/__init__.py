"""Myositis measures and response criteria: pure, vectorised NumPy/pandas.

No database, no printing. Formulas and their sources: ``docs/measures.md``.
"""

from __future__ import annotations

from myotrial.measures.classification import (
    classify,
    classify_bohan_peter,
    classify_eular_acr,
)
from myotrial.measures.csm import (
    CSM,
    TIS_ENZYMES,
    most_abnormal_enzyme,
    times_uln,
    to_units_per_litre,
)
from myotrial.measures.doi import DOI_COLUMNS, score_doi
from myotrial.measures.haq import HAQ_CATEGORIES, haq_di
from myotrial.measures.mmt import MMT_GROUPS, mmt_total
from myotrial.measures.steroids import PREDNISONE_FACTORS, prednisone_equivalent
from myotrial.measures.tis import (
    TIS_COLUMNS,
    category_thresholds,
    improvement_percent,
    score_tis,
    tis_category,
)
from myotrial.measures.visits import canonical_visits, make_pairs
from myotrial.measures.worsening import confirmed_worsening, is_worse

__all__ = [
    "CSM",
    "DOI_COLUMNS",
    "HAQ_CATEGORIES",
    "MMT_GROUPS",
    "PREDNISONE_FACTORS",
    "TIS_COLUMNS",
    "TIS_ENZYMES",
    "canonical_visits",
    "category_thresholds",
    "classify",
    "classify_bohan_peter",
    "classify_eular_acr",
    "confirmed_worsening",
    "haq_di",
    "improvement_percent",
    "is_worse",
    "make_pairs",
    "mmt_total",
    "most_abnormal_enzyme",
    "prednisone_equivalent",
    "score_doi",
    "score_tis",
    "times_uln",
    "tis_category",
    "to_units_per_litre",
]
