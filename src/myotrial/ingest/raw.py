"""Tables as read from a trial folder or workbook, before typing.

Both readers (:mod:`myotrial.ingest.reader` for folders, :mod:`myotrial.ingest.workbook`
for ``.xlsx``) produce :class:`RawTable` objects; the reader types and validates them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from myotrial.ingest.schema import TABLE_SPECS


@dataclass(frozen=True)
class RawTable:
    """One table as read: strings (``""`` for empty), or ``None`` when it could not be read."""

    name: str
    file: str
    strings: pd.DataFrame | None


def empty_table(table: str) -> pd.DataFrame:
    """A table with no rows and the columns the format requires, as strings."""
    columns = [c.name for c in TABLE_SPECS[table].columns if c.present]
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
