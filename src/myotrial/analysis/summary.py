"""``summary.json``: counts, provenance, options, notes and the methods text."""

from __future__ import annotations

from typing import Any

import pandas as pd

from myotrial.analysis.options import AnalysisOptions, Notes
from myotrial.analysis.prepared import Prepared
from myotrial.measures.tis import category_thresholds
from myotrial.trialdata import TrialData
from myotrial.version import __version__

METHODS: tuple[str, ...] = (
    "Episodes: a course is one or more infusions, an infusion within {gap} days of the "
    "previous one joining its course; each course opens an episode whose baseline is the "
    "last visit in the {window} days up to and including its first infusion day, and whose "
    "study day 0 is that infusion day (myotrial convention, docs/measures.md §5). Episode 0 is the "
    "since-study-entry view: every visit after the first infusion against the first "
    "course's baseline.",
    "Time points: a visit is mapped to the nominal time point whose window holds it and "
    "whose target day is nearest (the earlier time point on a tie); per patient, episode "
    "and time point the visit nearest the target day is used, the earlier on a tie.",
    "Change from baseline: mean and SD at baseline and follow-up among patients with both "
    "values; two-sided paired t-test with a {level:g} % t interval of the mean change (as R "
    "t.test(paired = TRUE)); Wilcoxon signed-rank test dropping zero differences, exact when "
    "at most {exact} non-zero differences remain without ties, otherwise the normal "
    "approximation with tie and continuity correction (as R wilcox.test(paired = TRUE)). "
    "No correction for multiple comparisons.",
    "Scores: each follow-up visit against its episode baseline with the ACR/EULAR 2016 "
    "Total Improvement Score (Aggarwal et al., Ann Rheum Dis 2017; {population} thresholds "
    "{thresholds}; enzyme = the one most abnormal at baseline, its change taken relative "
    "to baseline, a myotrial convention; absent core set measures: {missing}), the IMACS "
    "2004 definition of improvement (Rider et al., Arthritis Rheum 2004) and worsening "
    "(IMACS 2005, Oddis et al., Arthritis Rheum 2005).",
    "Response: the first follow-up visit with a TIS at or above the minimal threshold. "
    "Response rates per time point with Clopper-Pearson exact {level:g} % intervals (as R "
    "binom.test).",
    "Relapse (myotrial convention, docs/measures.md §5): a relapse recorded by the investigator "
    "during the episode, or after a response confirmed worsening (two consecutive worse "
    "visits, IMACS 2005 as in ProDERM, Aggarwal et al., NEJM 2022) against the best visit "
    "so far (highest TIS), dated by the first of the two visits. Relapse-free time from "
    "each patient's first response by Kaplan-Meier with log(-log) {level:g} % intervals "
    '(lifelines; as R survfit(conf.type = "log-log")), censored at the end of the '
    "episode's follow-up.",
    "Table 1: mean ± SD (median, quartiles) for continuous characteristics, n (%) of the "
    "patients with a known value for categorical ones, per arm and overall.",
    "Lung and skin (docs/measures.md §6): FVC improvement = relative rise ≥ 10 % at the last "
    "visit; progression (ATS/ERS 2022 physiology) = FVC down ≥ 5 points or DLCO down ≥ 10 "
    "points at any visit within one year; an ulcer count from above 0 to 0 is healed.",
    "Steroids: prednisone-equivalent mg/day (docs/measures.md §7) as change from baseline; "
    "tapered = below 7.5 mg/day.",
    "Safety: events and patients by term, grade, seriousness and relatedness; a death is a "
    "death event or a grade 5 adverse event (CTCAE).",
    "Mixed model: log(CK) and MMT-8 in the first course against time point (baseline as "
    "reference) with a random intercept per patient, fitted by REML in closed form (the "
    "model of statsmodels MixedLM and R nlme::lme, checked against both); Wald "
    "{level:g} % intervals.",
)


def methods_text(trial: TrialData, options: AnalysisOptions) -> str:
    """The methods paragraph naming every convention used and its source."""
    population = options.population or trial.config.population
    cuts = category_thresholds(population)
    values = {
        "gap": trial.config.course_gap_days,
        "window": options.baseline_window_days,
        "level": options.confidence * 100,
        "exact": options.exact_max_n,
        "population": population,
        "thresholds": ", ".join(f"{k} >= {v:g}" for k, v in cuts.items()),
        "missing": "TIS missing (strict)" if options.missing == "strict" else "score 0",
    }
    return "\n\n".join(paragraph.format(**values) for paragraph in METHODS)


def build_summary(
    trial: TrialData,
    options: AnalysisOptions,
    prep: Prepared,
    tables: dict[str, pd.DataFrame],
    notes: Notes,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything ``summary.json`` holds."""
    episodes = tables["episodes"]
    counts = {
        "patients": len(trial.patients),
        "treated_patients": int(episodes["patient_id"].nunique()),
        "infusions": len(trial.infusions),
        "episodes": len(episodes),
        "retreatments": int(episodes["retreatment"].sum()),
        "episodes_without_baseline": int(episodes["baseline_date"].isna().sum()),
        "visits": len(trial.visits),
        "followup_visits": int((prep.followup["episode"] > 0).sum()),
        "visits_at_timepoints": int(
            prep.mapped.loc[prep.mapped["episode"] > 0, "timepoint"].notna().sum()
        ),
        "adverse_events": len(trial.adverse_events),
    }
    options_used = {
        **options.to_dict(),
        "population": options.population or trial.config.population,
        "course_gap_days": trial.config.course_gap_days,
        "timepoints": {t.name: {"day": t.day, "window": t.window} for t in trial.config.timepoints},
    }
    return {
        "trial": trial.config.name,
        "software": "myotrial",
        "version": __version__,
        "source": trial.source,
        "input_checksum": trial.checksum,
        "counts": counts,
        "measures": prep.measures,
        "options": options_used,
        **(extra or {}),
        "notes": notes.items,
        "methods": methods_text(trial, options),
    }
