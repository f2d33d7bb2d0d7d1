"""Change from baseline by episode, measure and time point (docs/analysis.md).

The pilot's table: mean ± SD at baseline and at each time point with a paired test, for
every numeric visit measure; here with the signed-rank test and a 95 % t interval added.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from myotrial.analysis.options import AnalysisOptions, Notes
from myotrial.analysis.paired import MIN_PAIRS, PAIRED_COLUMNS, paired_summary

CHANGE_COLUMNS: tuple[str, ...] = ("episode", "measure", "timepoint", "day", *PAIRED_COLUMNS)
PAIR_KEYS: list[str] = ["patient_id", "episode"]
TEST_COLUMNS: list[str] = ["change_ci_low", "change_ci_high", "p_ttest", "p_wilcoxon"]


def baseline_values(values: pd.DataFrame, episodes: pd.DataFrame) -> pd.DataFrame:
    """The visit values at each episode's baseline (episodes without one are left out).

    Parameters
    ----------
    values
        Visit values (``patient_id``, ``visit_date``, measures).
    episodes
        ``patient_id``, ``episode``, ``baseline_date``.
    """
    keys = episodes.dropna(subset=["baseline_date"])[[*PAIR_KEYS, "baseline_date"]]
    return keys.merge(
        values,
        left_on=["patient_id", "baseline_date"],
        right_on=["patient_id", "visit_date"],
        how="inner",
    )


def paired_long(
    mapped: pd.DataFrame, baseline: pd.DataFrame, measures: Sequence[str]
) -> pd.DataFrame:
    """One row per patient, episode, time point and measure with ``x0`` and ``x1``."""
    at_points = mapped.dropna(subset=["timepoint"])
    followup = at_points.melt(
        id_vars=[*PAIR_KEYS, "timepoint", "nominal_day"],
        value_vars=list(measures),
        var_name="measure",
        value_name="x1",
    )
    base = baseline.melt(
        id_vars=PAIR_KEYS, value_vars=list(measures), var_name="measure", value_name="x0"
    )
    long = followup.merge(base, on=[*PAIR_KEYS, "measure"], how="inner")
    long = long.dropna(subset=["x0", "x1"])
    long["measure"] = pd.Categorical(long["measure"], categories=list(measures), ordered=True)
    return long.rename(columns={"nominal_day": "day"})


def change_from_baseline(
    mapped: pd.DataFrame,
    baseline: pd.DataFrame,
    measures: Sequence[str],
    options: AnalysisOptions,
    notes: Notes | None = None,
) -> pd.DataFrame:
    """The ``change_from_baseline`` table.

    Parameters
    ----------
    mapped
        Follow-up visits mapped to time points (:func:`~myotrial.analysis.episodes.
        map_timepoints`), with the measure columns.
    baseline
        Baseline values per patient and episode (:func:`baseline_values`).
    measures
        The measure columns, in the order the table lists them.
    options
        Confidence level and the exact signed-rank limit.
    notes
        Where groups too small for a test are noted.

    Returns
    -------
    DataFrame
        Columns :data:`CHANGE_COLUMNS`, ordered by episode, measure and day.
    """
    long = paired_long(mapped, baseline, measures)
    if long.empty:
        return pd.DataFrame(columns=list(CHANGE_COLUMNS))
    table = paired_summary(
        long, ["episode", "measure", "day", "timepoint"], options.confidence, options.exact_max_n
    )
    table["measure"] = table["measure"].astype(str)
    table = table[list(CHANGE_COLUMNS)].reset_index(drop=True)
    # The TIS is 0 at baseline by construction and never negative: a test of its change
    # against 0 answers no question, so only its mean and SD are shown.
    table.loc[table["measure"] == "tis", TEST_COLUMNS] = np.nan
    small = table[table["n"] < MIN_PAIRS]
    if notes is not None and not small.empty:
        notes.add(
            "too_few_pairs",
            f"{len(small)} measure/time-point group(s) have fewer than {MIN_PAIRS} patients "
            "with both values: mean shown, no interval or test",
            count=len(small),
        )
    constant = table[(table["n"] >= MIN_PAIRS) & (table["change_sd"] == 0)]
    if notes is not None and not constant.empty:
        notes.add(
            "constant_change",
            f"{len(constant)} measure/time-point group(s) have the same change in every "
            "patient: no interval or t-test (the t statistic is undefined)",
            count=len(constant),
        )
    return table
