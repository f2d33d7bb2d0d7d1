"""The swimmer plot: one lane per patient from first infusion to end of follow-up.

Marks on each lane: infusions, first response of each course, relapse, the start of a
re-treatment course and the end of follow-up (docs/measures.md §5 defines the episode events).
All marks of one kind are drawn in one ``scatter`` call, whatever the number of patients.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from myotrial.report.figures import GREEN, GREY, INK, ORANGE, RED, empty, new_figure
from myotrial.report.svg import ReportFigure, figure_to_svg
from myotrial.report.timeline import days_since_entry, first_infusion
from myotrial.trialdata import TrialData

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MAX_LABELLED_LANES = 40
"""Above this many patients the lanes are not labelled (the codes would overlap)."""

# Marker, colour and legend label of each kind of mark on a lane.
MARKS: dict[str, tuple[str, str, str]] = {
    "infusion": ("v", INK, "infusion"),
    "response": ("o", GREEN, "response (TIS ≥ minimal)"),
    "relapse": ("X", RED, "relapse"),
    "retreatment": ("D", ORANGE, "re-treatment course"),
    "end": (">", GREY, "end of follow-up"),
}


def lanes(trial: TrialData, episodes: pd.DataFrame) -> pd.DataFrame:
    """One row per patient: ``patient_id``, ``lane`` (0 = top), ``end`` (days).

    Lanes are ordered by length of follow-up, longest first.
    """
    day0 = first_infusion(trial)
    if episodes.empty or day0.empty:
        return pd.DataFrame({"patient_id": [], "lane": [], "end": []})
    frame = episodes[["patient_id", "end_date"]].copy()
    frame["end"] = days_since_entry(frame, "end_date", day0)
    per_patient = frame.groupby("patient_id", sort=True)["end"].max().fillna(0.0).clip(lower=0)
    ordered = per_patient.sort_values(ascending=False, kind="stable")
    return pd.DataFrame(
        {"patient_id": ordered.index, "lane": np.arange(len(ordered)), "end": ordered.values}
    )


def marks(trial: TrialData, episodes: pd.DataFrame) -> pd.DataFrame:
    """Every mark to draw: ``patient_id``, ``kind`` (a key of :data:`MARKS`), ``day``."""
    day0 = first_infusion(trial)
    parts = [_dated(trial.infusions, "infusion_date", "infusion", day0)]
    parts.append(_dated(episodes, "response_date", "response", day0))
    parts.append(_dated(episodes, "relapse_date", "relapse", day0))
    retreated = episodes[episodes["retreatment"].fillna(False).astype(bool)]
    parts.append(_dated(retreated, "first_infusion", "retreatment", day0))
    # One end-of-follow-up mark per patient: a course's end before re-treatment is not it.
    last = episodes.sort_values("end_date").drop_duplicates("patient_id", keep="last")
    parts.append(_dated(last, "end_date", "end", day0))
    frame = pd.concat(parts, ignore_index=True)
    return frame[frame["day"].notna()]


def _dated(frame: pd.DataFrame, column: str, kind: str, day0: pd.Series) -> pd.DataFrame:
    if frame.empty or column not in frame:
        return pd.DataFrame({"patient_id": [], "kind": [], "day": []})
    return pd.DataFrame(
        {
            "patient_id": frame["patient_id"].to_numpy(),
            "kind": kind,
            "day": days_since_entry(frame, column, day0).to_numpy(),
        }
    )


def swimmer(trial: TrialData, episodes: pd.DataFrame) -> ReportFigure:
    """Draw the swimmer plot of ``trial`` from its ``episodes`` table."""
    key, title = "swimmer", "Follow-up, response and relapse per patient"
    caption = (
        "One lane per patient from the first infusion (day 0) to the end of follow-up, "
        "longest first: infusions, first response, relapse and the start of a re-treatment "
        "course are marked on the lane."
    )
    lane_table = lanes(trial, episodes)
    if lane_table.empty:
        return empty(
            key,
            title,
            caption,
            "No treatment course was recorded, so there is no follow-up to show.",
        )
    n = len(lane_table)
    height = float(np.clip(1.2 + 0.22 * n, 2.5, 24.0))
    longest = int(lane_table["patient_id"].astype(str).str.len().max())
    # Left margin fits the longest patient code (about 0.07 in per character at 8 pt).
    left = 0.55 + 0.07 * longest if n <= MAX_LABELLED_LANES else 0.6
    figure, axes = new_figure(height=height, margins=(left, 0.55, 0.2, 0.45))
    axes.grid(False)
    axes.barh(lane_table["lane"], lane_table["end"], height=0.55, color="#dbe4ee", zorder=1)
    all_marks = marks(trial, episodes)
    all_marks = all_marks.assign(
        lane=all_marks["patient_id"].map(lane_table.set_index("patient_id")["lane"])
    )
    size = float(np.clip(2400 / n, 6, 40))
    for kind, (marker, colour, label) in MARKS.items():
        chosen = all_marks[(all_marks["kind"] == kind) & all_marks["lane"].notna()]
        axes.scatter(
            chosen["day"],
            chosen["lane"],
            marker=marker,
            s=size,
            color=colour,
            label=label,
            zorder=3,
            linewidths=0,
        )
    axes.invert_yaxis()
    # A little room left of day 0 so the first infusion mark is not drawn on the axis.
    axes.set_xlim(left=-0.02 * max(float(lane_table["end"].max()), 1.0))
    _label_lanes(axes, lane_table)
    axes.set_xlabel("Days since first infusion", fontsize=10)
    axes.legend(
        frameon=False,
        fontsize=8,
        ncol=5,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        handletextpad=0.2,
        columnspacing=1.0,
    )
    alt = _alt(lane_table, all_marks)
    return ReportFigure(key, title, caption, alt, figure_to_svg(figure, key, title, alt))


def _label_lanes(axes: Axes, lane_table: pd.DataFrame) -> None:
    if len(lane_table) <= MAX_LABELLED_LANES:
        axes.set_yticks(lane_table["lane"], lane_table["patient_id"].astype(str), fontsize=8)
        axes.set_ylabel("Patient", fontsize=10)
    else:
        # Too many lanes to label each: the lanes stay, the names would overlap.
        axes.set_yticks([])
        axes.set_ylabel(f"Patients (n = {len(lane_table)})", fontsize=10)


def _alt(lane_table: pd.DataFrame, all_marks: pd.DataFrame) -> str:
    counts = all_marks.groupby("kind")["patient_id"].nunique()
    return (
        f"Swimmer plot of {len(lane_table)} patients followed for up to "
        f"{lane_table['end'].max():.0f} days (median {lane_table['end'].median():.0f}). "
        f"{counts.get('response', 0)} patients responded, {counts.get('relapse', 0)} "
        f"relapsed and {counts.get('retreatment', 0)} were re-treated."
    )
