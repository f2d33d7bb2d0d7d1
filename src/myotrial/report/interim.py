"""The data monitoring committee's reports of an interim look.

- ``open.html`` for the open session: pooled across arms only (accrual by site and
  month, data completeness, overdue visits, pooled safety). Nothing in it is computed
  from the arm column, so it reveals no comparison; a test shuffles the arms and
  checks the page does not change.
- ``closed.html`` for the closed session: by arm (enrolment, exposure, safety with the
  serious adverse events listed), the planned primary analysis, the interim decision
  with conditional and predictive power, and the boundaries with the observed z.

Both are self-contained pages; numbers are rounded here only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from jinja2 import Environment
from markupsafe import Markup

from myotrial.report.formatting import interval, num, text
from myotrial.text import natural_key
from myotrial.trialdata import TrialData


@dataclass(frozen=True)
class Table:
    """A captioned table ready to print."""

    caption: str
    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]


_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 64rem; margin: 2rem auto;
       color: #111; line-height: 1.4; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #999; padding: 0.25rem 0.5rem; text-align: left; }
caption { font-weight: bold; text-align: left; }
.figure-svg { width: 100%; max-width: 40rem; height: auto; }
.banner { font-weight: bold; padding: 0.5rem; border: 2px solid #a00; }
</style></head>
<body>
<h1>{{ title }}</h1>
<p class="banner">{{ banner }}</p>
<p>{{ intro }}</p>
{% for section in sections %}<section id="{{ section.key }}"><h2>{{ section.title }}</h2>
{% if section.text %}<p>{{ section.text }}</p>{% endif %}
{% if section.figure %}<figure>{{ section.figure }}</figure>{% endif %}
{% for t in section.tables %}<table><caption>{{ t.caption }}</caption>
<thead><tr>{% for h in t.header %}<th scope="col">{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in t.rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% endfor %}</section>
{% endfor %}</body></html>
"""
_ENV = Environment(autoescape=True)


@dataclass(frozen=True)
class Section:
    """One section of a report page."""

    key: str
    title: str
    tables: tuple[Table, ...] = ()
    text: str = ""
    figure: Markup | None = None


def _page(title: str, banner: str, intro: str, sections: Sequence[Section]) -> str:
    return _ENV.from_string(_PAGE).render(
        title=title, banner=banner, intro=intro, sections=sections
    )


def _counts(frame: pd.DataFrame, column: str, label: str) -> Table:
    counts = frame[column].astype(str).value_counts()
    counts = counts.loc[sorted(counts.index, key=natural_key)]  # site 2 before site 10
    rows = [(str(k), str(int(v))) for k, v in counts.items()]
    rows.append(("total", str(int(counts.sum()))))
    return Table(label, (column, "patients"), rows)


def accrual_tables(trial: TrialData) -> tuple[Table, Table]:
    """Patients enrolled by site and by calendar month (pooled)."""
    patients = trial.patients
    by_month = patients.assign(
        month=pd.to_datetime(patients["enrolment_date"]).dt.strftime("%Y-%m")
    )
    return (
        _counts(patients, "site", "Accrual by site"),
        _counts(by_month, "month", "Accrual by month of enrolment"),
    )


COMPLETENESS_COLUMNS = ("mmt8", "phga", "ptga", "extramuscular", "haq", "ck")
"""The core set measures whose completeness the open report shows (docs/measures.md)."""


def completeness_table(trial: TrialData) -> Table:
    """Share of visits with each core set measure recorded (pooled)."""
    visits = trial.visits
    rows = []
    for column in COMPLETENESS_COLUMNS:
        if column in visits:
            known = int(visits[column].notna().sum())
            rows.append(
                (column, str(known), str(len(visits)), f"{100 * known / max(len(visits), 1):.1f} %")
            )
    return Table("Data completeness at visits", ("measure", "recorded", "visits", "share"), rows)


def overdue_table(
    visits_by_day: pd.DataFrame, zero: pd.Series, trial: TrialData, as_of: pd.Timestamp
) -> Table:
    """Per time point: patients whose visit window has closed without a visit (pooled)."""
    rows = []
    for point in trial.config.timepoints:
        closed = zero[zero + pd.to_timedelta(point.day + point.window, unit="D") < as_of].index
        seen = visits_by_day.loc[
            visits_by_day["day"].between(point.day - point.window, point.day + point.window),
            "patient_id",
        ].unique()
        missing = sorted(set(closed) - set(seen))
        rows.append(
            (
                point.name,
                str(len(closed)),
                str(len(missing)),
                ", ".join(missing[:20]) + (" …" if len(missing) > 20 else ""),
            )
        )
    return Table(
        "Overdue visits (window closed, no visit recorded)",
        ("time point", "windows closed", "overdue", "patients (first 20)"),
        rows,
    )


def safety_rows(events: pd.DataFrame, patients: int) -> list[tuple[str, str]]:
    """Adverse-event counts of one group of patients."""
    serious = events["serious"].fillna(False).astype(bool)
    grade3 = pd.to_numeric(events["grade"], errors="coerce") >= 3
    return [
        ("patients", str(patients)),
        ("adverse events", str(len(events))),
        ("patients with an adverse event", str(events["patient_id"].nunique())),
        ("grade ≥ 3 events", str(int(grade3.sum()))),
        ("serious adverse events", str(int(serious.sum()))),
    ]


def render_open(
    trial: TrialData,
    as_of: pd.Timestamp,
    look: int,
    fraction: float,
    visits_by_day: pd.DataFrame,
    zero: pd.Series,
) -> str:
    """The open-session report: pooled across arms, no comparison.

    Parameters
    ----------
    trial
        The trial's data cut at ``as_of``.
    look, fraction
        The look number and the information fraction reached (pooled counts).
    visits_by_day, zero
        Visits with their study day and each patient's day-0 date.
    """
    site, month = accrual_tables(trial)
    aes = trial.adverse_events
    by_soc = aes.groupby(aes["soc"].fillna("not coded")).agg(
        events=("patient_id", "size"), patients=("patient_id", "nunique")
    )
    soc_rows = [(str(k), str(int(r.events)), str(int(r.patients))) for k, r in by_soc.iterrows()]
    sections = [
        Section("accrual", "Accrual", (site, month)),
        Section("completeness", "Data completeness", (completeness_table(trial),)),
        Section("overdue", "Overdue visits", (overdue_table(visits_by_day, zero, trial, as_of),)),
        Section(
            "safety",
            "Safety, all patients together",
            (
                Table(
                    "Adverse events (pooled)", ("", "count"), safety_rows(aes, len(trial.patients))
                ),
                Table(
                    "Adverse events by system organ class (pooled)",
                    ("system organ class", "events", "patients"),
                    soc_rows,
                ),
            ),
        ),
    ]
    intro = (
        f"Interim look {look}, data as of {as_of:%Y-%m-%d}: {len(trial.patients)} patients "
        f"enrolled, information fraction {fraction:.3f}."
    )
    return _page(
        f"{trial.config.name}: open session report",
        "Open session: pooled across arms; no comparison between arms is shown.",
        intro,
        sections,
    )


def _by_arm(trial: TrialData, arms: Sequence[str]) -> tuple[Table, Table, Table]:
    patients = trial.patients
    arm_of = patients.set_index("patient_id")["arm"].astype(str)
    enrol, exposure, safety = [], [], []
    for arm in arms:
        ids = set(arm_of.index[arm_of == arm])
        infusions = trial.infusions[trial.infusions["patient_id"].isin(ids)]
        aes = trial.adverse_events[trial.adverse_events["patient_id"].isin(ids)]
        enrol.append(
            (
                arm,
                str(len(ids)),
                str(trial.visits.loc[trial.visits["patient_id"].isin(ids), "patient_id"].nunique()),
            )
        )
        dose = pd.to_numeric(infusions["cells_per_kg"], errors="coerce")
        exposure.append(
            (
                arm,
                str(infusions["patient_id"].nunique()),
                str(len(infusions)),
                num(dose.median()) if len(dose) else "–",
            )
        )
        safety.append((arm, *(value for _, value in safety_rows(aes, len(ids)))))
    return (
        Table("Enrolment by arm", ("arm", "randomised", "with a visit"), enrol),
        Table(
            "Exposure by arm", ("arm", "patients infused", "infusions", "median cells/kg"), exposure
        ),
        Table(
            "Safety by arm",
            ("arm", "patients", "adverse events", "patients with an AE", "grade ≥ 3", "serious"),
            safety,
        ),
    )


def serious_table(trial: TrialData) -> Table:
    """Every serious adverse event, with the patient's arm."""
    aes = trial.adverse_events
    serious = aes[aes["serious"].fillna(False).astype(bool)]
    arm = trial.patients.set_index("patient_id")["arm"]
    rows = [
        (
            str(r.patient_id),
            str(arm.get(r.patient_id, "–")),
            str(r.term),
            text(r.grade),
            text(r.onset_date),
            text(r.outcome),
        )
        for r in serious.sort_values(["onset_date", "patient_id"]).itertuples()
    ]
    return Table(
        f"Serious adverse events ({len(rows)})",
        ("patient", "arm", "term", "grade", "onset", "outcome"),
        rows,
    )


def boundaries_svg(
    rates: Sequence[float],
    efficacy: Sequence[float],
    futility: Sequence[float] | None,
    observed: Sequence[tuple[float, float]],
) -> str:
    """Boundaries by information fraction with the observed z of every look."""
    from matplotlib.figure import Figure

    from myotrial.report.svg import figure_to_svg

    fig = Figure(figsize=(6, 3.6))
    ax = fig.add_subplot()
    ax.plot(rates, efficacy, "o-", color="#1f4e79", label="efficacy boundary")
    if futility is not None:
        ax.plot(rates, futility, "s--", color="#c0504d", label="futility boundary")
    ax.plot(
        [t for t, _ in observed], [z for _, z in observed], "D", color="#111", label="observed z"
    )
    ax.axhline(0, color="#999", linewidth=0.8)
    ax.set(xlabel="information fraction", ylabel="z (positive favours MSCT)", xlim=(0, 1.05))
    ax.legend(loc="best")
    fig.tight_layout()
    alt = "; ".join(
        f"look at {t:.2f}: efficacy {e:.2f}" for t, e in zip(rates, efficacy, strict=True)
    )
    return figure_to_svg(fig, "interim-boundaries", "Boundaries and observed z", alt)


def render_closed(
    trial: TrialData,
    as_of: pd.Timestamp,
    arms: Sequence[str],
    result: dict[str, Any],
    test: dict[str, Any],
    looks: list[dict[str, Any]],
    rates: Sequence[float],
    efficacy: Sequence[float],
    futility: Sequence[float] | None,
) -> str:
    """The closed-session report: by arm, the planned analysis and the decision."""
    enrol, exposure, safety = _by_arm(trial, arms)
    analysis = Table(
        "Planned primary analysis",
        ("quantity", "value"),
        [
            ("method", str(test["method"])),
            ("estimate (MSCT vs control)", num(test["estimate"])),
            (
                "confidence interval (level 1 − the design's two-sided alpha)",
                interval(test["ci_low"], test["ci_high"], 3),
            ),
            ("patients (control / MSCT)", f"{test['n_control']} / {test['n_treatment']}"),
            ("z (positive favours MSCT)", num(result["z"], 3)),
        ],
    )
    decision = Table(
        "Interim decision",
        ("quantity", "value"),
        [
            (key.replace("_", " "), num(value, 4) if isinstance(value, float) else text(value))
            for key, value in result.items()
        ],
    )
    bounds = Table(
        "Boundaries at the information reached (earlier looks as held, later as planned)",
        ("look", "information fraction", "efficacy z", "futility z"),
        [
            (str(k + 1), f"{t:.3f}", num(e, 4), "–" if futility is None else num(futility[k], 4))
            for k, (t, e) in enumerate(zip(rates, efficacy, strict=True))
        ],
    )
    history = Table(
        "Looks held",
        ("look", "data as of", "information fraction", "z", "decision"),
        [
            (
                str(r["look"]),
                str(r["as_of"]),
                f"{r['information_fraction']:.3f}",
                num(r["z"], 3),
                str(r["decision"]),
            )
            for r in looks
        ],
    )
    figure = Markup(
        boundaries_svg(
            rates, efficacy, futility, [(r["information_fraction"], r["z"]) for r in looks]
        )
    )
    sections = [
        Section(
            "enrolment",
            "Enrolment, exposure and safety by arm",
            (enrol, exposure, safety, serious_table(trial)),
        ),
        Section("primary", "Primary analysis", (analysis,)),
        Section("decision", "Decision", (decision, bounds, history), figure=figure),
    ]
    return _page(
        f"{trial.config.name}: closed session report",
        "Closed session: results by arm. Confidential to the data monitoring committee.",
        f"Interim look {len(looks)}, data as of {as_of:%Y-%m-%d}.",
        sections,
    )
