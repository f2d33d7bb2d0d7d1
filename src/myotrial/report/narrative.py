"""The report's opening: who was treated, for how long, and what happened, in plain words."""

from __future__ import annotations

import pandas as pd

from myotrial.analysis.result import AnalysisResult
from myotrial.report.formatting import measure_label, num, p_value, timepoint_label
from myotrial.report.tables import first_course, measure_digits
from myotrial.report.timeline import days_since_entry, first_infusion
from myotrial.trialdata import TrialData

DAYS_PER_MONTH = 30.4375


def exposure_sentence(trial: TrialData, result: AnalysisResult) -> str:
    """Patients, infusions, courses and follow-up in one sentence."""
    episodes = result.episodes
    patients = len(trial.patients)
    infused = trial.infusions["patient_id"].nunique() if not trial.infusions.empty else 0
    retreated = (
        int(episodes["retreatment"].fillna(False).astype(bool).sum()) if len(episodes) else 0
    )
    text = (
        f"{patients} patients were enrolled and {infused} received {len(trial.infusions)} "
        f"infusions in {len(episodes)} courses ({retreated} re-treatment"
        f"{'' if retreated == 1 else 's'})"
    )
    follow = follow_up_days(trial, episodes)
    if follow.empty:
        return text + "."
    return (
        text + f"; median follow-up {follow.median() / DAYS_PER_MONTH:.1f} months "
        f"(range {follow.min() / DAYS_PER_MONTH:.1f} to "
        f"{follow.max() / DAYS_PER_MONTH:.1f})."
    )


def follow_up_days(trial: TrialData, episodes: pd.DataFrame) -> pd.Series:
    """Days from each patient's first infusion to the end of follow-up."""
    if episodes.empty:
        return pd.Series(dtype="float64")
    days = days_since_entry(episodes, "end_date", first_infusion(trial))
    per_patient: pd.Series = days.groupby(episodes["patient_id"]).max().dropna()
    return per_patient


def key_results(result: AnalysisResult, minimal: float) -> list[str]:
    """Two sentences: the main paired changes, then response, relapse and re-treatment."""
    return [_change_sentence(result.change_from_baseline), _response_sentence(result, minimal)]


def _change_sentence(change: pd.DataFrame) -> str:
    course = first_course(change)
    clauses = [c for c in (_change_clause(course, m) for m in ("ck", "mmt8")) if c]
    if not clauses:
        return "No measure had paired baseline and follow-up values in the first course."
    return "In the first course, " + " and ".join(clauses) + "."


def _change_clause(course: pd.DataFrame, measure: str) -> str:
    rows = course[(course["measure"] == measure) & (course["n"] >= 2)]
    if rows.empty:
        return ""
    # The time point with the most paired patients (the latest of equals) speaks for the trial.
    best = rows.sort_values(["n", "day"], kind="stable").iloc[-1]
    digits = measure_digits(rows)
    label = measure_label(measure)
    name, _, unit = label.partition(" (")
    unit = f" {unit.rstrip(')')}" if unit and measure == "ck" else ""
    when = timepoint_label(best["timepoint"]).lower()
    return (
        f"mean {name} went from {num(best['baseline_mean'], digits)} to "
        f"{num(best['mean'], digits)}{unit} at {when} (n = {int(best['n'])}, "
        f"paired t-test p {_p_words(best['p_ttest'])})"
    )


def _p_words(p: object) -> str:
    text = p_value(p)
    return text if text.startswith("<") else f"= {text}"


def _response_sentence(result: AnalysisResult, minimal: float) -> str:
    episodes = result.episodes
    first = first_course(episodes)
    scored = first["best_tis"].dropna()
    if scored.empty:
        return "No course could be scored for response (no baseline with follow-up)."
    responders = int((scored >= minimal).sum())
    relapsed = int(first["relapse_date"].notna().sum())
    later = episodes[episodes["episode"] > 1]
    again = int((later["best_tis"] >= minimal).sum())
    text = (
        f"{responders} of {len(scored)} patients ({100 * responders / len(scored):.0f} %) "
        f"reached at least a minimal response (TIS ≥ {minimal:g}) in the first course; "
        f"{relapsed} relapsed"
    )
    if len(later):
        text += f", and {again} of {len(later)} re-treatment courses led to a response again"
    return text + "."
