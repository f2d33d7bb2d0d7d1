"""Lot-aware analysis: response and infusion reactions by lot and by donor, dose against
TIS response, and the share of the variation that lies between donors (or lots).

- A course's response is the episode outcome of the main analysis (a TIS of at least the
  minimal threshold at a visit of the course, ACR/EULAR 2016); a course counts under
  every lot infused in it, and once under each of their donors.
- An infusion reaction is an adverse event flagged ``infusion_reaction`` that began on
  the day of an infusion or up to 7 days after it; rates are per infusion.
- Rates carry exact (Clopper-Pearson) intervals, as R's ``binom.test``.
- The donor model adds a random intercept per donor (or lot) above the patient's to the
  longitudinal model (:mod:`myotrial.analysis.nested`); each patient is assigned the
  donor of the first infusion of the first course.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from myotrial.analysis.longitudinal import (
    MODEL_MEASURES,
    model_frame,
    timepoint_design,
    wald_rows,
)
from myotrial.analysis.nested import fit_nested_intercepts_reml
from myotrial.analysis.options import Notes
from myotrial.analysis.response import clopper_pearson
from myotrial.product.trace import AE_WINDOW_DAYS, events_after

RATE_COLUMNS: tuple[str, ...] = (
    "level",
    "group",
    "outcome",
    "n",
    "events",
    "proportion",
    "ci_low",
    "ci_high",
)
DOSE_COLUMNS: tuple[str, ...] = (
    "dose_group",
    "dose_low",
    "dose_high",
    "n",
    "responders",
    "proportion",
    "ci_low",
    "ci_high",
    "median_best_tis",
)
MODEL_COLUMNS: tuple[str, ...] = (
    "measure",
    "grouping",
    "term",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "n_groups",
    "n_patients",
    "n_observations",
)
GROUPINGS: tuple[str, ...] = ("donor", "lot")
THIRDS: tuple[str, ...] = ("lowest third", "middle third", "highest third")


def course_lots(episodes: pd.DataFrame, infusions: pd.DataFrame) -> pd.DataFrame:
    """Each infusion with the course (``episode``) it belongs to and its donor.

    Parameters
    ----------
    episodes
        The ``episodes`` table (``patient_id``, ``episode``, ``first_infusion``).
    infusions
        Infusions with ``lot`` and ``lot_donor`` (:func:`myotrial.product.trace.infusion_lots`).
    """
    courses = episodes.loc[episodes["episode"] > 0, ["patient_id", "episode", "first_infusion"]]
    given = infusions.dropna(subset=["infusion_date"]).sort_values("infusion_date")
    # An infusion belongs to the latest course that began on or before it.
    return pd.merge_asof(
        given,
        courses.sort_values("first_infusion"),
        left_on="infusion_date",
        right_on="first_infusion",
        by="patient_id",
        direction="backward",
    ).dropna(subset=["episode"])


def response_rates(
    episodes: pd.DataFrame, courses: pd.DataFrame, confidence: float = 0.95
) -> pd.DataFrame:
    """Courses with a TIS response, by lot and by donor.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RATE_COLUMNS`; ``outcome`` is ``"response"``, ``n`` the courses
        and ``events`` the responding ones.
    """
    outcome = episodes.loc[episodes["episode"] > 0, ["patient_id", "episode", "response_date"]]
    keyed = courses.merge(outcome, on=["patient_id", "episode"], how="left")
    keyed["event"] = keyed["response_date"].notna()
    parts = [
        _rates(keyed.rename(columns={column: "group"}), level, "response", confidence)
        for level, column in (("lot", "lot"), ("donor", "lot_donor"))
    ]
    return pd.concat(parts, ignore_index=True)


def reaction_rates(
    infusions: pd.DataFrame, adverse_events: pd.DataFrame, confidence: float = 0.95
) -> pd.DataFrame:
    """Infusions followed within 7 days by an infusion reaction, by lot and by donor.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RATE_COLUMNS`; ``outcome`` is ``"infusion_reaction"``, ``n`` the
        infusions and ``events`` those followed by a reaction.
    """
    flagged = adverse_events["infusion_reaction"].astype("boolean").fillna(False)
    reactions = adverse_events[flagged.to_numpy(dtype=bool)]
    near = events_after(infusions, reactions, AE_WINDOW_DAYS)
    hit = near[["patient_id", "infusion_date"]].drop_duplicates().assign(event=True)
    keyed = infusions.merge(hit, on=["patient_id", "infusion_date"], how="left")
    keyed["event"] = keyed["event"].astype("boolean").fillna(False).astype(bool)
    parts = [
        _rates(keyed.rename(columns={column: "group"}), level, "infusion_reaction", confidence)
        for level, column in (("lot", "lot"), ("donor", "lot_donor"))
    ]
    return pd.concat(parts, ignore_index=True)


def _rates(frame: pd.DataFrame, level: str, outcome: str, confidence: float) -> pd.DataFrame:
    # A course counts once per group even when two infusions of it share the group.
    unit = "episode" if "episode" in frame.columns else "infusion_date"
    keys = ["patient_id", unit]
    once = frame.dropna(subset=["group"]).drop_duplicates([*keys, "group"])
    table = once.groupby("group", sort=True)["event"].agg(n="size", events="sum").reset_index()
    table["events"] = table["events"].astype(int)
    table["proportion"] = table["events"] / table["n"]
    table["ci_low"], table["ci_high"] = clopper_pearson(
        table["events"].to_numpy(), table["n"].to_numpy(), confidence
    )
    return table.assign(level=level, outcome=outcome).reindex(columns=list(RATE_COLUMNS))


def dose_response(episodes: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """TIS response by the course's dose (``cells_per_kg_total``).

    Up to six distinct doses are tabulated as they are; more are grouped into thirds
    (tertiles) of the courses.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DOSE_COLUMNS`, one row per dose group, lowest first.
    """
    dosed = (episodes["episode"] > 0) & episodes["cells_per_kg_total"].notna()
    courses = episodes[dosed].copy()
    if courses.empty:
        return pd.DataFrame(columns=list(DOSE_COLUMNS))
    dose = courses["cells_per_kg_total"].astype(float)
    if dose.nunique() <= 6:
        courses["dose_group"] = dose.map(lambda d: f"{d:.3g}")
    else:
        thirds = pd.qcut(dose.rank(method="first"), 3, labels=list(THIRDS))
        courses["dose_group"] = thirds.astype(str)
    courses["dose"] = dose
    courses["event"] = courses["response_date"].notna()
    table = courses.groupby("dose_group", sort=False).agg(
        dose_low=("dose", "min"),
        dose_high=("dose", "max"),
        n=("event", "size"),
        responders=("event", "sum"),
        median_best_tis=("best_tis", "median"),
    )
    table = table.sort_values("dose_low").reset_index()
    table["proportion"] = table["responders"] / table["n"]
    table["ci_low"], table["ci_high"] = clopper_pearson(
        table["responders"].to_numpy(), table["n"].to_numpy(), confidence
    )
    return table.reindex(columns=list(DOSE_COLUMNS))


def dose_correlation(episodes: pd.DataFrame) -> dict[str, float | int | None]:
    """Spearman's rank correlation of a course's dose with its best TIS, and its p-value."""
    courses = episodes[episodes["episode"] > 0].dropna(subset=["cells_per_kg_total", "best_tis"])
    n = len(courses)
    if n < 3 or courses["cells_per_kg_total"].nunique() < 2 or courses["best_tis"].nunique() < 2:
        return {"n": n, "rho": None, "p_value": None}
    result = stats.spearmanr(courses["cells_per_kg_total"], courses["best_tis"])
    return {"n": n, "rho": float(result.statistic), "p_value": float(result.pvalue)}


def patient_groups(courses: pd.DataFrame, grouping: str) -> pd.Series:
    """Each patient's donor (or lot): that of the first infusion of the first course."""
    column = "lot_donor" if grouping == "donor" else "lot"
    first = courses[courses["episode"] == 1].sort_values("infusion_date")
    first = first.dropna(subset=[column]).drop_duplicates("patient_id")
    return first.set_index("patient_id")[column]


def fit_group_model(
    frame: pd.DataFrame, groups: pd.Series, grouping: str, confidence: float = 0.95
) -> pd.DataFrame:
    """Fit ``y ~ timepoint`` with random intercepts for ``grouping`` and patient (REML).

    Parameters
    ----------
    frame
        ``patient_id``, ``timepoint``, ``day``, ``y`` (as ``model_frame`` gives).
    groups
        The donor (or lot) of each patient; patients without one are left out.
    grouping
        ``"donor"`` or ``"lot"``, for the row labels.

    Returns
    -------
    pandas.DataFrame
        ``term``, ``estimate``, ``std_error``, ``ci_low``, ``ci_high``; after the fixed
        effects the rows "<grouping> variance", "patient variance", "residual variance"
        and "<grouping> share" (the between-group share of the total variance).
    """
    kept = frame.assign(group=frame["patient_id"].map(groups)).dropna(subset=["group"])
    levels, design = timepoint_design(kept)
    fit = fit_nested_intercepts_reml(
        kept["y"].to_numpy(float),
        design.to_numpy(),
        pd.factorize(kept["patient_id"])[0],
        pd.factorize(kept["group"])[0],
    )
    fixed = wald_rows(levels, fit.beta, fit.covariance, confidence).drop(columns="p_value")
    components = pd.DataFrame(
        {
            "term": [
                f"{grouping} variance",
                "patient variance",
                "residual variance",
                f"{grouping} share",
            ],
            "estimate": [
                fit.group_variance,
                fit.patient_variance,
                fit.residual_variance,
                fit.group_share,
            ],
        }
    )
    table = pd.concat([fixed, components], ignore_index=True)
    return table.assign(
        n_groups=kept["group"].nunique(),
        n_patients=kept["patient_id"].nunique(),
        n_observations=len(kept),
    )


def group_models(
    baseline: pd.DataFrame,
    mapped: pd.DataFrame,
    courses: pd.DataFrame,
    grouping: str,
    confidence: float,
    notes: Notes,
) -> pd.DataFrame:
    """The donor (or lot) model for each measure of the longitudinal analysis."""
    groups = patient_groups(courses, grouping)
    parts = []
    for measure, column in MODEL_MEASURES.items():  # two models, not a loop over patients
        if column not in mapped or column not in baseline:
            continue
        frame = model_frame(baseline, mapped, measure)
        n_groups = frame["patient_id"].map(groups).nunique()
        if n_groups < 2:
            notes.add(
                f"{grouping}_model_not_fitted",
                f"{measure}: fewer than two {grouping}s, no between-{grouping} variance",
                frame["patient_id"],
            )
            continue
        try:
            table = fit_group_model(frame, groups, grouping, confidence)
        except (np.linalg.LinAlgError, ValueError) as exc:
            notes.add(
                f"{grouping}_model_not_fitted",
                f"{measure}: the {grouping} model could not be fitted ({exc})",
                frame["patient_id"],
            )
            continue
        parts.append(table.assign(measure=measure, grouping=grouping))
    if not parts:
        return pd.DataFrame(columns=list(MODEL_COLUMNS))
    return pd.concat(parts, ignore_index=True).reindex(columns=list(MODEL_COLUMNS))
