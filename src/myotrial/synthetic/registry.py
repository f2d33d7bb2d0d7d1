"""A large synthetic two-arm, multi-site registry for benchmarks (simulated patients).

The disease model is the pilot's (:mod:`myotrial.synthetic.model`). Patients are
allocated to MSC transplantation plus standard care (arm ``MSCT``) or standard care alone
(arm ``control``) and followed monthly for a year, then quarterly to two years: about 19
visits per patient. About 30 % of treated patients relapse after responding and most of
those receive a second course (~1.2 episodes per treated patient); about half of the control
patients flare and most are rescued with immunoglobulin. Some withdraw or are lost to
follow-up, and a few die, most of them with interstitial lung disease
(:mod:`myotrial.synthetic.followup`). Every step works on whole arrays: 10,000 patients
take a few seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from myotrial.config import TrialConfig
from myotrial.synthetic import model
from myotrial.synthetic.followup import RECOGNISED_AFTER_DAYS, follow_up
from myotrial.synthetic.frames import Columns, blank_to_missing, typed_table
from myotrial.synthetic.pilot import ULN
from myotrial.synthetic.safety import (
    background_medication,
    fatal_events,
    infusion_reactions,
    unrelated_events,
)
from myotrial.trialdata import TrialData

REGISTRY_NAME = "SYNTHETIC DATA: two-arm MSCT registry (simulated patients, not real)"
REGISTRY_START = np.datetime64("2015-01-05", "D")
# Follow-up days after the first infusion (control arm: after randomisation) and the
# half-width of the jitter around each: monthly to a year, then quarterly to two years.
GRID_DAYS = np.array(
    [7, 14, 30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 330, 365, 455, 545, 635, 730],
    dtype=float,
)
GRID_REACH = np.array([1, 1, 4, 8, 8, 8, 8, 12, 12, 12, 12, 12, 12, 18, 18, 18, 18, 18])
LUNG_DAYS = np.array([90, 180, 365, 545, 730], dtype=float)
DIAGNOSES = np.array(["DM", "PM", "ASS", "IMNM"])
DIAGNOSIS_SHARE = np.array([0.5, 0.3, 0.1, 0.1])
SOMETIMES_MISSING: tuple[str, ...] = (
    "phga",
    "ptga",
    "extramuscular",
    "mmt8",
    "haq",
    "ck_mb",
    "aldolase",
    "ldh",
    "ast",
    "alt",
    "prednisone_mg",
)
UNRELATED_AE_RATE = 0.6
"""Unrelated adverse events per patient over follow-up (Poisson mean)."""


def make_registry(
    n_patients: int,
    seed: np.random.Generator | int | None = None,
    n_sites: int = 25,
    control_share: float = 0.5,
) -> TrialData:
    """Build a synthetic multi-site, two-arm registry of ``n_patients`` simulated patients.

    Parameters
    ----------
    n_patients
        Number of patients (>= 1).
    seed
        Seed or generator for :func:`numpy.random.default_rng`.
    n_sites
        Number of sites; patients are spread evenly at random.
    control_share
        Share of patients allocated to standard care alone (0 to 1); they receive no
        infusions and improve partly and slowly.

    Returns
    -------
    TrialData
        About 19 visits per patient, infusions, adverse events, relapse and dropout
        events, background medication. Its configuration names it as synthetic.

    Raises
    ------
    ValueError
        If ``n_patients`` < 1, ``n_sites`` < 1 or ``control_share`` is outside 0-1.
    """
    _check_arguments(n_patients, n_sites, control_share)
    rng = np.random.default_rng(seed)
    cohort, levels = _cohort(rng, n_patients, control_share)
    schedule = _schedule(rng, cohort)
    infusions = _infusions(rng, cohort)
    config = TrialConfig(
        name=REGISTRY_NAME,
        uln=dict(ULN),
        extra={
            "cdisc": {
                "country": "CHN",
                "sponsor": "SYNTHETIC DATA (no sponsor)",
                "title": "SYNTHETIC DATA: mesenchymal stem cell transplantation added to "
                "standard care against standard care alone in refractory myositis (simulated)",
                "phase": "PHASE II TRIAL",
                "control_type": "ACTIVE",
                "planned_subjects": n_patients,
            },
            "synthetic": {
                "generator": "myotrial.synthetic.make_registry",
                "seed": seed if isinstance(seed, int) else "generator",
                "note": "Simulated patients for benchmarks; not real data.",
            },
        },
    )
    return TrialData(
        config=config,
        patients=_patients(rng, cohort, n_sites),
        infusions=typed_table("infusions", infusions),
        visits=typed_table("visits", _visits(rng, cohort, levels, schedule)),
        adverse_events=_adverse_events(rng, cohort, infusions),
        events=_events(cohort),
        medications=_medications(rng, cohort),
    )


def _check_arguments(n_patients: int, n_sites: int, control_share: float) -> None:
    if n_patients < 1 or n_sites < 1:
        raise ValueError(f"n_patients and n_sites must be >= 1, got {n_patients}, {n_sites}")
    if not 0.0 <= control_share <= 1.0:
        raise ValueError(f"control_share must be between 0 and 1, got {control_share}")


def _cohort(
    rng: np.random.Generator, n: int, control_share: float
) -> tuple[pd.DataFrame, model.Levels]:
    severity = rng.standard_normal(n)
    levels = model.draw_levels(rng, severity)
    treated = rng.random(n) >= control_share
    diagnosis = rng.choice(DIAGNOSES, n, p=DIAGNOSIS_SHARE)
    ild = rng.random(n) < np.where(diagnosis == "ASS", 0.7, 0.15)
    day0 = REGISTRY_START + rng.integers(0, 5 * 365, n).astype("timedelta64[D]")
    lead = rng.integers(7, 22, n)
    ids = np.char.add("R", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    fates = follow_up(rng, treated, ild, GRID_DAYS)
    cohort = pd.DataFrame(
        {
            "patient_id": ids.astype(object),
            "treated": treated,
            "diagnosis": diagnosis,
            "ild": ild,
            "day0": day0,
            "enrolment": day0 - lead.astype("timedelta64[D]"),
            "baseline_day": -lead + rng.integers(0, 4, n),
            **{column: fates[column].to_numpy() for column in fates.columns},
            "rate": model.CK_RATE_PER_DAY * np.exp(rng.normal(0.0, 0.15, n)),
            "relapse_severity": rng.uniform(0.6, 0.95, n),
            "standard_care_effect": rng.beta(4.0, 6.0, n),
            "ulcers0": np.where(
                (diagnosis == "DM") & (rng.random(n) < 0.1), rng.integers(1, 4, n), 0
            ).astype(float),
            "two_infusions": treated & (rng.random(n) < 0.4),
        }
    )
    return cohort, levels


def _schedule(rng: np.random.Generator, cohort: pd.DataFrame) -> pd.DataFrame:
    """Visit days per patient: baseline, the grid, and a new baseline plus three follow-up
    visits around a second course; one visit per patient and day."""
    n = len(cohort)
    jitter = rng.integers(-GRID_REACH, GRID_REACH + 1, size=(n, GRID_DAYS.size))
    grid = GRID_DAYS[None, :] + jitter
    kept = GRID_DAYS[None, :] < cohort["leave_day"].to_numpy()[:, None]
    rows, cols = np.nonzero(kept)
    retreated = np.flatnonzero(np.isfinite(cohort["retreat_day"].to_numpy()))
    retreat = cohort["retreat_day"].to_numpy()[retreated]
    after = (
        retreat[:, None]
        + np.array([7.0, 14.0, 30.0])[None, :]
        + rng.integers(-1, 2, size=(retreated.size, 3))
    )
    patient = np.concatenate([np.arange(n), rows, retreated, np.repeat(retreated, 3)])
    day = np.concatenate(
        [
            cohort["baseline_day"].to_numpy(dtype=float),
            grid[rows, cols],
            retreat - rng.integers(1, 6, retreated.size),
            after.ravel(),
        ]
    )
    lung = np.concatenate(
        [
            np.ones(n, dtype=bool),
            np.isin(GRID_DAYS[cols], LUNG_DAYS),
            np.ones(retreated.size, dtype=bool),
            np.zeros(3 * retreated.size, dtype=bool),
        ]
    )
    schedule = pd.DataFrame({"patient": patient, "day": day, "lung": lung})
    # Nothing is seen of a patient from the day of leaving (or of death) on.
    schedule = schedule[day < cohort["leave_day"].to_numpy()[patient]]
    schedule = schedule.drop_duplicates(["patient", "day"], keep="first")
    return schedule.sort_values(["patient", "day"], kind="mergesort").reset_index(drop=True)


def _visits(
    rng: np.random.Generator, cohort: pd.DataFrame, levels: model.Levels, schedule: pd.DataFrame
) -> Columns:
    patient = schedule["patient"].to_numpy()
    day = schedule["day"].to_numpy(dtype=float)
    per = {c: cohort[c].to_numpy()[patient] for c in cohort.columns}
    args = (per["relapse_day"], per["retreat_day"], per["relapse_severity"])
    usual = model.standard_care_course(
        day,
        per["standard_care_effect"],
        per["relapse_day"],
        per["rescue_day"],
        per["relapse_severity"],
    )
    muscle = np.where(per["treated"], model.activity(day, per["rate"], *args), usual)
    lung = np.where(per["treated"], model.activity(day, model.LUNG_RATE_PER_DAY, *args), usual)
    steroid = np.where(
        per["treated"], model.activity(day, model.STEROID_RATE_PER_DAY, *args), usual
    )
    measures = model.visit_measures(rng, levels, patient, muscle, lung, steroid)
    model.apply_phenotype(
        measures,
        day,
        dermatomyositis=per["diagnosis"] == "DM",
        lung_assessed=per["ild"] & schedule["lung"].to_numpy(),
        ulcers_at_entry=per["ulcers0"],
    )
    for column in SOMETIMES_MISSING:
        # About 3 % of measurements are missing, as on real case report forms.
        measures[column] = np.where(rng.random(day.size) < 0.03, np.nan, measures[column])
    values: Columns = dict(measures)
    values["patient_id"] = per["patient_id"]
    values["visit_date"] = per["day0"] + day.astype("timedelta64[D]")
    return values


def _infusions(rng: np.random.Generator, cohort: pd.DataFrame) -> Columns:
    treated = np.flatnonzero(cohort["treated"].to_numpy())
    day7 = np.flatnonzero(cohort["two_infusions"].to_numpy())
    again = np.flatnonzero(np.isfinite(cohort["retreat_day"].to_numpy()))
    patient = np.concatenate([treated, day7, again])
    day = np.concatenate(
        [np.zeros(treated.size), np.full(day7.size, 7.0), cohort["retreat_day"].to_numpy()[again]]
    )
    # no infusion once the patient has left or died
    given = day < cohort["leave_day"].to_numpy()[patient]
    patient, day = patient[given], day[given]
    source = rng.choice(np.array(["BM", "UC", "AT"]), patient.size, p=[0.45, 0.45, 0.1])
    lot = np.char.add(
        np.char.add(source, "-"), np.char.zfill(np.arange(1, patient.size + 1).astype(str), 6)
    )
    n = patient.size
    return {
        "patient_id": cohort["patient_id"].to_numpy()[patient],
        "infusion_date": cohort["day0"].to_numpy()[patient] + day.astype("timedelta64[D]"),
        "source": source.astype(object),
        "donor": np.full(n, "allogeneic", dtype=object),
        "cells_per_kg": np.round(rng.uniform(0.8e6, 2.0e6, n), -4),
        "lot": lot.astype(object),
        "route": np.full(n, "IV", dtype=object),
        "viability_pct": np.round(rng.uniform(85.0, 99.0, n), 1),
    }


def _patients(rng: np.random.Generator, cohort: pd.DataFrame, n_sites: int) -> pd.DataFrame:
    n = len(cohort)
    enrolment = cohort["enrolment"].to_numpy()
    onset = enrolment - rng.integers(180, 10 * 365, n).astype("timedelta64[D]")
    ild = cohort["ild"].to_numpy()
    antibody = np.where(
        ild,
        "anti-Jo-1",
        rng.choice(np.array(["anti-Mi-2", "anti-TIF1-gamma", "anti-SRP", "anti-HMGCR", ""]), n),
    )
    return typed_table(
        "patients",
        {
            "patient_id": cohort["patient_id"].to_numpy(),
            "site": rng.integers(1, n_sites + 1, n).astype(str).astype(object),
            "sex": rng.choice(np.array(["F", "M"]), n, p=[0.7, 0.3]).astype(object),
            "age": rng.integers(18, 80, n).astype(float),
            "diagnosis": cohort["diagnosis"].to_numpy().astype(object),
            "onset_date": onset,
            "diagnosis_date": onset + rng.integers(30, 180, n).astype("timedelta64[D]"),
            "enrolment_date": enrolment,
            "weight_kg": np.round(np.clip(rng.normal(65.0, 12.0, n), 40.0, 140.0) * 2) / 2,
            # the sites of the synthetic registry are in China ([cdisc] country CHN)
            "race": np.full(n, "ASIAN", dtype=object),
            "arm": np.where(cohort["treated"].to_numpy(), "MSCT", "control").astype(object),
            # randomised on study day 0 of both arms: the first infusion (MSCT) or the
            # start of standard care alone (control)
            "randomisation_date": cohort["day0"].to_numpy(),
            "refractory": np.ones(n, dtype=bool),
            "severe_systemic": ild,
            "ild": ild,
            "antibody": blank_to_missing(antibody),
        },
    )


def _adverse_events(
    rng: np.random.Generator, cohort: pd.DataFrame, infusions: Columns
) -> pd.DataFrame:
    """Reactions after 15 % of infusions; unrelated events at a Poisson rate per patient
    while followed; a fatal (grade 5) event for each death."""
    infused = np.asarray(infusions["patient_id"])
    reacted = rng.random(infused.size) < 0.15
    reactions = infusion_reactions(
        rng, infused[reacted], np.asarray(infusions["infusion_date"])[reacted]
    )
    counts = rng.poisson(UNRELATED_AE_RATE, len(cohort))
    who = np.repeat(np.arange(len(cohort)), counts)
    span = np.minimum(cohort["leave_day"].to_numpy()[who], GRID_DAYS[-1])
    onset = cohort["day0"].to_numpy()[who] + np.floor(rng.random(who.size) * span).astype(
        "timedelta64[D]"
    )
    others = unrelated_events(rng, cohort["patient_id"].to_numpy()[who], onset)
    died = np.isfinite(cohort["death_day"].to_numpy())
    fatal = fatal_events(
        rng,
        cohort["patient_id"].to_numpy()[died],
        _on_day(cohort, died, cohort["death_day"].to_numpy()),
        cohort["ild"].to_numpy()[died],
    )
    parts = (reactions, others, fatal)
    table = typed_table(
        "adverse_events",
        {k: np.concatenate([np.asarray(part[k]) for part in parts]) for k in reactions},
    )
    # The trial format keys an adverse event by patient, onset and term: one such record.
    return table.drop_duplicates(["patient_id", "onset_date", "term"]).reset_index(drop=True)


def _events(cohort: pd.DataFrame) -> pd.DataFrame:
    """Relapses as the investigator records them, withdrawals, losses and deaths."""
    ids = cohort["patient_id"].to_numpy()
    relapsed = cohort["relapse_recorded"].to_numpy()
    left = np.isfinite(cohort["dropout_day"].to_numpy())
    died = np.isfinite(cohort["death_day"].to_numpy())
    reason = np.where(cohort["withdrawn"].to_numpy(), "withdrawal", "lost_to_follow_up")
    return typed_table(
        "events",
        {
            "patient_id": np.concatenate([ids[relapsed], ids[left], ids[died]]),
            "event_date": np.concatenate(
                [
                    _on_day(
                        cohort, relapsed, cohort["relapse_day"].to_numpy() + RECOGNISED_AFTER_DAYS
                    ),
                    _on_day(cohort, left, cohort["dropout_day"].to_numpy()),
                    _on_day(cohort, died, cohort["death_day"].to_numpy()),
                ]
            ),
            "type": np.concatenate(
                [
                    np.full(int(relapsed.sum()), "relapse", dtype=object),
                    reason[left].astype(object),
                    np.full(int(died.sum()), "death", dtype=object),
                ]
            ),
        },
    )


def _medications(rng: np.random.Generator, cohort: pd.DataFrame) -> pd.DataFrame:
    """Background immunosuppressants, and immunoglobulin for a control patient's flare."""
    background = background_medication(
        rng,
        cohort["patient_id"].to_numpy(),
        cohort["enrolment"].to_numpy(),
        cohort["diagnosis"].to_numpy(),
        cohort["ild"].to_numpy(),
    )
    rescued = np.isfinite(cohort["rescue_day"].to_numpy())
    k = int(rescued.sum())
    rescue = {
        "patient_id": cohort["patient_id"].to_numpy()[rescued],
        # IVIG 2 g/kg a month, the usual rescue in refractory myositis (ProDERM's dose)
        "drug": np.full(k, "intravenous immunoglobulin", dtype=object),
        "dose": np.full(k, 2.0),
        "unit": np.full(k, "g/kg/month", dtype=object),
        "start_date": _on_day(cohort, rescued, cohort["rescue_day"].to_numpy()),
        "stop_date": np.full(k, np.datetime64("NaT"), dtype="datetime64[ns]"),
    }
    return typed_table(
        "medications",
        {key: np.concatenate([np.asarray(background[key]), rescue[key]]) for key in rescue},
    )


def _on_day(
    cohort: pd.DataFrame, mask: NDArray[np.bool_], day: NDArray[np.float64]
) -> NDArray[np.datetime64]:
    dates: NDArray[np.datetime64] = cohort["day0"].to_numpy()[mask] + np.floor(day[mask]).astype(
        "timedelta64[D]"
    )
    return dates
