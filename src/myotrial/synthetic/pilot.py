"""A synthetic trial shaped like the published MSCT pilot in refractory PM/DM.

Wang D et al. Ann Rheum Dis 2011;70:1285-8 treated 10 adults with drug-resistant
polymyositis or dermatomyositis with allogeneic mesenchymal stem cells (1 x 10^6 cells/kg
IV, from bone marrow or umbilical cord, once or on days 0 and 7). :func:`make_pilot`
builds ten **simulated** patients whose group means follow the published table
(``myotrial.data.pilot_summary``): CK falling from ~1680 U/L, MMT-8 rising from ~45 to ~65
by month 1, prednisone tapered from 34 mg/day; two relapse around month 6 and receive a
second course, two have interstitial lung disease, one has skin ulcers that heal.
No real patient's data is used or reproduced.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from myotrial.config import Timepoint, TrialConfig
from myotrial.domain.release import release_spec
from myotrial.synthetic import model
from myotrial.synthetic.frames import Columns, blank_to_missing, typed_table
from myotrial.synthetic.product import product_record
from myotrial.synthetic.safety import (
    background_medication,
    infusion_reactions,
    unrelated_events,
)
from myotrial.trialdata import TrialData

PILOT_SIZE = 10
ULN: dict[str, float] = {
    "ck": 200.0,
    "aldolase": 7.6,
    "ldh": 250.0,
    "ast": 40.0,
    "alt": 40.0,
    "ck_mb": 25.0,
}
PILOT_NAME = "SYNTHETIC DATA: MSCT pilot in refractory PM/DM (simulated patients, not real)"
FIRST_INFUSION = np.datetime64("2009-03-02", "D")
LUNG_VISITS = frozenset({"baseline", "month3", "month6", "month12"})
OPTIONAL_MEASURES = ("ptga", "haq", "ck_mb", "aldolase", "ldh", "extramuscular")
PILOT_DOSE_RANGE = (0.5e6, 2.0e6)
"""The protocol's dose range in cells per kg body weight (the pilot gave 1e6/kg)."""


def pilot_config(seed: object) -> TrialConfig:
    """The pilot's ``trial.toml``: defaults, the laboratory's upper limits of normal, and
    the protocol's dose range (1e6 cells/kg, within 0.5-2 x 10^6) on top of the default
    release specification (ISCT 2006)."""
    return TrialConfig(
        name=PILOT_NAME,
        uln=dict(ULN),
        release=release_spec(
            {"dose_per_kg_min": PILOT_DOSE_RANGE[0], "dose_per_kg_max": PILOT_DOSE_RANGE[1]}
        ),
        extra={
            "cdisc": {
                "country": "CHN",
                "sponsor": "SYNTHETIC DATA (no sponsor)",
                "title": "SYNTHETIC DATA: allogeneic mesenchymal stem cell transplantation "
                "in drug-resistant polymyositis and dermatomyositis (simulated pilot)",
                "phase": "PHASE I/II TRIAL",
                "planned_subjects": 10,
            },
            "synthetic": {
                "generator": "myotrial.synthetic.make_pilot",
                "seed": seed if isinstance(seed, int) else "generator",
                "note": "Simulated patients resembling a published pilot; not real data.",
            },
        },
    )


def make_pilot(seed: np.random.Generator | int | None = 2011) -> TrialData:
    """Build the synthetic pilot trial: ten simulated adults treated with MSC.

    Parameters
    ----------
    seed
        Seed or generator for :func:`numpy.random.default_rng`; the same integer seed
        always gives the same trial.

    Returns
    -------
    TrialData
        Ten patients (PM and DM, refractory) with infusions, visits at baseline, week 1,
        week 2, month 1, 3, 6 and 12, adverse events, relapse events and background
        medication. Its configuration names it as synthetic.
    """
    rng = np.random.default_rng(seed)
    config = pilot_config(seed)
    cohort, levels = _cohort(rng)
    schedule = _schedule(rng, cohort, config.timepoints)
    visits = _visits(rng, cohort, levels, schedule)
    infusions = _infusions(rng, cohort)
    patients = _patients(rng, cohort)
    adverse_events = _adverse_events(rng, cohort, infusions)
    medications = background_medication(
        rng,
        cohort["patient_id"].to_numpy(),
        cohort["enrolment"].to_numpy(),
        cohort["diagnosis"].to_numpy(),
        cohort["ild"].to_numpy(),
    )
    # Drawn last, so the product record leaves every other value of a seed unchanged.
    donors, lots, given = product_record(typed_table("infusions", infusions), rng)
    return TrialData(
        config=config,
        patients=patients,
        infusions=given,
        visits=typed_table("visits", visits),
        adverse_events=adverse_events,
        events=_relapse_events(cohort, schedule),
        medications=typed_table("medications", medications),
        donors=donors,
        lots=lots,
    )


def _cohort(rng: np.random.Generator) -> tuple[pd.DataFrame, model.Levels]:
    """One row per patient: roles (relapse, ILD, ulcers), dates and model parameters."""
    n = PILOT_SIZE
    severity = rng.standard_normal(n)
    levels = model.draw_levels(rng, severity, calibrate=True)
    diagnosis = rng.permutation(np.array(["DM"] * 6 + ["PM"] * 4))
    relapser = np.zeros(n, dtype=bool)
    relapser[np.argsort(-_relapse_room(levels), kind="stable")[:2]] = True
    ulcer_candidates = np.flatnonzero((diagnosis == "DM") & ~relapser)
    ulcer = np.zeros(n, dtype=bool)
    ulcer[rng.choice(ulcer_candidates)] = True
    ild = np.zeros(n, dtype=bool)
    ild[rng.choice(n, size=2, replace=False)] = True
    day0 = FIRST_INFUSION + np.sort(rng.integers(0, 420, n)).astype("timedelta64[D]")
    lead = rng.integers(7, 22, n)
    cohort = pd.DataFrame(
        {
            "patient_id": [f"P{i:02d}" for i in range(1, n + 1)],
            "diagnosis": diagnosis,
            "relapser": relapser,
            "ulcer": ulcer,
            "ild": ild,
            "day0": day0,
            "enrolment": day0 - lead.astype("timedelta64[D]"),
            "baseline_day": -lead + rng.integers(0, 4, n),
            "rate": model.CK_RATE_PER_DAY * np.exp(rng.normal(0.0, 0.15, n)),
            "relapse_severity": rng.uniform(0.8, 0.95, n),
            "relapse_day": np.inf,
            "retreat_day": np.inf,
            "ulcers0": np.where(ulcer, rng.integers(2, 5, n), 0).astype(float),
            "two_infusions": rng.permutation(np.arange(n) < 4),
            "source": rng.choice(np.array(["BM", "UC"]), n),
        }
    )
    return cohort, levels


def _relapse_room(levels: model.Levels) -> NDArray[np.float64]:
    """How clearly a relapse to ~80 % of entry activity would show, per patient.

    The two who relapse are chosen where it is unmistakable by the IMACS rule (MMT-8 down
    >= 20 % and physician global up >= 2 cm): >= 1 when both have room to spare.
    """
    mmt_plateau, phga_base = levels.plateau["mmt8"], levels.base["phga"]
    mmt_room = (mmt_plateau - levels.base["mmt8"]) / mmt_plateau / 0.25
    phga_room = (phga_base - levels.plateau["phga"]) / 2.5
    room: NDArray[np.float64] = np.minimum(mmt_room, phga_room)
    return room


def _schedule(
    rng: np.random.Generator, cohort: pd.DataFrame, timepoints: tuple[Timepoint, ...]
) -> pd.DataFrame:
    """Visit days (since the first infusion) per patient, course and time point.

    Sets each relapser's ``relapse_day`` and ``retreat_day`` in ``cohort``.
    """
    first = _course_visits(rng, np.arange(len(cohort)), np.zeros(len(cohort)), timepoints, 1)
    baseline = pd.DataFrame(
        {
            "patient": np.arange(len(cohort)),
            "timepoint": "baseline",
            "course": 1,
            "day": cohort["baseline_day"].to_numpy(),
        }
    )
    relapsers = np.flatnonzero(cohort["relapser"].to_numpy())
    first = first[~(first["patient"].isin(relapsers) & (first["timepoint"] == "month12"))]
    at_month6 = first[first["patient"].isin(relapsers) & (first["timepoint"] == "month6")]
    month6 = at_month6.set_index("patient")["day"].reindex(relapsers).to_numpy()
    # The relapse builds up over the weeks before the month 6 visit that records it; the
    # confirming visit is the new baseline, 2-3 weeks later, days before the new course.
    second_baseline = month6 + rng.integers(14, 22, relapsers.size)
    retreat = second_baseline + rng.integers(1, 6, relapsers.size)
    cohort.loc[relapsers, "relapse_day"] = month6 - 28.0
    cohort.loc[relapsers, "retreat_day"] = retreat.astype(float)
    second = _course_visits(rng, relapsers, retreat, timepoints[:5], 2)
    second_base = pd.DataFrame(
        {"patient": relapsers, "timepoint": "baseline", "course": 2, "day": second_baseline}
    )
    schedule = pd.concat([baseline, first, second_base, second], ignore_index=True)
    # One patient missed a week 2 visit: a gap the analysis has to live with.
    missed = schedule.index[
        (schedule["timepoint"] == "week2")
        & (schedule["course"] == 1)
        & ~schedule["patient"].isin(relapsers)
    ]
    schedule = schedule.drop(index=rng.choice(missed))
    return schedule.sort_values(["patient", "day"], kind="mergesort").reset_index(drop=True)


def _course_visits(
    rng: np.random.Generator,
    patients: NDArray[np.intp],
    start_day: NDArray[np.generic],
    timepoints: tuple[Timepoint, ...],
    course: int,
) -> pd.DataFrame:
    """Follow-up visits of one course, jittered inside each time point's window."""
    nominal = np.array([t.day for t in timepoints])
    # Visits land within ~60 % of the window: late or early, never outside the window.
    reach = np.floor(0.6 * np.array([t.window for t in timepoints])).astype(int)
    jitter = rng.integers(-reach, reach + 1, size=(patients.size, nominal.size))
    days = np.asarray(start_day, dtype=float)[:, None] + nominal[None, :] + jitter
    return pd.DataFrame(
        {
            "patient": np.repeat(patients, nominal.size),
            "timepoint": np.tile([t.name for t in timepoints], patients.size),
            "course": course,
            "day": days.ravel(),
        }
    )


def _visits(
    rng: np.random.Generator, cohort: pd.DataFrame, levels: model.Levels, schedule: pd.DataFrame
) -> Columns:
    patient = schedule["patient"].to_numpy()
    day = schedule["day"].to_numpy(dtype=float)
    per_visit = cohort.iloc[patient]
    relapse = per_visit["relapse_day"].to_numpy()
    retreat = per_visit["retreat_day"].to_numpy()
    severity = per_visit["relapse_severity"].to_numpy()
    muscle = model.activity(day, per_visit["rate"].to_numpy(), relapse, retreat, severity)
    lung = model.activity(day, model.LUNG_RATE_PER_DAY, relapse, retreat, severity)
    steroid = model.activity(day, model.STEROID_RATE_PER_DAY, relapse, retreat, severity)
    measures = model.visit_measures(rng, levels, patient, muscle, lung, steroid)
    model.apply_phenotype(
        measures,
        day,
        dermatomyositis=per_visit["diagnosis"].to_numpy() == "DM",
        lung_assessed=per_visit["ild"].to_numpy()
        & schedule["timepoint"].isin(LUNG_VISITS).to_numpy(),
        ulcers_at_entry=per_visit["ulcers0"].to_numpy(),
    )
    entry = ((schedule["timepoint"] == "baseline") & (schedule["course"] == 1)).to_numpy()
    model.record_entry_exactly(measures, levels, patient, entry)
    values: Columns = dict(measures)
    _drop_a_few(rng, values, schedule["timepoint"].to_numpy() != "baseline")
    values["patient_id"] = per_visit["patient_id"].to_numpy()
    values["visit_date"] = per_visit["day0"].to_numpy() + day.astype("timedelta64[D]")
    return values


def _drop_a_few(rng: np.random.Generator, values: Columns, follow_up: NDArray[np.bool_]) -> None:
    """Blank five follow-up cells of secondary measures, as real case forms have gaps."""
    rows = rng.choice(np.flatnonzero(follow_up), size=5, replace=False)
    columns = rng.choice(len(OPTIONAL_MEASURES), size=5)
    for row, column in zip(rows, columns, strict=True):
        blanked = np.array(values[OPTIONAL_MEASURES[column]], dtype=float)
        blanked[row] = np.nan
        values[OPTIONAL_MEASURES[column]] = blanked


def _infusions(rng: np.random.Generator, cohort: pd.DataFrame) -> Columns:
    """First course on day 0 (and day 7 for some); a second course for the relapsers."""
    day7 = np.flatnonzero(cohort["two_infusions"].to_numpy())
    again = np.flatnonzero(cohort["relapser"].to_numpy())
    patient = np.concatenate([np.arange(len(cohort)), day7, again])
    day = np.concatenate(
        [np.zeros(len(cohort)), np.full(day7.size, 7.0), cohort["retreat_day"].to_numpy()[again]]
    )
    per = cohort.iloc[patient]
    date = per["day0"].to_numpy() + day.astype("timedelta64[D]")
    year = pd.DatetimeIndex(date).year.to_numpy() % 100
    source = per["source"].to_numpy()
    lot = (
        pd.Series(source)
        + "-"
        + pd.Series(year).astype(str).str.zfill(2)
        + pd.Series(np.arange(1, patient.size + 1)).astype(str).str.zfill(2)
    )
    return {
        "patient_id": per["patient_id"].to_numpy(),
        "infusion_date": date,
        "source": source,
        "donor": np.full(patient.size, "allogeneic", dtype=object),
        "cells_per_kg": np.full(patient.size, 1.0e6),
        "lot": lot.to_numpy(dtype=object),
        "route": np.full(patient.size, "IV", dtype=object),
        "viability_pct": np.round(rng.uniform(90.0, 98.0, patient.size), 1),
    }


def _patients(rng: np.random.Generator, cohort: pd.DataFrame) -> pd.DataFrame:
    n = len(cohort)
    enrolment = cohort["enrolment"].to_numpy()
    onset = enrolment - rng.integers(365, 8 * 365, n).astype("timedelta64[D]")
    ild = cohort["ild"].to_numpy()
    dm = cohort["diagnosis"].to_numpy() == "DM"
    antibody = np.where(
        dm,
        rng.choice(np.array(["anti-Mi-2", "anti-TIF1-gamma", ""]), n),
        rng.choice(np.array(["anti-SRP", ""]), n),
    )
    # Antisynthetase and MDA5 antibodies go with interstitial lung disease.
    antibody = np.where(ild, np.where(dm, "anti-MDA5", "anti-Jo-1"), antibody)
    return typed_table(
        "patients",
        {
            "patient_id": cohort["patient_id"].to_numpy(),
            "site": np.full(n, "1", dtype=object),
            "sex": rng.permutation(np.array(["F"] * 8 + ["M"] * 2)),
            "age": rng.integers(22, 64, n).astype(float),
            "diagnosis": cohort["diagnosis"],
            "onset_date": onset,
            "diagnosis_date": onset + rng.integers(30, 240, n).astype("timedelta64[D]"),
            "enrolment_date": enrolment,
            "weight_kg": np.round(np.clip(rng.normal(58.0, 9.0, n), 42.0, 95.0) * 2) / 2,
            # the pilot was run in China ([cdisc] country CHN)
            "race": np.full(n, "ASIAN", dtype=object),
            "arm": np.full(n, "MSCT", dtype=object),
            "refractory": np.ones(n, dtype=bool),
            "severe_systemic": ild,
            "ild": ild,
            "antibody": blank_to_missing(antibody),
        },
    )


def _adverse_events(
    rng: np.random.Generator, cohort: pd.DataFrame, infusions: Columns
) -> pd.DataFrame:
    """Four infusion reactions and three unrelated events."""
    infused = np.asarray(infusions["patient_id"])
    reacted = rng.choice(infused.size, size=4, replace=False)
    reactions = infusion_reactions(
        rng, infused[reacted], np.asarray(infusions["infusion_date"])[reacted]
    )
    who = rng.choice(len(cohort), size=3, replace=False)
    onset = cohort["day0"].to_numpy()[who] + rng.integers(20, 200, who.size).astype(
        "timedelta64[D]"
    )
    others = unrelated_events(rng, cohort["patient_id"].to_numpy()[who], onset)
    table = {
        k: np.concatenate([np.asarray(reactions[k]), np.asarray(others[k])]) for k in reactions
    }
    return typed_table("adverse_events", table)


def _relapse_events(cohort: pd.DataFrame, schedule: pd.DataFrame) -> pd.DataFrame:
    """The investigator records each relapse on the month 6 visit that found it."""
    at = schedule[
        (schedule["timepoint"] == "month6")
        & (schedule["course"] == 1)
        & cohort["relapser"].to_numpy()[schedule["patient"].to_numpy()]
    ]
    per = cohort.iloc[at["patient"].to_numpy()]
    return typed_table(
        "events",
        {
            "patient_id": per["patient_id"].to_numpy(),
            "event_date": per["day0"].to_numpy() + at["day"].to_numpy().astype("timedelta64[D]"),
            "type": np.full(len(at), "relapse", dtype=object),
            "note": np.full(len(at), "weaker, CK rising; second MSC course planned", dtype=object),
        },
    )
