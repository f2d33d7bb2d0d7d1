"""Response rates with exact (Clopper-Pearson) confidence intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from myotrial.analysis.headline import unscorable_courses

RESPONSE_COLUMNS: tuple[str, ...] = (
    "episode",
    "timepoint",
    "criterion",
    "n",
    "responders",
    "proportion",
    "ci_low",
    "ci_high",
    "unscorable",
    "denominator",
    "proportion_nri",
    "ci_low_nri",
    "ci_high_nri",
)
SCORED_ONLY = "courses with a score; unscorable courses not counted"
"""``denominator`` of ``n`` and ``proportion``; the ``_nri`` columns count every course,
an unscorable one as a non-responder (non-responder imputation, as ProDERM)."""
ANY_VISIT = "any visit"
CSM: tuple[str, ...] = ("phga", "ptga", "mmt8", "haq", "enzyme", "extramuscular")
SCORE_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "episode",
    "timepoint",
    "visit_date",
    "day",
    *(f"p_{c}" for c in CSM),
    *(f"points_{c}" for c in CSM),
    "tis",
    "category",
    "doi",
    "worse",
    "complete",
)


def clopper_pearson(
    responders: np.ndarray, n: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial interval of ``responders / n`` (as R ``binom.test``).

    Returns
    -------
    (ndarray, ndarray)
        Lower and upper limits; 0 and 1 at the boundaries, NaN when ``n`` is 0.
    """
    x = np.asarray(responders, dtype=float)
    size = np.asarray(n, dtype=float)
    alpha = 1.0 - confidence
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(x > 0, stats.beta.ppf(alpha / 2, x, size - x + 1), 0.0)
        high = np.where(x < size, stats.beta.ppf(1 - alpha / 2, x + 1, size - x), 1.0)
    empty = size <= 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def response_table(
    scores: pd.DataFrame,
    thresholds: dict[str, float],
    confidence: float = 0.95,
    courses: pd.Series | None = None,
) -> pd.DataFrame:
    """Responders per episode, time point and criterion, and at any visit of the episode.

    Parameters
    ----------
    scores
        The ``scores`` table.
    thresholds
        TIS cut-offs of ``minimal``, ``moderate`` and ``major`` for the population.
    confidence
        Level of the Clopper-Pearson intervals.
    courses
        Courses per episode number
        (:func:`~myotrial.analysis.headline.courses_per_episode`); ``None`` counts only
        the scored ones (no unscorable course).

    Returns
    -------
    DataFrame
        Columns :data:`RESPONSE_COLUMNS`. At a time point, ``n`` counts the patients
        with a TIS (or DOI) there; for "any visit", the episodes with at least one.
        ``unscorable``: the episode's courses without such a score (they are not in
        ``n``, as ``denominator`` says); ``proportion_nri`` and its interval count them
        as non-responders.
    """
    flags = pd.DataFrame(
        {
            "episode": scores["episode"],
            "patient_id": scores["patient_id"],
            "timepoint": scores["timepoint"],
            "day": scores["day"],
        }
    )
    tis = scores["tis"].astype(float)
    for level, cut in thresholds.items():
        flags[f"tis_{level}"] = (tis >= cut).astype("boolean").mask(tis.isna())
    flags["doi"] = scores["doi"].astype("boolean")
    criteria = [f"tis_{level}" for level in thresholds] + ["doi"]
    long = flags.melt(
        id_vars=["episode", "patient_id", "timepoint", "day"],
        value_vars=criteria,
        var_name="criterion",
        value_name="met",
    ).dropna(subset=["met"])
    long["met"] = long["met"].astype(bool)
    at_points = long.dropna(subset=["timepoint"])
    by_point = (
        at_points.groupby(["episode", "timepoint", "criterion"], sort=False)
        .agg(day=("day", "min"), n=("met", "size"), responders=("met", "sum"))
        .reset_index()
    )
    anytime = long.groupby(["episode", "patient_id", "criterion"], sort=False)["met"].any()
    summed: pd.DataFrame = anytime.groupby(["episode", "criterion"]).agg(["size", "sum"])
    summed.columns = pd.Index(["n", "responders"])
    by_episode = summed.reset_index().assign(timepoint=ANY_VISIT, day=np.inf)
    table = pd.concat([by_point, by_episode], ignore_index=True)
    table["criterion"] = pd.Categorical(table["criterion"], categories=criteria)
    table = table.sort_values(["episode", "day", "criterion"]).reset_index(drop=True)
    table["criterion"] = table["criterion"].astype(str)
    table["proportion"] = table["responders"] / table["n"]
    table["ci_low"], table["ci_high"] = clopper_pearson(
        table["responders"].to_numpy(), table["n"].to_numpy(), confidence
    )
    if courses is None:
        courses = table.groupby("episode")["n"].max()
    table["unscorable"] = unscorable_courses(courses, table["episode"], table["n"]).clip(lower=0)
    table["denominator"] = SCORED_ONLY
    every = table["n"] + table["unscorable"]
    table["proportion_nri"] = table["responders"] / every.where(every > 0)
    table["ci_low_nri"], table["ci_high_nri"] = clopper_pearson(
        table["responders"].to_numpy(), every.to_numpy(), confidence
    )
    return table.reindex(columns=list(RESPONSE_COLUMNS))
