"""The columns the store keeps typed, and the natural key of each table.

Derived from the trial's tables (:mod:`myotrial.domain`): every column the trial format
names has a typed database column (whole numbers are kept as numbers); any other column
of an imported table is kept per row as JSON, so nothing entered is lost. Natural keys
identify a row across imports: re-importing a folder compares rows by these keys, never
by position.
"""

from __future__ import annotations

from typing import Literal

from myotrial.domain import TABLES
from myotrial.domain import Kind as ColumnKind

Kind = Literal["text", "number", "date", "bool"]

_STORED_KIND: dict[ColumnKind, Kind] = {
    ColumnKind.TEXT: "text",
    ColumnKind.NUMBER: "number",
    # The database keeps whole numbers (grades, counts, mmt_max) as numbers, as read.
    ColumnKind.INTEGER: "number",
    ColumnKind.DATE: "date",
    ColumnKind.BOOL: "bool",
}

COLUMNS: dict[str, tuple[tuple[str, Kind], ...]] = {
    table.name: tuple((c.name, _STORED_KIND[c.kind]) for c in table.columns) for table in TABLES
}
"""Typed columns per table, in the order of the trial format."""

KEYS: dict[str, tuple[str, ...]] = {table.name: table.key for table in TABLES}
"""The natural key of each table: how a row is recognised from one import to the next."""


REPEATABLE: frozenset[str] = frozenset(table.name for table in TABLES if table.repeatable)
"""Tables where two rows may share a natural key (two adverse events with the same term
on one day): the store numbers such rows in order (``occurrence`` 0, 1, ...) and matches
the n-th incoming row with the n-th stored one."""


def match_keys(table: str) -> tuple[str, ...]:
    """The columns that identify a stored row: the natural key, plus ``occurrence``."""
    return KEYS[table] + (("occurrence",) if table in REPEATABLE else ())


def kinds(table: str) -> dict[str, Kind]:
    """Column name to kind for the typed columns of ``table``."""
    return dict(COLUMNS[table])
