"""Lung function cut-offs of the lung and skin table (docs/measures.md §6).

FVC and DLCO are in % predicted. Improvement is the project's convention; progression
follows the physiological criteria of progressive pulmonary fibrosis (Raghu G et al.,
ATS/ERS/JRS/ALAT guideline, Am J Respir Crit Care Med 2022;205:e18-e47).
"""

from __future__ import annotations

FVC_IMPROVEMENT_PERCENT = 10.0
"""An FVC improves when its relative rise at the last visit is at least this (%)."""
FVC_FALL_POINTS = 5.0
"""Progression: FVC falls by at least this many points of % predicted within a year."""
DLCO_FALL_POINTS = 10.0
"""Progression: DLCO falls by at least this many points of % predicted within a year."""
PROGRESSION_DAYS = 365
"""The year after the course's start within which a fall counts as progression."""


def improvement_rule() -> str:
    """The FVC improvement rule in words, from the constants above."""
    return f"relative rise ≥ {FVC_IMPROVEMENT_PERCENT:g} %"


def progression_rule() -> str:
    """The progression rule in words, from the constants above."""
    return (
        f"FVC fall ≥ {FVC_FALL_POINTS:g} points or DLCO fall ≥ {DLCO_FALL_POINTS:g} points "
        f"(% predicted) within {PROGRESSION_DAYS} days"
    )
