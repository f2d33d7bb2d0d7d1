"""Visit values ready for analysis, and which columns are measures."""

from __future__ import annotations

import pandas as pd
from pandas.api import types as ptypes

from myotrial.config import TrialConfig

NOT_MEASURES: frozenset[str] = frozenset({"patient_id", "visit_date", "mmt_max"})


def measure_columns(visits: pd.DataFrame) -> list[str]:
    """Numeric visit columns that are measures, in table order.

    Identifiers, ``mmt_max``, upper limits of normal (``<enzyme>_uln``), aid flags
    (``haq_<category>_aid``) and true/false columns are not measures.
    """
    columns = []
    for name in visits.columns:
        series = visits[name]
        if name in NOT_MEASURES or name.endswith(("_uln", "_aid")):
            continue
        if ptypes.is_bool_dtype(series) or not ptypes.is_numeric_dtype(series):
            continue
        columns.append(str(name))
    return columns


def visit_values(visits: pd.DataFrame, config: TrialConfig) -> pd.DataFrame:
    """Visits with every measure column as float64 (as entered)."""
    values = visits.copy()
    for name in measure_columns(visits):
        values[name] = pd.to_numeric(values[name], errors="coerce").astype(float)
    return values
