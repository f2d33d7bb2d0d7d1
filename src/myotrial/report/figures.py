"""The report's figures, drawn with matplotlib (Agg) and returned as inline SVG.

matplotlib is imported inside the functions so that importing myotrial stays light.
Each function returns a :class:`ReportFigure`; when there is nothing to draw it carries
``svg=None`` and a message saying why, so the report never shows an empty axis.
Lines of many patients are drawn as one ``LineCollection`` (one SVG path group), not one
``plot`` call per patient, which keeps a 1,000-patient report fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from myotrial.measures.visits import BASELINE_WINDOW_DAYS
from myotrial.report.svg import ReportFigure, figure_to_svg
from myotrial.report.timeline import patient_series, split_by_patient

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
INK = "#1f2933"
GREY = "#8a96a3"
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
RED = "#D55E00"
PURPLE = "#CC79A7"
SKY = "#56B4E9"

MAX_DOTTED_PATIENTS = 50
"""Up to this many patients, each visit is also drawn as a dot on its patient's line."""

MARGINS = (0.85, 0.55, 0.2, 0.15)
"""Left, bottom, right, top margins in inches: room for tick labels and axis titles."""

CATEGORY_COLOURS = {"none": GREY, "minimal": SKY, "moderate": BLUE, "major": GREEN}


def new_figure(
    width: float = 7.0, height: float = 3.6, margins: tuple[float, float, float, float] = MARGINS
) -> tuple[Figure, Axes]:
    """A figure with the report's house style; ``margins`` (left, bottom, right, top) in inches.

    Margins are fixed rather than computed by matplotlib's constrained layout, which draws
    each figure twice and doubled the time to render a report.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    left, bottom, right, top = margins
    figure.subplots_adjust(
        left=left / width, bottom=bottom / height, right=1 - right / width, top=1 - top / height
    )
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(colors=INK, labelsize=9)
    axes.grid(axis="y", color="#e4e7eb", linewidth=0.6)
    axes.set_axisbelow(True)
    return figure, axes


def empty(key: str, title: str, caption: str, message: str) -> ReportFigure:
    """A figure slot that says why there is no figure."""
    return ReportFigure(key, title, caption, message, None, message)


def spaghetti(
    trial: Any,
    mean_points: pd.DataFrame,
    measure: str,
    label: str,
    log: bool = False,
    baseline_window_days: int = BASELINE_WINDOW_DAYS,
) -> ReportFigure:
    """Each patient's course of ``measure`` over study days, with the mean at time points.

    Parameters
    ----------
    trial
        The :class:`~myotrial.trialdata.TrialData` whose visits are drawn.
    mean_points
        Columns ``day``, ``mean``, ``n``: the mean at baseline (day 0) and each time point
        (from ``change_from_baseline``, first course).
    measure, label
        Visit column and its axis label with unit.
    log
        Draw the value axis on a log scale (enzymes span orders of magnitude).
    baseline_window_days
        The analysis's baseline window: earlier visits are not drawn.
    """
    from matplotlib.collections import LineCollection

    key, title = f"spaghetti-{measure}", f"{label} per patient over time"
    caption = (
        f"{label} of each patient (thin grey lines) against days since the first infusion; "
        "the thick line joins the means at baseline and each nominal time point"
        + (" (log scale)." if log else ".")
    )
    series = patient_series(trial, measure, baseline_window_days)
    if log:
        series = series[series["value"] > 0]
    if series.empty:
        return empty(key, title, caption, f"No {label} values were recorded.")
    figure, axes = new_figure()
    patients = series["patient_id"].nunique()
    # Many patients: fainter lines so the bundle shows density, and no per-visit dots
    # (thousands of dots add weight to the page and nothing to the reading).
    alpha = float(min(0.55, 6.0 / np.sqrt(patients)))
    lines = LineCollection(
        split_by_patient(series), colors=GREY, linewidths=0.8, alpha=alpha, zorder=1
    )
    axes.add_collection(lines)
    if patients <= MAX_DOTTED_PATIENTS:
        axes.scatter(series["day"], series["value"], s=6, color=GREY, alpha=0.6, linewidths=0)
    if not mean_points.empty:
        axes.plot(
            mean_points["day"],
            mean_points["mean"],
            color=BLUE,
            linewidth=2.4,
            marker="o",
            markersize=5,
            label="mean",
            zorder=3,
        )
        axes.legend(frameon=False, fontsize=9, loc="upper right")
    if log:
        _log_axis(axes)
    axes.autoscale_view()
    axes.set_xlabel("Days since first infusion", fontsize=10, color=INK)
    axes.set_ylabel(label, fontsize=10, color=INK)
    alt = _spaghetti_alt(series, mean_points, label)
    return ReportFigure(key, title, caption, alt, figure_to_svg(figure, key, title, alt))


def _log_axis(axes: Axes) -> None:
    """Log scale labelled 100, 200, 500, 1,000 (clinicians read U/L, not powers of ten)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axes.set_yscale("log")
    axes.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.0f}"))
    axes.yaxis.set_minor_formatter(NullFormatter())


def _spaghetti_alt(series: pd.DataFrame, mean_points: pd.DataFrame, label: str) -> str:
    patients = series["patient_id"].nunique()
    text = f"Line chart of {label} for {patients} patients over {len(series)} visits."
    if len(mean_points) >= 2:
        first, last = mean_points.iloc[0], mean_points.iloc[-1]
        text += (
            f" The mean goes from {first['mean']:.4g} at day {first['day']:.0f} to "
            f"{last['mean']:.4g} at day {last['day']:.0f}."
        )
    return text


def waterfall(best_tis: pd.Series, thresholds: dict[str, float]) -> ReportFigure:
    """Best Total Improvement Score of each patient's first course, sorted high to low.

    Parameters
    ----------
    best_tis
        One value per patient (NaN when the course had no baseline to score against).
    thresholds
        Category name → lowest TIS of the category (ACR/EULAR 2016, by population).
    """
    key, title = "waterfall-tis", "Best Total Improvement Score per patient"
    scored = best_tis.dropna().sort_values(ascending=False, kind="stable")
    caption = (
        "Best ACR/EULAR 2016 Total Improvement Score of each patient's first course, "
        "highest first; dashed lines mark the minimal, moderate and major response "
        "thresholds."
    )
    unscored = int(best_tis.isna().sum())
    if unscored:
        caption += f" {unscored} patient(s) without a scorable baseline are not shown."
    if scored.empty:
        return empty(key, title, caption, "No patient has a Total Improvement Score.")
    figure, axes = new_figure()
    values = scored.to_numpy(dtype="float64")
    category = np.full(values.shape, "none", dtype=object)
    for name, lowest in sorted(thresholds.items(), key=lambda item: item[1]):
        category[values >= lowest] = name
    colours = [CATEGORY_COLOURS.get(c, GREY) for c in category]
    axes.bar(np.arange(len(values)), values, color=colours, width=0.85)
    for name, lowest in thresholds.items():
        axes.axhline(lowest, color=INK, linestyle="--", linewidth=0.8)
        axes.annotate(
            f"{name} ≥ {lowest:g}",
            (1.0, lowest),
            xycoords=("axes fraction", "data"),
            ha="right",
            va="bottom",
            fontsize=8,
            color=INK,
        )
    axes.set_xticks([])
    axes.set_xlim(-0.6, len(values) - 0.4)
    axes.set_ylim(0, 100)
    axes.set_xlabel(f"Patients (n = {len(values)}), ordered by best TIS", fontsize=10)
    axes.set_ylabel("Best TIS (0-100)", fontsize=10)
    counts = pd.Series(category).value_counts()
    alt = (
        f"Bar chart of the best TIS of {len(values)} patients, from {values[0]:g} down to "
        f"{values[-1]:g}. "
        + ", ".join(f"{counts.get(name, 0)} {name}" for name in ["none", *thresholds])
        + "."
    )
    return ReportFigure(key, title, caption, alt, figure_to_svg(figure, key, title, alt))


def kaplan_meier(relapse: pd.DataFrame, median_text: str, level: str = "95 %") -> ReportFigure:
    """Relapse-free survival from first response (Kaplan-Meier) with its confidence band.

    Parameters
    ----------
    relapse
        The ``relapse`` table: ``time_days``, ``at_risk``, ``events``, ``censored``,
        ``survival``, ``ci_low``, ``ci_high``.
    median_text
        The median relapse-free time as the report words it (used in the alt text).
    """
    key, title = "km-relapse", "Relapse-free time after first response"
    caption = (
        "Kaplan-Meier estimate of the probability of staying relapse-free after the first "
        f"response (TIS ≥ minimal threshold), with its {level} confidence band; ticks mark "
        "censored follow-up."
    )
    if relapse.empty or "survival" not in relapse:
        return empty(
            key,
            title,
            caption,
            "No patient responded, so there is no relapse-free time to estimate.",
        )
    table = relapse.sort_values("time_days", kind="stable")
    times = np.concatenate([[0.0], table["time_days"].to_numpy(dtype="float64")])
    survival = np.concatenate([[1.0], table["survival"].to_numpy(dtype="float64")])
    low = np.concatenate([[1.0], table["ci_low"].to_numpy(dtype="float64")])
    high = np.concatenate([[1.0], table["ci_high"].to_numpy(dtype="float64")])
    figure, axes = new_figure(height=3.3)
    axes.fill_between(
        times, low, high, step="post", color=SKY, alpha=0.3, linewidth=0, label=f"{level} CI"
    )
    axes.step(times, survival, where="post", color=BLUE, linewidth=2, label="relapse-free")
    censored = table["censored"].to_numpy() > 0
    axes.scatter(
        table["time_days"][censored],
        table["survival"][censored],
        marker="|",
        s=60,
        color=INK,
        label="censored",
        zorder=3,
    )
    axes.set_ylim(0, 1.02)
    axes.set_xlim(left=0)
    axes.set_xlabel("Days since first response", fontsize=10)
    axes.set_ylabel("Probability relapse-free", fontsize=10)
    axes.legend(frameon=False, fontsize=9, loc="lower left")
    events = int(table["events"].sum())
    at_start = int(table["at_risk"].iloc[0]) if len(table) else 0
    alt = (
        f"Step curve of relapse-free probability for {at_start} responders with {events} "
        f"relapse(s); it ends at {survival[-1]:.2f} on day {times[-1]:.0f}. {median_text}"
    )
    return ReportFigure(key, title, caption, alt, figure_to_svg(figure, key, title, alt))
