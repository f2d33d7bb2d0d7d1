"""Table 1: patient characteristics at entry, per arm and overall (docs/analysis.md)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from myotrial.domain import TREATED_ARM
from myotrial.text import natural_key

BASELINE_COLUMNS: tuple[str, ...] = (
    "arm",
    "characteristic",
    "level",
    "n",
    "value",
    "mean",
    "sd",
    "median",
    "q1",
    "q3",
    "count",
    "percent",
)
OVERALL = "overall"
CATEGORICAL: tuple[str, ...] = ("sex", "diagnosis", "site", "antibody")
FLAGS: tuple[str, ...] = ("refractory", "severe_systemic", "ild")
CONTINUOUS: tuple[str, ...] = ("age", "weight_kg", "disease_years")


def patient_characteristics(patients: pd.DataFrame) -> pd.DataFrame:
    """Patients with ``arm`` filled ("MSCT" by default) and disease duration in years.

    Disease duration runs from onset (else diagnosis) to enrolment, in years of 365.25 days.
    """
    frame = patients.copy()
    arm = frame["arm"] if "arm" in frame else pd.Series(pd.NA, index=frame.index)
    frame["arm"] = arm.fillna(TREATED_ARM).astype(str)
    start = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    for column in ("diagnosis_date", "onset_date"):  # onset wins when both are given
        if column in frame:
            start = pd.to_datetime(frame[column]).where(lambda s: s.notna(), start)
    if "enrolment_date" in frame:
        frame["disease_years"] = (pd.to_datetime(frame["enrolment_date"]) - start).dt.days / 365.25
    return frame


def table1(
    patients: pd.DataFrame, entry_values: pd.DataFrame, measures: Sequence[str]
) -> pd.DataFrame:
    """Table 1 from the patients table and the first-course baseline visit values.

    Parameters
    ----------
    patients
        The patients table of the trial.
    entry_values
        Baseline visit values of episode 1 (``patient_id`` and the measure columns).
    measures
        Visit measures summarised at baseline, after the patient characteristics.

    Returns
    -------
    DataFrame
        Columns :data:`BASELINE_COLUMNS`; continuous rows give mean, SD, median and
        quartiles with ``value`` "mean ± SD"; categorical rows give count and percent of
        the patients with a known value, ``value`` "n (%)". Arm "overall" pools every arm.
    """
    frame = patient_characteristics(patients)
    values = entry_values[["patient_id", *measures]].drop_duplicates("patient_id")
    frame = frame.merge(values, on="patient_id", how="left", suffixes=("", "_visit"))
    frame = pd.concat([frame, frame.assign(arm=OVERALL)], ignore_index=True)
    count = frame.groupby("arm", sort=False).size().rename("n").reset_index()
    count = count.assign(characteristic="patients", level="", value=count["n"].astype(str))
    parts = [count, _categorical(frame), _continuous(frame, [*CONTINUOUS, *measures])]
    table = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    return table.reindex(columns=list(BASELINE_COLUMNS))


def _categorical(frame: pd.DataFrame) -> pd.DataFrame:
    columns = [c for c in (*CATEGORICAL, *FLAGS) if c in frame]
    if not columns:
        return pd.DataFrame()
    long = (
        frame[["arm", *columns]]
        .astype({c: "object" for c in columns})
        .melt(id_vars="arm", var_name="characteristic", value_name="level")
        .dropna()
    )
    codes, uniques = pd.factorize(long["level"])
    # one conversion per distinct value, not per patient
    long["level"] = np.array([_level_text(u) for u in uniques], dtype=object)[codes]
    grouped = long.groupby(["arm", "characteristic", "level"], sort=True)
    counts: pd.DataFrame = grouped.size().rename("count").reset_index()
    # Levels in natural order (site 1, 2, 10, 11), not as text sorts them (1, 10, 11, 2).
    levels = sorted(counts["level"].unique(), key=natural_key)
    counts["rank"] = counts["level"].map({level: i for i, level in enumerate(levels)})
    counts = counts.sort_values(["arm", "characteristic", "rank"], kind="stable")
    counts = counts.drop(columns="rank").reset_index(drop=True)
    counts["n"] = counts.groupby(["arm", "characteristic"])["count"].transform("sum")
    counts["percent"] = counts["count"] / counts["n"] * 100.0
    counts["value"] = [
        f"{c} ({p:.1f}%)" for c, p in zip(counts["count"], counts["percent"], strict=True)
    ]
    return counts


def _continuous(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    present = [c for c in columns if c in frame and ptypes.is_numeric_dtype(frame[c])]
    if not present:
        return pd.DataFrame()
    long = frame[["arm", *present]].melt(id_vars="arm", var_name="characteristic")
    long = long.dropna(subset=["value"])
    long["value"] = long["value"].astype(float)
    grouped = long.groupby(["arm", "characteristic"], sort=False)["value"]
    stats: pd.DataFrame = grouped.agg(["size", "mean", "std", "median"])
    stats.columns = pd.Index(["n", "mean", "sd", "median"])
    stats["q1"] = grouped.quantile(0.25)
    stats["q3"] = grouped.quantile(0.75)
    out = stats.reset_index()
    out["level"] = ""
    out["value"] = [f"{m:.1f} ± {s:.1f}" for m, s in zip(out["mean"], out["sd"], strict=True)]
    return out


def _level_text(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)
