"""Between-arm comparisons of a randomised trial: the ``arm_comparison`` table.

One row per endpoint and population at the primary time point (docs/analysis.md,
"Between-arm comparisons"), estimates MSCT minus (or over) control:

- ``tis_response``: risk difference of TIS at or above the minimal threshold, once with
  non-responder imputation over every randomised patient (``itt_nri``: no scorable
  primary visit counts as no response, as ProDERM did) and once among the patients with
  a TIS at the primary visit (``complete_case``);
- ``mmt8_change``, ``log_ck_change``: ANCOVA of the change on arm and baseline;
- ``mmrm_mmt8``: the MMRM arm difference in MMT-8 change at the primary time point;
- ``relapse``: cause-specific hazard ratio of relapse from randomisation, log-rank p.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from myotrial.analysis import arm_tests, competing, mmrm
from myotrial.analysis.arms import (
    Arms,
    IttView,
    itt_view,
    missing_randomisation,
    populations,
    trial_arms,
)
from myotrial.analysis.options import AnalysisOptions, Notes
from myotrial.analysis.safety import death_dates, safety_by_arm
from myotrial.analysis.scoring import episode_outcomes, score_visits
from myotrial.trialdata import TrialData

COMPARISON_COLUMNS: tuple[str, ...] = (
    "endpoint",
    "timepoint",
    "population",
    "estimand",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "n_treatment",
    "n_control",
    "method",
)
PLAN_ENDPOINTS: dict[str, tuple[str, str]] = {
    # design endpoint (myotrial design) -> (arm_comparison endpoint, population)
    "response": ("tis_response", "itt_nri"),
    "mmt8_change": ("mmt8_change", "complete_case"),
    "log_ck": ("log_ck_change", "complete_case"),
    "mmrm": ("mmrm_mmt8", "itt"),
    "relapse": ("relapse", "itt"),
}
NEWCOMBE = "Newcombe hybrid score interval (method 10)"
POOLED_Z = "pooled z-test (Pearson chi-squared without continuity correction)"
FISHER = "Fisher's exact test"


def _row(
    endpoint: str,
    timepoint: str,
    population: str,
    estimand: str,
    result: arm_tests.Estimate,
    method: str,
) -> dict[str, Any]:
    return {
        "endpoint": endpoint,
        "timepoint": timepoint,
        "population": population,
        "estimand": estimand,
        "estimate": result.estimate,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "p_value": result.p_value,
        "n_treatment": result.n_treatment,
        "n_control": result.n_control,
        "method": method,
    }


def response_rows(
    scores: pd.DataFrame,
    population: pd.DataFrame,
    arms: Arms,
    timepoint: str,
    minimal: float,
    confidence: float,
    test: str = "z",
) -> list[dict[str, Any]]:
    """The two ``tis_response`` rows: ``itt_nri`` and ``complete_case``."""
    at_point = scores.loc[scores["timepoint"] == timepoint, ["patient_id", "tis"]]
    tis = population[["patient_id", "arm"]].merge(at_point, on="patient_id", how="left")
    value = tis["tis"].astype(float)
    responded = value >= minimal
    scorable = value.notna()
    method = f"{NEWCOMBE}; {FISHER if test == 'fisher' else POOLED_Z}"
    estimand = f"risk difference ({arms.treatment} - {arms.control}) of TIS >= {minimal:g}"
    rows = []
    for name, counted in (("itt_nri", np.ones(len(tis), bool)), ("complete_case", scorable)):
        in_t = counted & (tis["arm"] == arms.treatment).to_numpy()
        in_c = counted & (tis["arm"] == arms.control).to_numpy()
        result = arm_tests.risk_difference(
            int((responded & in_t).sum()),
            int(in_t.sum()),
            int((responded & in_c).sum()),
            int(in_c.sum()),
            confidence,
            test,
        )
        rows.append(_row("tis_response", timepoint, name, estimand, result, method))
    return rows


def change_at(
    view: IttView, population: pd.DataFrame, column: str, timepoint: str, log: bool = False
) -> pd.DataFrame:
    """Per patient: ``arm``, ``x0`` (baseline) and ``x1`` at ``timepoint`` (complete cases)."""
    if column not in view.mapped or column not in view.baseline:
        return pd.DataFrame(columns=["patient_id", "arm", "x0", "x1"])
    base = view.baseline[["patient_id", column]].rename(columns={column: "x0"})
    later = view.mapped.loc[view.mapped["timepoint"] == timepoint, ["patient_id", column]]
    pairs = population[["patient_id", "arm"]].merge(base, on="patient_id")
    pairs = pairs.merge(later.rename(columns={column: "x1"}), on="patient_id")
    pairs[["x0", "x1"]] = pairs[["x0", "x1"]].astype(float)
    if log:  # natural log; a value of 0 or below has no logarithm and is left out
        pairs[["x0", "x1"]] = np.log(pairs[["x0", "x1"]].where(pairs[["x0", "x1"]] > 0))
    return pairs.dropna(subset=["x0", "x1"])


def ancova_row(
    pairs: pd.DataFrame, arms: Arms, endpoint: str, label: str, timepoint: str, confidence: float
) -> dict[str, Any]:
    """An ANCOVA row: change on arm and baseline, complete cases."""
    treated = (pairs["arm"] == arms.treatment).to_numpy(float)
    result = arm_tests.ancova(
        (pairs["x1"] - pairs["x0"]).to_numpy(float),
        treated,
        pairs["x0"].to_numpy(float),
        confidence,
    )
    return _row(
        endpoint,
        timepoint,
        "complete_case",
        f"difference ({arms.treatment} - {arms.control}) in mean {label} change, "
        "adjusted for baseline",
        result,
        "ANCOVA (OLS of change on arm and baseline), t interval and test",
    )


def mmrm_row(
    view: IttView,
    population: pd.DataFrame,
    arms: Arms,
    timepoints: list[str],
    primary: str,
    confidence: float,
    notes: Notes,
) -> dict[str, Any]:
    """The ``mmrm_mmt8`` row: MMRM of MMT-8 change over every post-baseline time point."""
    empty = arm_tests.Estimate(*(float("nan"),) * 4, 0, 0)
    method = (
        "MMRM: arm x time and baseline x time, unstructured covariance, REML, "
        "Satterthwaite degrees of freedom"
    )
    estimand = (
        f"difference ({arms.treatment} - {arms.control}) in mean MMT-8 change at {primary}, "
        "all visits, missing at random"
    )
    if "mmt8" not in view.mapped or primary not in timepoints:
        return _row("mmrm_mmt8", primary, "itt", estimand, empty, method)
    wide = _wide(view, population, timepoints)
    treated = np.asarray(wide["arm"] == arms.treatment, dtype=float)
    y = wide[timepoints].to_numpy(float)
    n1, n0 = int(treated.sum()), int(len(wide) - treated.sum())
    try:
        fit = mmrm.arm_difference(
            y, treated, wide["x0"].to_numpy(float), timepoints.index(primary), confidence
        )
    except (np.linalg.LinAlgError, ValueError) as exc:
        notes.add("mmrm_not_fitted", f"MMT-8 MMRM could not be fitted ({exc})", count=0)
        return _row(
            "mmrm_mmt8",
            primary,
            "itt",
            estimand,
            arm_tests.Estimate(*(float("nan"),) * 4, n1, n0),
            method,
        )
    result = arm_tests.Estimate(
        fit["estimate"], fit["ci_low"], fit["ci_high"], fit["p_value"], n1, n0
    )
    return _row("mmrm_mmt8", primary, "itt", estimand, result, method + f" ({fit['df']:.1f})")


def _wide(view: IttView, population: pd.DataFrame, timepoints: list[str]) -> pd.DataFrame:
    """Patients with a baseline MMT-8 and at least one later one: arm, x0, change per time."""
    base = view.baseline[["patient_id", "mmt8"]].rename(columns={"mmt8": "x0"}).dropna()
    later = view.mapped.dropna(subset=["timepoint", "mmt8"])
    later = later.merge(base, on="patient_id")
    later["change"] = later["mmt8"].astype(float) - later["x0"].astype(float)
    wide = later.pivot_table(index="patient_id", columns="timepoint", values="change")
    wide = wide.reindex(columns=timepoints)
    wide = wide[wide.notna().any(axis=1)]
    out = population[["patient_id", "arm"]].merge(base, on="patient_id")
    return out.merge(wide, left_on="patient_id", right_index=True)


def relapse_times(
    view: IttView, outcomes: pd.DataFrame, population: pd.DataFrame, deaths: pd.Series
) -> pd.DataFrame:
    """Per patient: ``arm``, ``time`` (days from randomisation) and ``status``.

    Status 1 at the first relapse, 2 at a death without an earlier relapse, else 0
    censored at the last visit (day 0 for a patient never seen after randomisation).
    """
    frame = population[["patient_id", "arm", "randomisation_date"]].merge(
        outcomes[["patient_id", "relapse_date", "end_date"]], on="patient_id", how="left"
    )
    death = frame["patient_id"].map(deaths).astype("datetime64[ns]")
    relapse = frame["relapse_date"]
    relapsed = relapse.notna() & ~(death < relapse)
    died = ~relapsed & death.notna()
    stop = relapse.where(relapsed, death.where(died, frame["end_date"]))
    days = (stop - frame["randomisation_date"]).dt.days.astype(float)
    frame["time"] = days.fillna(0.0).clip(lower=0.0)
    frame["status"] = np.select([relapsed, died], [competing.RELAPSE, competing.DEATH], 0)
    return frame[["patient_id", "arm", "time", "status"]]


def relapse_row(times: pd.DataFrame, arms: Arms, confidence: float) -> dict[str, Any]:
    """The ``relapse`` row: cause-specific Cox hazard ratio and the log-rank p."""
    treated = (times["arm"] == arms.treatment).to_numpy()
    keep = treated | (times["arm"] == arms.control).to_numpy()
    result = competing.hazard_ratio(
        times["time"].to_numpy()[keep],
        times["status"].to_numpy()[keep],
        treated[keep],
        confidence,
    )
    return _row(
        "relapse",
        "",
        "itt",
        f"hazard ratio ({arms.treatment} / {arms.control}) of relapse from randomisation, "
        "death a competing event (cause-specific)",
        result,
        "Cox proportional hazards (Efron ties), Wald interval on the log scale; log-rank p",
    )


def plan_assumptions(plan: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What the plan assumed, to show beside what was observed (``None`` without a plan)."""
    if not plan:
        return None
    parameters = plan.get("parameters")
    assumed = {
        str(name): spec.get("value")
        for name, spec in (parameters.items() if isinstance(parameters, Mapping) else [])
        if isinstance(spec, Mapping)
    }
    keys = ("endpoint", "analysis", "test", "alpha", "n_per_arm", "power")
    return {**{k: plan.get(k) for k in keys}, "assumed": assumed}


def plan_settings(plan: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a design JSON pre-specifies: primary endpoint and population, test, alpha."""
    if not plan:
        return {}
    endpoint, population = PLAN_ENDPOINTS.get(
        str(plan.get("endpoint")), ("tis_response", "itt_nri")
    )
    test = "fisher" if "fisher" in str(plan.get("test") or "").lower() else "z"
    return {
        "endpoint": endpoint,
        "population": population,
        "test": test,
        "alpha": float(plan.get("alpha", 0.05)),
    }


@dataclass(frozen=True)
class ArmAnalysis:
    """What a two-arm trial adds: the comparison, incidence by arm, safety by arm, the
    summary for ``summary.json``, and the ITT baseline values (Table 1 by arm)."""

    table: pd.DataFrame
    incidence: pd.DataFrame
    safety: pd.DataFrame
    summary: dict[str, Any]
    baseline: pd.DataFrame | None = None


def _nothing() -> ArmAnalysis:
    return ArmAnalysis(
        pd.DataFrame(columns=list(COMPARISON_COLUMNS)), pd.DataFrame(), pd.DataFrame(), {}
    )


def compare_arms(
    trial: TrialData,
    values: pd.DataFrame,
    options: AnalysisOptions,
    minimal: float,
    notes: Notes,
    plan: Mapping[str, Any] | None = None,
) -> ArmAnalysis:
    """The ``arm_comparison`` table, cumulative incidence of relapse by arm, and a summary.

    Parameters
    ----------
    trial
        The trial; nothing is compared when it has one arm.
    values
        Canonical visit values.
    options
        Confidence level, baseline window, TIS rules.
    minimal
        The minimal-response TIS threshold of the population.
    notes
        Where what could not be estimated is noted.
    plan
        A design JSON (``myotrial design -o``): its test and alpha replace the defaults.

    Returns
    -------
    ArmAnalysis
        Rows of :data:`COMPARISON_COLUMNS`; :data:`~myotrial.analysis.competing.
        INCIDENCE_COLUMNS` by arm; safety by arm (:func:`~myotrial.analysis.safety.
        safety_by_arm`); arms, primary time point and endpoint, populations.
    """
    arms = trial_arms(trial.patients, trial.config)
    primary = trial.config.primary
    if arms is None or primary is None:
        return _nothing()
    undated = missing_randomisation(trial.patients)
    if len(undated):
        notes.add(
            "no_randomisation_date",
            f"{len(undated)} patient(s) of a two-arm trial have no randomisation_date: "
            "no between-arm comparison (enter it in patients.csv)",
            undated,
        )
        return _nothing()
    settings = {
        "endpoint": "tis_response",
        "population": "itt_nri",
        "test": "z",
        **plan_settings(plan),
    }
    confidence = 1 - settings["alpha"] if "alpha" in settings else options.confidence
    population = populations(trial, arms)
    view = itt_view(trial, values, population, options)
    scores = score_visits(view.mapped, view.baseline, trial.config, options)
    outcomes = episode_outcomes(
        view.courses, scores, values, trial.events, trial.config, minimal, Notes()
    )
    names = [t.name for t in sorted(trial.config.timepoints, key=lambda t: t.day)]
    rows = response_rows(
        scores, population, arms, primary.name, minimal, confidence, settings["test"]
    )
    for endpoint, column, label, log in (
        ("mmt8_change", "mmt8", "MMT-8", False),
        ("log_ck_change", "ck", "log CK", True),
    ):
        pairs = change_at(view, population, column, primary.name, log)
        rows.append(ancova_row(pairs, arms, endpoint, label, primary.name, confidence))
    rows.append(mmrm_row(view, population, arms, names, primary.name, confidence, notes))
    times = relapse_times(
        view, outcomes, population, death_dates(trial.events, trial.adverse_events)
    )
    rows.append(relapse_row(times, arms, confidence))
    table = pd.DataFrame(rows).reindex(columns=list(COMPARISON_COLUMNS))
    incidence = competing.incidence_by_arm(times, [arms.treatment, arms.control])
    summary = _summary(arms, primary.name, settings, confidence, population, table)
    summary["plan"] = plan_assumptions(plan)
    safety = safety_by_arm(population, trial.adverse_events, trial.events)
    return ArmAnalysis(table, incidence, safety, summary, view.baseline)


def _summary(
    arms: Arms,
    primary: str,
    settings: Mapping[str, Any],
    confidence: float,
    population: pd.DataFrame,
    table: pd.DataFrame,
) -> dict[str, Any]:
    chosen = table[
        (table["endpoint"] == settings["endpoint"])
        & (table["population"] == settings["population"])
    ]
    by_arm = population.groupby("arm")
    return {
        "treatment_arm": arms.treatment,
        "control_arm": arms.control,
        "primary_timepoint": primary,
        "primary_endpoint": settings["endpoint"],
        "primary_population": settings["population"],
        "test": settings["test"],
        "confidence": confidence,
        "primary_result": chosen.iloc[0].to_dict() if len(chosen) else None,
        "populations": {
            "itt": {str(a): len(g) for a, g in by_arm},
            "safety": population.groupby("arm_received").size().astype(int).to_dict(),
            "per_protocol": {str(a): int(g["per_protocol"].sum()) for a, g in by_arm},
        },
    }
