"""What a trial is: its tables and columns, configuration, arms and episodes.

Plain dataclasses and enumerations, standard library only. Everything else is derived
from here: the trial-folder readers, the database columns, the REDCap project and the
CDISC datasets. Clinical constants (scale bounds, TIS points and thresholds, units
conversion) are rules of the measures and live in :mod:`myotrial.measures`.
"""

from __future__ import annotations

from myotrial.domain.arms import ARMS, CONTROL_ARM, TREATED_ARM
from myotrial.domain.columns import Column, Kind, Scale, Table
from myotrial.domain.config import (
    DEFAULT_TIMEPOINTS,
    ENZYME_UNITS,
    ENZYMES,
    MMT_SCALES,
    POPULATIONS,
    VAS_UNITS,
    Timepoint,
    TrialConfig,
)
from myotrial.domain.episodes import ENTRY_EPISODE, EPISODE_COLUMNS, Episode
from myotrial.domain.tables import (
    HAQ_CATEGORIES,
    MMT_GROUPS,
    MMT_LIMB_GROUPS,
    TABLE_NAMES,
    TABLES,
    VAS_COLUMNS,
    table,
)

__all__ = [
    "ARMS",
    "CONTROL_ARM",
    "DEFAULT_TIMEPOINTS",
    "ENTRY_EPISODE",
    "ENZYMES",
    "ENZYME_UNITS",
    "EPISODE_COLUMNS",
    "HAQ_CATEGORIES",
    "MMT_GROUPS",
    "MMT_LIMB_GROUPS",
    "MMT_SCALES",
    "POPULATIONS",
    "TABLES",
    "TABLE_NAMES",
    "TREATED_ARM",
    "VAS_COLUMNS",
    "VAS_UNITS",
    "Column",
    "Episode",
    "Kind",
    "Scale",
    "Table",
    "Timepoint",
    "TrialConfig",
    "table",
]
