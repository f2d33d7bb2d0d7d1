"""Table 1 of the report: baseline characteristics in words, one column per arm."""

from __future__ import annotations

import pandas as pd

from myotrial.report.formatting import MISSING, HtmlTable, measure_label

OVERALL = "overall"

CHARACTERISTIC_LABELS: dict[str, str] = {
    "patients": "Patients",
    "age": "Age (years)",
    "sex": "Sex",
    "diagnosis": "Diagnosis",
    "antibody": "Antibody",
    "weight_kg": "Weight (kg)",
    "disease_years": "Disease duration (years)",
    "site": "Site",
    "arm": "Arm",
    "refractory": "Refractory to standard treatment",
    "severe_systemic": "Severe systemic involvement",
    "ild": "Interstitial lung disease",
}

# Yes/no characteristics are shown as one row, the share with "yes".
FALSE_LEVELS = {"false", "False", "no"}
TRUE_LEVELS = {"true", "True", "yes"}


def characteristic_label(name: str) -> str:
    """The characteristic as the clinic names it."""
    return CHARACTERISTIC_LABELS.get(name, measure_label(name))


def baseline_table(baseline: pd.DataFrame) -> HtmlTable:
    """Table 1: one row per characteristic (and level), one column per arm.

    A trial with one arm gets one column (the overall column would repeat it); yes/no
    characteristics show only the "yes" row.
    """
    frame = baseline.copy()
    frame["level"] = frame["level"].fillna("").astype(str) if "level" in frame else ""
    frame = frame[~frame["level"].isin(FALSE_LEVELS)]
    label = frame["characteristic"].astype(str).map(characteristic_label)
    plain = (frame["level"] == "") | frame["level"].isin(TRUE_LEVELS)
    frame["row"] = label.where(plain, label + ": " + frame["level"])
    arms = _arms(frame)
    if "arm" not in frame:
        frame["arm"] = arms[0]
    frame["value"] = _with_known_n(frame)
    wide = frame.pivot_table(
        index="row", columns="arm", values="value", aggfunc="first", sort=False
    ).reindex(columns=arms)
    body = [
        [str(row), *(v if isinstance(v, str) else MISSING for v in values)]
        for row, values in zip(wide.index, wide.to_numpy(), strict=True)
    ]
    header = ["Characteristic", *(a.capitalize() if a == OVERALL else a for a in arms)]
    if len(arms) == 1:
        header = ["Characteristic", "All patients"]
    return HtmlTable(
        "Table 1. Baseline characteristics",
        header,
        body,
        key="table1",
        note="Mean ± SD or n (%) of the patients with a known value; (n = …) gives their "
        "number where it is smaller than the column's patients.",
    )


def _with_known_n(frame: pd.DataFrame) -> pd.Series:
    """Each value, with the n of known values where it is below the column's patients.

    The column's patients are its ``patients`` row; each characteristic's ``n`` counts
    the patients of that column with a known value (docs/analysis.md, Table 1).
    """
    value = frame["value"].astype(object)
    if "n" not in frame:
        return value
    patients = frame[frame["characteristic"] == "patients"].groupby("arm")["n"].first()
    known = pd.to_numeric(frame["n"], errors="coerce")
    whole = frame["arm"].map(patients)
    fewer = (frame["characteristic"] != "patients") & (known < whole)
    counts = known.where(fewer).astype("Int64").astype(str)
    return value.where(~fewer, value.astype(str) + " (n = " + counts + ")")


def _arms(frame: pd.DataFrame) -> list[str]:
    if "arm" not in frame:
        return [OVERALL]
    arms = [str(a) for a in dict.fromkeys(frame["arm"].dropna())]
    treatment = [a for a in arms if a != OVERALL]
    if len(treatment) <= 1:
        return [OVERALL] if OVERALL in arms else arms[:1]
    return [*treatment, OVERALL] if OVERALL in arms else treatment
