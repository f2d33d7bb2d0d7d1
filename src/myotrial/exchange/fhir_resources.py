"""Builders of the FHIR resources in the trial bundle (plain JSON-ready dicts)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from myotrial.domain import ENZYMES, TREATED_ARM
from myotrial.exchange.loinc import LOINC_SYSTEM, lab_loinc
from myotrial.measures import canonical_visits
from myotrial.trialdata import TrialData

UCUM = "http://unitsofmeasure.org"
LOINC = LOINC_SYSTEM
SNOMED = "http://snomed.info/sct"
CSM_SYSTEM = "urn:myotrial:csm"
PRODUCT_SYSTEM = "urn:myotrial:product"
PATIENT_SYSTEM = "urn:myotrial:patient"
LOT_SYSTEM = "urn:myotrial:lot"
HL7 = "http://terminology.hl7.org/CodeSystem"

# LOINC codes of the enzyme activities in serum or plasma (the shipped LOINC table).
LAB_LOINC: dict[str, tuple[str, str]] = lab_loinc()
# IMACS core set measures (sponsor codes) with UCUM units of their canonical scale.
MEASURES: dict[str, tuple[str, str, str]] = {
    "phga": ("Physician global activity (VAS)", "cm", "exam"),
    "ptga": ("Patient global activity (VAS)", "cm", "survey"),
    "extramuscular": ("Extramuscular global activity (MDAAT VAS)", "cm", "exam"),
    "mmt8": ("Manual muscle testing, 8 groups (MMT-8)", "{score}", "exam"),
    "haq": ("HAQ disability index", "{score}", "survey"),
}
TISSUES = {
    "BM": "bone marrow",
    "UC": "umbilical cord",
    "AT": "adipose tissue",
    "other": "other tissue",
}
OUTCOMES = {
    "recovered": "resolved",
    "resolved": "resolved",
    "recovering": "recovering",
    "resolving": "recovering",
    "not recovered": "ongoing",
    "ongoing": "ongoing",
    "recovered with sequelae": "resolvedWithSequelae",
    "sequelae": "resolvedWithSequelae",
    "fatal": "fatal",
    "death": "fatal",
}


def _ref(url: str) -> dict[str, str]:
    return {"reference": url}


def _date(value: object) -> str:
    return pd.Timestamp(str(value)).strftime("%Y-%m-%d")


def _quantity(value: Any, unit: str) -> dict[str, Any]:
    return {"value": float(value), "unit": unit, "system": UCUM, "code": unit}


def research_study(trial: TrialData, study: str) -> dict[str, Any]:
    """The trial as a ResearchStudy with one arm per arm of the patients table."""
    arms = sorted(set(trial.patients.get("arm", pd.Series(dtype=object)).dropna()) or {TREATED_ARM})
    return {
        "resourceType": "ResearchStudy",
        "identifier": [{"system": "urn:myotrial:study", "value": study}],
        "title": trial.config.name,
        "status": "active",
        "arm": [{"name": str(arm)} for arm in arms],
    }


def patient(row: dict[str, Any], study_url: str) -> dict[str, Any]:
    """A pseudonymous Patient: the study code and sex only."""
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": PATIENT_SYSTEM, "value": str(row["patient_id"])}],
    }
    gender = {"F": "female", "M": "male"}.get(str(row.get("sex")))
    if gender:
        resource["gender"] = gender
    return resource


def research_subject(
    row: dict[str, Any],
    patient_url: str,
    study_url: str,
    off_study: bool,
    actual_arm: str | None = None,
) -> dict[str, Any]:
    """The patient's enrolment in the study, with its allocated and received arm.

    ``actual_arm`` is the arm of the treatment received (SDTM DM.ACTARM); a patient who
    received no treatment has no ``actualArm`` (SDTM: ARMNRS ``ASSIGNED, NOT TREATED``).
    """
    arm = str(row.get("arm") or TREATED_ARM)
    resource: dict[str, Any] = {
        "resourceType": "ResearchSubject",
        "status": "off-study" if off_study else "on-study",
        "study": _ref(study_url),
        "individual": _ref(patient_url),
        "assignedArm": arm,
    }
    if actual_arm is not None:
        resource["actualArm"] = actual_arm
    if row.get("enrolment_date") is not None:
        resource["period"] = {"start": _date(row["enrolment_date"])}
    return resource


def product(row: dict[str, Any], patient_url: str) -> dict[str, Any]:
    """The infused cell product: lot, tissue of origin, donor."""
    tissue = TISSUES.get(str(row.get("source")), str(row.get("source")))
    donor = str(row.get("donor") or "allogeneic")
    resource: dict[str, Any] = {
        "resourceType": "BiologicallyDerivedProduct",
        "productCategory": "cells",
        "productCode": {
            "coding": [
                {"system": PRODUCT_SYSTEM, "code": "MSC", "display": "Mesenchymal stem cells"}
            ],
            "text": f"Mesenchymal stem cells, {tissue}, {donor}",
        },
        "status": "unavailable",
        "quantity": 1,
        "processing": [{"description": f"Isolated from {tissue}"}],
    }
    if row.get("lot") is not None:
        resource["identifier"] = [{"system": LOT_SYSTEM, "value": str(row["lot"])}]
    if donor == "autologous":
        resource["collection"] = {"source": _ref(patient_url)}
    if row.get("viability_pct") is not None:
        resource["processing"].append(
            {"description": f"Viability {float(row['viability_pct']):g} %"}
        )
    return resource


def infusion(row: dict[str, Any], patient_url: str, product_url: str) -> dict[str, Any]:
    """The infusion as a MedicationAdministration; the product is supporting information."""
    dosage: dict[str, Any] = {
        "route": {
            "coding": [{"system": SNOMED, "code": "47625008", "display": "Intravenous route"}]
        }
        if str(row.get("route") or "IV").upper() == "IV"
        else {"text": str(row["route"])}
    }
    if row.get("cells_per_kg") is not None:
        dosage["dose"] = {
            "value": float(row["cells_per_kg"]),
            "unit": "cells/kg",
            "system": UCUM,
            "code": "{cells}/kg",
        }
    return {
        "resourceType": "MedicationAdministration",
        "status": "completed",
        "medicationCodeableConcept": {
            "coding": [
                {"system": PRODUCT_SYSTEM, "code": "MSC", "display": "Mesenchymal stem cells"}
            ]
        },
        "subject": _ref(patient_url),
        "effectiveDateTime": _date(row["infusion_date"]),
        "supportingInformation": [_ref(product_url)],
        "dosage": dosage,
    }


def _observation(
    patient_url: str, date: object, category: str, coding: dict[str, str], value: dict[str, Any]
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": f"{HL7}/observation-category", "code": category}]}],
        "code": {"coding": [coding], "text": coding["display"]},
        "subject": _ref(patient_url),
        "effectiveDateTime": _date(date),
        "valueQuantity": value,
    }


def lab_observations(
    trial: TrialData, patients: dict[str, str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Enzyme results (LOINC) with the upper limit of normal as reference range."""
    visits = trial.visits
    for enzyme in (e for e in ENZYMES if e in visits.columns):
        unit = trial.config.unit(enzyme)
        uln = visits.get(f"{enzyme}_uln", pd.Series(np.nan, index=visits.index))
        uln = uln.astype("float64").fillna(trial.config.uln.get(enzyme, np.nan))
        code, display = LAB_LOINC[enzyme]
        for index in visits.index[visits[enzyme].notna()]:
            pid = str(visits.at[index, "patient_id"])
            resource = _observation(
                patients[pid],
                visits.at[index, "visit_date"],
                "laboratory",
                {"system": LOINC, "code": code, "display": display},
                _quantity(visits.at[index, enzyme], unit),
            )
            if pd.notna(uln[index]):
                resource["referenceRange"] = [{"high": _quantity(uln[index], unit)}]
            yield f"{enzyme}/{index}", resource


def measure_observations(
    trial: TrialData, patients: dict[str, str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Core set measures in canonical units (VAS in cm, MMT-8 and HAQ-DI as scores)."""
    canon = canonical_visits(trial.visits, trial.config)
    for key, (display, unit, category) in MEASURES.items():
        if key not in canon.columns:
            continue
        for index in canon.index[canon[key].notna()]:
            pid = str(canon.at[index, "patient_id"])
            yield (
                f"{key}/{index}",
                _observation(
                    patients[pid],
                    canon.at[index, "visit_date"],
                    category,
                    {"system": CSM_SYSTEM, "code": key, "display": display},
                    _quantity(canon.at[index, key], unit),
                ),
            )


def adverse_event(
    row: dict[str, Any], patient_url: str, study_url: str, suspect: str | None
) -> dict[str, Any]:
    """An adverse event with seriousness, severity (from the CTCAE grade) and outcome."""
    resource: dict[str, Any] = {
        "resourceType": "AdverseEvent",
        "actuality": "actual",
        "event": {"text": str(row["term"])},
        "subject": _ref(patient_url),
        "study": [_ref(study_url)],
    }
    if row.get("onset_date") is not None:
        resource["date"] = _date(row["onset_date"])
    if row.get("serious") is not None:
        code = "serious" if row["serious"] else "non-serious"
        resource["seriousness"] = {
            "coding": [{"system": f"{HL7}/adverse-event-seriousness", "code": code}]
        }
    if row.get("grade") is not None:
        # CTCAE grade 1 mild, 2 moderate, 3 or more severe
        severity = {1: "mild", 2: "moderate"}.get(int(row["grade"]), "severe")
        resource["severity"] = {
            "coding": [{"system": f"{HL7}/adverse-event-severity", "code": severity}],
            "text": f"CTCAE grade {int(row['grade'])}",
        }
    outcome = OUTCOMES.get(str(row.get("outcome") or "").strip().lower())
    if outcome:
        resource["outcome"] = {
            "coding": [{"system": f"{HL7}/adverse-event-outcome", "code": outcome}]
        }
    if suspect is not None:
        entity: dict[str, Any] = {"instance": _ref(suspect)}
        if row.get("relatedness") is not None:
            entity["causality"] = [{"assessment": {"text": str(row["relatedness"])}}]
        resource["suspectEntity"] = [entity]
    return resource
