"""The methods: every convention the numbers rest on, with its published source.

Written once, here, from the options the analysis used (population, thresholds, baseline
window, confidence level, exact limit): ``summary.json`` carries the list and its text,
and the report prints that list, so the methods never disagree with the numbers. The
rules are restated with worked examples in docs/measures.md and docs/analysis.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from myotrial.analysis.options import AnalysisOptions
from myotrial.analysis.paired import MIN_PAIRS
from myotrial.config import TrialConfig
from myotrial.measures import lung
from myotrial.measures.doi import IMPROVED_PERCENT, MAX_WORSENED, MIN_IMPROVED, WORSENED_PERCENT
from myotrial.measures.haq import AID_FLOOR, MIN_ANSWERED
from myotrial.measures.scales import UKAT_TO_UL
from myotrial.measures.steroids import TAPER_MG, equivalence_text
from myotrial.measures.tis import category_thresholds

ACR_EULAR = (
    "Aggarwal R, Rider LG, et al. 2016 ACR/EULAR criteria for minimal, moderate and "
    "major clinical response in adult dermatomyositis and polymyositis. Ann Rheum Dis "
    "2017;76:792-801"
)
IMACS_DOI = "Rider LG et al. Arthritis Rheum 2004;50:2281-90"
IMACS_WORSE = (
    "Oddis CV et al. Arthritis Rheum 2005;52:2607-15; Aggarwal R et al. "
    "N Engl J Med 2022;387:1264-78 (ProDERM)"
)
PILOT = "Wang D et al. Ann Rheum Dis 2011;70:1285-8; Tang Y et al. Chin J Rheumatol 2011;15:175-8"
NEWCOMBE = "Newcombe RG. Stat Med 1998;17:873-90 (method 10)"
SATTERTHWAITE = "Satterthwaite FE. Biometrics Bull 1946;2:110-4; R nlme::gls"
AALEN_JOHANSEN = "Putter H, Fiocco M, Geskus RB. Stat Med 2007;26:2389-430; R cmprsk"


@dataclass(frozen=True)
class Convention:
    """One rule the analysis follows, and its source."""

    topic: str
    rule: str
    source: str


def conventions(config: TrialConfig, options: AnalysisOptions) -> list[Convention]:
    """The conventions in force for a trial with ``config`` analysed with ``options``."""
    return [*_episode_conventions(config, options), *_statistics_conventions(options)]


def paragraphs(items: list[Convention]) -> str:
    """The conventions as paragraphs (``summary.json`` "methods")."""
    return "\n\n".join(f"{c.topic}: {c.rule} Source: {c.source}." for c in items)


def as_records(items: list[Convention]) -> list[dict[str, Any]]:
    """The conventions as plain mappings (``summary.json`` "conventions")."""
    return [asdict(c) for c in items]


def from_records(records: object) -> list[Convention] | None:
    """Conventions read back from ``summary.json``; ``None`` when absent or malformed."""
    if not isinstance(records, list) or not records:
        return None
    try:
        return [Convention(str(r["topic"]), str(r["rule"]), str(r["source"])) for r in records]
    except (KeyError, TypeError):
        return None


def _episode_conventions(config: TrialConfig, options: AnalysisOptions) -> list[Convention]:
    population = options.population or config.population
    cut = category_thresholds(population)
    windows = "; ".join(f"{t.name} day {t.day} ± {t.window}" for t in config.timepoints)
    missing = (
        "a TIS with an absent core set measure is missing"
        if options.missing == "strict"
        else "an absent core set measure scores 0"
    )
    return [
        Convention(
            "Courses and episodes",
            f"Infusions within {config.course_gap_days} days of the previous one form one "
            "course; each course opens an episode whose baseline is the last visit in the "
            f"{options.baseline_window_days} days up to and including its first infusion "
            "(study day 0). Episode 0 is the since-study-entry view: every visit after the "
            "first infusion against the first course's baseline.",
            "project convention (docs/measures.md §5), after the pilot's second MSCT",
        ),
        Convention(
            "Time points",
            f"A visit is mapped to the nominal time point whose window holds it ({windows}) "
            "and whose target day is nearest, the earlier on a tie; per patient, episode and "
            "time point the visit nearest the target day is used, the earlier on a tie.",
            "trial.toml; docs/analysis.md",
        ),
        Convention(
            "Total Improvement Score",
            "Improvement per core set measure banded and summed (0-100); "
            f"{population} thresholds "
            + ", ".join(f"{k} >= {v:g}" for k, v in cut.items())
            + f"; MMT-8 on the 0-{config.mmt_max} scale; {missing}.",
            ACR_EULAR,
        ),
        Convention(
            "Enzyme in the TIS",
            "The enzyme most abnormal at baseline (× ULN); its change is relative to "
            "baseline because an enzyme has no upper bound.",
            f"convention, documented in docs/measures.md §2; {ACR_EULAR}",
        ),
        Convention(
            "HAQ-DI",
            f"Mean of the answered categories, not computed with fewer than {MIN_ANSWERED} "
            f"answered; an aid or help raises a category to at least {AID_FLOOR:g}.",
            "Stanford HAQ scoring rules",
        ),
        Convention(
            "Definition of improvement",
            f"At least {MIN_IMPROVED} core set measures ≥ {IMPROVED_PERCENT:g} % better, at "
            f"most {MAX_WORSENED} ≥ {WORSENED_PERCENT:g} % worse, MMT-8 not worse; with a "
            "measure missing, met or not met when the missing value cannot change the "
            "answer, otherwise missing.",
            IMACS_DOI,
        ),
        Convention(
            "Relapse",
            "During an episode, a relapse recorded by the investigator, or after a response "
            "confirmed worsening (two consecutive worse visits) against the best visit so "
            "far (highest TIS); the first of the two visits dates it.",
            f"convention (docs/measures.md §5) built on {IMACS_WORSE}",
        ),
        Convention(
            "Lung",
            f"FVC improvement: {lung.improvement_rule()} at the last visit; progression: "
            f"{lung.progression_rule()}.",
            "ATS/ERS/JRS/ALAT 2022 progressive pulmonary fibrosis physiology criteria",
        ),
        Convention(
            "Skin",
            "An ulcer count from above 0 to 0 is healed; the share healed is among the "
            "courses with ulcers at baseline.",
            "project convention (docs/measures.md §6)",
        ),
        Convention(
            "Glucocorticoids",
            f"Daily prednisone-equivalent dose ({equivalence_text()}) as change from "
            f"baseline; tapered means below {TAPER_MG:g} mg/day.",
            "standard equivalence tables (docs/measures.md §7)",
        ),
        Convention(
            "Enzyme units",
            f"µkat/L converted to U/L by × {UKAT_TO_UL:g}; each value also as a multiple of "
            "the laboratory's upper limit of normal from the trial configuration or the "
            "visit row.",
            "docs/measures.md §1",
        ),
    ]


def _statistics_conventions(options: AnalysisOptions) -> list[Convention]:
    level = options.level
    return [
        Convention(
            "Change from baseline (descriptive)",
            "Mean and SD at baseline and follow-up among the patients with both values; "
            f"paired t-test with a {level} t interval of the mean change (as R "
            "t.test(paired = TRUE)); Wilcoxon signed-rank test dropping zero differences, "
            f"exact when at most {options.exact_max_n} non-zero differences remain without "
            "ties, otherwise the normal approximation with tie and continuity correction "
            f"(as R wilcox.test(paired = TRUE)). No test or interval below {MIN_PAIRS} "
            "pairs or when every change is the same; none for the TIS, which is 0 at "
            "baseline by construction. Within-arm p-values are descriptive and unadjusted "
            "for multiple comparisons.",
            f"as in the pilot ({PILOT}); SciPy",
        ),
        Convention(
            "Response rates (descriptive)",
            f"Clopper-Pearson exact {level} confidence intervals (as R binom.test) among the "
            'courses with a score; the courses without one are counted beside. "Any '
            "visit\" is the best of all the course's visits, not a pre-specified time point.",
            "Clopper CJ, Pearson ES. Biometrika 1934;26:404-13",
        ),
        Convention(
            "Relapse-free time",
            "Kaplan-Meier from each patient's first response with log(-log) "
            f"{level} intervals (none where the survival is 1), censored at the end of "
            "the episode's follow-up; a re-treatment without a relapse ends the course "
            "(censored at the next course's first infusion); a death before a relapse is "
            "a competing event, counted apart and not a relapse.",
            "Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457-81; lifelines, as R survfit",
        ),
        Convention(
            "Mixed model (descriptive)",
            "log(CK) and MMT-8 in the first course against time point with a random "
            "intercept per patient, REML (as statsmodels MixedLM and R nlme::lme); Wald "
            f"{level} intervals. Between arms the MMRM below is used instead.",
            "Laird NM, Ware JH. Biometrics 1982;38:963-74",
        ),
        *_arm_conventions(level),
    ]


def _arm_conventions(level: str) -> list[Convention]:
    return [
        Convention(
            "Arms and populations",
            "Intention to treat: every randomised patient in the allocated arm, day 0 the "
            "randomisation date, baseline the last visit in the baseline window up to and "
            "including day 0; safety: by treatment received (any infusion = MSCT); per "
            "protocol: patients who received the allocated treatment.",
            "ICH E9 (R1) 2019",
        ),
        Convention(
            "Response between arms",
            "Risk difference MSCT minus control of TIS at or above the minimal threshold "
            f"at the primary time point, Newcombe hybrid score {level} interval, p from the "
            "pooled z-test (Pearson chi-squared without continuity correction) or Fisher's "
            "exact test when the plan names it; primary: non-responder imputation over "
            "every randomised patient, also among those with a score (complete case).",
            NEWCOMBE,
        ),
        Convention(
            "Continuous endpoints between arms",
            "ANCOVA of the change in MMT-8 and in natural-log CK on arm and baseline at the "
            "primary time point (OLS, t interval and test, complete cases); MMRM of MMT-8 "
            "change over every post-baseline time point with arm × time and baseline × "
            "time, unstructured covariance, REML, Satterthwaite degrees of freedom.",
            SATTERTHWAITE,
        ),
        Convention(
            "Relapse between arms",
            "Time from randomisation to the first relapse, censored at the last visit, "
            "death a competing event: cumulative incidence by arm (Aalen-Johansen); "
            "cause-specific Cox hazard ratio (Efron ties, Wald interval on the log scale) "
            "with the log-rank p.",
            f"{AALEN_JOHANSEN}; Cox DR. J R Stat Soc B 1972;34:187-220",
        ),
    ]
