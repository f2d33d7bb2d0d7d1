"""The controlled trial in the report: CONSORT flow, the arm comparison, safety by arm.

Everything here reads the analysis tables (``arm_comparison``, ``safety_by_arm``) and
``summary.json`` (populations, plan); nothing is recomputed, so the report and the CSV
files agree.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from myotrial.analysis.result import AnalysisResult
from myotrial.report.figures import BLUE, INK, empty, new_figure
from myotrial.report.formatting import MISSING, HtmlTable, interval, num, p_value
from myotrial.report.svg import ReportFigure, figure_to_svg
from myotrial.trialdata import TrialData

ENDPOINT_LABELS = {
    "tis_response": "TIS ≥ minimal response",
    "mmt8_change": "MMT-8 change (ANCOVA)",
    "log_ck_change": "log CK change (ANCOVA)",
    "mmrm_mmt8": "MMT-8 change (MMRM)",
    "relapse": "Relapse (hazard ratio)",
}
LEAVING = ("withdrawal", "lost_to_follow_up", "death")


def _label(row: Any) -> str:
    name = ENDPOINT_LABELS.get(str(row.endpoint), str(row.endpoint))
    return f"{name}, {str(row.population).replace('_', ' ')}"


def comparison_table(result: AnalysisResult) -> HtmlTable | None:
    """The ``arm_comparison`` rows as the report shows them (rounded)."""
    table = result.arm_comparison
    if table.empty:
        return None
    body = [
        [
            _label(r),
            str(r.timepoint) if isinstance(r.timepoint, str) and r.timepoint else "whole follow-up",
            f"{num(r.estimate, 3)} ({interval(r.ci_low, r.ci_high, 3)})",
            p_value(r.p_value),
            f"{r.n_treatment} / {r.n_control}",
            str(r.method),
        ]
        for r in table.itertuples(index=False)
    ]
    arms = result.summary.get("arm_comparison", {})
    return HtmlTable(
        "Between-arm comparisons",
        ["Endpoint", "Time point", "Estimate (CI)", "p", "n treated / control", "Method"],
        body,
        numeric=[False, False, True, True, True, False],
        key="arm-comparison",
        note=f"Estimates {arms.get('treatment_arm', 'MSCT')} minus (hazard ratio: over) "
        f"{arms.get('control_arm', 'control')}; {100 * float(arms.get('confidence', 0.95)):g} % "
        "intervals, two-sided p. Primary: "
        f"{arms.get('primary_endpoint', MISSING)} ({arms.get('primary_population', MISSING)}).",
    )


def forest_plot(result: AnalysisResult) -> ReportFigure:
    """Each between-arm estimate with its interval, on its own scale, against no effect."""
    key, title = "forest-arms", "Between-arm comparisons"
    caption = (
        "Each endpoint on its own scale: the dot is the estimate, the bar its confidence "
        "interval, the vertical line no difference (hazard ratio: 1, log scale)."
    )
    table = result.arm_comparison.dropna(subset=["estimate", "ci_low", "ci_high"])
    if table.empty:
        return empty(key, title, caption, "No between-arm estimate could be made.")
    figure, first = new_figure(7.0, 0.55 * len(table) + 0.6, (2.6, 0.45, 0.3, 0.1))
    figure.delaxes(first)
    axes = figure.subplots(len(table), 1, squeeze=False)[:, 0]
    values = table[["estimate", "ci_low", "ci_high"]].to_numpy(dtype=float)
    rows = zip(axes, table.itertuples(index=False), values, strict=True)
    for ax, row, (estimate, low, high) in rows:
        ratio = row.endpoint == "relapse"
        null = 1.0 if ratio else 0.0
        ax.set_xscale("log" if ratio else "linear")
        ax.axvline(null, color=INK, linewidth=0.8)
        ax.plot([low, high], [0, 0], color=BLUE, linewidth=2)
        ax.plot([estimate], [0], "o", color=BLUE)
        ax.set_yticks([0], [_label(row)], fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.spines[["top", "right", "left"]].set_visible(False)
        left, right = min(low, null), max(high, null)
        pad = (right / left) ** 0.1 if ratio else (right - left) * 0.1 or 1.0
        ax.set_xlim((left / pad, right * pad) if ratio else (left - pad, right + pad))
    alt = "; ".join(
        f"{_label(r)}: {num(r.estimate, 3)} ({interval(r.ci_low, r.ci_high, 3)})"
        for r in table.itertuples(index=False)
    )
    return ReportFigure(key, title, caption, alt, figure_to_svg(figure, key, title, alt))


def safety_table(result: AnalysisResult) -> HtmlTable | None:
    """Safety by arm of the treatment received; infusion reactions over infused patients."""
    table = result.safety_by_arm
    if table.empty:
        return None
    arms = [str(a) for a in dict.fromkeys(table["arm"])]
    counts = {
        (str(item), str(arm)): (float(part), float(whole))
        for item, arm, part, whole in zip(
            table["item"],
            table["arm"],
            table["patients"].to_numpy(dtype=float),
            table["denominator"].to_numpy(dtype=float),
            strict=True,
        )
    }
    items = [str(i) for i in dict.fromkeys(table["item"])]
    body = [[item.capitalize(), *(_share(counts, item, arm) for arm in arms)] for item in items]
    return HtmlTable(
        "Safety by arm (safety population: treatment received)",
        ["", *arms],
        body,
        key="safety-by-arm",
        note="Patients (%) of the arm; infusion reactions of the patients who received an "
        "infusion.",
    )


def _share(counts: dict[tuple[str, str], tuple[float, float]], item: str, arm: str) -> str:
    part, whole = counts.get((item, arm), (0.0, 0.0))
    if not whole:
        return MISSING
    return f"{int(part)}/{int(whole)} ({100 * part / whole:.0f} %)"


def plan_rows(result: AnalysisResult) -> list[tuple[str, str]]:
    """The plan's assumptions beside what was observed (empty without a plan)."""
    summary = result.summary.get("arm_comparison", {})
    plan = summary.get("plan") if isinstance(summary, dict) else None
    if not isinstance(plan, dict):
        return []
    primary = summary.get("primary_result") or {}
    rows = [
        (
            "Planned endpoint and test",
            f"{plan.get('analysis') or plan.get('endpoint')}; "
            f"{plan.get('test') or 'as designed'}; alpha {plan.get('alpha')}",
        ),
        (
            "Planned sample size and power",
            f"{plan.get('n_per_arm')} per arm, power {num(plan.get('power'), 2)}",
        ),
    ]
    rows += [(f"Assumed {k}", num(v, 3)) for k, v in plan.get("assumed", {}).items()]
    rows.append(
        (
            "Observed primary estimate",
            f"{num(primary.get('estimate'), 3)} "
            f"({interval(primary.get('ci_low'), primary.get('ci_high'), 3)}), n "
            f"{primary.get('n_treatment')} / {primary.get('n_control')}",
        )
    )
    return rows


def consort_svg(trial: TrialData, result: AnalysisResult) -> str | None:
    """The CONSORT flow diagram as inline SVG: enrolled, randomised, allocated, received,
    lost or withdrawn (with reasons from ``events.csv``), analysed, per arm."""
    arms = result.summary.get("arm_comparison")
    if not isinstance(arms, dict) or "populations" not in arms:
        return None
    counts = flow_counts(trial, result)
    boxes = [
        (350, 20, f"Enrolled and assessed: {counts['enrolled']}"),
        (350, 80, f"Randomised: {counts['randomised']}"),
    ]
    for x, arm in zip((175, 525), (arms["treatment_arm"], arms["control_arm"]), strict=True):
        c = counts["arms"][arm]
        boxes += [
            (x, 150, f"Allocated to {arm}: {c['allocated']}"),
            (x, 210, f"Received allocated treatment: {c['received']}"),
            (x, 270, f"Lost or withdrawn: {c['left']}"),
            (x, 300, c["reasons"] or "none recorded"),
            (x, 360, f"Analysed (ITT): {c['allocated']}; scored at primary: {c['scored']}"),
        ]
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 700 400" role="img" '
        'aria-labelledby="consort-title"><title id="consort-title">CONSORT flow diagram'
        "</title>"
    ]
    for x, y, text in boxes:
        parts.append(
            f'<rect x="{x - 165}" y="{y - 16}" width="330" height="26" rx="4" '
            'fill="#f4f6f8" stroke="#1f2933"/>'
            f'<text x="{x}" y="{y + 2}" text-anchor="middle" font-size="11">{escape(text)}</text>'
        )
    for x in (175, 525):
        parts.append(f'<line x1="350" y1="90" x2="{x}" y2="134" stroke="#1f2933"/>')
    parts.append("</svg>")
    return "".join(parts)


def flow_counts(trial: TrialData, result: AnalysisResult) -> dict[str, Any]:
    """The numbers of the CONSORT diagram, from the patients, events and summary."""
    arms = result.summary["arm_comparison"]
    patients = trial.patients.assign(arm=trial.patients["arm"].fillna(arms["treatment_arm"]))
    infused = patients["patient_id"].isin(trial.infusions["patient_id"])
    leaving = trial.events[trial.events["type"].isin(LEAVING)] if len(trial.events) else None
    primary = result.arm_comparison
    cc = primary[
        (primary["endpoint"] == "tis_response") & (primary["population"] == "complete_case")
    ]
    per_arm: dict[str, Any] = {}
    for arm in (arms["treatment_arm"], arms["control_arm"]):
        mine = patients["arm"] == arm
        received = (infused if arm == arms["treatment_arm"] else ~infused) & mine
        reasons = ""
        left = 0
        if leaving is not None:
            ids = set(patients.loc[mine, "patient_id"])
            first = leaving[leaving["patient_id"].isin(ids)].drop_duplicates("patient_id")
            left = len(first)
            reasons = ", ".join(
                f"{str(k).replace('_', ' ')} {v}"
                for k, v in first["type"].value_counts().sort_index().items()
            )
        column = "n_treatment" if arm == arms["treatment_arm"] else "n_control"
        per_arm[arm] = {
            "allocated": int(mine.sum()),
            "received": int(received.sum()),
            "left": left,
            "reasons": reasons,
            "scored": int(cc[column].iloc[0]) if len(cc) else 0,
        }
    randomised = (
        int(pd.to_datetime(patients["randomisation_date"]).notna().sum())
        if "randomisation_date" in patients
        else 0
    )
    return {"enrolled": len(patients), "randomised": randomised, "arms": per_arm}
