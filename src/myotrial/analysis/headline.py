"""The headline counts of a trial: computed once, read by the summary and every table.

The report's summary sentence, its relapse table and ``summary.json`` all state how many
first courses were scored, responded, relapsed and were followed by a re-treatment; they
read these counts so that the numbers agree wherever they appear.
"""

from __future__ import annotations

import pandas as pd

HEADLINE_KEYS: tuple[str, ...] = (
    "first_courses",
    "first_courses_scored",
    "first_courses_not_scored",
    "first_course_responders",
    "relapsed_after_response",
    "retreatment_courses",
    "retreatment_responders",
)


def headline_counts(episodes: pd.DataFrame) -> dict[str, int]:
    """Counts of the first course and of re-treatments from the ``episodes`` table.

    A course is *scored* when at least one follow-up visit has a TIS (``best_tis``), a
    *responder* when one reached the minimal threshold (``response_date``); a relapse
    counts here when it followed that response.

    Returns
    -------
    dict
        :data:`HEADLINE_KEYS` to counts.
    """
    if episodes.empty:
        return dict.fromkeys(HEADLINE_KEYS, 0)
    first = episodes[episodes["episode"] == 1]
    later = episodes[episodes["episode"] > 1]
    scored = first["best_tis"].notna()
    responded = first["response_date"].notna()
    return {
        "first_courses": len(first),
        "first_courses_scored": int(scored.sum()),
        "first_courses_not_scored": int((~scored).sum()),
        "first_course_responders": int(responded.sum()),
        "relapsed_after_response": int((responded & first["relapse_date"].notna()).sum()),
        "retreatment_courses": len(later),
        "retreatment_responders": int(later["response_date"].notna().sum()),
    }
