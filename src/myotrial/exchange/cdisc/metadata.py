"""The one description of every CDISC dataset and variable myotrial writes.

The dataset builders take their labels, the order of the keys and the class of each
dataset from here; ``define.xml`` is written from it and the conformance check reads its
core (Req/Exp/Perm) and codelists, so the three cannot drift apart. Core, role and origin
follow SDTMIG 3.4 and ADaMIG 1.3 (docs/exchange.md); a builder that writes a variable not
described here fails (:func:`variable` raises), so no undocumented column leaves myotrial.

A variable is looked up by dataset, then by its generic name: ``AESEQ`` is ``--SEQ`` in
AE, so the shared timing and sequence variables are described once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from myotrial.exchange.cdisc.labels import ADAM, SDTM

DEFINE_NAME = "define.xml"
"""The Define-XML 2.1 file written beside the datasets (Dataset-JSON ``metaDataRef``)."""

Core = Literal["Req", "Exp", "Perm", "Cond"]
Origin = Literal["Collected", "Derived", "Assigned", "Protocol", "Predecessor"]
SDTMIG_VERSION = "3.4"
SDTM_VERSION = "2.0"
ADAMIG_VERSION = "1.3"
DEFINE_VERSION = "2.1.0"


@dataclass(frozen=True)
class Variable:
    """One variable: core, origin, codelist (short name), method of a derived value."""

    core: Core = "Perm"
    origin: Origin = "Derived"
    codelist: str | None = None
    method: str = ""
    role: str = ""


@dataclass(frozen=True)
class DatasetClass:
    """What define.xml says of a dataset: class, structure, purpose, SUPP parent."""

    klass: str
    structure: str
    purpose: str = "Tabulation"
    subclass: str = ""


def _v(
    core: Core = "Perm", origin: Origin = "Derived", codelist: str | None = None, method: str = ""
) -> Variable:
    return Variable(core, origin, codelist, method)


STUDY_DAY = (
    "Study day of the date against DM.RFSTDTC: date - RFSTDTC + 1 on or after RFSTDTC, "
    "date - RFSTDTC before it (no day 0; SDTMIG 3.4 section 4.4.4)"
)
SEQ = "1, 2 ... within USUBJID in the dataset's date order"
BASELINE = (
    "Y on the last record of each test on or before the first infusion, within the "
    "analysis baseline window (30 days; docs/measures.md section 5)"
)

# Shared by every dataset of a standard, then the generic (--) variables.
COMMON: dict[str, Variable] = {
    "STUDYID": _v("Req", "Assigned"),
    "DOMAIN": _v("Req", "Assigned", "DOMAIN"),
    "USUBJID": _v("Req", "Derived", method="STUDYID-patient_id"),
    "SUBJID": _v("Req", "Collected"),
    "SITEID": _v("Req", "Collected"),
    "VISITNUM": _v(
        "Exp",
        "Derived",
        method="Scheduled visits 1, 2 ... in schedule order, "
        "re-treatment from 101, unscheduled 900 + n (docs/exchange.md)",
    ),
    "VISIT": _v("Perm", "Derived"),
    "EPOCH": _v("Perm", "Derived", "EPOCH"),
    "--SEQ": _v("Req", "Derived", method=SEQ),
    "--DTC": _v("Exp", "Collected", "ISO8601"),
    "--STDTC": _v("Exp", "Collected", "ISO8601"),
    "--ENDTC": _v("Exp", "Collected", "ISO8601"),
    "--DY": _v("Perm", "Derived", method=STUDY_DAY),
    "--STDY": _v("Perm", "Derived", method=STUDY_DAY),
    "--ENDY": _v("Perm", "Derived", method=STUDY_DAY),
    "--TESTCD": _v("Req", "Assigned"),
    "--TEST": _v("Req", "Assigned"),
    "--CAT": _v("Perm", "Assigned"),
    "--ORRES": _v("Exp", "Collected"),
    "--ORRESU": _v("Exp", "Collected", "UNIT"),
    "--STRESC": _v("Exp", "Derived", method="--ORRES in the standard unit, as text"),
    "--STRESN": _v("Exp", "Derived", method="--STRESC as a number"),
    "--STRESU": _v("Exp", "Assigned", "UNIT"),
    "--BLFL": _v("Exp", "Derived", "NY", BASELINE),
    "--LOBXFL": _v("Exp", "Derived", "NY", BASELINE),
    "--METHOD": _v("Perm", "Assigned"),
}

SDTM_VARIABLES: dict[str, dict[str, Variable]] = {
    "DM": {
        "RFSTDTC": _v("Exp", "Derived", "ISO8601", "First infusion, else enrolment"),
        "RFENDTC": _v("Exp", "Derived", "ISO8601", "Last visit or infusion"),
        "RFXSTDTC": _v("Exp", "Derived", "ISO8601", "First infusion (EX.EXSTDTC)"),
        "RFXENDTC": _v("Exp", "Derived", "ISO8601", "Last infusion (EX.EXENDTC)"),
        "RFICDTC": _v("Exp", "Collected", "ISO8601"),
        "RFPENDTC": _v("Exp", "Derived", "ISO8601", "Last date of any record of the patient"),
        "DTHDTC": _v("Exp", "Collected", "ISO8601"),
        "DTHFL": _v("Exp", "Derived", "NY", "Y when a death event is recorded"),
        "AGE": _v("Exp", "Collected"),
        "AGEU": _v("Exp", "Assigned", "AGEU"),
        "SEX": _v("Req", "Collected", "SEX"),
        "RACE": _v("Exp", "Collected", "RACE"),
        "ARMCD": _v("Exp", "Assigned"),
        "ARM": _v("Exp", "Collected"),
        "ACTARMCD": _v(
            "Exp",
            "Derived",
            method="Arm of the treatment received (safety "
            "population, docs/analysis.md); null with ARMNRS when none",
        ),
        "ACTARM": _v("Exp", "Derived"),
        "ARMNRS": _v(
            "Exp",
            "Derived",
            "ARMNULRS",
            "ASSIGNED, NOT TREATED when the allocated cell therapy was not given",
        ),
        "COUNTRY": _v("Req", "Protocol", "COUNTRY"),
    },
    "SV": {
        "SVSTDTC": _v("Exp", "Collected", "ISO8601"),
        "SVENDTC": _v("Exp", "Collected", "ISO8601"),
    },
    "EX": {
        "EXTRT": _v("Req", "Protocol"),
        "EXCAT": _v("Perm", "Collected", "EXCAT"),
        "EXSCAT": _v("Perm", "Collected", "EXSCAT"),
        "EXDOSE": _v("Exp", "Collected"),
        "EXDOSU": _v("Exp", "Protocol", "UNIT"),
        "EXDOSFRM": _v("Exp", "Protocol", "FRM"),
        "EXDOSFRQ": _v("Perm", "Protocol", "FREQ"),
        "EXROUTE": _v("Perm", "Collected", "ROUTE"),
        "EXLOT": _v("Perm", "Collected"),
    },
    "CM": {
        "CMTRT": _v("Req", "Collected"),
        "CMDOSE": _v("Perm", "Collected"),
        "CMDOSU": _v(
            "Perm", "Derived", "UNIT", "The amount unit of the recorded unit (mg/week: mg)"
        ),
        "CMDOSFRQ": _v(
            "Perm",
            "Derived",
            "FREQ",
            "The interval of the recorded unit (mg/week: QS, mg/day: QD, mg/month: QM)",
        ),
    },
    "AE": {
        "AETERM": _v("Req", "Collected"),
        "AELLT": _v("Exp", "Assigned", "MEDDRA"),
        "AELLTCD": _v("Exp", "Assigned", "MEDDRA"),
        "AEDECOD": _v("Req", "Assigned", "MEDDRA"),
        "AEPTCD": _v("Exp", "Assigned", "MEDDRA"),
        "AEHLT": _v("Exp", "Assigned", "MEDDRA"),
        "AEHLTCD": _v("Exp", "Assigned", "MEDDRA"),
        "AEHLGT": _v("Exp", "Assigned", "MEDDRA"),
        "AEHLGTCD": _v("Exp", "Assigned", "MEDDRA"),
        "AEBODSYS": _v("Exp", "Assigned", "MEDDRA"),
        "AEBDSYCD": _v("Exp", "Assigned", "MEDDRA"),
        "AESOC": _v("Exp", "Assigned", "MEDDRA"),
        "AESOCCD": _v("Exp", "Assigned", "MEDDRA"),
        "AESER": _v("Exp", "Collected", "NY"),
        "AEACN": _v(
            "Exp",
            "Derived",
            "ACN",
            "NOT APPLICABLE when the event began after "
            "the patient's last infusion (a single-administration product) or the "
            "patient was never infused; UNKNOWN otherwise (not collected)",
        ),
        "AEREL": _v("Exp", "Collected", "AEREL"),
        "AEOUT": _v("Perm", "Collected", "OUT"),
        "AETOXGR": _v("Perm", "Collected", "TOXGR"),
    },
    "CE": {
        "CETERM": _v("Req", "Assigned"),
        "CEDECOD": _v("Perm", "Assigned"),
        "CEPRESP": _v("Perm", "Assigned", "NY"),
        "CEOCCUR": _v("Perm", "Collected", "NY"),
    },
    "DS": {
        "DSTERM": _v("Req", "Collected"),
        "DSDECOD": _v(
            "Req",
            "Derived",
            None,
            "Trial event withdrawal, "
            "lost_to_follow_up or death; else COMPLETED when the follow-up "
            "reached the last time point",
        ),
        "DSCAT": _v("Exp", "Assigned", "DSCAT"),
    },
    "MH": {
        "MHTERM": _v("Req", "Collected"),
        "MHDECOD": _v("Perm", "Assigned", "MEDDRA"),
        "MHCAT": _v("Perm", "Assigned", "MHCAT"),
        "MHPRESP": _v("Perm", "Assigned", "NY"),
        "MHOCCUR": _v("Perm", "Collected", "NY"),
    },
    "LB": {
        "LBTESTCD": _v("Req", "Assigned", "LBTESTCD"),
        "LBTEST": _v("Req", "Assigned", "LBTEST"),
        "LBLOINC": _v("Perm", "Assigned", "LOINC"),
        "LBORNRLO": _v(
            "Exp",
            "Assigned",
            method="0 U/L: enzyme activity has no lower limit "
            "of clinical concern in these criteria",
        ),
        "LBORNRHI": _v("Exp", "Collected"),
        "LBSTNRLO": _v("Exp", "Derived"),
        "LBSTNRHI": _v("Exp", "Derived"),
        "LBNRIND": _v("Exp", "Derived", "NRIND", "HIGH above the upper limit of normal"),
    },
    "QS": {
        "QSTESTCD": _v("Req", "Assigned", "QSTESTCD"),
        "QSCAT": _v("Req", "Assigned"),
    },
    "VS": {
        "VSTESTCD": _v("Req", "Assigned", "VSTESTCD"),
        "VSTEST": _v("Req", "Assigned", "VSTEST"),
    },
    "RE": {
        "RETESTCD": _v("Req", "Assigned", "RETESTCD"),
    },
    "FA": {
        "FATESTCD": _v("Req", "Assigned", "FATESTCD"),
        "FAOBJ": _v("Req", "Assigned"),
    },
    "TS": {
        "TSPARMCD": _v("Req", "Assigned", "TSPARMCD"),
        "TSPARM": _v("Req", "Assigned"),
        "TSVAL": _v("Exp", "Protocol"),
        "TSVALNF": _v("Perm", "Assigned"),
        "TSVALCD": _v("Exp", "Assigned"),
        "TSVCDREF": _v("Exp", "Assigned"),
        "TSVCDVER": _v("Exp", "Assigned"),
    },
    "SUPP": {
        "RDOMAIN": _v("Req", "Assigned", "DOMAIN"),
        "IDVAR": _v("Exp", "Assigned"),
        "IDVARVAL": _v("Exp", "Assigned"),
        "QNAM": _v("Req", "Assigned"),
        "QLABEL": _v("Req", "Assigned"),
        "QVAL": _v("Req", "Collected"),
        "QORIG": _v("Req", "Assigned"),
        "QEVAL": _v("Exp", "Assigned"),
    },
}

SDTM_CLASSES: dict[str, DatasetClass] = {
    "TS": DatasetClass("TRIAL DESIGN", "One record per trial summary parameter value"),
    "DM": DatasetClass("SPECIAL PURPOSE", "One record per subject"),
    "SV": DatasetClass("SPECIAL PURPOSE", "One record per subject per actual visit"),
    "EX": DatasetClass("INTERVENTIONS", "One record per administration per subject"),
    "CM": DatasetClass("INTERVENTIONS", "One record per recorded medication per subject"),
    "AE": DatasetClass("EVENTS", "One record per adverse event per subject"),
    "CE": DatasetClass("EVENTS", "One record per event per subject"),
    "DS": DatasetClass("EVENTS", "One record per disposition status per subject"),
    "MH": DatasetClass("EVENTS", "One record per medical history event per subject"),
    "LB": DatasetClass("FINDINGS", "One record per lab test per visit per subject"),
    "QS": DatasetClass("FINDINGS", "One record per question per visit per subject"),
    "VS": DatasetClass("FINDINGS", "One record per vital sign measurement per subject"),
    "RE": DatasetClass("FINDINGS", "One record per test per visit per subject"),
    "FA": DatasetClass("FINDINGS", "One record per finding about an event per visit per subject"),
    "SUPP": DatasetClass("RELATIONSHIP", "One record per supplemental qualifier per record"),
}

ADAM_VARIABLES: dict[str, dict[str, Variable]] = {
    "ADSL": {
        "SUBJID": _v("Req", "Predecessor", method="DM.SUBJID"),
        "SITEID": _v("Req", "Predecessor", method="DM.SITEID"),
        "AGE": _v("Req", "Predecessor", method="DM.AGE"),
        "AGEU": _v("Req", "Predecessor", "AGEU", "DM.AGEU"),
        "SEX": _v("Req", "Predecessor", "SEX", "DM.SEX"),
        "RACE": _v("Req", "Predecessor", "RACE", "DM.RACE"),
        "ARM": _v("Req", "Predecessor", method="DM.ARM"),
        "ACTARM": _v("Req", "Predecessor", method="DM.ACTARM"),
        "TRT01P": _v("Req", "Derived", method="Allocated arm (DM.ARM)"),
        "TRT01A": _v(
            "Cond",
            "Derived",
            method="Arm of the treatment received (safety "
            "population, docs/analysis.md); null when none",
        ),
        "TRTSDT": _v("Cond", "Derived", method="First infusion"),
        "TRTEDT": _v("Cond", "Derived", method="Last infusion"),
        "DIAGNOS": _v("Perm", "Predecessor", method="SUPPDM.QVAL where QNAM = DIAGNOS"),
        "NCOURSE": _v("Perm", "Derived", method="Number of treatment courses of the analysis"),
        "ITTFL": _v("Cond", "Derived", "NY", "The analysis' intention-to-treat population"),
        "SAFFL": _v("Cond", "Derived", "NY", "The analysis' safety population"),
        "PPROTFL": _v("Cond", "Derived", "NY", "The analysis' per-protocol population"),
        "EFFFL": _v("Cond", "Derived", "NY", "At least one scored follow-up visit"),
        "DTHFL": _v("Perm", "Predecessor", "NY", "DM.DTHFL"),
    },
    "BDS": {
        "PARAMCD": _v("Req", "Assigned"),
        "PARAM": _v("Req", "Assigned"),
        "PARAMN": _v("Perm", "Assigned"),
        "BASETYPE": _v("Cond", "Assigned"),
        "TRTP": _v("Req", "Predecessor", method="ADSL.TRT01P"),
        "TRTA": _v("Cond", "Predecessor", method="ADSL.TRT01A"),
        "AVISIT": _v("Cond", "Derived"),
        "AVISITN": _v("Cond", "Derived"),
        "ADT": _v("Cond", "Derived"),
        "ADY": _v(
            "Perm",
            "Derived",
            method="ADT - first infusion of the episode + 1 on or "
            "after it, ADT - first infusion before it",
        ),
        "AVAL": _v("Cond", "Derived"),
        "AVALU": _v("Perm", "Assigned"),
        "BASE": _v("Cond", "Derived", method="AVAL of the ABLFL record of the episode"),
        "CHG": _v("Perm", "Derived", method="AVAL - BASE on post-baseline records"),
        "PCHG": _v("Perm", "Derived", method="CHG / BASE x 100"),
        "ABLFL": _v("Cond", "Derived", "NY"),
        "STARTDT": _v("Cond", "Derived", method="Date of the first response"),
        "CNSR": _v("Cond", "Derived", method="0 relapse, 1 end of the episode's follow-up"),
        "EVNTDESC": _v("Perm", "Derived"),
        "CRIT1": _v("Cond", "Assigned"),
        "CRIT1FL": _v("Cond", "Derived", "NY"),
        "CRIT2": _v("Cond", "Assigned"),
        "CRIT2FL": _v("Cond", "Derived", "NY"),
        "CRIT3": _v("Cond", "Assigned"),
        "CRIT3FL": _v("Cond", "Derived", "NY"),
    },
}

ADAM_CLASSES: dict[str, DatasetClass] = {
    "ADSL": DatasetClass("SUBJECT LEVEL ANALYSIS DATASET", "One record per subject", "Analysis"),
    "ADEFF": DatasetClass(
        "BASIC DATA STRUCTURE",
        "One record per subject per baseline type per parameter per analysis visit",
        "Analysis",
    ),
    "ADTTE": DatasetClass(
        "BASIC DATA STRUCTURE",
        "One record per subject per parameter",
        "Analysis",
        "TIME-TO-EVENT",
    ),
}


def is_adam(dataset: str) -> bool:
    """ADaM datasets are named AD..."""
    return dataset.startswith("AD")


def _group(dataset: str) -> str:
    if dataset.startswith("SUPP"):
        return "SUPP"
    if is_adam(dataset):
        return "ADSL" if dataset == "ADSL" else "BDS"
    return dataset


def dataset_class(dataset: str) -> DatasetClass:
    """Class, structure and purpose of ``dataset``."""
    if is_adam(dataset):
        return ADAM_CLASSES[dataset]
    return SDTM_CLASSES[_group(dataset)]


def variable(dataset: str, name: str) -> Variable:
    """The description of ``name`` in ``dataset``.

    Raises
    ------
    KeyError
        If the variable is described nowhere: every variable written is described.
    """
    table = (ADAM_VARIABLES if is_adam(dataset) else SDTM_VARIABLES).get(_group(dataset), {})
    if name in table:
        return table[name]
    if name in COMMON:
        return COMMON[name]
    generic = "--" + name[2:]
    if not is_adam(dataset) and name[:2] == dataset[:2] and generic in COMMON:
        return COMMON[generic]
    if is_adam(dataset) and name in ADAM_VARIABLES["ADSL"]:
        return ADAM_VARIABLES["ADSL"][name]
    raise KeyError(f"{dataset}.{name} is not described in myotrial's CDISC metadata")


def label(dataset: str, name: str) -> str:
    """The variable label (SDTMIG / ADaMIG wording, at most 40 characters)."""
    return (ADAM if is_adam(dataset) else SDTM)[name]


def labels(dataset: str, names: list[str]) -> dict[str, str]:
    """Labels of ``names``, checking each is described (:func:`variable`)."""
    for name in names:
        variable(dataset, name)
    return {n: label(dataset, n) for n in names}


# Value-level metadata: variable -> the variable whose values it depends on.
_VALUE_LEVEL: dict[str, tuple[str, str]] = {
    "--ORRES": ("--TESTCD", "findings"),
    "--STRESN": ("--TESTCD", "findings"),
    "TSVAL": ("TSPARMCD", "TS"),
    "QVAL": ("QNAM", "SUPP"),
    "AVAL": ("PARAMCD", "BDS"),
    "DSDECOD": ("DSCAT", "DS"),
}
FINDINGS = frozenset({"LB", "QS", "VS", "RE", "FA"})
VALUE_CODELISTS: dict[tuple[str, str], dict[str, str]] = {
    ("TS", "TSVAL"): {
        "TPHASE": "TPHASE",
        "TBLIND": "TBLIND",
        "TCNTRL": "TCNTRL",
        "ADAPT": "NY",
        "RANDOM": "NY",
        "HLTSUBJI": "NY",
    },
    ("SUPP", "QVAL"): {"REFRACT": "NY", "SEVSYS": "NY", "ILD": "NY"},
    ("DS", "DSDECOD"): {"DISPOSITION EVENT": "NCOMPLT", "PROTOCOL MILESTONE": "PROTMLST"},
}
"""The codelist of a value-level variable, by the value of its where variable."""


def value_level(dataset: str, name: str) -> str | None:
    """The variable whose values ``name`` is described by in ``dataset`` (value-level
    metadata), or None."""
    group = _group(dataset)
    generic = "--" + name[2:] if name[:2] == dataset[:2] else name
    for key in (name, generic):
        if key in _VALUE_LEVEL:
            where, scope = _VALUE_LEVEL[key]
            applies = (scope == "findings" and group in FINDINGS) or scope == group
            if applies:
                return dataset[:2] + where[2:] if where.startswith("--") else where
    return None


def value_codelist(dataset: str, name: str, value: str) -> str | None:
    """The codelist of ``name`` where its where variable equals ``value``."""
    return VALUE_CODELISTS.get((_group(dataset), name), {}).get(value)
