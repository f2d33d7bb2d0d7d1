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

import pandas as pd

from myotrial.domain import TABLE_NAMES, TrialConfig

TABLES: tuple[str, ...] = TABLE_NAMES
"""The table names of the trial format (:data:`myotrial.domain.TABLES`), in order."""


@dataclass(frozen=True)
class TrialData:
    """A whole trial: configuration and the six tables of the trial format."""

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
