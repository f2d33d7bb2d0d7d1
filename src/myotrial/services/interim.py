"""``myotrial interim``: the interim look of a group-sequential trial on its data.

Reads the design JSON (``myotrial design --looks K -o DESIGN.json``), cuts the trial's
data at the look's date, runs the planned test, re-computes the boundaries by the
spending functions at the information reached (this look and every recorded earlier
one), decides, and writes ``interim.json``, ``open.html`` and (for an unblinded
reader) ``closed.html``. Each look is recorded in a JSON file (default beside the
plan: ``DESIGN.looks.json``) so later looks spend alpha with the earlier ones counted.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from myotrial.design.interim import SequentialPlan, interim_look
from myotrial.design.pilot import visits_by_day
from myotrial.design.planned import PlannedTest, arm_labels, planned_test
from myotrial.design.simulate import ENDPOINTS
from myotrial.domain.arms import CONTROL_ARM
from myotrial.domain.dates import parse_iso_date
from myotrial.errors import ConfigError, Problem
from myotrial.services.access import Caller, require
from myotrial.services.blinding import require_unblinded
from myotrial.services.uow import UseCases
from myotrial.trialdata import TrialData

DATE_COLUMNS = {
    "patients": "enrolment_date",
    "infusions": "infusion_date",
    "visits": "visit_date",
    "adverse_events": "onset_date",
    "events": "event_date",
}
"""The date that decides whether a row was known at the data cut, per table."""


def _problem(where: str, value: object, rule: str, hint: str = "") -> ConfigError:
    return ConfigError([Problem(where, None, None, str(value), rule, hint)])


def data_cut(as_of: str | None, trial: TrialData) -> pd.Timestamp:
    """The day of the data cut: ``as_of`` written ``YYYY-MM-DD``, or the trial's last date.

    Raises
    ------
    ConfigError
        If ``as_of`` is not a date in that form (``2025-3-23`` and ``20250323`` are not).
    """
    if not as_of:
        return last_date(trial)
    try:
        return pd.Timestamp(parse_iso_date(as_of))
    except ValueError as exc:
        raise _problem("as_of", as_of, "must be a date YYYY-MM-DD", "e.g. 2026-06-30") from exc


def data_as_of(trial: TrialData, as_of: pd.Timestamp) -> TrialData:
    """The trial as it stood on ``as_of``: rows dated after it are not yet known.

    Patients enrolled after the cut are dropped with all their rows.
    """
    patients = trial.patients[pd.to_datetime(trial.patients["enrolment_date"]) <= as_of]
    ids = set(patients["patient_id"])
    tables: dict[str, pd.DataFrame] = {"patients": patients}
    for name, column in DATE_COLUMNS.items():
        if name == "patients":
            continue
        frame = trial.table(name)
        known = frame["patient_id"].isin(ids) & ~(pd.to_datetime(frame[column]) > as_of)
        tables[name] = frame[known]
    medications = trial.medications
    tables["medications"] = medications[medications["patient_id"].isin(ids)]
    return trial.with_tables(**tables)


def last_date(trial: TrialData) -> pd.Timestamp:
    """The latest date in the trial's data (the default data cut)."""
    dates = [pd.to_datetime(trial.table(n)[c]).max() for n, c in DATE_COLUMNS.items()]
    return pd.Timestamp(max(d for d in dates if pd.notna(d)))


def read_plan(plan_path: Path) -> tuple[dict[str, Any], SequentialPlan]:
    """The design JSON and its group-sequential plan.

    Raises
    ------
    ConfigError
        If the file is not a group-sequential design JSON.
    """
    try:
        design = json.loads(plan_path.read_text(encoding="utf-8"))
        return design, SequentialPlan.from_design(design, str(plan_path))
    except (OSError, json.JSONDecodeError, KeyError, ValueError) as exc:
        raise _problem(
            str(plan_path),
            "",
            f"is not a group-sequential design JSON ({exc})",
            "write one with `myotrial design --looks K ... -o DESIGN.json`",
        ) from exc


def maximum_information(design: dict[str, Any]) -> int:
    """Planned information at the last look: patients (both arms) or relapses."""
    gs = design["group_sequential"]
    if design["endpoint"] == "relapse":
        return int(gs["max_events"])
    return int(design["max_n_per_arm"]) + int(gs["max_n_treatment"])


def read_record(record: Path, plan_digest: str) -> list[dict[str, Any]]:
    """The looks recorded so far for this plan (none if the file does not exist).

    Raises
    ------
    ConfigError
        If the record belongs to another plan.
    """
    if not record.exists():
        return []
    data = json.loads(record.read_text(encoding="utf-8"))
    if data.get("plan_sha256") != plan_digest:
        raise _problem(
            str(record),
            data.get("plan_sha256"),
            "records the looks of another design JSON",
            "give --record a file of its own for this plan",
        )
    return list(data["looks"])


def _earlier(looks: list[dict[str, Any]], as_of: str) -> list[dict[str, Any]]:
    later = [r for r in looks if r["as_of"] > as_of]
    if later:
        raise _problem(
            "--as-of",
            as_of,
            f"is before the recorded look of {later[0]['as_of']}",
            "looks are held in date order; use a later data cut",
        )
    return [r for r in looks if r["as_of"] < as_of]


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class Look:
    """One interim look computed on a data cut (nothing written yet)."""

    data: TrialData
    cut: pd.Timestamp
    result: dict[str, Any]
    test: PlannedTest
    rates: list[float]
    efficacy: list[float]
    futility: list[float] | None


def compute_look(
    design: dict[str, Any],
    plan: SequentialPlan,
    trial: TrialData,
    cut: pd.Timestamp,
    earlier: list[float],
    prior: tuple[float | None, float | None] = (None, None),
    control_arm: str = CONTROL_ARM,
) -> Look:
    """The planned test, boundaries and decision at the data cut ``cut``.

    Raises
    ------
    AnalysisError
        If the planned test cannot run on these data.
    """
    data = data_as_of(trial, cut)
    test = planned_test(data, design, control_arm)
    fraction = test.information / maximum_information(design)
    result, rates, efficacy, futility = interim_look(plan, test.z, fraction, earlier, *prior)
    return Look(data, cut, result.to_dict(), test, rates, efficacy, futility)


def _visit_clock(data: TrialData) -> tuple[pd.DataFrame, pd.Series]:
    """Visits with their study day, and each patient's day-0 date.

    Day 0 is the randomisation date (docs/trial-format.md), else the first infusion or
    the first visit.
    """
    visits = visits_by_day(data)
    days = pd.to_timedelta(visits["day"], unit="D")
    zero = (visits["visit_date"] - days).groupby(visits["patient_id"]).first()
    if "randomisation_date" in data.patients:
        randomised = data.patients.set_index("patient_id")["randomisation_date"]
        zero = pd.to_datetime(randomised).reindex(zero.index).fillna(zero)
        day = (visits["visit_date"] - visits["patient_id"].map(zero)).dt.days
        visits = visits.assign(day=day)
    return visits, zero


def open_page(look: Look, held: int) -> str:
    """The open-session report of ``look`` (pooled across arms)."""
    from myotrial.report.interim import render_open

    visits, zero = _visit_clock(look.data)
    fraction = look.result["information_fraction"]
    return render_open(look.data, look.cut, held, fraction, visits, zero)


def closed_page(look: Look, looks: list[dict[str, Any]], control_arm: str = CONTROL_ARM) -> str:
    """The closed-session report of ``look`` (by arm), with the looks held so far."""
    from myotrial.report.interim import render_closed

    test = look.test
    summary = {
        "method": test.method,
        "estimate": _finite(test.estimate),
        "ci_low": _finite(test.ci_low),
        "ci_high": _finite(test.ci_high),
        "n_control": test.n_control,
        "n_treatment": test.n_treatment,
    }
    arms = arm_labels(look.data, control_arm)
    return render_closed(
        look.data,
        look.cut,
        arms,
        look.result,
        summary,
        looks,
        look.rates,
        look.efficacy,
        look.futility,
    )


def _entry(look: Look, number: int) -> dict[str, Any]:
    return {
        "look": number,
        "as_of": f"{look.cut:%Y-%m-%d}",
        "information_fraction": look.result["information_fraction"],
        "z": look.result["z"],
        "decision": look.result["decision"],
        "recorded_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def run_interim(
    plan_path: Path,
    trial: TrialData,
    out_dir: Path,
    *,
    as_of: str | None = None,
    record: Path | None = None,
    prior_mean: float | None = None,
    prior_sd: float | None = None,
    unblinded: bool = True,
    control_arm: str = CONTROL_ARM,
) -> dict[str, Any]:
    """Hold an interim look and write its JSON, its reports and its record.

    Parameters
    ----------
    plan_path
        The design JSON with a group-sequential part.
    trial
        The trial's data (cut at ``as_of``, default the latest date in them).
    out_dir
        Folder for ``interim.json``, ``open.html`` and ``closed.html``.
    record
        The looks record (default ``<plan>.looks.json`` beside the plan).
    unblinded
        Write ``closed.html`` too (results by arm); only for an unblinded reader.

    Returns
    -------
    dict
        The interim JSON (eight keys) plus ``look``, ``as_of``, ``files``.

    Raises
    ------
    ConfigError
        For a bad plan, record or date.
    AnalysisError
        If the planned test cannot run on these data.
    """
    design, plan = read_plan(plan_path)
    digest = hashlib.sha256(plan_path.read_bytes()).hexdigest()
    record = record or plan_path.with_suffix(".looks.json")
    cut = data_cut(as_of, trial)
    earlier = _earlier(read_record(record, digest), f"{cut:%Y-%m-%d}")
    fractions = [r["information_fraction"] for r in earlier]
    look = compute_look(design, plan, trial, cut, fractions, (prior_mean, prior_sd), control_arm)
    looks = [*earlier, _entry(look, len(earlier) + 1)]
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [out_dir / "open.html"]
    files[0].write_text(open_page(look, len(looks)), encoding="utf-8")
    if unblinded:
        files.append(out_dir / "closed.html")
        files[1].write_text(closed_page(look, looks, control_arm), encoding="utf-8")
    (out_dir / "interim.json").write_text(
        json.dumps(look.result, indent=2) + "\n", encoding="utf-8"
    )
    record.write_text(
        json.dumps({"plan": plan_path.name, "plan_sha256": digest, "looks": looks}, indent=2)
        + "\n",
        encoding="utf-8",
    )
    return {
        **look.result,
        "look": len(looks),
        "as_of": looks[-1]["as_of"],
        "files": [str(f) for f in files],
    }


class InterimReports(UseCases):
    """The interim reports of the web service (no record is written: the committee's
    statistician holds and records the looks with ``myotrial interim``)."""

    def report(
        self,
        caller: Caller,
        design: dict[str, Any],
        kind: str,
        as_of: str | None = None,
        earlier: list[float] | None = None,
    ) -> str:
        """The ``open`` or ``closed`` report of a look at the stored trial, as HTML.

        Raises
        ------
        AccessDeniedError
            If the caller may not read this report: the closed one (results by arm)
            only for an unblinded role (admin, statistician, unblinded statistician);
            either only for a role the trial does not blind.
        ConfigError
            If ``design`` is not a group-sequential design or ``kind`` is unknown.
        """
        if kind not in ("open", "closed"):
            raise _problem("report", kind, "must be open or closed")
        if kind == "closed":
            require(caller.reads_unblinded, "only an unblinded role may read the closed report")
        else:
            require(
                caller.sees_all_sites or caller.reads_unblinded,
                "this role may not read the open report",
            )
        with self.uow() as uow:
            trial = uow.patients.trial()
        # every interim report needs a role the trial does not blind ([blinding])
        require_unblinded(caller, trial.config, "the interim report")
        cut = data_cut(as_of, trial)
        try:
            plan = SequentialPlan.from_design(design, "the plan")
            maximum_information(design)
            if design.get("endpoint") not in ENDPOINTS:
                raise ValueError(f"endpoint {design.get('endpoint')!r} is not one of {ENDPOINTS}")
        except (KeyError, TypeError, ValueError) as exc:
            raise _problem(
                "plan",
                "",
                f"is not a group-sequential design JSON ({exc})",
                "send the file of `myotrial design --looks K -o`",
            ) from exc
        look = compute_look(design, plan, trial, cut, list(earlier or []))
        held = len(earlier or []) + 1
        if kind == "open":
            return open_page(look, held)
        looks = [
            {
                "look": k + 1,
                "as_of": "",
                "information_fraction": t,
                "z": float("nan"),
                "decision": "held",
            }
            for k, t in enumerate(earlier or [])
        ]
        return closed_page(look, [*looks, _entry(look, held)])
