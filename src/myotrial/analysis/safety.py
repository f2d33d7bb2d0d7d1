"""Safety tables: adverse events by term, grade, seriousness and relatedness."""

from __future__ import annotations

import pandas as pd

SAFETY_COLUMNS: tuple[str, ...] = ("term", "grade", "serious", "relatedness", "patients", "events")
SAFETY_SUMMARY_COLUMNS: tuple[str, ...] = ("item", "patients", "percent")


def safety_table(adverse_events: pd.DataFrame) -> pd.DataFrame:
    """Events and patients per term, grade, seriousness and relatedness.

    Returns
    -------
    DataFrame
        Columns :data:`SAFETY_COLUMNS`; a missing grade, seriousness or relatedness
        stays a group of its own (shown empty) rather than being dropped.
    """
    if adverse_events.empty:
        return pd.DataFrame(columns=list(SAFETY_COLUMNS))
    frame = adverse_events.reindex(columns=["patient_id", *SAFETY_COLUMNS[:4]])
    keys = list(SAFETY_COLUMNS[:4])
    grouped = frame.groupby(keys, dropna=False, sort=True)["patient_id"]
    table = grouped.agg(patients="nunique", events="size").reset_index()
    return table.sort_values(
        ["events", "term"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def safety_summary(
    patients: pd.DataFrame, adverse_events: pd.DataFrame, events: pd.DataFrame
) -> pd.DataFrame:
    """Patients with any AE, any serious AE, any grade ≥ 3 AE, any infusion reaction; deaths.

    A death is an ``events.csv`` row of type ``death`` or a grade 5 adverse event
    (CTCAE: grade 5 is death related to the event).

    Returns
    -------
    DataFrame
        Columns :data:`SAFETY_SUMMARY_COLUMNS`; ``percent`` of all patients.
    """
    ae = adverse_events.reindex(columns=["patient_id", "grade", "serious", "infusion_reaction"])
    grade = pd.to_numeric(ae["grade"], errors="coerce")
    died = set(
        events.loc[events.get("type", pd.Series(dtype=object)) == "death", "patient_id"]
        if not events.empty
        else []
    )
    died |= set(ae.loc[grade == 5, "patient_id"])
    counts = {
        "any adverse event": ae["patient_id"].nunique(),
        "any serious adverse event": ae.loc[_true(ae["serious"]), "patient_id"].nunique(),
        "any adverse event of grade 3 or more": ae.loc[grade >= 3, "patient_id"].nunique(),
        "any infusion reaction": ae.loc[_true(ae["infusion_reaction"]), "patient_id"].nunique(),
        "deaths": len(died),
    }
    total = len(patients)
    table = pd.DataFrame({"item": list(counts), "patients": list(counts.values())})
    table["percent"] = table["patients"] / total * 100.0 if total else float("nan")
    return table


def _true(series: pd.Series) -> pd.Series:
    return series.astype("boolean").fillna(False).astype(bool)
