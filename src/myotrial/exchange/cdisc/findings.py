"""SDTM findings domains (SDTMIG 3.4): LB (muscle enzymes), QS (core set measures),
VS (weight), RE (pulmonary function) and FA (HRCT extent, skin ulcers).

LB keeps each enzyme as entered (``LBORRES``/``LBORRESU``, ``LBORNRHI`` from the row's
``<enzyme>_uln`` or the trial's ``[uln]``) and in standard units (U/L; µkat/L × 60).
QS carries the IMACS core set measures other than enzymes: physician, patient and
extramuscular global activity (VAS, standard unit cm), MMT-8 and HAQ-DI. There is no
CDISC QRS supplement for MMT-8, the MDAAT extramuscular VAS or these global VAS, so
their QSCAT/QSTESTCD are sponsor-defined (docs/exchange.md).

RE carries FVC and DLCO in % predicted (the respiratory findings domain). The HRCT extent
score and the count of active skin ulcers are findings about two manifestations the
trial records as conditions (interstitial lung disease in MH, skin ulcers): SDTMIG 3.4
§6.4 puts findings about an event or condition that belong to no body-system domain in
FA, with FAOBJ naming the condition. Every findings record carries --BLFL on the visit
the analysis takes as baseline (:func:`~myotrial.exchange.cdisc.common.baseline_dates`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from myotrial.domain import ENZYMES, Scale, table
from myotrial.exchange.cdisc.common import (
    Dataset,
    baseline_dates,
    iso_date,
    sequence,
    study_day,
    study_id,
    usubjid,
    visit_numbers,
)
from myotrial.exchange.cdisc.metadata import labels
from myotrial.exchange.loinc import lab_loinc
from myotrial.exchange.text import format_numbers
from myotrial.measures import canonical_visits
from myotrial.measures.scales import ENZYME_STANDARD_UNIT, VAS_STANDARD_UNIT
from myotrial.trialdata import TrialData

# CDISC CT LBTESTCD (C65047) / LBTEST (C67154)
LAB_TESTS: dict[str, tuple[str, str]] = {
    "ck": ("CK", "Creatine Kinase"),
    "ck_mb": ("CKMB", "Creatine Kinase MB"),
    "aldolase": ("ALDOLASE", "Aldolase"),
    "ldh": ("LDH", "Lactate Dehydrogenase"),
    "ast": ("AST", "Aspartate Aminotransferase"),
    "alt": ("ALT", "Alanine Aminotransferase"),
}


@dataclass(frozen=True)
class Question:
    """One QS test: visit column, short name, name and category (sponsor-defined)."""

    column: str
    testcd: str
    test: str
    category: str

    @property
    def vas(self) -> bool:
        """The visit column is a visual analogue scale (entered in cm or mm)."""
        column = table("visits").column(self.column)
        return column is not None and column.scale == Scale.VAS


QUESTIONS: tuple[Question, ...] = (
    Question("phga", "PHGA", "Physician Global Activity VAS", "IMACS CORE SET"),
    Question("ptga", "PTGA", "Patient Global Activity VAS", "IMACS CORE SET"),
    Question("extramuscular", "EXTRAGLB", "Extramuscular Global Activity VAS", "IMACS CORE SET"),
    Question("mmt8", "MMT8TOT", "MMT-8 Total Score", "MMT-8"),
    Question("haq", "HAQDI", "HAQ Disability Index", "HAQ-DI"),
    Question("cdasi_activity", "CDASIACT", "CDASI Activity Score", "CDASI"),
)


@dataclass(frozen=True)
class Finding:
    """One test of RE or FA: visit column, code, name, unit and the object (FAOBJ)."""

    column: str
    testcd: str
    test: str
    unit: str
    obj: str = ""


RESPIRATORY: tuple[Finding, ...] = (
    Finding("fvc_pct", "FVCPP", "Forced Vital Capacity % Predicted", "%"),
    Finding("dlco_pct", "DLCOPP", "DLCO % Predicted", "%"),
)
ABOUT: tuple[Finding, ...] = (
    Finding("hrct_score", "HRCTSCR", "HRCT Extent Score", "", "INTERSTITIAL LUNG DISEASE"),
    Finding("ulcers", "ULCERCNT", "Number of Active Skin Ulcers", "", "SKIN ULCER"),
)


def _baseline_flag(trial: TrialData, visits: pd.DataFrame) -> pd.Series:
    """--BLFL: Y on the patient's baseline visit (the analysis' baseline window)."""
    base = visits["patient_id"].map(baseline_dates(trial))
    return pd.Series(
        np.where(pd.to_datetime(visits["visit_date"]).eq(base), "Y", ""), index=visits.index
    )


def _head(
    trial: TrialData, domain: str, visits: pd.DataFrame, numbers: pd.DataFrame
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "STUDYID": study_id(trial),
            "DOMAIN": domain,
            "USUBJID": usubjid(trial, visits["patient_id"]),
        },
        index=visits.index,
    ).join(numbers)


def lb(trial: TrialData) -> Dataset:
    """Laboratory results: one row per visit and enzyme measured."""
    canon = canonical_visits(trial.visits, trial.config)
    numbers = visit_numbers(trial)
    loinc = lab_loinc()
    parts = []
    for enzyme in (e for e in ENZYMES if e in trial.visits.columns):
        given = trial.visits[enzyme].notna()
        v, c = trial.visits.loc[given], canon.loc[given]
        uln = v.get(f"{enzyme}_uln", pd.Series(np.nan, index=v.index)).astype("float64")
        uln = uln.fillna(trial.config.uln.get(enzyme, np.nan))
        high = c[enzyme] > c[f"{enzyme}_uln"]
        nrind = np.where(c[f"{enzyme}_uln"].isna(), "", np.where(high, "HIGH", "NORMAL"))
        testcd, test = LAB_TESTS[enzyme]
        parts.append(
            _head(trial, "LB", v, numbers.loc[given]).assign(
                LBTESTCD=testcd,
                LBTEST=test,
                LBCAT="CHEMISTRY",
                LBLOINC=loinc[enzyme][0],
                LBORRES=format_numbers(v[enzyme]),
                LBORRESU=trial.config.unit(enzyme),
                # the trial records the upper limit of normal only (criteria use xULN)
                LBORNRLO="",
                LBORNRHI=format_numbers(uln),
                LBSTRESC=format_numbers(c[enzyme]),
                LBSTRESN=c[enzyme].astype("float64"),
                LBSTRESU=ENZYME_STANDARD_UNIT,
                LBSTNRLO=np.nan,
                LBSTNRHI=c[f"{enzyme}_uln"].astype("float64"),
                LBNRIND=nrind,
                LBBLFL=_baseline_flag(trial, v),
                LBDTC=iso_date(v["visit_date"]),
                LBDY=study_day(v["visit_date"], v["patient_id"], trial),
            )
        )
    return _stack(
        trial,
        "LB",
        "Laboratory Test Results",
        parts,
        ("STUDYID", "USUBJID", "LBTESTCD", "VISITNUM"),
    )


def qs(trial: TrialData) -> Dataset:
    """Core set measures: one row per visit and measure recorded (or derived)."""
    canon = canonical_visits(trial.visits, trial.config)
    numbers = visit_numbers(trial)
    parts = []
    for q in (q for q in QUESTIONS if q.column in canon.columns):
        given = canon[q.column].notna()
        v, c = trial.visits.loc[given], canon.loc[given]
        # MMT-8 and HAQ-DI may be derived from grades/categories: the derived total is
        # the finding, so original and standard results are the same number.
        original = v[q.column] if q.vas else c[q.column]
        parts.append(
            _head(trial, "QS", v, numbers.loc[given]).assign(
                QSTESTCD=q.testcd,
                QSTEST=q.test,
                QSCAT=q.category,
                QSORRES=format_numbers(original),
                QSORRESU=trial.config.vas_unit if q.vas else "",
                QSSTRESC=format_numbers(c[q.column]),
                QSSTRESN=c[q.column].astype("float64"),
                QSSTRESU=VAS_STANDARD_UNIT if q.vas else "",
                QSBLFL=_baseline_flag(trial, v),
                QSDTC=iso_date(v["visit_date"]),
                QSDY=study_day(v["visit_date"], v["patient_id"], trial),
            )
        )
    return _stack(
        trial,
        "QS",
        "Questionnaires",
        parts,
        ("STUDYID", "USUBJID", "QSCAT", "QSTESTCD", "VISITNUM"),
    )


def _stack(
    trial: TrialData, domain: str, label: str, parts: list[pd.DataFrame], keys: tuple[str, ...]
) -> Dataset:
    if parts:
        frame = pd.concat(parts).sort_values(["USUBJID", f"{domain}DTC"], kind="mergesort")
    else:
        frame = pd.DataFrame(columns=["STUDYID", "DOMAIN", "USUBJID"])
    frame.insert(3, f"{domain}SEQ", sequence(frame) if len(frame) else [])
    frame = frame.reset_index(drop=True)
    return Dataset(domain, label, frame, labels(domain, list(frame.columns)), keys)


def _tests(trial: TrialData, domain: str, label: str, tests: tuple[Finding, ...]) -> Dataset:
    """One row per visit and test recorded, result as entered (no unit conversion)."""
    numbers = visit_numbers(trial)
    parts = []
    for t in (t for t in tests if t.column in trial.visits.columns):
        given = trial.visits[t.column].notna()
        v = trial.visits.loc[given]
        values = pd.to_numeric(v[t.column]).astype("float64")
        about: dict[str, object] = {f"{domain}OBJ": t.obj} if t.obj else {}
        columns: dict[str, Any] = {
            f"{domain}TESTCD": t.testcd,
            f"{domain}TEST": t.test,
            **about,
            f"{domain}ORRES": format_numbers(values),
            f"{domain}ORRESU": t.unit,
            f"{domain}STRESC": format_numbers(values),
            f"{domain}STRESN": values,
            f"{domain}STRESU": t.unit,
            f"{domain}BLFL": _baseline_flag(trial, v),
            f"{domain}DTC": iso_date(v["visit_date"]),
            f"{domain}DY": study_day(v["visit_date"], v["patient_id"], trial),
        }
        parts.append(_head(trial, domain, v, numbers.loc[given]).assign(**columns))
    keys = ("STUDYID", "USUBJID", f"{domain}TESTCD", "VISITNUM")
    return _stack(trial, domain, label, parts, keys)


def re(trial: TrialData) -> Dataset:
    """Respiratory findings: FVC and DLCO (% predicted) at each visit measured."""
    return _tests(trial, "RE", "Respiratory System Findings", RESPIRATORY)


def fa(trial: TrialData) -> Dataset:
    """Findings about: HRCT extent of the lung disease and active skin ulcers."""
    return _tests(trial, "FA", "Findings About Events or Interventions", ABOUT)


def vs(trial: TrialData) -> Dataset:
    """Vital signs: body weight at enrolment (and height when the trial records
    ``height_cm``), dated on the enrolment date."""
    p = trial.patients
    measures = (("weight_kg", "WEIGHT", "Weight", "kg"), ("height_cm", "HEIGHT", "Height", "cm"))
    parts = []
    for column, testcd, test, unit in (m for m in measures if m[0] in p.columns):
        given = p.loc[p[column].notna()]
        values = pd.to_numeric(given[column]).astype("float64")
        parts.append(
            pd.DataFrame(
                {
                    "STUDYID": study_id(trial),
                    "DOMAIN": "VS",
                    "USUBJID": usubjid(trial, given["patient_id"]),
                },
                index=given.index,
            ).assign(
                VSTESTCD=testcd,
                VSTEST=test,
                VSORRES=format_numbers(values),
                VSORRESU=unit,
                VSSTRESC=format_numbers(values),
                VSSTRESN=values,
                VSSTRESU=unit,
                VSDTC=iso_date(given["enrolment_date"]),
                VSDY=study_day(given["enrolment_date"], given["patient_id"], trial),
            )
        )
    return _stack(trial, "VS", "Vital Signs", parts, ("STUDYID", "USUBJID", "VSTESTCD", "VSDTC"))


def sdtm_datasets(trial: TrialData) -> list[Dataset]:
    """Every SDTM dataset myotrial writes, in submission order, those with rows only.

    Raises
    ------
    ConfigError
        When a ``[cdisc]`` setting that a Required value needs is missing.
    """
    from myotrial.exchange.cdisc import sdtm
    from myotrial.exchange.cdisc.summary import ts

    demographics = sdtm.dm(trial)
    exposure = sdtm.ex(trial)
    events = sdtm.ae(trial)
    history = sdtm.mh(trial)
    datasets = [
        ts(trial),
        demographics,
        sdtm.suppdm(trial, demographics),
        sdtm.sv(trial),
        sdtm.ds(trial),
        exposure,
        sdtm.suppex(trial, exposure),
        sdtm.cm(trial),
        events,
        sdtm.suppae(trial, events),
        sdtm.ce(trial),
        history,
        sdtm.suppmh(trial, history),
        lb(trial),
        qs(trial),
        vs(trial),
        re(trial),
        fa(trial),
    ]
    # A dataset without rows is not written (SDTMIG 3.4: submit only the datasets
    # that hold data; an empty transport file also fails common readers).
    return [d for d in datasets if len(d.frame)]
