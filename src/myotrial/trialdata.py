"""The trial in memory: one DataFrame per table of the trial folder plus its configuration.

This is the single currency between the adapters (trial-folder and REDCap readers, the
database) and the analyses. Conventions every producer keeps:

- one DataFrame per table, column names lower case as in the trial format; columns the
  format does not know are kept (``extra_columns`` lists them);
- dates are ``datetime64[ns]`` at midnight, booleans are pandas ``boolean``, numbers
  ``float64``, text ``object`` (str or missing);
- values are kept **as entered** (VAS in the trial's ``vas_unit``, enzymes in their
  declared unit); ``myotrial.measures`` converts to cm and U/L where a formula needs it,
  so nothing is lost between import and export.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import PurePath

import pandas as pd

from myotrial.domain import TABLE_NAMES, Kind, TrialConfig, table

_DTYPES: dict[Kind, str] = {
    Kind.TEXT: "object",
    Kind.NUMBER: "float64",
    Kind.INTEGER: "float64",
    Kind.DATE: "datetime64[ns]",
    Kind.BOOL: "boolean",
}

TABLES: tuple[str, ...] = TABLE_NAMES
"""The table names of the trial format (:data:`myotrial.domain.TABLES`), in order."""
PRODUCT_TABLES: tuple[str, ...] = ("donors", "lots")
"""The cell-product record: optional, and empty in a trial that does not keep it."""
PATIENT_TABLES: tuple[str, ...] = tuple(t for t in TABLES if t not in PRODUCT_TABLES)
"""The tables whose rows belong to a patient (what a REDCap patient project holds)."""


@dataclass(frozen=True)
class TrialData:
    """A whole trial: configuration and the tables of the trial format.

    ``donors`` and ``lots`` (the cell-product record) are optional: a trial that does not
    record them has them empty, with every column of the format.
    """

    config: TrialConfig
    patients: pd.DataFrame
    infusions: pd.DataFrame
    visits: pd.DataFrame
    adverse_events: pd.DataFrame
    events: pd.DataFrame
    medications: pd.DataFrame
    source: str = ""
    checksum: str = ""
    extra_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    donors: pd.DataFrame = field(default_factory=lambda: empty_table("donors"))
    lots: pd.DataFrame = field(default_factory=lambda: empty_table("lots"))

    def table(self, name: str) -> pd.DataFrame:
        """The table called ``name`` (one of :data:`TABLES`)."""
        if name not in TABLES:
            raise ValueError(f"unknown table {name!r}; expected one of {', '.join(TABLES)}")
        frame: pd.DataFrame = getattr(self, name)
        return frame

    def with_tables(self, **tables: pd.DataFrame) -> TrialData:
        """A copy with some tables replaced."""
        unknown = set(tables) - set(TABLES)
        if unknown:
            raise ValueError(f"unknown tables {sorted(unknown)}; expected {', '.join(TABLES)}")
        return replace(self, **tables)  # type: ignore[arg-type]


def empty_table(name: str) -> pd.DataFrame:
    """Table ``name`` with no rows and every column of the format, typed."""
    columns = table(name).columns
    return pd.DataFrame({c.name: pd.Series(dtype=_DTYPES[c.kind]) for c in columns})


def table_files(source: str) -> dict[str, str]:
    """The name each table is reported under for a trial read from ``source``.

    ``<table>.csv`` for a folder, ``<workbook> sheet <table>`` for an ``.xlsx`` workbook.
    """
    if source.lower().endswith(".xlsx"):
        book = PurePath(source).name
        return {t: f"{book} sheet {t}" for t in TABLES}
    return {t: f"{t}.csv" for t in TABLES}
