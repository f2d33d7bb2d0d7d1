"""``analyze_product``: the lot-aware tables of a trial that records its cell product.

It runs after :func:`myotrial.analysis.analyze` and reuses its episodes; see
:mod:`myotrial.analysis.product` for the definitions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from myotrial.analysis.api import prepare
from myotrial.analysis.options import AnalysisOptions, Notes
from myotrial.analysis.product import (
    GROUPINGS,
    course_lots,
    dose_correlation,
    dose_response,
    group_models,
    reaction_rates,
    response_rates,
)
from myotrial.analysis.result import AnalysisResult
from myotrial.errors import ConfigError, Problem
from myotrial.product.release import lot_status
from myotrial.product.trace import infusion_lots
from myotrial.trialdata import TrialData

LOT_COLUMNS: tuple[str, ...] = (
    "lot",
    "donor",
    "released",
    "meets_specification",
    "recalled",
    "failures",
    "n_infusions",
    "n_patients",
    "first_infusion",
    "last_infusion",
)


@dataclass(frozen=True)
class ProductAnalysis:
    """The lot-aware tables; ``summary`` holds the dose correlation and the notes."""

    lots: pd.DataFrame
    rates: pd.DataFrame
    dose_response: pd.DataFrame
    group_model: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by file name (``product_lots`` ...), without ``.csv``."""
        return {
            "product_lots": self.lots,
            "product_rates": self.rates,
            "product_dose_response": self.dose_response,
            "product_group_model": self.group_model,
        }

    def write(self, folder: Path) -> list[Path]:
        """Write each table as CSV and ``product_summary.json`` into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, table in self.tables().items():
            path = folder / f"{name}.csv"
            table.to_csv(path, index=False)
            paths.append(path)
        path = folder / "product_summary.json"
        path.write_text(json.dumps(self.summary, indent=2, default=str), encoding="utf-8")
        return [*paths, path]


def analyze_product(
    trial: TrialData,
    result: AnalysisResult,
    options: AnalysisOptions | None = None,
    grouping: str = "donor",
) -> ProductAnalysis:
    """Response, infusion reactions and the efficacy model by lot and donor.

    Parameters
    ----------
    trial
        A trial with a ``lots`` table (and optionally ``donors``).
    result
        :func:`myotrial.analysis.analyze` of the same trial with the same options.
    options
        The analysis options (confidence level, baseline window).
    grouping
        ``"donor"`` or ``"lot"``: the random effect added above the patient's.

    Returns
    -------
    ProductAnalysis

    Raises
    ------
    ConfigError
        If ``grouping`` is neither ``donor`` nor ``lot``.
    """
    if grouping not in GROUPINGS:
        raise ConfigError(
            [Problem("analysis options", None, "grouping", grouping, "must be donor or lot")]
        )
    options = options or AnalysisOptions()
    notes = Notes()
    infusions = infusion_lots(trial.infusions, trial.lots)
    courses = course_lots(result.episodes, infusions)
    prep = prepare(trial, options, notes)
    rates = pd.concat(
        [
            response_rates(result.episodes, courses, options.confidence),
            reaction_rates(infusions, trial.adverse_events, options.confidence),
        ],
        ignore_index=True,
    )
    model = group_models(prep.baseline, prep.mapped, courses, grouping, options.confidence, notes)
    return ProductAnalysis(
        lots=lot_usage(trial, infusions),
        rates=rates,
        dose_response=dose_response(result.episodes, options.confidence),
        group_model=model,
        summary={
            "grouping": grouping,
            "dose_correlation": dose_correlation(result.episodes),
            "notes": [n for n in notes.items if n["code"].endswith("_model_not_fitted")],
        },
    )


def lot_usage(trial: TrialData, infusions: pd.DataFrame) -> pd.DataFrame:
    """Every lot: release status and how many infusions and patients it served."""
    status = lot_status(trial.lots, trial.config.release)
    used = (
        infusions.dropna(subset=["lot"])
        .groupby("lot")
        .agg(
            n_infusions=("infusion_date", "size"),
            n_patients=("patient_id", "nunique"),
            first_infusion=("infusion_date", "min"),
            last_infusion=("infusion_date", "max"),
        )
    )
    table = status.join(used, on="lot")
    table[["n_infusions", "n_patients"]] = table[["n_infusions", "n_patients"]].fillna(0)
    return table.reindex(columns=list(LOT_COLUMNS)).reset_index(drop=True)
