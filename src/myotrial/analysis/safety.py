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
    died = set(death_dates(events, adverse_events).index)
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


SAFETY_BY_ARM_COLUMNS: tuple[str, ...] = ("arm", "item", "patients", "denominator", "percent")


def safety_by_arm(
    population: pd.DataFrame, adverse_events: pd.DataFrame, events: pd.DataFrame
) -> pd.DataFrame:
    """The safety summary per arm of the treatment received (safety population).

    Parameters
    ----------
    population
        ``patient_id``, ``arm_received``, ``infused``
        (:func:`myotrial.analysis.arms.populations`).
    adverse_events, events
        The trial's tables.

    Returns
    -------
    DataFrame
        Columns :data:`SAFETY_BY_ARM_COLUMNS`: each item of :func:`safety_summary` per
        arm, ``percent`` of the arm's patients, except infusion reactions: of the
        patients who received an infusion (the others could not have one).
    """
    parts = []
    for arm, group in population.groupby("arm_received", sort=True):
        ids = set(group["patient_id"])
        mine = adverse_events[adverse_events["patient_id"].isin(ids)]
        table = safety_summary(group, mine, events[events["patient_id"].isin(ids)])
        table["denominator"] = len(group)
        reaction = table["item"] == "any infusion reaction"
        table.loc[reaction, "denominator"] = int(group["infused"].sum())
        parts.append(table.assign(arm=arm))
    if not parts:
        return pd.DataFrame(columns=list(SAFETY_BY_ARM_COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    denominator = out["denominator"].astype(float)
    out["percent"] = (out["patients"] / denominator.where(denominator > 0) * 100.0).astype(float)
    return out.reindex(columns=list(SAFETY_BY_ARM_COLUMNS))


def death_dates(events: pd.DataFrame, adverse_events: pd.DataFrame) -> pd.Series:
    """The date of death of each patient who died, indexed by ``patient_id``.

    A death is an ``events.csv`` row of type ``death`` or a grade 5 adverse event (CTCAE:
    grade 5 is death related to the event), dated by the event or the adverse event's
    onset; the earliest date counts. A death without a date is kept with a missing date.
    """
    frames = []
    if not events.empty and "type" in events:
        dead = events.loc[events["type"] == "death"]
        frames.append(pd.DataFrame({"patient_id": dead["patient_id"], "date": dead["event_date"]}))
    if not adverse_events.empty and "grade" in adverse_events:
        fatal = adverse_events[pd.to_numeric(adverse_events["grade"], errors="coerce") == 5]
        onset = fatal.get("onset_date", pd.NaT)
        frames.append(pd.DataFrame({"patient_id": fatal["patient_id"], "date": onset}))
    if not frames:
        return pd.Series(dtype="datetime64[ns]", name="death_date")
    both = pd.concat(frames, ignore_index=True)
    both["date"] = pd.to_datetime(both["date"])
    dates: pd.Series = both.groupby("patient_id")["date"].min().rename("death_date")
    return dates


def _true(series: pd.Series) -> pd.Series:
    return series.astype("boolean").fillna(False).astype(bool)
