"""CDISC ODM 1.3.2: the export validates against the ODM schema, and reading it back gives
the same trial and the same analysis (demo pilot and a two-arm registry)."""

from __future__ import annotations

import re
from pathlib import Path

import odmlib
import pandas as pd
import pytest
from lxml import etree

from myotrial.analysis.api import analyze
from myotrial.errors import InvalidInputError
from myotrial.exchange.odm.export import write_odm
from myotrial.ingest import read_trial
from myotrial.ingest.odm import read_odm
from myotrial.ingest.writer import write_trial_folder
from myotrial.services.demo import DEMO_SEED
from myotrial.synthetic import make_pilot, make_registry
from myotrial.trialdata import TrialData

SCHEMA = Path(odmlib.__file__).parent / "schemas" / "odm" / "1.3.2" / "ODM1-3-2.xsd"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}


@pytest.fixture(scope="module")
def odm_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def _through_folder(trial: TrialData, folder: Path) -> TrialData:
    """The trial as a trial folder reads it (the typed form every import gives)."""
    write_trial_folder(trial, folder)
    return read_trial(folder)


@pytest.fixture(scope="module", params=["demo", "registry"])
def trial(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> TrialData:
    made = make_pilot(seed=DEMO_SEED) if request.param == "demo" else make_registry(80, seed=7)
    return _through_folder(made, tmp_path_factory.mktemp(request.param))


def test_the_export_is_valid_odm_1_3_2(
    trial: TrialData, tmp_path: Path, odm_schema: etree.XMLSchema
) -> None:
    document = etree.parse(str(write_odm(trial, tmp_path / "trial.xml")))
    assert odm_schema.validate(document), odm_schema.error_log
    root = document.getroot()
    assert root.get("ODMVersion") == "1.3.2"
    subjects = root.findall("odm:ClinicalData/odm:SubjectData", NS)
    assert [s.get("SubjectKey") for s in subjects] == trial.patients["patient_id"].tolist()


def test_every_time_point_is_a_study_event(trial: TrialData, tmp_path: Path) -> None:
    root = etree.parse(str(write_odm(trial, tmp_path / "trial.xml"))).getroot()
    names = {e.get("Name") for e in root.iterfind(".//odm:StudyEventDef", NS)}
    points = {t.name for t in trial.config.timepoints}
    assert points | {f"rt_{p}" for p in points} | {"baseline", "unscheduled"} <= names


def test_reading_the_export_gives_the_same_trial(trial: TrialData, tmp_path: Path) -> None:
    back = read_odm(write_odm(trial, tmp_path / "trial.xml"))
    assert back.config == trial.config
    for name in ("patients", "infusions", "visits", "adverse_events", "events", "medications"):
        keys = [
            c
            for c in ("patient_id", "visit_date", "onset_date", "infusion_date")
            if c in trial.table(name).columns
        ]
        left = trial.table(name).sort_values(keys, kind="mergesort").reset_index(drop=True)
        right = back.table(name).sort_values(keys, kind="mergesort").reset_index(drop=True)
        pd.testing.assert_frame_equal(right[list(left.columns)], left, obj=name)


def test_reading_the_export_gives_the_same_analysis(trial: TrialData, tmp_path: Path) -> None:
    expected = analyze(trial)
    got = analyze(read_odm(write_odm(trial, tmp_path / "trial.xml")))
    for name, table in expected.tables().items():
        pd.testing.assert_frame_equal(got.tables()[name], table, obj=name)
    assert got.summary["counts"] == expected.summary["counts"]


def _broken(trial: TrialData, tmp_path: Path, old: str, new: str) -> Path:
    path = write_odm(trial, tmp_path / "trial.xml")
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if text in line)


def test_a_value_breaking_a_rule_names_file_line_item_and_rule(
    trial: TrialData, tmp_path: Path
) -> None:
    path = write_odm(trial, tmp_path / "trial.xml")
    text = re.sub(
        r'ItemOID="IT.VISITS.PHGA" Value="[^"]*"',
        'ItemOID="IT.VISITS.PHGA" Value="12.5"',
        path.read_text(encoding="utf-8"),
        count=1,
    )
    path.write_text(text, encoding="utf-8")
    item_line = _line_of(path, 'ItemOID="IT.VISITS.PHGA" Value="12.5"')
    with pytest.raises(InvalidInputError) as caught:
        read_odm(path)
    problem = next(p for p in caught.value.problems if p.column == "phga")
    assert problem.file == "trial.xml ItemGroupData visits"
    assert problem.value == "12.5" and "10" in problem.rule
    # the row is the line of the ItemGroupData element, just above its items
    assert 0 < item_line - problem.row < 80


def test_an_unknown_item_is_refused(trial: TrialData, tmp_path: Path) -> None:
    path = _broken(
        trial, tmp_path, '<ItemData ItemOID="IT.VISITS.CK"', '<ItemData ItemOID="IT.VISITS.GRIP"'
    )
    with pytest.raises(InvalidInputError) as caught:
        read_odm(path)
    problem = caught.value.problems[0]
    assert (problem.file, problem.column, problem.value) == (
        "trial.xml",
        "ItemOID",
        "IT.VISITS.GRIP",
    )
    assert problem.row == _line_of(path, 'ItemOID="IT.VISITS.GRIP"')
    assert problem.rule == "is not an item of the file's metadata"


def test_a_file_that_is_not_xml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "trial.xml"
    path.write_text("<ODM><Study>", encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        read_odm(path)
    assert caught.value.problems[0].rule.startswith("is not readable ODM XML")


def test_export_with_audit_and_import_through_the_command_line(
    trial: TrialData, tmp_path: Path, odm_schema: etree.XMLSchema
) -> None:
    from click.testing import CliRunner

    from myotrial.cli import main
    from myotrial.store import open_store

    source = f"sqlite:///{tmp_path / 'source.db'}"
    store = open_store(source)
    store.save_trial(trial, user="importer", reason="first import")
    trail = store.audit()
    store.close()
    runner = CliRunner()
    out = tmp_path / "trial.xml"
    done = runner.invoke(main, ["export", "odm", "--db", source, "-o", str(out), "--audit"])
    assert done.exit_code == 0, done.output
    document = etree.parse(str(out))
    assert odm_schema.validate(document), odm_schema.error_log
    records = document.getroot().findall(".//odm:AuditRecord", NS)
    assert len(records) == len(trail)
    assert {r.findtext("odm:ReasonForChange", namespaces=NS) for r in records} == {"first import"}
    users = document.getroot().findall("odm:AdminData/odm:User/odm:LoginName", NS)
    assert [u.text for u in users] == ["importer"]
    target = f"sqlite:///{tmp_path / 'target.db'}"
    imported = runner.invoke(
        main, ["import", str(out), "--format", "odm", "--db", target, "--user", "me"]
    )
    assert imported.exit_code == 0, imported.output
    store = open_store(target)
    back = store.load_trial()
    store.close()
    assert back.config == trial.config
    assert len(back.visits) == len(trial.visits)


def test_an_invalid_odm_import_leaves_the_database_unchanged(
    trial: TrialData, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from myotrial.cli import main
    from myotrial.store import open_store

    target = f"sqlite:///{tmp_path / 'target.db'}"
    store = open_store(target)
    store.save_trial(trial, user="setup", reason="first import")
    before = store.audit()
    store.close()
    path = _broken(
        trial,
        tmp_path,
        '<ItemData ItemOID="IT.VISITS.VISIT_DATE" Value="',
        '<ItemData ItemOID="IT.VISITS.VISIT_DATE" Value="2010-02-31',
    )
    done = CliRunner().invoke(main, ["import", str(path), "--format", "odm", "--db", target])
    assert done.exit_code == 2
    assert "trial.xml ItemGroupData visits row" in done.output
    store = open_store(target)
    after = store.audit()
    store.close()
    pd.testing.assert_frame_equal(after, before)
