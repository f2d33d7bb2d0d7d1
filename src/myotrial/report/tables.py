"""The report's tables, built from the analysis tables and rounded for reading."""

from __future__ import annotations

from typing import Any

import pandas as pd

from myotrial.report.formatting import (
    CRITERIA_LABELS,
    MEASURE_ORDER,
    MISSING,
    HtmlTable,
    digits_for,
    generic_table,
    interval,
    is_missing,
    mean_sd,
    measure_label,
    num,
    p_value,
    percent,
    scientific,
    timepoint_label,
    two_lines,
)
from myotrial.trialdata import TrialData

PILOT_COLUMNS = [
    "Time point",
    "Day",
    "n",
    "Baseline mean ± SD",
    "Mean ± SD",
    "Change ({level} CI)",
    "p (paired t)",
    "p (Wilcoxon)",
]


def first_course(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of the first course (episode 1) when the table has an ``episode`` column."""
    if "episode" not in frame or frame.empty:
        return frame
    chosen: pd.DataFrame = frame[frame["episode"] == 1]
    return chosen


def ordered_measures(change: pd.DataFrame) -> list[str]:
    """Measures of ``change_from_baseline`` in the clinic's order, unknown ones last."""
    present = list(dict.fromkeys(change["measure"])) if "measure" in change else []
    known = [m for m in MEASURE_ORDER if m in present]
    return known + sorted(m for m in present if m not in MEASURE_ORDER)


def measure_digits(rows: pd.DataFrame) -> int:
    """Decimals for a measure: three significant figures of its typical baseline."""
    typical = rows["baseline_mean"].abs().median() if len(rows) else float("nan")
    return digits_for(float(typical))


def pilot_style(change: pd.DataFrame, measure: str, level: str = "95 %") -> HtmlTable:
    """Mean ± SD at each time point with the paired tests, as the pilot reported them."""
    rows = change[change["measure"] == measure].sort_values("day", kind="stable")
    digits = measure_digits(rows)
    body = [
        [
            timepoint_label(r.timepoint),
            num(r.day, 0),
            num(r.n, 0),
            mean_sd(r.baseline_mean, r.baseline_sd, digits),
            mean_sd(r.mean, r.sd, digits),
            f"{num(r.change_mean, digits)} ({interval(r.change_ci_low, r.change_ci_high, digits)})",
            p_value(r.p_ttest),
            p_value(r.p_wilcoxon),
        ]
        for r in rows.itertuples(index=False)
    ]
    return HtmlTable(
        measure_label(measure),
        [c.format(level=level) for c in PILOT_COLUMNS],
        body,
        key=f"measure-{measure}",
        note="Baseline and follow-up means are over the patients with both values "
        "(n); p-values two-sided, descriptive and unadjusted for multiple comparisons; no "
        "test or interval below 3 patients or when every change is the same (–).",
    )


def mean_points(change: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Means for the spaghetti line: baseline at day 0, then each time point."""
    rows = first_course(change)
    rows = rows[rows["measure"] == measure].sort_values("day", kind="stable")
    if rows.empty:
        return pd.DataFrame({"day": [], "mean": [], "n": []})
    widest = rows.iloc[int(rows["n"].to_numpy().argmax())]
    baseline = pd.DataFrame({"day": [0.0], "mean": [widest["baseline_mean"]], "n": [widest["n"]]})
    later = rows[["day", "mean", "n"]].astype("float64")
    return pd.concat([baseline, later], ignore_index=True)


def response_table(response: pd.DataFrame, episode: int = 1, level: str = "95 %") -> HtmlTable:
    """Responders / n (%, Clopper-Pearson CI at ``level``) per time point and criterion."""
    rows = response[response["episode"] == episode] if "episode" in response else response
    criteria = [c for c in CRITERIA_LABELS if c in set(rows.get("criterion", []))]
    body: list[list[str]] = []
    for timepoint, group in rows.groupby("timepoint", sort=False):
        by_criterion = group.set_index("criterion")
        cells = [timepoint_label(timepoint)]
        for criterion in criteria:
            if criterion not in by_criterion.index:
                cells.append(MISSING)
                continue
            r = by_criterion.loc[criterion]
            ci = interval(100 * r["ci_low"], 100 * r["ci_high"], 0)
            cells.append(two_lines(percent(r["responders"], r["n"]), _unscorable_detail(r, ci)))
        body.append(cells)
    return HtmlTable(
        f"Response rates, {course_name(episode)}",
        ["Time point"] + [CRITERIA_LABELS[c] for c in criteria],
        body,
        key=f"response-{episode}",
        note="Responders/n (%) among the courses with a score (unscorable courses not "
        f"counted); exact (Clopper-Pearson) {level} confidence interval; then the courses without "
        'a score and the rate counting them as non-responders. "Any visit" is the best of '
        "all the course's visits, not a pre-specified time point. Descriptive.",
    )


def _unscorable_detail(row: Any, ci: str) -> str:
    """The interval, and the unscorable courses with the rate counting them as failures."""
    unscorable: Any = row.get("unscorable")
    if is_missing(unscorable) or int(unscorable) == 0:
        return f"{ci} %"
    every = percent(row["responders"], int(row["n"]) + int(unscorable))
    return f"{ci} %; {int(unscorable)} unscorable, as non-responders {every}"


def course_name(episode: int) -> str:
    """Episode number in words (0 is the since-study-entry view of the analysis)."""
    if episode == 0:
        return "since study entry (against the first baseline)"
    if episode == 1:
        return "first course"
    return f"course {episode} (re-treatment)"


def exposure_tables(trial: TrialData, episodes: pd.DataFrame) -> list[HtmlTable]:
    """Cell source and donor, dose per kg per infusion and per course, courses per patient."""
    infusions = trial.infusions
    tables: list[HtmlTable] = []
    if not infusions.empty:
        source = infusions.assign(
            source=infusions.get("source", pd.Series(index=infusions.index, dtype=object)),
            donor=infusions.get("donor", pd.Series(index=infusions.index, dtype=object)),
        ).fillna({"source": "not recorded", "donor": "not recorded"})
        counts = (
            source.groupby(["source", "donor"])
            .agg(infusions=("patient_id", "size"), patients=("patient_id", "nunique"))
            .reset_index()
        )
        tables.append(generic_table(counts, "Cell source and donor", key="exposure-source"))
        tables.append(_dose_table(infusions, episodes))
    if not episodes.empty:
        courses = episodes.groupby("patient_id").size().value_counts().sort_index()
        body = [[str(k), str(v)] for k, v in courses.items()]
        tables.append(
            HtmlTable("Courses per patient", ["Courses", "Patients"], body, key="exposure-courses")
        )
    return tables


def _dose_table(infusions: pd.DataFrame, episodes: pd.DataFrame) -> HtmlTable:
    def describe(values: pd.Series) -> list[str]:
        v = pd.to_numeric(values, errors="coerce").dropna()
        if v.empty:
            return ["0", MISSING, MISSING, MISSING]
        return [
            str(len(v)),
            scientific(v.median()),
            f"{scientific(v.quantile(0.25))} to {scientific(v.quantile(0.75))}",
            f"{scientific(v.min())} to {scientific(v.max())}",
        ]

    per_infusion = infusions.get("cells_per_kg", pd.Series(dtype="float64"))
    per_course = episodes.get("cells_per_kg_total", pd.Series(dtype="float64"))
    body = [["Per infusion", *describe(per_infusion)], ["Per course", *describe(per_course)]]
    return HtmlTable(
        "Dose (cells per kg body weight)",
        ["", "n", "Median", "Interquartile range", "Range"],
        body,
        key="exposure-dose",
    )


def pilot_comparison(change: pd.DataFrame, pilot: pd.DataFrame) -> list[HtmlTable]:
    """This trial's first course beside the published pilot means, measure by measure."""
    course = first_course(change)
    tables: list[HtmlTable] = []
    for measure in [m for m in dict.fromkeys(pilot["measure"]) if m in set(course["measure"])]:
        ours = course[course["measure"] == measure].set_index("timepoint")
        digits = measure_digits(ours)
        body: list[list[str]] = []
        for r in pilot[pilot["measure"] == measure].itertuples(index=False):
            body.append(
                [
                    timepoint_label(r.timepoint),
                    mean_sd(r.mean, r.sd, digits),
                    str(r.n),
                    *_our_cells(ours, str(r.timepoint), digits),
                ]
            )
        source = str(pilot["source"].iloc[0]) if "source" in pilot else "published pilot"
        tables.append(
            HtmlTable(
                measure_label(measure),
                ["Time point", f"{source}: mean ± SD", "n", "This trial: mean ± SD", "n"],
                body,
                key=f"pilot-{measure}",
                note="This trial's baseline is that of the patients with paired data at the "
                "time point with the most patients.",
            )
        )
    return tables


def _our_cells(ours: pd.DataFrame, timepoint: str, digits: int) -> list[str]:
    if ours.empty:
        return [MISSING, MISSING]
    if timepoint == "baseline":
        widest = ours.iloc[int(ours["n"].to_numpy().argmax())]
        return [
            mean_sd(widest["baseline_mean"], widest["baseline_sd"], digits),
            num(widest["n"], 0),
        ]
    if timepoint not in ours.index:
        return [MISSING, MISSING]
    row = ours.loc[timepoint]
    return [mean_sd(row["mean"], row["sd"], digits), num(row["n"], 0)]
