"""Options of ``myotrial.analyze`` and the notes it leaves for the reader.

Every option has the default that ``docs/analysis.md`` documents; the options used are
written into ``summary.json`` so that a result can be reproduced.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from myotrial.domain import POPULATIONS
from myotrial.errors import ConfigError, Problem
from myotrial.measures.visits import BASELINE_WINDOW_DAYS

MISSING_RULES: tuple[str, ...] = ("strict", "zero")


@dataclass(frozen=True)
class AnalysisOptions:
    """How the analysis is done.

    Parameters
    ----------
    population
        ``"adult"`` or ``"juvenile"`` (TIS thresholds, ACR/EULAR 2016); ``None`` takes
        the trial's ``population``.
    missing
        ``"strict"`` (a TIS with an absent core set measure is missing) or ``"zero"``.
    baseline_window_days
        docs/measures.md §5: the episode baseline is the last visit this many days before the
        first infusion, up to and including the infusion day.
    exact_max_n
        Wilcoxon signed-rank p-values are exact up to this many non-zero differences
        when there are no ties (R's ``wilcox.test``: exact below 50).
    confidence
        Level of every confidence interval.
    """

    population: str | None = None
    missing: str = "strict"
    baseline_window_days: int = BASELINE_WINDOW_DAYS
    exact_max_n: int = 49
    confidence: float = 0.95

    @property
    def level(self) -> str:
        """The confidence level as the methods and the report write it: ``95 %``."""
        return f"{self.confidence * 100:g} %"

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        if self.population not in (None, *POPULATIONS):
            problems.append(_problem("population", self.population, "must be adult or juvenile"))
        if self.missing not in MISSING_RULES:
            problems.append(_problem("missing", self.missing, "must be strict or zero"))
        if self.baseline_window_days < 0:
            problems.append(
                _problem(
                    "baseline_window_days", self.baseline_window_days, "must be 0 or more days"
                )
            )
        if self.exact_max_n < 0:
            problems.append(_problem("exact_max_n", self.exact_max_n, "must be 0 or more"))
        if not 0 < self.confidence < 1:
            problems.append(
                _problem("confidence", self.confidence, "must lie strictly between 0 and 1")
            )
        if problems:
            raise ConfigError(problems)

    def to_dict(self) -> dict[str, Any]:
        """The options as a plain mapping (for ``summary.json``)."""
        return asdict(self)


def _problem(key: str, value: object, rule: str) -> Problem:
    return Problem(
        "analysis options", None, key, str(value), rule, "see docs/analysis.md, section Options"
    )


@dataclass
class Notes:
    """Things the reader must know about the data: edge cases met, never hidden.

    Each note has a ``code`` (stable, for programs), a ``message`` (for people), the
    number of cases and up to ten example patient ids.
    """

    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, code: str, message: str, patients: Any = (), count: int | None = None) -> None:
        """Record a note; ``patients`` is any iterable of patient ids (may repeat)."""
        ids = sorted({str(p) for p in patients})
        self.items.append(
            {
                "code": code,
                "message": message,
                "count": len(ids) if count is None else int(count),
                "patients": ids[:10],
            }
        )

    def codes(self) -> list[str]:
        """The codes recorded so far, in order."""
        return [item["code"] for item in self.items]
