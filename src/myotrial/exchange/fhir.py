"""FHIR R4 Bundle of a trial: Patient, ResearchStudy, ResearchSubject, Observation,
MedicationAdministration (the infusion) with BiologicallyDerivedProduct, AdverseEvent.

The bundle is a ``collection`` whose entries have ``urn:uuid`` full URLs; ids are UUID
version 5 of the study, resource type and record key, so exporting the same trial twice
gives the same bundle. Patients carry the study code only (no name, no birth date).
The bundle is checked with the ``fhir.resources`` R4B model classes (R4B is the R4
release the library ships; the resources used here have the same elements in R4 4.0.1)
and every reference must resolve to an entry of the bundle.

Codes: laboratory results use LOINC; the route SNOMED CT; seriousness, severity and
outcome of adverse events the HL7 terminology code systems. The core set measures and
the cell product have no LOINC or SNOMED code, so they use the sponsor code systems
``urn:myotrial:csm`` and ``urn:myotrial:product`` (docs/exchange.md).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from myotrial.analysis.arms import subject_populations
from myotrial.errors import ExportError
from myotrial.exchange.cdisc.common import study_id
from myotrial.exchange.fhir_resources import (
    adverse_event,
    infusion,
    lab_observations,
    measure_observations,
    patient,
    product,
    research_study,
    research_subject,
)
from myotrial.extras import import_optional
from myotrial.trialdata import TrialData

NAMESPACE = uuid.UUID("6f1d2c3e-2a4b-5c6d-8e9f-0a1b2c3d4e5f")


class Identities:
    """Deterministic ``urn:uuid`` URLs for the resources of one study."""

    def __init__(self, study: str) -> None:
        self.study = study

    def __call__(self, kind: str, key: object) -> str:
        """The full URL of resource ``kind`` with record key ``key``."""
        return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{self.study}/{kind}/{key}')}"


def _entry(url: str, resource: dict[str, Any]) -> dict[str, Any]:
    resource["id"] = url.removeprefix("urn:uuid:")
    return {"fullUrl": url, "resource": resource}


def _records(frame: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """Rows as plain dicts with missing values as None."""
    for row in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        yield {str(k): v for k, v in row.items()}


Given = list[tuple[str, pd.Timestamp, str]]


def fhir_bundle(trial: TrialData) -> dict[str, Any]:
    """The trial as a FHIR R4 ``collection`` Bundle (a plain JSON-ready dict)."""
    ids = Identities(study_id(trial))
    study_url = ids("ResearchStudy", ids.study)
    patients = {str(p): ids("Patient", p) for p in trial.patients["patient_id"]}
    entries = [_entry(study_url, research_study(trial, ids.study))]
    entries += _subjects(trial, ids, patients, study_url)
    infusion_entries, given = _infusions(trial, ids, patients)
    entries += infusion_entries
    for kind, build in (
        ("Observation/lab", lab_observations),
        ("Observation/csm", measure_observations),
    ):
        entries += [_entry(ids(kind, key), resource) for key, resource in build(trial, patients)]
    for number, row in enumerate(_records(trial.adverse_events)):
        pid = str(row["patient_id"])
        suspect = _last_infusion(given, pid, row["onset_date"])
        resource = adverse_event(row, patients[pid], study_url, suspect)
        entries.append(_entry(ids("AdverseEvent", number), resource))
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(NAMESPACE, ids.study)),
        "type": "collection",
        "entry": entries,
    }


def _subjects(
    trial: TrialData, ids: Identities, patients: dict[str, str], study_url: str
) -> list[dict[str, Any]]:
    """A Patient and a ResearchSubject per patient (off-study after leaving the trial)."""
    leaving = trial.events["type"].isin(["withdrawal", "lost_to_follow_up", "death"])
    stopped = set(trial.events.loc[leaving, "patient_id"].astype(str))
    # The arm received is the analysis' (safety population), as SDTM DM.ACTARM.
    received = subject_populations(trial).set_index("patient_id")["arm_received"]
    entries = []
    for row in _records(trial.patients):
        pid = str(row["patient_id"])
        actual = received.get(row["patient_id"])
        subject = research_subject(
            row,
            patients[pid],
            study_url,
            off_study=pid in stopped,
            actual_arm=None if pd.isna(actual) else str(actual),
        )
        entries.append(_entry(patients[pid], patient(row, study_url)))
        entries.append(_entry(ids("ResearchSubject", pid), subject))
    return entries


def _infusions(
    trial: TrialData, ids: Identities, patients: dict[str, str]
) -> tuple[list[dict[str, Any]], Given]:
    """A BiologicallyDerivedProduct and a MedicationAdministration per infusion."""
    infusions = trial.infusions.sort_values(["patient_id", "infusion_date"], kind="mergesort")
    entries: list[dict[str, Any]] = []
    given: Given = []
    for number, row in enumerate(_records(infusions)):
        pid = str(row["patient_id"])
        product_url = ids("BiologicallyDerivedProduct", number)
        url = ids("MedicationAdministration", number)
        entries.append(_entry(product_url, product(row, patients[pid])))
        entries.append(_entry(url, infusion(row, patients[pid], product_url)))
        given.append((pid, pd.Timestamp(row["infusion_date"]), url))
    return entries, given


def _last_infusion(given: Given, patient_id: str, onset: object) -> str | None:
    """The infusion given last on or before ``onset`` (the suspected product)."""
    if onset is None:
        return None
    before = [
        (day, url)
        for pid, day, url in given
        if pid == patient_id and day <= pd.Timestamp(str(onset))
    ]
    return max(before)[1] if before else None


def unresolved_references(bundle: dict[str, Any]) -> list[str]:
    """Every ``reference`` in the bundle that names no entry's ``fullUrl``."""
    urls = {entry["fullUrl"] for entry in bundle.get("entry", [])}
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            reference = node.get("reference")
            if isinstance(reference, str) and reference not in urls:
                found.append(reference)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(bundle.get("entry", []))
    return found


def validate_bundle(bundle: dict[str, Any]) -> None:
    """Parse the bundle with the R4B model classes and resolve every reference.

    Raises
    ------
    ExportError
        If a resource breaks its FHIR model or a reference resolves to no entry.
    """
    bundle_module = import_optional("fhir.resources.R4B.bundle", "exchange", "the FHIR export")
    from pydantic import ValidationError

    try:
        bundle_module.Bundle.model_validate(bundle)
    except ValidationError as exc:
        raise ExportError(f"the FHIR bundle is not valid R4B: {exc}") from exc
    missing = unresolved_references(bundle)
    if missing:
        raise ExportError(f"the FHIR bundle has references to no entry: {missing[:5]}")


def write_fhir(trial: TrialData, path: Path) -> Path:
    """Write the trial as a validated FHIR Bundle (JSON) at ``path``."""
    bundle = fhir_bundle(trial)
    validate_bundle(bundle)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(bundle, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
