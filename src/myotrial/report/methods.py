"""The methods text: every convention the numbers rest on, with its published source.

A reviewer must be able to check each figure of the report against a rule; each entry
below names the rule and where it comes from (docs/measures.md and docs/analysis.md of the
project's documentation restate them with worked examples).
"""

from __future__ import annotations

from dataclasses import dataclass

from myotrial.config import TrialConfig
from myotrial.domain import POPULATIONS
from myotrial.measures.scales import UKAT_TO_UL
from myotrial.measures.tis import category_thresholds

# ACR/EULAR 2016 and its juvenile companion: lowest TIS of each response category.
TIS_THRESHOLDS: dict[str, dict[str, float]] = {p: category_thresholds(p) for p in POPULATIONS}

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


@dataclass(frozen=True)
class Convention:
    """One rule the analysis follows, and its source."""

    topic: str
    rule: str
    source: str


def conventions(config: TrialConfig) -> list[Convention]:
    """The conventions in force for a trial with configuration ``config``."""
    thresholds = TIS_THRESHOLDS.get(config.population, TIS_THRESHOLDS["adult"])
    windows = "; ".join(f"{t.name} day {t.day} ± {t.window}" for t in config.timepoints)
    return [
        Convention(
            "Courses and episodes",
            f"Infusions within {config.course_gap_days} days of the previous one form "
            "one course; each course opens an episode whose baseline is the last visit "
            "in the 30 days up to and including its first infusion (day 0).",
            "project convention (docs/measures.md §5), after the pilot's second MSCT",
        ),
        Convention(
            "Time points",
            f"Visits are assigned to the nominal time point whose window holds them "
            f"({windows}); the visit nearest the target day is used, the earlier on "
            "a tie.",
            "trial.toml; docs/analysis.md",
        ),
        Convention(
            "Total Improvement Score",
            "Improvement per core set measure banded and summed (0-100); "
            f"{config.population} thresholds: minimal ≥ {thresholds['minimal']:g}, moderate ≥ "
            f"{thresholds['moderate']:g}, major ≥ {thresholds['major']:g}. MMT-8 on "
            f"the 0-{config.mmt_max} scale.",
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
            "Mean of the answered categories, not computed with fewer than "
            "6 answered; an aid or help raises a category to at least 2.",
            "Stanford HAQ scoring rules",
        ),
        Convention(
            "Definition of improvement",
            "At least 3 core set measures ≥ 20 % better, at most 2 ≥ 25 % worse, MMT-8 not worse.",
            IMACS_DOI,
        ),
        Convention(
            "Relapse",
            "After a response, confirmed worsening (two consecutive worse "
            "visits) against the best visit of the episode, or a relapse recorded by "
            "the investigator; the first of the two visits dates it.",
            f"convention (docs/measures.md §5) built on {IMACS_WORSE}",
        ),
        Convention(
            "Paired tests",
            "Change from the episode baseline by paired t-test "
            "(two-sided, 95 % t interval) and Wilcoxon signed-rank test (exact when "
            "n ≤ 25 without ties).",
            f"as in the pilot ({PILOT}); SciPy",
        ),
        Convention(
            "Response rates",
            "Clopper-Pearson exact 95 % confidence intervals.",
            "Clopper CJ, Pearson ES. Biometrika 1934;26:404-13",
        ),
        Convention(
            "Relapse-free time",
            "Kaplan-Meier estimate from the first response, "
            "censored at the end of follow-up, with 95 % confidence band.",
            "Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457-81; lifelines",
        ),
        Convention(
            "Lung",
            "FVC improvement: relative rise ≥ 10 %; progression within a year: "
            "FVC fall ≥ 5 points or DLCO fall ≥ 10 points (% predicted).",
            "ATS/ERS/JRS/ALAT 2022 progressive pulmonary fibrosis physiology criteria",
        ),
        Convention(
            "Skin",
            "An ulcer is healed when active ulcers go from more than 0 to 0.",
            "project convention (docs/measures.md §6)",
        ),
        Convention(
            "Glucocorticoids",
            "Daily prednisone-equivalent dose (prednisone 5 mg = "
            "prednisolone 5 = methylprednisolone 4 = hydrocortisone 20 = "
            "dexamethasone 0.75); tapered means below 7.5 mg/day.",
            "standard equivalence tables (docs/measures.md §7)",
        ),
        Convention(
            "Enzyme units",
            f"µkat/L converted to U/L by × {UKAT_TO_UL:g}; each value also as a "
            "multiple of the laboratory's upper limit of normal from the trial "
            "configuration or the visit row.",
            "docs/measures.md §1",
        ),
    ]
