"""Visit values ready for analysis, and which columns are measures."""

from __future__ import annotations

import pandas as pd
from pandas.api import types as ptypes

from myotrial.config import TrialConfig
from myotrial.measures import canonical_visits

NOT_MEASURES: frozenset[str] = frozenset({"patient_id", "visit_date", "mmt_max"})
DERIVED: tuple[str, ...] = ("mmt8", "haq")
"""Totals ``canonical_visits`` computes from grades or categories when not entered."""


def measure_columns(visits: pd.DataFrame) -> list[str]:
    """Numeric visit columns that are measures, in table order.

    Identifiers, ``mmt_max``, upper limits of normal (``<enzyme>_uln``), multiples of the
    ULN (``<enzyme>_xuln``), aid flags (``haq_<category>_aid``) and true/false columns
    are not measures.
    """
    columns = []
    for name in visits.columns:
        series = visits[name]
        if name in NOT_MEASURES or str(name).endswith(("_uln", "_aid")):
            continue
        if ptypes.is_bool_dtype(series) or not ptypes.is_numeric_dtype(series):
            continue
        columns.append(str(name))
    return columns


def visit_values(visits: pd.DataFrame, config: TrialConfig) -> tuple[pd.DataFrame, list[str]]:
    """Visits in canonical units (``myotrial.measures.canonical_visits``) and their measures.

    The measures are the numeric columns of the visits as entered, the MMT-8 and HAQ-DI
    totals when computed from grades or categories, and ``ck_xuln`` (CK as a multiple of
    its upper limit of normal) when CK is recorded, as docs/analysis.md lists them.

    Raises
    ------
    InvalidInputError
        From ``canonical_visits``: a value outside its scale or not a number.
    """
    values = canonical_visits(visits, config)
    measures = measure_columns(visits)
    measures += [c for c in DERIVED if c not in measures and values[c].notna().any()]
    if "ck" in visits:
        measures.append("ck_xuln")
    for name in measures:
        values[name] = pd.to_numeric(values[name], errors="coerce").astype(float)
    return values, measures
