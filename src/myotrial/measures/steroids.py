"""Glucocorticoid doses as daily prednisone-equivalent milligrams (docs/measures.md §7).

Equivalents: prednisone 5 mg = prednisolone 5 = methylprednisolone 4 = hydrocortisone 20
= dexamethasone 0.75 (standard anti-inflammatory potency tables, e.g. Liu D et al.
Allergy Asthma Clin Immunol 2013;9:30).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from myotrial.errors import InvalidInputError, Problem
from myotrial.measures import _checks

PREDNISONE_FACTORS: Mapping[str, float] = {
    "prednisone": 1.0,
    "prednisolone": 1.0,
    "methylprednisolone": 5.0 / 4.0,
    "hydrocortisone": 5.0 / 20.0,
    "dexamethasone": 5.0 / 0.75,
}
"""Milligrams of prednisone per milligram of each glucocorticoid."""
TAPER_MG = 7.5
"""Prednisone-equivalent mg/day below which a dose counts as tapered: the usual
"low dose" target of tapering."""
REFERENCE_MG = 5.0
"""The prednisone dose the equivalence table is stated for."""


def equivalence_text() -> str:
    """The equivalence table in words: ``prednisone 5 mg = prednisolone 5 = ...``."""
    doses = [f"{drug} {REFERENCE_MG / factor:g}" for drug, factor in PREDNISONE_FACTORS.items()]
    return f"{doses[0]} mg = " + " = ".join(doses[1:])


def prednisone_factor(drug: pd.Series) -> np.ndarray:
    """Prednisone mg per mg of ``drug`` (case-insensitive); NaN for other drugs."""
    names = drug.astype("string").str.strip().str.lower()
    return names.map(PREDNISONE_FACTORS).astype("Float64").to_numpy(np.float64, na_value=np.nan)


def prednisone_equivalent(medications: pd.DataFrame, source: str = "medications.csv") -> pd.Series:
    """Daily prednisone-equivalent mg of each glucocorticoid row.

    Parameters
    ----------
    medications : DataFrame
        Columns ``drug``, ``dose`` (mg/day) and optionally ``unit`` (must be mg when given).
        Rows of drugs that are not glucocorticoids get NaN.
    source : str
        File name used in problems.

    Returns
    -------
    Series
        ``prednisone_mg`` on the index of ``medications``.

    Raises
    ------
    InvalidInputError
        If a glucocorticoid dose is negative or not a number, or its unit is not mg.
    """
    problems: list[Problem] = []
    factor = prednisone_factor(medications["drug"])
    steroid = ~np.isnan(factor)
    dose = _checks.numeric(medications, "dose", source, problems)
    _checks.add_problems(
        medications,
        "dose",
        steroid & (dose < 0),
        "is below 0",
        "a daily dose in mg",
        source,
        problems,
    )
    if "unit" in medications:
        unit = medications["unit"].astype("string").str.strip().str.lower()
        bad = steroid & (unit.notna() & (unit != "mg")).to_numpy(dtype=bool)
        _checks.add_problems(
            medications,
            "unit",
            bad,
            "must be mg for a glucocorticoid",
            "convert the dose to mg/day",
            source,
            problems,
        )
    if problems:
        raise InvalidInputError(problems)
    return pd.Series(dose * factor, index=medications.index, name="prednisone_mg")
