"""Column specifications of every table of the trial folder, derived from the domain.

The tables and their columns are described once, in :mod:`myotrial.domain`; the bounds of
clinical scales (VAS, Kendall grades, HAQ, enzymes) are clinical constants of
:mod:`myotrial.measures.scales`. This module joins the two into the specifications the
readers parse with and :mod:`myotrial.ingest.validate` checks with, so a rule is written
once. Ranges that depend on the trial configuration (VAS scale, adult age) or on the
visit (MMT-8 total) are resolved by :func:`value_range`.

Sources: the trial-folder contract (``docs/trial-format.md``) and the measures it
carries (IMACS core set; ACR/EULAR 2016; Kendall 0-10 manual muscle testing; HAQ-DI).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from myotrial.config import TrialConfig
from myotrial.domain import (
    MMT_LIMB_GROUPS,
    MMT_SCALES,
    TABLES,
    VAS_COLUMNS,
    Column,
    Kind,
    Scale,
    Table,
)
from myotrial.domain.tables import (
    DIAGNOSES,
    DONORS,
    EVENT_TYPES,
    RELATEDNESS,
    SEXES,
    SOURCES,
)
from myotrial.measures.scales import scale_bounds

__all__ = [
    "DIAGNOSES",
    "DONORS",
    "EVENT_TYPES",
    "MMT_LIMB_GROUPS",
    "MMT_MAX_VALUES",
    "RELATEDNESS",
    "SEXES",
    "SOURCES",
    "TABLE_SPECS",
    "VAS_COLUMNS",
    "ColumnSpec",
    "Kind",
    "TableSpec",
    "core_columns",
    "known_columns",
    "range_rule",
    "value_range",
]

ColumnSpec = Column
"""A column with the bounds of its clinical scale filled in (see :func:`_with_bounds`)."""
TableSpec = Table
"""A table whose columns are :data:`ColumnSpec` objects."""

MMT_MAX_VALUES: tuple[int, ...] = MMT_SCALES

# Scales whose bounds follow the trial configuration, resolved per trial.
_CONFIGURED = (Scale.VAS, Scale.AGE)


def _with_bounds(column: Column) -> ColumnSpec:
    """``column`` with the fixed bounds of its clinical scale as its own bounds."""
    if column.scale is None or column.scale in _CONFIGURED:
        return column
    bounds = scale_bounds(column.scale)
    return replace(
        column,
        minimum=bounds.minimum,
        maximum=bounds.maximum,
        above_minimum=bounds.above_minimum,
    )


TABLE_SPECS: dict[str, TableSpec] = {
    table.name: replace(table, columns=tuple(_with_bounds(c) for c in table.columns))
    for table in TABLES
}
"""Every table of the trial folder, in the order of :data:`myotrial.domain.TABLES`."""

_COLUMN_INDEX: dict[str, dict[str, ColumnSpec]] = {
    spec.name: {c.name: c for c in spec.columns} for spec in TABLE_SPECS.values()
}


def core_columns(table: str) -> tuple[str, ...]:
    """Columns every parsed ``table`` carries, present in the file or not.

    Visits carry only their key plus the measure columns the file gives; the other tables
    carry every column of the format.
    """
    spec = TABLE_SPECS[table]
    return spec.core or tuple(c.name for c in spec.columns)


def known_columns(table: str) -> Iterable[str]:
    """Every column name the format defines for ``table``."""
    return _COLUMN_INDEX[table].keys()


def value_range(spec: ColumnSpec, config: TrialConfig) -> tuple[float | None, float | None]:
    """Inclusive (minimum, maximum) of ``spec`` under ``config``.

    VAS is 0-10 in cm and 0-100 in mm (docs/measures.md §1: a value outside its scale is an
    error, never clipped); age is 18-100 in adult trials and 0-100 otherwise. The MMT-8
    total's upper bound depends on each visit's ``mmt_max`` and is checked per row.
    """
    if spec.scale in _CONFIGURED:
        bounds = scale_bounds(spec.scale, config.vas_unit, config.population)
        return bounds.minimum, bounds.maximum
    return spec.minimum, spec.maximum


def range_rule(spec: ColumnSpec, config: TrialConfig) -> str:
    """The rule a value outside the range of ``spec`` breaks, in words.

    ``"is outside 0-10 (cm)"``, ``"is below 0"``, ``"must be above 0 and at most 1e+08"``.
    """
    low, high = value_range(spec, config)
    unit = f" ({config.vas_unit})" if spec.scale == Scale.VAS else ""
    if spec.above_minimum and low is not None:
        upper = f" and at most {_num(high)}" if high is not None else ""
        return f"must be above {_num(low)}{upper}"
    if low is not None and high is not None:
        return f"is outside {_num(low)}-{_num(high)}{unit}"
    if low is not None:
        return f"is below {_num(low)}"
    return f"is above {_num(high)}" if high is not None else "is out of range"


def _num(value: float) -> str:
    return f"{value:g}"
