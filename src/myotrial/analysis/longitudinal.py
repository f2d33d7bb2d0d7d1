"""Mixed model of log(CK) and MMT-8 over time (docs/analysis.md, "Mixed model").

Model per measure, first course (episode 1), baseline and every nominal time point:
``y ~ C(timepoint)`` with a random intercept per patient, fitted by REML: the model of
statsmodels ``MixedLM`` and R's ``nlme::lme(y ~ timepoint, random = ~ 1 | patient)``,
computed in closed form by :mod:`myotrial.analysis.mixed`. The intercept is the
baseline mean; each time-point term is the mean change from baseline, on the log scale
for CK (``exp`` gives the ratio).
Using every patient's available visits, the model keeps patients who miss a time point,
which the paired tables cannot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from myotrial.analysis.mixed import fit_random_intercept_reml
from myotrial.analysis.options import Notes

LONGITUDINAL_COLUMNS: tuple[str, ...] = (
    "measure",
    "term",
    "timepoint",
    "day",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "n_patients",
    "n_observations",
)
MODEL_MEASURES: dict[str, str] = {"log_ck": "ck", "mmt8": "mmt8"}


def model_frame(baseline: pd.DataFrame, mapped: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Long frame ``patient_id, timepoint, day, y`` of episode 1 for one model measure."""
    column = MODEL_MEASURES[measure]
    base = baseline.loc[baseline["episode"] == 1, ["patient_id", column]].assign(
        timepoint="baseline", day=0.0
    )
    points = mapped.loc[
        (mapped["episode"] == 1) & mapped["timepoint"].notna(),
        ["patient_id", "timepoint", "nominal_day", column],
    ]
    points = points.rename(columns={"nominal_day": "day"})
    frame = pd.concat([base, points], ignore_index=True).rename(columns={column: "y"})
    frame["y"] = frame["y"].astype(float)
    if measure == "log_ck":
        frame["y"] = np.log(frame["y"].where(frame["y"] > 0))
    return frame.dropna(subset=["y"])


def fit_random_intercept(frame: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Fit ``y ~ timepoint`` with a random intercept per patient (REML).

    Parameters
    ----------
    frame
        ``patient_id``, ``timepoint`` (with level "baseline"), ``day``, ``y``.
    confidence
        Level of the Wald intervals.

    Returns
    -------
    DataFrame
        ``term``, ``timepoint``, ``day``, ``estimate``, ``std_error``, ``ci_low``,
        ``ci_high``, ``p_value``; then the rows "patient variance" and "residual variance".
    """
    levels, design = timepoint_design(frame)
    codes = pd.factorize(frame["patient_id"])[0]
    fit = fit_random_intercept_reml(frame["y"].to_numpy(float), design.to_numpy(), codes)
    tau2, sigma2 = fit.patient_variance, fit.residual_variance
    out = wald_rows(levels, fit.beta, fit.covariance, confidence)
    variances = pd.DataFrame(
        {"term": ["patient variance", "residual variance"], "estimate": [tau2, sigma2]}
    )
    return pd.concat([out, variances], ignore_index=True)


def timepoint_design(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The time points by day (``timepoint``, ``day``) and the design ``y ~ timepoint``.

    The first level (baseline) is the intercept; each later one a change from it.
    """
    levels = frame.drop_duplicates("timepoint").sort_values("day")
    design = pd.get_dummies(
        pd.Categorical(frame["timepoint"], categories=levels["timepoint"]),
        drop_first=True,
        dtype=float,
    )
    design.insert(0, "intercept", 1.0)
    return levels, design


def wald_rows(
    levels: pd.DataFrame, estimate: np.ndarray, covariance: np.ndarray, confidence: float
) -> pd.DataFrame:
    """``term``, ``timepoint``, ``day``, ``estimate``, ``std_error``, Wald interval, p."""
    se = np.sqrt(np.diag(covariance))
    z = stats.norm.ppf(0.5 + confidence / 2)
    return pd.DataFrame(
        {
            "term": ["intercept", *[f"change at {t}" for t in levels["timepoint"].iloc[1:]]],
            "timepoint": levels["timepoint"].to_numpy(),
            "day": levels["day"].to_numpy(),
            "estimate": estimate,
            "std_error": se,
            "ci_low": estimate - z * se,
            "ci_high": estimate + z * se,
            "p_value": 2 * stats.norm.sf(np.abs(estimate / se)),
        }
    )


def longitudinal(
    baseline: pd.DataFrame, mapped: pd.DataFrame, confidence: float, notes: Notes
) -> pd.DataFrame:
    """The ``longitudinal`` table: one model per measure present (log CK, MMT-8)."""
    parts = []
    for measure, column in MODEL_MEASURES.items():  # two models, not a loop over patients
        if column not in mapped or column not in baseline:
            continue
        frame = model_frame(baseline, mapped, measure)
        n_patients = frame["patient_id"].nunique()
        if n_patients < 2 or frame["timepoint"].nunique() < 2:
            notes.add(
                "mixed_model_not_fitted",
                f"{measure}: too few patients or time points for the mixed model",
                frame["patient_id"],
            )
            continue
        try:
            table = fit_random_intercept(frame, confidence)
        except (np.linalg.LinAlgError, ValueError) as exc:
            notes.add(
                "mixed_model_not_fitted",
                f"{measure}: the mixed model could not be fitted ({exc})",
                frame["patient_id"],
            )
            continue
        table.insert(0, "measure", measure)
        table["n_patients"] = n_patients
        table["n_observations"] = len(frame)
        parts.append(table)
    if not parts:
        return pd.DataFrame(columns=list(LONGITUDINAL_COLUMNS))
    return pd.concat(parts, ignore_index=True).reindex(columns=list(LONGITUDINAL_COLUMNS))
