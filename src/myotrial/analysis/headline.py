"""The headline counts of a trial: computed once, read by the summary and every table.

The report's summary sentence, its relapse table and ``summary.json`` all state how many
first courses were scored, responded, relapsed and were followed by a re-treatment; they
read these counts so that the numbers agree wherever they appear. The response table
counts its unscorable courses by the same rule (:func:`unscorable_courses`).
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


def courses_per_episode(episodes: pd.DataFrame) -> pd.Series:
    """Courses that a response rate of each episode number is about, scorable or not.

    Every course counts, with or without a baseline or a scored visit; episode 0 (the
    "since study entry" view) has one course per first course.

    Returns
    -------
    Series
        Number of courses, indexed by episode number (0, 1, 2, ...).
    """
    counts = episodes.groupby("episode").size().astype(int)
    entry = counts[counts.index == 1].rename(index={1: 0})
    return pd.concat([entry, counts[counts.index != 0]]).sort_index()


def unscorable_courses(courses: pd.Series, episode: pd.Series, scored: pd.Series) -> pd.Series:
    """Courses without a score: the episode's courses less the ``scored`` ones.

    Parameters
    ----------
    courses
        :func:`courses_per_episode`.
    episode, scored
        Per row: the episode number and the courses with a score there.

    Returns
    -------
    Series
        Integer counts on the index of ``scored``.
    """
    total = episode.map(courses).fillna(0).astype(int)
    return (total - scored.astype(int)).rename("unscorable")


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
    not_scored = unscorable_courses(
        courses_per_episode(episodes), pd.Series([1]), pd.Series([int(scored.sum())])
    )
    return {
        "first_courses": len(first),
        "first_courses_scored": int(scored.sum()),
        "first_courses_not_scored": int(not_scored.iloc[0]),
        "first_course_responders": int(responded.sum()),
        "relapsed_after_response": int((responded & first["relapse_date"].notna()).sum()),
        "retreatment_courses": len(later),
        "retreatment_responders": int(later["response_date"].notna().sum()),
    }
