"""Reading a PAIRS table (one row per reference/follow-up pair) into checked arrays.

The PAIRS layout is described in the trial format ("Score input"): ``<key>_0`` is the
reference (baseline) visit and ``<key>_1`` the later visit, for ``phga``, ``ptga``,
``mmt8``, ``haq`` and ``extramuscular``; ``mmt_max``; and for each enzyme present
``<enzyme>_0``, ``<enzyme>_1`` and ``<enzyme>_uln``. Every value is checked against its
scale (never clipped); all problems are collected and raised together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from myotrial.domain import ENZYME_UNITS, VAS_UNITS
from myotrial.errors import ConfigError, InvalidInputError, Problem
from myotrial.measures import _checks, ranges
from myotrial.measures.csm import (
    ENZYME_UNIT_FACTORS,
    MMT_MAXIMA,
    PAIR_MEASURES,
    TIS_ENZYMES,
    VAS_MEASURES,
    choose_enzyme,
    vas_to_cm,
)

DEFAULT_MMT_MAX = 80


@dataclass(frozen=True)
class PairOptions:
    """How a PAIRS table is read: units, the MMT scale and the enzyme limits."""

    mmt_max: int | None = None
    vas_unit: str = "cm"
    enzyme_units: Mapping[str, str] = field(default_factory=dict)
    uln: Mapping[str, float] = field(default_factory=dict)
    source: str = "pairs"

    def check(self) -> None:
        """Raise :class:`ConfigError` for an option outside its allowed values."""
        _checks.check_option("mmt_max", self.mmt_max, (None, *MMT_MAXIMA))
        _checks.check_option("vas_unit", self.vas_unit, VAS_UNITS)
        problems = [
            Problem("options", None, f"enzyme_units.{name}", str(unit), "must be U/L or ukat/L")
            for name, unit in self.enzyme_units.items()
            if unit not in ENZYME_UNITS
        ]
        problems += [
            Problem("options", None, f"uln.{name}", str(value), "must be a number above 0")
            for name, value in self.uln.items()
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0
        ]
        if problems:
            raise ConfigError(problems)

    def as_dict(self) -> dict[str, Any]:
        """The options as plain values, for ``DataFrame.attrs["options"]``."""
        return {
            "mmt_max": self.mmt_max,
            "vas_unit": self.vas_unit,
            "enzyme_units": dict(self.enzyme_units),
            "uln": dict(self.uln),
        }


@dataclass(frozen=True)
class CsmPairs:
    """The six CSM at both visits, in canonical units (cm, U/L), NaN = missing."""

    baseline: dict[str, np.ndarray]
    followup: dict[str, np.ndarray]
    mmt_max: np.ndarray
    enzyme: np.ndarray
    """Position in :data:`TIS_ENZYMES` of the enzyme chosen per row (-1: none at both visits)."""


def read_pairs(pairs: pd.DataFrame, options: PairOptions, enzymes: bool = True) -> CsmPairs:
    """Check a PAIRS table and return its measures as arrays in cm and U/L.

    With ``enzymes=False`` the enzyme columns are not read (the enzyme CSM is all missing),
    for rules that do not use it such as worsening (docs/measures.md §4).

    Raises
    ------
    ConfigError
        If an option is outside its allowed values.
    InvalidInputError
        Listing every cell that is not a number or lies outside its scale, and every
        enzyme whose ULN is needed but given neither in the row nor in ``options.uln``.
    """
    options.check()
    problems: list[Problem] = []
    mmt_max = _mmt_max(pairs, options, problems)
    baseline: dict[str, np.ndarray] = {}
    followup: dict[str, np.ndarray] = {}
    for key in PAIR_MEASURES:
        for visit, store in (("0", baseline), ("1", followup)):
            store[key] = _measure(pairs, key, f"{key}_{visit}", mmt_max, options, problems)
    enzyme_0, enzyme_1, chosen = _enzyme(pairs if enzymes else pairs.iloc[:, :0], options, problems)
    if problems:
        raise InvalidInputError(problems)
    baseline["enzyme"], followup["enzyme"] = enzyme_0, enzyme_1
    return CsmPairs(baseline, followup, mmt_max, chosen)


def _mmt_max(pairs: pd.DataFrame, options: PairOptions, problems: list[Problem]) -> np.ndarray:
    default = options.mmt_max if options.mmt_max is not None else DEFAULT_MMT_MAX
    return ranges.mmt_form(pairs, "mmt_max", default, options.source, problems)


def _measure(
    pairs: pd.DataFrame,
    key: str,
    column: str,
    mmt_max: np.ndarray,
    options: PairOptions,
    problems: list[Problem],
) -> np.ndarray:
    source = options.source
    if key in VAS_MEASURES:
        hint = "check the value and the declared vas_unit"
        values = ranges.vas(pairs, column, options.vas_unit, hint, source, problems)
        return vas_to_cm(values, options.vas_unit)
    if key == "haq":
        return ranges.haq_index(pairs, column, source, problems)
    values = _checks.numeric(pairs, column, source, problems)
    _checks.check_range(
        pairs,
        column,
        values,
        0.0,
        mmt_max,
        "is outside 0-mmt_max",
        f"mmt_max is {ranges.MMT_FORM_HINT}",
        source,
        problems,
    )
    return values


def _enzyme_arrays(
    pairs: pd.DataFrame, name: str, options: PairOptions, problems: list[Problem]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    source = options.source
    factor = ENZYME_UNIT_FACTORS[options.enzyme_units.get(name, "U/L")]
    values = [ranges.enzyme(pairs, f"{name}_{visit}", source, problems) for visit in "01"]
    uln = ranges.uln(pairs, f"{name}_uln", source, problems)
    no_uln = np.isnan(uln)
    if no_uln.any():
        uln = np.where(no_uln, options.uln.get(name, np.nan), uln)
    if factor == 1.0:
        return values[0], values[1], uln
    # U/L = µkat/L × 60; the ULN is declared in the same unit as the values.
    return values[0] * factor, values[1] * factor, uln * factor


def _enzyme(
    pairs: pd.DataFrame, options: PairOptions, problems: list[Problem]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(pairs)
    names = [e for e in TIS_ENZYMES if f"{e}_0" in pairs or f"{e}_1" in pairs]
    if not names:
        return np.full(n, np.nan), np.full(n, np.nan), np.full(n, -1, dtype=np.int64)
    arrays = [_enzyme_arrays(pairs, name, options, problems) for name in names]
    base, follow, uln = ([a[i] for a in arrays] for i in range(3))
    choice, needs_uln = choose_enzyme(base, follow, uln)
    for name, needs in zip(names, needs_uln, strict=True):
        _checks.add_problems(
            pairs,
            f"{name}_uln",
            needs,
            f"no upper limit of normal for {name}",
            f"give {name}_uln in the row, or one limit for every row: --uln {name}=VALUE "
            f"(myotrial score) or {name} = VALUE under [uln] (trial.toml)",
            options.source,
            problems,
        )
    enzyme_0, enzyme_1 = np.full(n, np.nan), np.full(n, np.nan)
    chosen = np.empty(n, dtype=bool)
    for j in range(len(names)):
        # np.where beats a masked copy when the chosen enzyme changes from row to row.
        np.equal(choice, j, out=chosen)
        enzyme_0 = np.where(chosen, base[j], enzyme_0)
        enzyme_1 = np.where(chosen, follow[j], enzyme_1)
    codes = np.array([*(TIS_ENZYMES.index(name) for name in names), -1])
    return enzyme_0, enzyme_1, codes.take(choice)  # choice -1 takes the last code, -1
