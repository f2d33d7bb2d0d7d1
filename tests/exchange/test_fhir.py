"""FHIR: the bundle parses through the R4B model classes and every reference resolves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from myotrial.exchange.cdisc.transport import ExportError
from myotrial.exchange.fhir import fhir_bundle, validate_bundle, write_fhir
from myotrial.trialdata import TrialData
from tests.exchange.conftest import make_small_trial


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = write_fhir(make_small_trial(), tmp_path_factory.mktemp("fhir") / "bundle.json")
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _references(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return own + [r for value in node.values() for r in _references(value)]
    if isinstance(node, list):
        return [r for value in node for r in _references(value)]
    return []


def _by_url(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}


def test_every_resource_parses_through_its_model_class(bundle: dict[str, Any]) -> None:
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_every_reference_resolves_to_an_entry(bundle: dict[str, Any]) -> None:
    urls = set(_by_url(bundle))
    references = _references(bundle["entry"])
    assert references and set(references) <= urls
    assert all(url.startswith("urn:uuid:") for url in urls)


def test_bundle_holds_the_expected_resources(bundle: dict[str, Any]) -> None:
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    # 3 patients (each a ResearchSubject), 4 infusions (each with its product), 2 AEs
    assert (kinds.count("Patient"), kinds.count("ResearchSubject")) == (3, 3)
    assert kinds.count("MedicationAdministration") == kinds.count("BiologicallyDerivedProduct") == 4
    assert (kinds.count("AdverseEvent"), kinds.count("ResearchStudy")) == (2, 1)
    # enzymes: 11 CK + 9 CK-MB + 9 aldolase + 9 LDH + 11 AST + 11 ALT = 60 results;
    # core set: 11 phga + 10 ptga + 11 mmt8 + 11 haq = 43
    assert kinds.count("Observation") == 60 + 43


def test_lab_observation_has_loinc_value_and_uln(bundle: dict[str, Any]) -> None:
    labs = [
        r
        for r in _by_url(bundle).values()
        if r["resourceType"] == "Observation"
        and r["code"]["coding"][0]["system"] == "http://loinc.org"
    ]
    ck = [
        r
        for r in labs
        if r["code"]["coding"][0]["code"] == "2157-6" and r["effectiveDateTime"] == "2010-01-04"
    ]
    assert len(ck) == 1
    assert ck[0]["valueQuantity"] == {
        "value": 1681.0,
        "unit": "U/L",
        "system": "http://unitsofmeasure.org",
        "code": "U/L",
    }
    assert ck[0]["referenceRange"][0]["high"]["value"] == 200.0


def test_adverse_event_suspects_the_infusion_given_before_it(bundle: dict[str, Any]) -> None:
    resources = _by_url(bundle)
    fever = next(
        r
        for r in resources.values()
        if r["resourceType"] == "AdverseEvent" and r["event"]["text"] == "Fever"
    )
    given = resources[fever["suspectEntity"][0]["instance"]["reference"]]
    assert given["resourceType"] == "MedicationAdministration"
    assert given["effectiveDateTime"] == "2010-01-05"
    assert given["dosage"]["dose"]["value"] == 1e6
    product = resources[given["supportingInformation"][0]["reference"]]
    assert product["identifier"][0]["value"] == "UC-0101"
    assert fever["severity"]["coding"][0]["code"] == "mild"


def test_the_same_trial_gives_the_same_bundle(small_trial: TrialData) -> None:
    assert fhir_bundle(small_trial) == fhir_bundle(make_small_trial())


def test_a_dangling_reference_is_refused(small_trial: TrialData) -> None:
    document = fhir_bundle(small_trial)
    document["entry"] = [
        e for e in document["entry"] if e["resource"]["resourceType"] != "ResearchStudy"
    ]
    with pytest.raises(ExportError, match="references to no entry"):
        validate_bundle(document)


def test_a_resource_breaking_its_model_is_refused(small_trial: TrialData, tmp_path: Path) -> None:
    document = fhir_bundle(small_trial)
    patient = next(
        e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    patient["gender"] = ["female"]
    with pytest.raises(ExportError, match="not valid R4B"):
        validate_bundle(document)
