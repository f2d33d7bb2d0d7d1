"""The result of ``myotrial analyze``: every table of the analysis as a DataFrame.

Column names and meanings are those of ``docs/analysis.md``; values are full precision
(the report rounds). ``write`` puts each table in a folder as ``<name>.csv`` plus
``summary.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from myotrial.text import CSV_FLOAT_FORMAT

TABLE_NAMES: tuple[str, ...] = (
    "episodes",
    "baseline",
    "change_from_baseline",
    "scores",
    "response",
    "relapse",
    "safety",
    "safety_summary",
    "lung_skin",
    "steroids",
    "longitudinal",
)
ARM_TABLES: tuple[str, ...] = ("arm_comparison", "safety_by_arm")
"""Tables written only for a trial with two arms."""


@dataclass(frozen=True)
class AnalysisResult:
    """Every table of the analysis, plus ``summary`` (what ``summary.json`` holds)."""

    episodes: pd.DataFrame
    baseline: pd.DataFrame
    change_from_baseline: pd.DataFrame
    scores: pd.DataFrame
    response: pd.DataFrame
    relapse: pd.DataFrame
    safety: pd.DataFrame
    safety_summary: pd.DataFrame
    lung_skin: pd.DataFrame
    steroids: pd.DataFrame
    longitudinal: pd.DataFrame
    arm_comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    safety_by_arm: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by file name (without ``.csv``)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "summary"}

    def write(self, folder: Path) -> list[Path]:
        """Write every table as CSV and ``summary.json`` into ``folder``; return the paths."""
        folder.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for name, table in self.tables().items():
            if name in ARM_TABLES and table.empty:
                continue
            path = folder / f"{name}.csv"
            table.to_csv(path, index=False, date_format="%Y-%m-%d", float_format=CSV_FLOAT_FORMAT)
            written.append(path)
        path = folder / "summary.json"
        path.write_text(json.dumps(self.summary, indent=2, default=str) + "\n", encoding="utf-8")
        written.append(path)
        return written
