"""The report's opening: who was treated, for how long, and what happened, in plain words."""

from __future__ import annotations

import pandas as pd

from myotrial.analysis.headline import HEADLINE_KEYS, headline_counts
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


def headline(result: AnalysisResult) -> dict[str, int]:
    """The headline counts the analysis wrote (computed from the episodes if absent)."""
    counts = result.summary.get("headline")
    if isinstance(counts, dict) and set(HEADLINE_KEYS) <= set(counts):
        return {k: int(counts[k]) for k in HEADLINE_KEYS}
    return headline_counts(result.episodes)


def _response_sentence(result: AnalysisResult, minimal: float) -> str:
    counts = headline(result)
    scored, responders = counts["first_courses_scored"], counts["first_course_responders"]
    if scored == 0:
        return "No course could be scored for response (no baseline with follow-up)."
    text = (
        f"{responders} of {scored} patients ({100 * responders / scored:.0f} %) "
        f"reached at least a minimal response (TIS ≥ {minimal:g}) in the first course "
        f"(at the best of its visits); {counts['relapsed_after_response']} of them relapsed"
    )
    if counts["first_courses_not_scored"]:
        text += (
            f"; {counts['first_courses_not_scored']} first course(s) had no visit that "
            "could be scored"
        )
    later = counts["retreatment_courses"]
    if later:
        text += (
            f", and {counts['retreatment_responders']} of {later} re-treatment courses led "
            "to a response again"
        )
    return text + "."


def primary_sentence(result: AnalysisResult) -> str | None:
    """The primary between-arm result in words, from ``summary.json`` (two arms only)."""
    arms = result.summary.get("arm_comparison")
    if not isinstance(arms, dict) or not isinstance(arms.get("primary_result"), dict):
        return None
    row = arms["primary_result"]
    treatment, control = arms["treatment_arm"], arms["control_arm"]
    level = f"{100 * float(arms.get('confidence', 0.95)):g} %"
    effect = "hazard ratio" if row["endpoint"] == "relapse" else "difference"
    scale = 100.0 if row["endpoint"] == "tis_response" else 1.0
    unit = " percentage points" if scale == 100.0 else ""
    return (
        f"Primary result ({row['population']}, {row['timepoint'] or 'whole follow-up'}): "
        f"{row['estimand']}: {effect} {num(scale * row['estimate'], 2)}{unit} "
        f"({level} CI {num(scale * row['ci_low'], 2)} to {num(scale * row['ci_high'], 2)}), "
        f"p {_p_words(row['p_value'])}; {row['n_treatment']} {treatment} and "
        f"{row['n_control']} {control} patients."
    )
