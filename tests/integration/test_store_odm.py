"""An ODM file imported into the store (SQLite and PostgreSQL), and the audit trail of a
store with corrections and coding exported as ODM AuditRecords, valid against the schema."""

from __future__ import annotations

from pathlib import Path

import odmlib
import pytest
from lxml import etree
from store_trials import database_snapshot
from tests.meddra_synthetic import write_synthetic_meddra

from myotrial.errors import InvalidInputError
from myotrial.exchange.odm.export import write_odm
from myotrial.ingest import read_trial
from myotrial.ingest.writer import write_trial_folder
from myotrial.services.coding import code_stored_events
from myotrial.services.entry import correct_visit
from myotrial.services.exchange import export_odm, odm_audit
from myotrial.services.loading import load_trial
from myotrial.services.trial import import_trial
from myotrial.store import open_store
from myotrial.synthetic import make_registry
from myotrial.trialdata import TrialData

SCHEMA = Path(odmlib.__file__).parent / "schemas" / "odm" / "1.3.2" / "ODM1-3-2.xsd"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}


@pytest.fixture
def registry(tmp_path: Path) -> TrialData:
    write_trial_folder(make_registry(40, seed=21), tmp_path / "registry")
    return read_trial(tmp_path / "registry")


def test_an_odm_file_imports_as_its_trial(db_url: str, registry: TrialData, tmp_path: Path) -> None:
    path = write_odm(registry, tmp_path / "trial.xml")
    summary = import_trial(path, db_url, "importer", format="odm")
    assert {t.table: t.inserted for t in summary.tables}["visits"] == len(registry.visits)
    store = open_store(db_url)
    back = store.load_trial()
    store.close()
    assert back.config == registry.config
    assert sorted(back.patients["patient_id"]) == sorted(registry.patients["patient_id"])


def test_an_invalid_odm_file_leaves_the_store_as_it_was(
    db_url: str, registry: TrialData, tmp_path: Path
) -> None:
    import_trial(write_odm(registry, tmp_path / "trial.xml"), db_url, "importer", format="odm")
    before = database_snapshot(db_url)
    bad = tmp_path / "bad.xml"
    text = (tmp_path / "trial.xml").read_text(encoding="utf-8")
    bad.write_text(
        text.replace(
            'ItemOID="IT.PATIENTS.SEX" Value="F"', 'ItemOID="IT.PATIENTS.SEX" Value="X"', 1
        )
    )
    with pytest.raises(InvalidInputError) as caught:
        import_trial(bad, db_url, "importer", format="odm")
    problem = caught.value.problems[0]
    assert (problem.file, problem.column, problem.value) == (
        "bad.xml ItemGroupData patients",
        "sex",
        "X",
    )
    assert database_snapshot(db_url) == before


def test_the_audit_of_corrections_and_coding_is_valid_odm(
    db_url: str, registry: TrialData, tmp_path: Path
) -> None:
    store = open_store(db_url)
    store.save_trial(registry, user="importer", reason="first import")
    visit = registry.visits.iloc[0]
    correct_visit(
        store.unit_of_work,
        str(visit["patient_id"]),
        visit["visit_date"].date().isoformat(),
        "phga",
        "",
        reason="not assessed",
        user="monitor",
    )
    store.close()
    code_stored_events(write_synthetic_meddra(tmp_path / "MedAscii"), db_url, "coder", "coding")
    trail = odm_audit(db_url)
    path = export_odm(load_trial(None, db_url), tmp_path / "audited.xml", trail)
    document = etree.parse(str(path))
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert schema.validate(document), schema.error_log
    records = document.getroot().findall(".//odm:AuditRecord", NS)
    assert len(records) == len(trail)
    reasons = [r.findtext("odm:ReasonForChange", namespaces=NS) for r in records]
    assert reasons.count("not assessed") == 1
    corrected = document.getroot().xpath(
        ".//odm:ItemGroupData[odm:AuditRecord/odm:ReasonForChange='not assessed']", namespaces=NS
    )[0]
    assert corrected.get("TransactionType") == "Update"
    assert corrected.find("odm:ItemData", NS).get("IsNull") == "Yes"
    logins = {
        u.text for u in document.getroot().iterfind("odm:AdminData/odm:User/odm:LoginName", NS)
    }
    assert logins == {"importer", "monitor", "coder"}
