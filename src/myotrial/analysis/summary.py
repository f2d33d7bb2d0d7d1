"""``summary.json``: counts, provenance, options, notes and the methods text."""

from __future__ import annotations

from typing import Any

import pandas as pd

from myotrial.analysis.headline import headline_counts
from myotrial.analysis.methods import as_records, conventions, paragraphs
from myotrial.analysis.options import AnalysisOptions, Notes
from myotrial.analysis.prepared import Prepared
from myotrial.trialdata import TrialData
from myotrial.version import __version__


def methods_text(trial: TrialData, options: AnalysisOptions) -> str:
    """The methods as ``summary.json`` writes them, for ``trial`` analysed with ``options``."""
    return paragraphs(conventions(trial.config, options))


def build_summary(
    trial: TrialData,
    options: AnalysisOptions,
    prep: Prepared,
    tables: dict[str, pd.DataFrame],
    notes: Notes,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything ``summary.json`` holds."""
    episodes = tables["episodes"]
    methods = conventions(trial.config, options)
    counts = {
        "patients": len(trial.patients),
        "treated_patients": int(episodes["patient_id"].nunique()),
        "infusions": len(trial.infusions),
        "episodes": len(episodes),
        "retreatments": int(episodes["retreatment"].sum()),
        "episodes_without_baseline": int(episodes["baseline_date"].isna().sum()),
        "visits": len(trial.visits),
        "followup_visits": int((prep.followup["episode"] > 0).sum()),
        "visits_at_timepoints": int(
            prep.mapped.loc[prep.mapped["episode"] > 0, "timepoint"].notna().sum()
        ),
        "adverse_events": len(trial.adverse_events),
    }
    options_used = {
        **options.to_dict(),
        "population": options.population or trial.config.population,
        "course_gap_days": trial.config.course_gap_days,
        "timepoints": {t.name: {"day": t.day, "window": t.window} for t in trial.config.timepoints},
    }
    return {
        "trial": trial.config.name,
        "software": "myotrial",
        "version": __version__,
        "source": trial.source,
        "input_checksum": trial.checksum,
        "counts": counts,
        "measures": prep.measures,
        "options": options_used,
        **(extra or {}),
        "notes": notes.items,
        "headline": headline_counts(episodes),
        "conventions": as_records(methods),
        "methods": paragraphs(methods),
    }
