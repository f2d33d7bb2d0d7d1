"""What the use cases return, made fit for JSON and the page templates.

Dates without a time become ``YYYY-MM-DD``, other times ISO 8601; missing values
(``None``, ``NaN``, ``NaT``, ``pd.NA``) become ``None``; NumPy scalars become Python
numbers; DataFrames become lists of rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd


def jsonable(value: Any) -> Any:
    """``value`` with every row, list and mapping inside it made JSON-ready."""
    if isinstance(value, pd.DataFrame):
        return [jsonable(row) for row in value.to_dict("records")]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [jsonable(v) for v in value]
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if value is None or pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        if isinstance(value, pd.Timestamp) and value == value.normalize():
            return value.date().isoformat()
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value
