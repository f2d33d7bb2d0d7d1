"""SDTM special-purpose, interventions and events domains: DM, SV, EX, CM, AE, CE, SUPP--.

Controlled terminology (CDISC CT) is used where a codelist exists (SEX, AGEU, ROUTE,
FRM, NY, OUT, NRIND, UNIT); values with no CDISC codelist are sponsor-defined and listed
in docs/exchange.md (EXCAT/EXSCAT for donor and tissue, AEREL, CECAT).
"""

from __future__ import annotations

import pandas as pd

from myotrial.domain import TREATED_ARM
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
from myotrial.exchange.cdisc.labels import SDTM
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


def _dataset(name: str, label: str, frame: pd.DataFrame, keys: tuple[str, ...]) -> Dataset:
    return Dataset(
        name, label, frame.reset_index(drop=True), {c: SDTM[c] for c in frame.columns}, keys
    )


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


def dm(trial: TrialData) -> Dataset:
    """Demographics: one row per patient, reference dates from the infusions."""
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
    arm = _text(p["arm"] if "arm" in p else pd.Series(TREATED_ARM, index=p.index)).replace(
        "", TREATED_ARM
    )
    treated = p["patient_id"].isin(trial.infusions["patient_id"])
    frame = _head(trial, "DM", p["patient_id"]).assign(
        SUBJID=_text(p["patient_id"]),
        RFSTDTC=iso_date(p["patient_id"].map(reference_starts(trial))),
        RFENDTC=iso_date(p["patient_id"].map(last_seen)),
        RFXSTDTC=iso_date(p["patient_id"].map(infused.min())),
        RFXENDTC=iso_date(p["patient_id"].map(infused.max())),
        RFICDTC=iso_date(p["enrolment_date"]),
        DTHDTC=iso_date(p["patient_id"].map(deaths)),
        DTHFL=p["patient_id"].isin(deaths.index).map({True: "Y", False: ""}),
        SITEID=_text(p["site"]) if "site" in p else "1",
        AGE=pd.to_numeric(p["age"]).astype("float64"),
        AGEU="YEARS",
        SEX=_text(p["sex"]),
        ARMCD=arm.str.upper().str.replace(r"[^A-Z0-9]", "", regex=True).str[:20],
        ARM=arm,
        ACTARMCD=arm.str.upper().str.replace(r"[^A-Z0-9]", "", regex=True).str[:20],
        ACTARM=arm,
        COUNTRY=str(_setting(trial, "country", "")),
    )
    not_treated = ~treated & arm.str.upper().eq(TREATED_ARM.upper())
    frame.loc[not_treated, ["ACTARMCD", "ACTARM"]] = ["NOTTRT", "Not Treated"]
    return _dataset("DM", "Demographics", frame, ("STUDYID", "USUBJID"))


def _setting(trial: TrialData, key: str, default: object) -> object:
    return cdisc_settings(trial).get(key, default)


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
        EXDOSU="cells/kg",
        EXDOSFRM="SUSPENSION",
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


def cm(trial: TrialData) -> Dataset:
    """Concomitant medications, plus the daily glucocorticoid dose recorded at each visit."""
    m = trial.medications
    listed = _head(trial, "CM", m["patient_id"]).assign(
        CMTRT=_text(m["drug"]),
        CMCAT="",
        CMDOSE=pd.to_numeric(m["dose"]).astype("float64"),
        CMDOSU=_text(m["unit"]),
        CMDOSFRQ="",
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
        parts.append(base.assign(QNAM=qnam, QLABEL=qlabel, QVAL=text, QORIG="CRF"))
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
