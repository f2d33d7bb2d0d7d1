"""Manual muscle testing (MMT-8) totals from muscle grades.

Source: IMACS core set (Rider LG et al. Arthritis Care Res 2011;63 Suppl 11:S118-57);
forms and rules as in docs/measures.md §1. Grades are Kendall 0-10.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from myotrial.domain import MMT_GROUPS, MMT_LIMB_GROUPS
from myotrial.errors import InvalidInputError, Problem
from myotrial.measures import _checks
from myotrial.measures.scales import GRADE_MAX

__all__ = ["GRADE_MAX", "LIMB_GROUPS", "MMT_GROUPS", "fill_mmt8", "grade_columns", "mmt_total"]

LIMB_GROUPS: tuple[str, ...] = MMT_LIMB_GROUPS
TOTAL_TOLERANCE = 1e-9


def grade_columns(frame: pd.DataFrame) -> list[str]:
    """The MMT grade columns present in ``frame``."""
    names = [f"mmt_{g}{s}" for g in MMT_GROUPS for s in ("", "_r", "_l")]
    return [name for name in names if name in frame.columns]


def _grade(
    frame: pd.DataFrame, group: str, side: str, source: str, problems: list[Problem]
) -> np.ndarray:
    """Grade of one group on one side; ``mmt_<group>`` stands for the default side."""
    sided = _checks.numeric(frame, f"mmt_{group}_{side}", source, problems)
    plain = _checks.numeric(frame, f"mmt_{group}", source, problems)
    grade = np.where(np.isnan(sided), plain, sided)
    if group == "neck_flexors":
        # The neck flexors are one midline group: a grade under either side stands.
        other = _checks.numeric(
            frame, f"mmt_{group}_{'l' if side == 'r' else 'r'}", source, problems
        )
        grade = np.where(np.isnan(grade), other, grade)
    return grade


def mmt_total(
    frame: pd.DataFrame,
    mmt_max: np.ndarray | int = 80,
    side: str = "r",
    source: str = "visits",
    problems: list[Problem] | None = None,
) -> np.ndarray:
    """MMT-8 total from the grades: 0-80 (one side) or 0-150 (both sides plus neck).

    Parameters
    ----------
    frame : DataFrame
        Grade columns ``mmt_<group>`` (taken as the tested side) and/or
        ``mmt_<group>_r`` / ``mmt_<group>_l``, each 0-10.
    mmt_max : int or ndarray
        80: the eight groups on ``side``. 150: the seven limb groups on both sides plus
        neck flexors (``mmt_neck_flexors``, or its ``_r`` column).
    side : {"r", "l"}
        Side of the 0-80 form (right by default).
    source : str
        File name used in problems.
    problems : list of Problem, optional
        Grades outside 0-10 are appended here; when None they raise at once.

    Returns
    -------
    ndarray
        The total per row; NaN when a grade the form needs is missing.
    """
    own: list[Problem] = [] if problems is None else problems
    for column in grade_columns(frame):
        values = _checks.numeric(frame, column, source, own)
        _checks.check_range(
            frame,
            column,
            values,
            0.0,
            GRADE_MAX,
            f"is outside the grade scale 0-{GRADE_MAX:g}",
            f"Kendall grades run from 0 to {GRADE_MAX:g}",
            source,
            own,
        )
    one_side = np.sum([_grade(frame, g, side, source, []) for g in MMT_GROUPS], axis=0)
    both = np.sum(
        [_grade(frame, g, s, source, []) for g in LIMB_GROUPS for s in ("r", "l")], axis=0
    ) + _grade(frame, "neck_flexors", "r", source, [])
    total = np.where(np.asarray(mmt_max) == 150, both, one_side)
    if problems is None and own:
        raise InvalidInputError(own)
    return np.asarray(total, dtype=np.float64) if len(frame) else np.zeros(0)


def fill_mmt8(
    frame: pd.DataFrame, mmt_max: np.ndarray, side: str, source: str, problems: list[Problem]
) -> np.ndarray:
    """``mmt8`` as given, else computed from grades; a disagreeing given total is a problem."""
    given = _checks.numeric(frame, "mmt8", source, problems)
    _checks.check_range(
        frame,
        "mmt8",
        given,
        0.0,
        mmt_max,
        "is outside 0-mmt_max",
        "mmt_max is 80 (one side) or 150 (both sides plus neck)",
        source,
        problems,
    )
    if not grade_columns(frame):
        return given
    computed = mmt_total(frame, mmt_max, side, source, problems)
    disagree = ~np.isnan(given) & ~np.isnan(computed) & (np.abs(given - computed) > TOTAL_TOLERANCE)
    _checks.add_problems(
        frame,
        "mmt8",
        disagree,
        "disagrees with the sum of its grades",
        "correct the total or the grades (docs/measures.md §1)",
        source,
        problems,
    )
    return np.where(np.isnan(given), computed, given)
