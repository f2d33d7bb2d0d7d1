"""Visits in canonical units, and pairs of visits in the PAIRS layout.

:func:`canonical_visits` turns visits as entered (VAS in the trial's unit, enzymes in
their declared unit, MMT grades, HAQ categories) into the units every formula uses; the
analysis builds reference/follow-up pairs from it with :func:`make_pairs` and scores them
with :func:`myotrial.score_tis`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from myotrial.domain import ENZYMES, TrialConfig
from myotrial.errors import InvalidInputError, Problem
from myotrial.measures import _checks, ranges
from myotrial.measures.csm import (
    PAIR_MEASURES,
    VAS_MEASURES,
    times_uln,
    to_units_per_litre,
    vas_to_cm,
)
from myotrial.measures.haq import category_columns, haq_di
from myotrial.measures.mmt import fill_mmt8

VISITS_FILE = "visits.csv"
BASELINE_WINDOW_DAYS = 30
"""Default baseline window (docs/measures.md §5): the episode baseline is the last visit
in this many days up to and including the first infusion day."""


def canonical_visits(
    visits: pd.DataFrame, config: TrialConfig, source: str = VISITS_FILE
) -> pd.DataFrame:
    """Visits with every measure in the units the formulas use.

    - ``phga``, ``ptga``, ``extramuscular`` in cm (divided by 10 if ``vas_unit = "mm"``);
    - ``mmt_max`` filled from the configuration; ``mmt8`` computed from the grades where
      not given (0-80: right side; 0-150: limb groups both sides plus neck);
    - ``haq`` computed from the categories where not given (aids rule, ≥ 6 answered);
    - enzymes in U/L (µkat/L × 60), ``<enzyme>_uln`` filled from the configuration and
      converted, and ``<enzyme>_xuln`` = value / ULN (NaN where no ULN is known).

    Parameters
    ----------
    visits : DataFrame
        The visits table as entered (trial format, ``visits.csv``).
    config : TrialConfig
        Supplies ``vas_unit``, ``mmt_max``, enzyme units and ULNs.
    source : str
        File name used in problems.

    Returns
    -------
    DataFrame
        A copy of ``visits`` with the columns above converted or added.

    Raises
    ------
    InvalidInputError
        Listing every value outside its scale, not a number, or an ``mmt8`` that
        disagrees with its grades.
    """
    problems: list[Problem] = []
    out = visits.copy()
    for key in VAS_MEASURES:
        if key in out:
            hint = "check the value and trial.toml vas_unit"
            values = ranges.vas(visits, key, config.vas_unit, hint, source, problems)
            out[key] = vas_to_cm(values, config.vas_unit)
    out["mmt_max"] = ranges.mmt_form(visits, "mmt_max", config.mmt_max, source, problems)
    out["mmt8"] = fill_mmt8(visits, out["mmt_max"].to_numpy(), "r", source, problems)
    out["haq"] = _visit_haq(visits, source, problems)
    for enzyme in ENZYMES:
        if enzyme in visits or f"{enzyme}_uln" in visits:
            out[[enzyme, f"{enzyme}_uln", f"{enzyme}_xuln"]] = _visit_enzyme(
                visits, enzyme, config, source, problems
            )
    if problems:
        raise InvalidInputError(problems)
    return out


def _visit_haq(visits: pd.DataFrame, source: str, problems: list[Problem]) -> np.ndarray:
    given = ranges.haq_index(visits, "haq", source, problems)
    if not category_columns(visits):
        return given
    return np.where(np.isnan(given), haq_di(visits, source, problems), given)


def _visit_enzyme(
    visits: pd.DataFrame, enzyme: str, config: TrialConfig, source: str, problems: list[Problem]
) -> np.ndarray:
    value = ranges.enzyme(visits, enzyme, source, problems)
    uln = ranges.uln(visits, f"{enzyme}_uln", source, problems)
    uln = np.where(np.isnan(uln), config.uln.get(enzyme, np.nan), uln)
    unit = config.unit(enzyme)
    value, uln = to_units_per_litre(value, unit), to_units_per_litre(uln, unit)
    return np.column_stack([value, uln, times_uln(value, uln)])


def make_pairs(baseline: pd.DataFrame, followup: pd.DataFrame, config: TrialConfig) -> pd.DataFrame:
    """Two aligned frames of canonical visits as a PAIRS table.

    Parameters
    ----------
    baseline, followup : DataFrame
        Canonical visits (see :func:`canonical_visits`) of equal length; row i of
        ``baseline`` is the reference visit of row i of ``followup``.
    config : TrialConfig
        Supplies ``mmt_max`` and ULNs where the visits leave them empty.

    Returns
    -------
    DataFrame
        On the index of ``followup``: ``patient_id`` and ``visit_date_0``/``_1`` when
        present, ``<key>_0``/``<key>_1`` for phga, ptga, mmt8, haq, extramuscular,
        ``mmt_max``, and ``<enzyme>_0``/``_1``/``_uln`` for each enzyme present.

    Raises
    ------
    ValueError
        If the frames differ in length.
    InvalidInputError
        If the two visits of a pair were scored on different MMT scales.
    """
    if len(baseline) != len(followup):
        raise ValueError(f"baseline has {len(baseline)} rows, followup {len(followup)}")
    columns: dict[str, np.ndarray] = {}
    if "patient_id" in followup:
        columns["patient_id"] = followup["patient_id"].to_numpy()
    if "visit_date" in baseline and "visit_date" in followup:
        columns["visit_date_0"] = baseline["visit_date"].to_numpy()
        columns["visit_date_1"] = followup["visit_date"].to_numpy()
    for key in PAIR_MEASURES:
        for visit, frame in (("0", baseline), ("1", followup)):
            columns[f"{key}_{visit}"] = _column(frame, key)
    columns["mmt_max"] = _pair_mmt_max(baseline, followup, config)
    for enzyme in ENZYMES:
        if enzyme in baseline or enzyme in followup:
            columns[f"{enzyme}_0"] = _column(baseline, enzyme)
            columns[f"{enzyme}_1"] = _column(followup, enzyme)
            uln = _column(baseline, f"{enzyme}_uln")
            uln = np.where(np.isnan(uln), _column(followup, f"{enzyme}_uln"), uln)
            columns[f"{enzyme}_uln"] = np.where(np.isnan(uln), config.uln.get(enzyme, np.nan), uln)
    return pd.DataFrame(columns, index=followup.index)


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), np.nan)
    return frame[name].to_numpy(dtype=np.float64, na_value=np.nan)


def _pair_mmt_max(
    baseline: pd.DataFrame, followup: pd.DataFrame, config: TrialConfig
) -> np.ndarray:
    first, second = _column(baseline, "mmt_max"), _column(followup, "mmt_max")
    differ = ~np.isnan(first) & ~np.isnan(second) & (first != second)
    if differ.any():
        problems: list[Problem] = []
        _checks.add_problems(
            followup,
            "mmt_max",
            differ,
            "differs from the reference visit's mmt_max",
            "both visits of a pair must use the same MMT-8 form",
            VISITS_FILE,
            problems,
        )
        raise InvalidInputError(problems)
    value = np.where(np.isnan(first), second, first)
    return np.where(np.isnan(value), float(config.mmt_max), value)
