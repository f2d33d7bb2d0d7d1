"""Release gating at import: the rules between infusions, lots and donors.

When the trial records its lots (``lots.csv`` with at least one lot), every infusion must
name a lot that is known, released, meets the release specification of ``trial.toml``
``[release]``, was made and released before the infusion, had not expired and was not
recalled by then. The problem names every reason that applies, each failed rule with
its limit (``infusions.csv row 4, column lot: 'L07' fails release: cd105_pct 90 is below
95 (ISCT 2006)``). A dose outside ``[release]`` ``dose_per_kg_min`` to ``dose_per_kg_max``
is refused whether or not the lots are recorded. A trial without lots is checked as before.

The rules themselves are :mod:`myotrial.product.release`; this module only places them
in files, rows and columns.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from myotrial.errors import Problem
from myotrial.ingest.cells import cell_problems, format_value
from myotrial.product.release import dose_outside, infusion_reasons
from myotrial.trialdata import TrialData


def product_problems(trial: TrialData, files: Mapping[str, str]) -> list[Problem]:
    """Problems of the infusions against the lots, and of the lots against the donors."""
    problems = _dose_problems(trial, files["infusions"])
    if trial.lots.empty or "lot" not in trial.lots.columns:
        return problems
    problems += _infusion_problems(trial, files["infusions"], files["lots"])
    problems += _lot_problems(trial, files["lots"], files["donors"])
    return problems


def _infusion_problems(trial: TrialData, file: str, lots_file: str) -> list[Problem]:
    infusions = trial.infusions
    if not {"lot", "infusion_date"} <= set(infusions.columns) or infusions.empty:
        return []
    missing = infusions["lot"].isna()
    problems = cell_problems(
        infusions,
        missing,
        "lot",
        file,
        "a value is required",
        f"the trial records its lots ({lots_file}): every infusion names its lot",
    )
    reasons = infusion_reasons(infusions, trial.lots, trial.config.release, lots_file)
    refused = reasons[reasons != ""]
    # One problem per refused infusion, naming every reason that applies to it.
    return problems + [
        Problem(file, int(i) + 2, "lot", format_value(lot), f"fails release: {why}")
        for i, lot, why in zip(
            refused.index, infusions.loc[refused.index, "lot"], refused, strict=True
        )
    ]


def _dose_problems(trial: TrialData, file: str) -> list[Problem]:
    spec = trial.config.release
    if spec.dose_per_kg is None:
        return []
    low, high = spec.dose_per_kg
    return cell_problems(
        trial.infusions,
        dose_outside(trial.infusions, spec),
        "cells_per_kg",
        file,
        f"is outside the protocol's dose {low:g}-{high:g} cells/kg",
        "[release] dose_per_kg_min and dose_per_kg_max in trial.toml; doses are never corrected",
    )


def _lot_problems(trial: TrialData, file: str, donors_file: str) -> list[Problem]:
    lots, donors = trial.lots, trial.donors
    problems = []
    if not donors.empty and "donor" in lots.columns:
        unknown = lots["donor"].notna() & ~lots["donor"].isin(donors["donor"])
        problems += cell_problems(
            lots,
            unknown,
            "donor",
            file,
            "refers to an unknown donor",
            f"add the donor to {donors_file} or correct the donor code",
        )
    if {"manufacture_date", "expiry_date"} <= set(lots.columns):
        early = lots["expiry_date"] < lots["manufacture_date"]
        hint = "manufactured " + lots.loc[early, "manufacture_date"].dt.strftime("%Y-%m-%d")
        problems += cell_problems(
            lots, early, "expiry_date", file, "is before the manufacture date", hint
        )
    return problems + _release_record_problems(lots, file)


def _release_record_problems(lots: pd.DataFrame, file: str) -> list[Problem]:
    """A release names who signed it off and when (``released_by``, ``released_date``)."""
    if "released" not in lots.columns:
        return []
    released = lots["released"].astype("boolean").fillna(False).astype(bool)
    problems = []
    for column, what in (("released_by", "who released it"), ("released_date", "when")):
        values = lots[column] if column in lots.columns else pd.Series(None, index=lots.index)
        problems += cell_problems(
            lots,
            released & values.isna(),
            column,
            file,
            "a value is required for a released lot",
            f"a release record says {what}",
        )
    return problems
