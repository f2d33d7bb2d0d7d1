"""SDTM special-purpose, interventions and events domains: DM, SV, EX, CM, AE, CE, DS, MH
and their SUPP-- datasets (SDTMIG 3.4).

Controlled terminology (CDISC CT, :mod:`myotrial.exchange.cdisc.terminology`) is used
where a codelist exists; values with no CDISC codelist are sponsor-defined and listed in
docs/exchange.md (EXCAT/EXSCAT for donor and tissue, AEREL, CECAT).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from myotrial.analysis.arms import subject_populations
from myotrial.exchange.cdisc.common import (
    Dataset,
    cdisc_settings,
    iso_date,
    reference_starts,
    sequence,
    study_day,
    study_id,
    usubjid,
    visit_numbers,
)
from myotrial.exchange.cdisc.metadata import labels
from myotrial.exchange.cdisc.terminology import NOT_ASSIGNED_ARM
from myotrial.exchange.text import format_numbers
from myotrial.trialdata import TrialData

ROUTES = {
    "IV": "INTRAVENOUS",
    "INTRAVENOUS": "INTRAVENOUS",
    "IA": "INTRA-ARTERIAL",
    "SC": "SUBCUTANEOUS",
    "IM": "INTRAMUSCULAR",
}
TISSUES = {"BM": "BONE MARROW", "UC": "UMBILICAL CORD", "AT": "ADIPOSE TISSUE", "other": "OTHER"}
RELATEDNESS = {
    "not related": "NOT RELATED",
    "unlikely": "UNLIKELY RELATED",
    "possible": "POSSIBLY RELATED",
    "probable": "PROBABLY RELATED",
    "definite": "RELATED",
}
# CDISC CT codelist OUT (C66768)
OUTCOMES = {
    "recovered": "RECOVERED/RESOLVED",
    "resolved": "RECOVERED/RESOLVED",
    "recovering": "RECOVERING/RESOLVING",
    "resolving": "RECOVERING/RESOLVING",
    "not recovered": "NOT RECOVERED/NOT RESOLVED",
    "ongoing": "NOT RECOVERED/NOT RESOLVED",
    "recovered with sequelae": "RECOVERED/RESOLVED WITH SEQUELAE",
    "sequelae": "RECOVERED/RESOLVED WITH SEQUELAE",
    "fatal": "FATAL",
    "death": "FATAL",
    "unknown": "UNKNOWN",
}


DIAGNOSES = {
    "PM": "Polymyositis",
    "DM": "Dermatomyositis",
    "ADM": "Amyopathic dermatomyositis",
    "JDM": "Juvenile dermatomyositis",
    "IMNM": "Immune-mediated necrotising myopathy",
    "ASS": "Antisynthetase syndrome",
    "OM": "Overlap myositis",
    "IBM": "Inclusion body myositis",
}
# CDISC CT NCOMPLT (C66727): how a patient left the trial (events.csv type)
LEAVING = {
    "withdrawal": "WITHDRAWAL BY SUBJECT",
    "lost_to_follow_up": "LOST TO FOLLOW-UP",
    "death": "DEATH",
}
# CDISC CT UNIT (C71620) for a medication's amount; FREQ (C71113) for its interval
DOSE_UNITS = {
    "mg": "mg",
    "g": "g",
    "ug": "ug",
    "mcg": "ug",
    "µg": "ug",
    "ml": "mL",
    "iu": "IU",
    "mg/kg": "mg/kg",
    "g/kg": "g/kg",
}
INTERVALS = {"day": "QD", "d": "QD", "24h": "QD", "week": "QS", "wk": "QS", "month": "QM"}


def _dataset(name: str, label: str, frame: pd.DataFrame, keys: tuple[str, ...]) -> Dataset:
    frame = frame.reset_index(drop=True)
    return Dataset(name, label, frame, labels(name, list(frame.columns)), keys)


def _head(trial: TrialData, domain: str, patient_id: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {"STUDYID": study_id(trial), "DOMAIN": domain, "USUBJID": usubjid(trial, patient_id)},
        index=patient_id.index,
    )


def _yes(flags: pd.Series) -> pd.Series:
    """CDISC NY codelist: Y / N, empty when unknown."""
    return flags.astype("boolean").map({True: "Y", False: "N"}).fillna("").astype(object)


def _text(values: pd.Series) -> pd.Series:
    return values.where(values.notna(), "").astype(str).astype(object)


def _last_dates(trial: TrialData) -> pd.Series:
    """The last date of any record of each patient (end of participation, RFPENDTC)."""
    dated = [
        (trial.visits, "visit_date"),
        (trial.infusions, "infusion_date"),
        (trial.events, "event_date"),
        (trial.adverse_events, "onset_date"),
        (trial.adverse_events, "resolved_date"),
        (trial.medications, "start_date"),
        (trial.patients, "enrolment_date"),
    ]
    parts = [t[["patient_id", c]].rename(columns={c: "date"}) for t, c in dated if c in t.columns]
    stacked = pd.concat(parts, ignore_index=True)
    stacked["date"] = pd.to_datetime(stacked["date"])
    return stacked.groupby("patient_id")["date"].max()


def arm_code(arm: pd.Series) -> pd.Series:
    """ARMCD: the arm name in capitals, letters and digits only, at most 20 characters."""
    return arm.str.upper().str.replace(r"[^A-Z0-9]", "", regex=True).str[:20]


def dm(trial: TrialData) -> Dataset:
    """Demographics: one row per patient, reference dates from the infusions.

    ARM is the allocated arm; ACTARM the arm of the treatment received as the analysis'
    safety population takes it (docs/analysis.md). A patient allocated to the cell
    therapy who received none has ACTARMCD/ACTARM null and ARMNRS ``ASSIGNED, NOT
    TREATED`` (SDTMIG 3.4 §5.2, DM), not the SDTMIG 3.2 code ``NOTTRT``.

    Raises
    ------
    ConfigError
        When ``[cdisc] country`` is not set (COUNTRY is Required).
    """
    settings = cdisc_settings(trial)
    settings.require("country")
    p = trial.patients
    infused = trial.infusions.groupby("patient_id")["infusion_date"]
    last_seen = (
        pd.concat(
            [
                trial.visits[["patient_id", "visit_date"]].rename(columns={"visit_date": "date"}),
                trial.infusions[["patient_id", "infusion_date"]].rename(
                    columns={"infusion_date": "date"}
                ),
            ]
        )
        .groupby("patient_id")["date"]
        .max()
    )
    deaths = (
        trial.events.loc[trial.events["type"].eq("death")].groupby("patient_id")["event_date"].min()
    )
    populations = subject_populations(trial).set_index("patient_id")
    arm = p["patient_id"].map(populations["arm"]).astype(str)
    received = p["patient_id"].map(populations["arm_received"])
    actual = _text(received)
    frame = _head(trial, "DM", p["patient_id"]).assign(
        SUBJID=_text(p["patient_id"]),
        RFSTDTC=iso_date(p["patient_id"].map(reference_starts(trial))),
        RFENDTC=iso_date(p["patient_id"].map(last_seen)),
        RFXSTDTC=iso_date(p["patient_id"].map(infused.min())),
        RFXENDTC=iso_date(p["patient_id"].map(infused.max())),
        RFICDTC=iso_date(p["enrolment_date"]),
        RFPENDTC=iso_date(p["patient_id"].map(_last_dates(trial))),
        DTHDTC=iso_date(p["patient_id"].map(deaths)),
        DTHFL=p["patient_id"].isin(deaths.index).map({True: "Y", False: ""}),
        SITEID=_text(p["site"]) if "site" in p else "1",
        AGE=pd.to_numeric(p["age"]).astype("float64"),
        AGEU="YEARS",
        SEX=_text(p["sex"]),
        RACE=_text(p["race"]) if "race" in p else "",
        ARMCD=arm_code(arm),
        ARM=arm,
        ACTARMCD=arm_code(actual),
        ACTARM=actual,
        ARMNRS=np.where(received.isna(), NOT_ASSIGNED_ARM, ""),
        COUNTRY=settings.country,
    )
    return _dataset("DM", "Demographics", frame, ("STUDYID", "USUBJID"))


def sv(trial: TrialData) -> Dataset:
    """Subject visits: one row per visit, numbered as in the REDCap schedule."""
    v = trial.visits
    frame = (
        _head(trial, "SV", v["patient_id"])
        .join(visit_numbers(trial))
        .assign(
            SVSTDTC=iso_date(v["visit_date"]),
            SVENDTC=iso_date(v["visit_date"]),
            SVSTDY=study_day(v["visit_date"], v["patient_id"], trial),
        )
    )
    frame = frame.sort_values(["USUBJID", "SVSTDTC"], kind="mergesort")
    return _dataset("SV", "Subject Visits", frame, ("STUDYID", "USUBJID", "VISITNUM"))


def ex(trial: TrialData) -> Dataset:
    """Exposure: one row per infusion (dose in cells/kg, lot, donor and tissue)."""
    i = trial.infusions.sort_values(["patient_id", "infusion_date"], kind="mergesort")
    route = _text(i["route"] if "route" in i else pd.Series("IV", index=i.index))
    frame = _head(trial, "EX", i["patient_id"]).assign(
        EXTRT="MESENCHYMAL STEM CELLS",
        EXCAT=_text(i.get("donor", pd.Series("allogeneic", index=i.index))).str.upper(),
        EXSCAT=_text(i["source"]).map(lambda s: TISSUES.get(s, s.upper())),
        EXDOSE=pd.to_numeric(i["cells_per_kg"]).astype("float64"),
        # UNIT (C71620) has no term for cells per kg body weight: an extended value
        EXDOSU="cells/kg",
        EXDOSFRM="SUSPENSION",
        EXDOSFRQ="ONCE",
        EXROUTE=route.replace("", "IV").map(lambda r: ROUTES.get(r.upper(), r.upper())),
        EXLOT=_text(i["lot"]) if "lot" in i else "",
        EXSTDTC=iso_date(i["infusion_date"]),
        EXENDTC=iso_date(i["infusion_date"]),
        EXSTDY=study_day(i["infusion_date"], i["patient_id"], trial),
        EXENDY=study_day(i["infusion_date"], i["patient_id"], trial),
    )
    frame.insert(3, "EXSEQ", sequence(frame))
    return _dataset("EX", "Exposure", frame, ("STUDYID", "USUBJID", "EXTRT", "EXSTDTC"))


def ae(trial: TrialData) -> Dataset:
    """Adverse events, CTCAE grade in AETOXGR, infusion reactions in AECAT."""
    a = trial.adverse_events.sort_values(["patient_id", "onset_date"], kind="mergesort")
    outcome = _text(a["outcome"]).str.strip()
    frame = _head(trial, "AE", a["patient_id"]).assign(
        AETERM=_text(a["term"]),
        **_meddra(a),
        AECAT=a["infusion_reaction"]
        .astype("boolean")
        .map({True: "INFUSION REACTION", False: ""})
        .fillna("")
        .astype(object),
        AESER=_yes(a["serious"]),
        AEACN=_action_taken(trial, a),
        AEREL=_text(a["relatedness"]).map(lambda r: RELATEDNESS.get(r, r.upper())),
        AEOUT=outcome.map(lambda o: OUTCOMES.get(o.lower(), o.upper())),
        AETOXGR=format_numbers(a["grade"]),
        AESTDTC=iso_date(a["onset_date"]),
        AEENDTC=iso_date(a["resolved_date"]),
        AESTDY=study_day(a["onset_date"], a["patient_id"], trial),
        AEENDY=study_day(a["resolved_date"], a["patient_id"], trial),
    )
    frame.insert(3, "AESEQ", sequence(frame))
    return _dataset("AE", "Adverse Events", frame, ("STUDYID", "USUBJID", "AEDECOD", "AESTDTC"))


# SDTMIG 3.4 AE: the MedDRA variables and the coded column each takes, in the IG's
# order (AEBODSYS is the primary SOC, the body system analysed).
MEDDRA_VARIABLES: tuple[tuple[str, str], ...] = (
    ("AELLT", "meddra_llt"),
    ("AELLTCD", "meddra_llt_code"),
    ("AEDECOD", "meddra_pt"),
    ("AEPTCD", "meddra_pt_code"),
    ("AEHLT", "meddra_hlt"),
    ("AEHLTCD", "meddra_hlt_code"),
    ("AEHLGT", "meddra_hlgt"),
    ("AEHLGTCD", "meddra_hlgt_code"),
    ("AEBODSYS", "meddra_soc"),
    ("AEBDSYCD", "meddra_soc_code"),
    ("AESOC", "meddra_soc"),
    ("AESOCCD", "meddra_soc_code"),
)


def _meddra(events: pd.DataFrame) -> dict[str, pd.Series]:
    """The MedDRA variables of each event; null where the event is not coded (never the
    verbatim term: an uncoded term has no dictionary-derived term)."""
    out: dict[str, pd.Series] = {}
    for variable, column in MEDDRA_VARIABLES:
        values = events.get(column, pd.Series(None, index=events.index, dtype=object))
        if column.endswith("_code"):
            out[variable] = pd.to_numeric(values).astype("float64")
        else:
            out[variable] = _text(values)
    return out


def _action_taken(trial: TrialData, events: pd.DataFrame) -> pd.Series:
    """AEACN (ACN, C66767). The trial format does not collect the action taken; the cell
    product is given once per infusion, so an event that began after the patient's last
    infusion (or in a patient never infused) had no study treatment left to act on."""
    last = events["patient_id"].map(trial.infusions.groupby("patient_id")["infusion_date"].max())
    after = last.isna() | (pd.to_datetime(events["onset_date"]) > last)
    return pd.Series(np.where(after, "NOT APPLICABLE", "UNKNOWN"), index=events.index)


def _dose_units(units: pd.Series) -> pd.DataFrame:
    """Split a recorded unit into CMDOSU and CMDOSFRQ: ``mg/week`` is mg every week (QS),
    ``g/kg/month`` g/kg every month (QM); a unit without an interval keeps CMDOSFRQ empty."""
    intervals = "|".join(INTERVALS)
    parts = units.str.strip().str.extract(
        rf"^(?P<amount>.+?)(?:\s*/\s*(?P<per>{intervals}))?$", flags=re.IGNORECASE
    )
    amount = parts["amount"].fillna("").str.replace(r"\s+", "", regex=True)
    per = parts["per"].fillna("").str.lower()
    dose_unit = amount.str.lower().map(DOSE_UNITS).fillna(amount)
    frequency = per.map(INTERVALS).fillna("")
    return pd.DataFrame({"CMDOSU": dose_unit, "CMDOSFRQ": frequency}, index=units.index)


def cm(trial: TrialData) -> Dataset:
    """Concomitant medications, plus the daily glucocorticoid dose recorded at each visit."""
    m = trial.medications
    listed = _head(trial, "CM", m["patient_id"]).assign(
        CMTRT=_text(m["drug"]),
        CMCAT="",
        CMDOSE=pd.to_numeric(m["dose"]).astype("float64"),
        **_dose_units(_text(m["unit"])),
        CMSTDTC=iso_date(m["start_date"]),
        CMENDTC=iso_date(m["stop_date"]),
        CMSTDY=study_day(m["start_date"], m["patient_id"], trial),
    )
    v = trial.visits
    v = v.loc[v["prednisone_mg"].notna()] if "prednisone_mg" in v else v.iloc[:0]
    steroid = _head(trial, "CM", v["patient_id"]).assign(
        CMTRT="PREDNISONE",
        CMCAT="GLUCOCORTICOID (PREDNISONE EQUIVALENT)",
        CMDOSE=pd.to_numeric(v.get("prednisone_mg", pd.Series(dtype=float))).astype("float64"),
        CMDOSU="mg",
        CMDOSFRQ="QD",
        CMSTDTC=iso_date(v["visit_date"]),
        CMENDTC="",
        CMSTDY=study_day(v["visit_date"], v["patient_id"], trial),
    )
    frame = pd.concat([listed, steroid], ignore_index=True).sort_values(
        ["USUBJID", "CMSTDTC"], kind="mergesort"
    )
    frame.insert(3, "CMSEQ", sequence(frame))
    return _dataset(
        "CM", "Concomitant/Prior Medications", frame, ("STUDYID", "USUBJID", "CMTRT", "CMSTDTC")
    )


def ce(trial: TrialData) -> Dataset:
    """Clinical events: relapses of myositis recorded by the investigator."""
    e = trial.events.loc[trial.events["type"].eq("relapse")].sort_values(
        ["patient_id", "event_date"], kind="mergesort"
    )
    frame = _head(trial, "CE", e["patient_id"]).assign(
        CETERM="Relapse of myositis",
        CEDECOD="RELAPSE",
        CECAT="MYOSITIS DISEASE ACTIVITY",
        CEPRESP="Y",
        CEOCCUR="Y",
        CESTDTC=iso_date(e["event_date"]),
        CESTDY=study_day(e["event_date"], e["patient_id"], trial),
    )
    frame.insert(3, "CESEQ", sequence(frame))
    return _dataset("CE", "Clinical Events", frame, ("STUDYID", "USUBJID", "CEDECOD", "CESTDTC"))


def supp(
    parent: Dataset,
    source: pd.DataFrame,
    qualifiers: dict[str, tuple[str, str]],
    idvar: str | None = None,
) -> Dataset:
    """SUPP-- for ``parent``: one row per subject (and ``idvar`` record) and qualifier.

    ``qualifiers`` maps QNAM to (QLABEL, column of ``source``); ``source`` rows align
    with ``parent.frame`` rows. Empty values are left out, as SDTMIG 8.4 asks.
    """
    base = parent.frame[["STUDYID", "USUBJID"]].assign(
        RDOMAIN=parent.name,
        IDVAR=idvar or "",
        IDVARVAL=format_numbers(parent.frame[idvar]) if idvar else "",
    )
    parts = []
    for qnam, (qlabel, column) in qualifiers.items():
        if column not in source.columns:
            continue
        values = source[column].reset_index(drop=True)
        text = (
            format_numbers(values)
            if pd.api.types.is_float_dtype(values)
            else _text(values.astype(object))
        )
        parts.append(base.assign(QNAM=qnam, QLABEL=qlabel, QVAL=text, QORIG="CRF", QEVAL=""))
    frame = pd.concat(parts, ignore_index=True) if parts else base.iloc[:0]
    frame = frame.loc[frame["QVAL"].ne("")] if len(frame) else frame
    return _dataset(
        f"SUPP{parent.name}",
        f"Supplemental Qualifiers for {parent.name}",
        frame,
        ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"),
    )


def suppdm(trial: TrialData, demographics: Dataset) -> Dataset:
    """Diagnosis, eligibility flags, antibody and weight of each patient."""
    flags = trial.patients.copy()
    for column in ("refractory", "severe_systemic", "ild"):
        if column in flags:
            flags[column] = _yes(flags[column])
    return supp(
        demographics,
        flags,
        {
            "DIAGNOS": ("Myositis Diagnosis", "diagnosis"),
            "REFRACT": ("Refractory to Standard Treatment", "refractory"),
            "SEVSYS": ("Severe Systemic Involvement", "severe_systemic"),
            "ILD": ("Interstitial Lung Disease", "ild"),
            "ANTIBODY": ("Myositis Antibody", "antibody"),
            "WEIGHT": ("Body Weight at Enrolment (kg)", "weight_kg"),
        },
    )


def suppex(trial: TrialData, exposure: Dataset) -> Dataset:
    """Viability of each infused product and, when the trial records its lots, the
    lot's donor, passage, release and expiry dates (ISO 8601)."""
    infusions = trial.infusions.sort_values(["patient_id", "infusion_date"], kind="mergesort")
    lots = trial.lots.drop_duplicates("lot").set_index("lot")
    for column in ("donor", "passage", "released_date", "expiry_date"):
        values = infusions["lot"].map(lots[column]) if len(lots) else pd.Series(dtype=object)
        if column.endswith("_date"):
            values = pd.to_datetime(values).dt.strftime("%Y-%m-%d")
        infusions = infusions.assign(**{f"lot_{column}": values.reindex(infusions.index)})
    qualifiers = {
        "VIABPCT": ("Cell Viability (%)", "viability_pct"),
        "DONORID": ("Donor Identifier of the Lot", "lot_donor"),
        "LOTPASS": ("Culture Passage of the Lot", "lot_passage"),
        "LOTRELDT": ("Release Date of the Lot", "lot_released_date"),
        "LOTEXPDT": ("Expiry Date of the Lot", "lot_expiry_date"),
    }
    return supp(exposure, infusions, qualifiers, idvar="EXSEQ")


def suppae(trial: TrialData, events: Dataset) -> Dataset:
    """The system organ class as reported (AEBODSYS holds only the coded one)."""
    a = trial.adverse_events.sort_values(["patient_id", "onset_date"], kind="mergesort")
    return supp(events, a, {"AESOCREP": ("Reported System Organ Class", "soc")}, "AESEQ")


def ds(trial: TrialData) -> Dataset:
    """Disposition: consent and randomisation (protocol milestones), then how each
    patient left the trial: the first withdrawal, loss to follow-up or death recorded,
    else COMPLETED once the follow-up reached the last time point's window. A patient
    still in follow-up has no disposition event yet."""
    p = trial.patients
    consent = _milestone(trial, p["patient_id"], p["enrolment_date"], "INFORMED CONSENT OBTAINED")
    randomised = (
        p.loc[pd.to_datetime(p["randomisation_date"]).notna()]
        if "randomisation_date" in p
        else p.iloc[:0]
    )
    randomisation = _milestone(
        trial, randomised["patient_id"], randomised["randomisation_date"], "RANDOMIZED"
    )
    leaving = trial.events.loc[trial.events["type"].isin(list(LEAVING))]
    leaving = leaving.sort_values(["patient_id", "event_date"], kind="mergesort")
    left = leaving.drop_duplicates("patient_id")
    decod = left["type"].map(LEAVING)
    left_rows = _head(trial, "DS", left["patient_id"]).assign(
        DSTERM=_text(left["note"]).where(_text(left["note"]).ne(""), decod)
        if "note" in left
        else decod,
        DSDECOD=decod,
        DSCAT="DISPOSITION EVENT",
        DSSTDTC=iso_date(left["event_date"]),
        DSSTDY=study_day(left["event_date"], left["patient_id"], trial),
    )
    done = _completed(trial, set(left["patient_id"]))
    completed = _head(trial, "DS", done["patient_id"]).assign(
        DSTERM="COMPLETED",
        DSDECOD="COMPLETED",
        DSCAT="DISPOSITION EVENT",
        DSSTDTC=iso_date(done["date"]),
        DSSTDY=study_day(done["date"], done["patient_id"], trial),
    )
    frame = pd.concat([consent, randomisation, left_rows, completed], ignore_index=True)
    frame = frame.sort_values(["USUBJID", "DSSTDTC"], kind="mergesort")
    frame.insert(3, "DSSEQ", sequence(frame))
    return _dataset("DS", "Disposition", frame, ("STUDYID", "USUBJID", "DSDECOD", "DSSTDTC"))


def _milestone(
    trial: TrialData, patient_id: pd.Series, dates: pd.Series, decod: str
) -> pd.DataFrame:
    return _head(trial, "DS", patient_id).assign(
        DSTERM=decod,
        DSDECOD=decod,
        DSCAT="PROTOCOL MILESTONE",
        DSSTDTC=iso_date(dates),
        DSSTDY=study_day(dates, patient_id, trial),
    )


def _completed(trial: TrialData, left: set[object]) -> pd.DataFrame:
    """Patients whose last visit reached the window of the last time point (days from
    the reference start, RFSTDTC), and the date of that visit."""
    timepoints = trial.config.timepoints
    if not timepoints or trial.visits.empty:
        return pd.DataFrame(
            {"patient_id": pd.Series(dtype=object), "date": pd.Series(dtype="datetime64[ns]")}
        )
    last_point = max(timepoints, key=lambda t: t.day)
    last = trial.visits.groupby("patient_id")["visit_date"].max()
    start = pd.to_datetime(last.index.to_series().map(reference_starts(trial)).to_numpy())
    days = (pd.to_datetime(last.to_numpy()) - start).days
    reached = (days >= last_point.day - last_point.window) & ~last.index.isin(list(left))
    done = last.loc[reached]
    return pd.DataFrame({"patient_id": done.index.astype(object), "date": done.to_numpy()})


def mh(trial: TrialData) -> Dataset:
    """Medical history: the myositis diagnosis with its onset, and interstitial lung
    disease at entry as a pre-specified condition (present or absent)."""
    p = trial.patients
    myositis = _head(trial, "MH", p["patient_id"]).assign(
        MHTERM=_text(p["diagnosis"]).map(lambda d: DIAGNOSES.get(d, d)),
        MHCAT="MYOSITIS",
        MHPRESP="",
        MHOCCUR="",
        MHSTDTC=iso_date(p["onset_date"]) if "onset_date" in p else "",
    )
    parts = [myositis]
    if "ild" in p:
        known = p.loc[p["ild"].notna()]
        parts.append(
            _head(trial, "MH", known["patient_id"]).assign(
                MHTERM="Interstitial lung disease",
                MHCAT="MYOSITIS ORGAN INVOLVEMENT",
                MHPRESP="Y",
                MHOCCUR=_yes(known["ild"]),
                MHSTDTC="",
            )
        )
    frame = pd.concat(parts, ignore_index=True).sort_values(["USUBJID", "MHCAT"], kind="mergesort")
    frame.insert(3, "MHSEQ", sequence(frame))
    return _dataset("MH", "Medical History", frame, ("STUDYID", "USUBJID", "MHCAT", "MHTERM"))


def suppmh(trial: TrialData, history: Dataset) -> Dataset:
    """The date of diagnosis of the myositis (MHSTDTC holds the onset)."""
    frame = history.frame
    is_myositis = frame["MHCAT"].eq("MYOSITIS")
    by_subject = pd.Series(
        iso_date(trial.patients["diagnosis_date"]).to_numpy()
        if "diagnosis_date" in trial.patients
        else "",
        index=usubjid(trial, trial.patients["patient_id"]).to_numpy(),
    )
    source = pd.DataFrame({"diagnosis_date": frame["USUBJID"].map(by_subject).where(is_myositis)})
    return supp(history, source, {"MHDIAGDT": ("Date of Diagnosis", "diagnosis_date")}, "MHSEQ")
