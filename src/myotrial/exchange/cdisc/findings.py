"""SDTM findings domains: LB (muscle enzymes) and QS (core set measures).

LB keeps each enzyme as entered (``LBORRES``/``LBORRESU``, ``LBORNRHI`` from the row's
``<enzyme>_uln`` or the trial's ``[uln]``) and in standard units (U/L; µkat/L × 60).
QS carries the IMACS core set measures other than enzymes: physician, patient and
extramuscular global activity (VAS, standard unit cm), MMT-8 and HAQ-DI. There is no
CDISC QRS supplement for MMT-8, the MDAAT extramuscular VAS or these global VAS, so
their QSCAT/QSTESTCD are sponsor-defined (docs/exchange.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from myotrial.domain import ENZYMES, Scale, table
from myotrial.exchange.cdisc.common import (
    Dataset,
    iso_date,
    sequence,
    study_day,
    study_id,
    usubjid,
    visit_numbers,
)
from myotrial.exchange.cdisc.labels import SDTM
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
                LBORNRHI=format_numbers(uln),
                LBSTRESC=format_numbers(c[enzyme]),
                LBSTRESN=c[enzyme].astype("float64"),
                LBSTRESU=ENZYME_STANDARD_UNIT,
                LBSTNRHI=c[f"{enzyme}_uln"].astype("float64"),
                LBNRIND=nrind,
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
    return Dataset(domain, label, frame, {c: SDTM[c] for c in frame.columns}, keys)


def sdtm_datasets(trial: TrialData) -> list[Dataset]:
    """Every SDTM dataset myotrial writes, in submission order."""
    from myotrial.exchange.cdisc import sdtm

    demographics = sdtm.dm(trial)
    exposure = sdtm.ex(trial)
    return [
        demographics,
        sdtm.suppdm(trial, demographics),
        sdtm.sv(trial),
        exposure,
        sdtm.suppex(trial, exposure),
        sdtm.cm(trial),
        sdtm.ae(trial),
        sdtm.ce(trial),
        lb(trial),
        qs(trial),
    ]
