"""ADaM datasets from a trial and its analysis: ADSL, ADEFF (BDS) and ADTTE.

ADEFF holds one parameter per IMACS core set measure plus the ACR/EULAR 2016 Total
Improvement Score, for every episode of the analysis (``BASETYPE`` = ``COURSE n``; each
course has its own baseline, docs/measures.md §5) and for the analysis' "since study entry"
view (``BASETYPE`` = ``STUDY ENTRY``: every visit against the first course's baseline).
The enzyme parameter ``ENZXULN`` follows the enzyme most abnormal at the episode
baseline (×ULN; ties in the order ck, aldolase, ldh, ast, alt). ``TIS`` rows carry
CRIT1-3 for minimal, moderate and major improvement at the population's thresholds.
ADTTE holds the relapse-free time the analysis feeds to Kaplan-Meier: from each
patient's first response to relapse, censored at the end of that episode's follow-up.
Dates are SAS numeric dates (``DATE9.``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from myotrial.analysis.arms import subject_populations
from myotrial.analysis.episodes import ENTRY_EPISODE, entry_view
from myotrial.analysis.result import AnalysisResult
from myotrial.exchange.cdisc.common import Dataset, sas_date, study_id, usubjid
from myotrial.exchange.cdisc.metadata import labels
from myotrial.measures import canonical_visits
from myotrial.measures.csm import TIS_ENZYMES
from myotrial.measures.tis import TIS_THRESHOLDS
from myotrial.trialdata import TrialData

DATE = "DATE9."
# PARAMCD, PARAM, visit column (None: derived), unit
PARAMETERS: tuple[tuple[str, str, str | None, str], ...] = (
    ("PHGA", "Physician Global Activity VAS (cm)", "phga", "cm"),
    ("PTGA", "Patient Global Activity VAS (cm)", "ptga", "cm"),
    ("MMT8", "MMT-8 Total Score", "mmt8", ""),
    ("HAQDI", "HAQ Disability Index", "haq", ""),
    ("ENZXULN", "Most Abnormal Enzyme at Baseline (xULN)", None, "xULN"),
    ("EXTRAGLB", "Extramuscular Global Activity VAS (cm)", "extramuscular", "cm"),
    ("TIS", "Total Improvement Score (ACR/EULAR 2016)", None, ""),
)
CRITERIA = ("minimal", "moderate", "major")


def _dataset(name: str, label: str, frame: pd.DataFrame, keys: tuple[str, ...]) -> Dataset:
    formats = {c: DATE for c in frame.columns if c.endswith("DT")}
    return Dataset(
        name,
        label,
        frame.reset_index(drop=True),
        labels(name, list(frame.columns)),
        keys,
        formats,
    )


def _flag(values: pd.Series) -> pd.Series:
    return values.map({True: "Y", False: "N"}).astype(object)


def _treatments(trial: TrialData) -> pd.DataFrame:
    """Planned and actual treatment of each patient (ADSL TRT01P/TRT01A), by USUBJID.

    The actual treatment is the arm received as the analysis' safety population takes it
    (:func:`myotrial.analysis.arms.subject_populations`), as SDTM DM.ACTARM and FHIR
    ``actualArm``; empty for a patient who received no treatment.
    """
    populations = subject_populations(trial)
    received = populations["arm_received"]
    return pd.DataFrame(
        {
            "TRTP": populations["arm"].astype(str).to_numpy(),
            "TRTA": received.where(received.notna(), "").astype(str).to_numpy(),
        },
        index=usubjid(trial, populations["patient_id"]).to_numpy(),
    )


def adsl(trial: TrialData, result: AnalysisResult) -> Dataset:
    """Subject-level dataset: one row per patient with treatment dates and populations."""
    p = trial.patients
    infused = trial.infusions.groupby("patient_id")["infusion_date"]
    courses = result.episodes.groupby("patient_id")["episode"].nunique()
    scored = result.scores.loc[result.scores["tis"].notna(), "patient_id"]
    deaths = trial.events.loc[trial.events["type"].eq("death"), "patient_id"]
    populations = subject_populations(trial).set_index("patient_id")
    received = p["patient_id"].map(populations["arm_received"])
    actual = received.where(received.notna(), "").astype(str)
    frame = pd.DataFrame(
        {
            "STUDYID": study_id(trial),
            "USUBJID": usubjid(trial, p["patient_id"]),
            "SUBJID": p["patient_id"].astype(str),
            "SITEID": p["site"].fillna("1").astype(str),
            "AGE": p["age"].astype("float64"),
            "AGEU": "YEARS",
            "SEX": p["sex"].astype(str),
            "RACE": p["race"].fillna("").astype(str) if "race" in p else "",
            "ARM": p["patient_id"].map(populations["arm"]).astype(str),
            "ACTARM": actual,
            "TRT01P": p["patient_id"].map(populations["arm"]).astype(str),
            "TRT01A": actual,
            "TRTSDT": sas_date(p["patient_id"].map(infused.min())),
            "TRTEDT": sas_date(p["patient_id"].map(infused.max())),
            "DIAGNOS": p["diagnosis"].astype(str),
            "NCOURSE": p["patient_id"].map(courses).fillna(0).astype("float64"),
            "ITTFL": _flag(p["patient_id"].map(populations["itt"])),
            "SAFFL": _flag(p["patient_id"].map(populations["safety"])),
            "PPROTFL": _flag(p["patient_id"].map(populations["per_protocol"])),
            "EFFFL": _flag(p["patient_id"].isin(scored)),
            "DTHFL": p["patient_id"].isin(deaths).map({True: "Y", False: ""}).astype(object),
        }
    )
    return _dataset("ADSL", "Subject-Level Analysis Dataset", frame, ("STUDYID", "USUBJID"))


def _records(trial: TrialData, result: AnalysisResult) -> pd.DataFrame:
    """Baseline and scored follow-up visits of every episode, with canonical values."""
    canon = canonical_visits(trial.visits, trial.config)
    courses = result.episodes[["patient_id", "episode", "first_infusion", "baseline_date"]]
    # The analysis' "since study entry" view (episode 0) uses the first course's baseline.
    episodes = pd.concat([entry_view(courses), courses], ignore_index=True)
    baseline = episodes.dropna(subset=["baseline_date"]).assign(
        timepoint="baseline", visit_date=lambda e: e["baseline_date"], tis=np.nan, category=None
    )
    followup = result.scores[
        ["patient_id", "episode", "timepoint", "visit_date", "tis", "category"]
    ].merge(episodes, on=["patient_id", "episode"])
    records = pd.concat([baseline, followup], ignore_index=True)
    records = records.merge(canon, on=["patient_id", "visit_date"], how="left")
    records["ENZXULN"] = _enzyme_xuln(records)
    return records


def _enzyme_xuln(records: pd.DataFrame) -> pd.Series:
    """×ULN of the enzyme most abnormal at each episode's baseline (docs/measures.md §1)."""
    columns = [f"{e}_xuln" for e in TIS_ENZYMES]
    xuln = records.reindex(columns=columns).to_numpy(dtype=float)
    at_baseline = np.where(records["timepoint"].eq("baseline").to_numpy()[:, None], xuln, np.nan)
    per_episode = (
        pd.DataFrame(np.round(at_baseline, 6), index=records.index)
        .groupby([records["patient_id"], records["episode"]])
        .transform("max")
    )
    scores = per_episode.to_numpy()
    # np.argmax takes the first maximum: ties go in the order ck, aldolase, ldh, ast, alt
    choice = np.argmax(np.nan_to_num(scores, nan=-np.inf), axis=1)
    chosen = np.take_along_axis(xuln, choice[:, None], axis=1)[:, 0]
    return pd.Series(np.where(np.isnan(scores).all(axis=1), np.nan, chosen), index=records.index)


def _long(records: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for number, (code, name, column, unit) in enumerate(PARAMETERS, start=1):
        source = {"TIS": "tis", "ENZXULN": "ENZXULN"}.get(code, column or "")
        if source not in records.columns:
            continue
        part = records.assign(
            PARAMCD=code,
            PARAM=name,
            PARAMN=float(number),
            AVALU=unit,
            AVAL=records[source].astype("float64"),
        )
        parts.append(part.loc[part["AVAL"].notna()])
    return pd.concat(parts, ignore_index=True)


def adeff(trial: TrialData, result: AnalysisResult) -> Dataset:
    """Efficacy BDS: core set measures and TIS per episode and visit."""
    long = _long(_records(trial, result))
    is_base = long["timepoint"].eq("baseline") & long["PARAMCD"].ne("TIS")
    keys = ["patient_id", "episode", "PARAMCD"]
    base = long.loc[is_base].set_index(keys)["AVAL"]
    long["BASE"] = pd.MultiIndex.from_frame(long[keys]).map(base.to_dict().get).astype(float)
    long.loc[long["PARAMCD"].eq("TIS"), "BASE"] = np.nan
    # ADaM: change from baseline is reported on post-baseline records only
    change = (long["AVAL"] - long["BASE"]).where(~is_base)
    order = {"baseline": 0.0} | {
        t.name: float(i) for i, t in enumerate(trial.config.timepoints, start=1)
    }
    day = (long["visit_date"] - long["first_infusion"]).dt.days
    frame = pd.DataFrame(
        {
            "STUDYID": study_id(trial),
            "USUBJID": usubjid(trial, long["patient_id"]),
            "BASETYPE": _basetype(long["episode"]),
            "PARAMCD": long["PARAMCD"],
            "PARAM": long["PARAM"],
            "PARAMN": long["PARAMN"],
            "AVISIT": long["timepoint"].fillna("unscheduled").astype(str).str.upper(),
            "AVISITN": long["timepoint"].map(order).astype("float64"),
            "ADT": sas_date(long["visit_date"]),
            # ADaM relative day: the first infusion is day 1, the day before is -1
            "ADY": np.where(day >= 0, day + 1, day).astype("float64"),
            "AVAL": long["AVAL"],
            "AVALU": long["AVALU"],
            "BASE": long["BASE"],
            "CHG": change,
            "PCHG": (change / long["BASE"] * 100).where(long["BASE"].ne(0)),
            "ABLFL": is_base.map({True: "Y", False: ""}),
        }
    )
    frame = frame.join(_criteria(long, trial.config.population))
    treatments = _treatments(trial)
    frame.insert(2, "TRTP", frame["USUBJID"].map(treatments["TRTP"]))
    frame.insert(3, "TRTA", frame["USUBJID"].map(treatments["TRTA"]))
    frame = frame.sort_values(["USUBJID", "BASETYPE", "PARAMN", "AVISITN", "ADT"], kind="mergesort")
    return _dataset(
        "ADEFF",
        "Efficacy Analysis Dataset",
        frame,
        ("STUDYID", "USUBJID", "BASETYPE", "PARAMCD", "AVISITN", "ADT"),
    )


def _basetype(episode: pd.Series) -> pd.Series:
    """``COURSE n`` for course n's own baseline; ``STUDY ENTRY`` for the entry view."""
    number = episode.astype(int)
    return ("COURSE " + number.astype(str)).where(number != ENTRY_EPISODE, "STUDY ENTRY")


def _criteria(long: pd.DataFrame, population: str) -> pd.DataFrame:
    """CRIT1-3 (minimal, moderate, major improvement), evaluated on TIS rows only."""
    tis = long["PARAMCD"].eq("TIS")
    columns: dict[str, pd.Series] = {}
    for number, (level, threshold) in enumerate(
        zip(CRITERIA, TIS_THRESHOLDS[population], strict=True), start=1
    ):
        text = f"TIS >= {threshold:g} ({level} improvement, {population})"
        columns[f"CRIT{number}"] = pd.Series(np.where(tis, text, ""), index=long.index)
        met = long["AVAL"] >= threshold
        columns[f"CRIT{number}FL"] = pd.Series(
            np.where(tis, np.where(met, "Y", "N"), ""), index=long.index
        )
    return pd.DataFrame(columns)


def adtte(trial: TrialData, result: AnalysisResult) -> Dataset:
    """Time from first response to relapse (censored at the end of the episode)."""
    first = (
        result.episodes.dropna(subset=["response_date"])
        .sort_values(["patient_id", "episode"])
        .drop_duplicates("patient_id")
    )
    # As the analysis: a relapse dated before the response is left out.
    first = first.loc[~(first["relapse_date"] < first["response_date"])]
    event = first["relapse_date"].notna()
    stop = first["relapse_date"].where(event, first["end_date"])
    frame = pd.DataFrame(
        {
            "STUDYID": study_id(trial),
            "USUBJID": usubjid(trial, first["patient_id"]),
            "PARAMCD": "TTRELAPS",
            "PARAM": "Days from First Response to Relapse",
            "BASETYPE": _basetype(first["episode"]),
            "STARTDT": sas_date(first["response_date"]),
            "ADT": sas_date(stop),
            "AVAL": (stop - first["response_date"]).dt.days.astype("float64"),
            "CNSR": (~event).astype("float64"),
            "EVNTDESC": np.where(event, "RELAPSE", "END OF EPISODE FOLLOW-UP"),
        }
    )
    treatments = _treatments(trial)
    frame.insert(2, "TRTP", frame["USUBJID"].map(treatments["TRTP"]))
    frame.insert(3, "TRTA", frame["USUBJID"].map(treatments["TRTA"]))
    return _dataset(
        "ADTTE", "Time-to-Event Analysis Dataset", frame, ("STUDYID", "USUBJID", "PARAMCD")
    )


def adam_datasets(trial: TrialData, result: AnalysisResult) -> list[Dataset]:
    """ADSL, ADEFF and ADTTE for ``trial`` and its analysis ``result`` (those with rows)."""
    datasets = [adsl(trial, result), adeff(trial, result), adtte(trial, result)]
    return [d for d in datasets if len(d.frame)]
