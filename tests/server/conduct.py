"""A two-arm synthetic trial run through the service: its trial.toml sections and users."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from myotrial.config import parse_config
from myotrial.synthetic import make_registry
from myotrial.trialdata import TrialData

CONDUCT_TOML = """
[trial]
name = "Synthetic two-arm trial"

[eligibility]
refractory_definition = "no response to glucocorticoids and one immunosuppressant for 3 months"
classification = "EULAR/ACR 2017, probable or definite"
exclusions = ["active malignancy", "pregnancy"]
diagnoses = ["PM", "DM", "IMNM", "ASS"]
age_min = 18
age_max = 75
consent_versions = ["2.0", "2.1"]

[randomisation]
scheme = "blocks"
strata = { site = ["1", "2"], diagnosis = ["PM", "DM", "IMNM", "ASS"] }
ratio = "1:1"
block_sizes = [2, 4]
n_per_stratum = 40

[blinding]
mode = "assessor"
"""

CONDUCT_USERS: dict[str, tuple[str, str | None]] = {
    "admin": ("admin", None),
    "inv_1": ("investigator", "1"),
    "inv_2": ("investigator", "2"),
    "assessor_1": ("assessor", "1"),
    "monitor": ("monitor", None),
    "stat": ("statistician", None),
    "unblinded": ("unblinded_statistician", None),
    "release": ("release", None),
}


def conduct_trial(toml: str = CONDUCT_TOML, n_patients: int = 24) -> TrialData:
    """The synthetic two-arm registry (two sites) with the sections of ``toml``."""
    registry = make_registry(n_patients, seed=3, n_sites=2)
    config = parse_config(toml)
    config = replace(config, uln=registry.config.uln, units=registry.config.units)
    return replace(registry, config=config)


def enrolment(patient_id: str, **changes: Any) -> dict[str, Any]:
    """An eligible patient's enrolment form (change any field with ``changes``)."""
    body: dict[str, Any] = {
        "patient_id": patient_id,
        "sex": "F",
        "age": 48,
        "diagnosis": "DM",
        "enrolment_date": "2026-11-02",
        "consent_date": "2026-11-01",
        "consent_form_version": "2.1",
        "eligibility": {
            "refractory": True,
            "classification_met": True,
            "exclusions": {"active malignancy": False, "pregnancy": False},
        },
    }
    body.update(changes)
    return body
