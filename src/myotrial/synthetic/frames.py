"""Typed tables for synthetic trials, in the column order of the trial format.

The dtypes are those of :mod:`myotrial.trialdata`: dates ``datetime64[ns]``, flags pandas
``boolean``, numbers ``float64``, text ``object`` with ``None`` for missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

TEXT, DATE, FLAG, NUMBER = "text", "date", "flag", "number"
Columns = dict[str, Any]
"""A table under construction: column name to an array of values."""

COLUMNS: dict[str, dict[str, str]] = {
    "patients": {
        "patient_id": TEXT,
        "site": TEXT,
        "sex": TEXT,
        "age": NUMBER,
        "diagnosis": TEXT,
        "onset_date": DATE,
        "diagnosis_date": DATE,
        "enrolment_date": DATE,
        "weight_kg": NUMBER,
        "height_cm": NUMBER,
        "race": TEXT,
        "arm": TEXT,
        "randomisation_date": DATE,
        "refractory": FLAG,
        "severe_systemic": FLAG,
        "ild": FLAG,
        "antibody": TEXT,
    },
    "infusions": {
        "patient_id": TEXT,
        "infusion_date": DATE,
        "source": TEXT,
        "donor": TEXT,
        "cells_per_kg": NUMBER,
        "lot": TEXT,
        "route": TEXT,
        "viability_pct": NUMBER,
    },
    "visits": {
        "patient_id": TEXT,
        "visit_date": DATE,
        "phga": NUMBER,
        "ptga": NUMBER,
        "extramuscular": NUMBER,
        "mmt8": NUMBER,
        "haq": NUMBER,
        "ck": NUMBER,
        "ck_mb": NUMBER,
        "aldolase": NUMBER,
        "ldh": NUMBER,
        "ast": NUMBER,
        "alt": NUMBER,
        "fvc_pct": NUMBER,
        "dlco_pct": NUMBER,
        "hrct_score": NUMBER,
        "ulcers": NUMBER,
        "cdasi_activity": NUMBER,
        "prednisone_mg": NUMBER,
    },
    "adverse_events": {
        "patient_id": TEXT,
        "onset_date": DATE,
        "term": TEXT,
        "soc": TEXT,
        "grade": NUMBER,
        "serious": FLAG,
        "relatedness": TEXT,
        "infusion_reaction": FLAG,
        "resolved_date": DATE,
        "outcome": TEXT,
    },
    "events": {"patient_id": TEXT, "event_date": DATE, "type": TEXT, "note": TEXT},
    "medications": {
        "patient_id": TEXT,
        "drug": TEXT,
        "dose": NUMBER,
        "unit": TEXT,
        "start_date": DATE,
        "stop_date": DATE,
    },
}

SORT_KEYS: dict[str, list[str]] = {
    "patients": ["patient_id"],
    "infusions": ["patient_id", "infusion_date"],
    "visits": ["patient_id", "visit_date"],
    "adverse_events": ["patient_id", "onset_date", "term"],
    "events": ["patient_id", "event_date"],
    "medications": ["patient_id", "start_date", "drug"],
}


def typed_table(name: str, data: Mapping[str, Any]) -> pd.DataFrame:
    """Build table ``name`` from column arrays, typed and sorted by its natural key.

    Columns missing from ``data`` are added empty, so every synthetic table carries the
    full set of columns of the trial format.
    """
    length = max((len(v) for v in data.values()), default=0)
    columns: dict[str, pd.Series] = {}
    for column, kind in COLUMNS[name].items():
        values = data.get(column)
        if values is None:
            values = np.full(length, np.nan)
        columns[column] = _typed(pd.Series(values), kind)
    frame = pd.DataFrame(columns)
    return frame.sort_values(SORT_KEYS[name], kind="mergesort").reset_index(drop=True)


def blank_to_missing(text: np.ndarray) -> np.ndarray:
    """Text values with empty strings replaced by ``None`` (missing), as the reader gives."""
    result = np.asarray(text, dtype=object).copy()
    result[result == ""] = None
    return result


def _typed(values: pd.Series, kind: str) -> pd.Series:
    if kind == DATE:
        if pd.api.types.is_datetime64_any_dtype(values):
            return values.astype("datetime64[ns]")
        return pd.to_datetime(values).astype("datetime64[ns]")
    if kind == FLAG:
        return values.astype("boolean")
    if kind == NUMBER:
        return values.astype("float64")
    text = values.astype(object)
    return text.where(text.notna(), None)
