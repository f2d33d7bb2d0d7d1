"""The export commands, and a REDCap export loaded into the database and read back."""

from __future__ import annotations

import json
from pathlib import Path

import pyreadstat
from click.testing import CliRunner

from myotrial.cli import main
from myotrial.exchange.redcap import write_redcap
from myotrial.ingest.redcap import read_redcap
from myotrial.store import open_store
from myotrial.trialdata import TrialData
from tests.exchange.test_redcap import assert_same_trial


def _store(trial: TrialData, url: str) -> None:
    store = open_store(url)
    try:
        store.save_trial(trial, user="tester", reason="exchange test")
    finally:
        store.close()


def test_redcap_export_read_into_the_database_loads_the_same_trial(
    small_trial: TrialData, tmp_path: Path, db_url: str
) -> None:
    write_redcap(small_trial, tmp_path / "redcap")
    _store(read_redcap(tmp_path / "redcap"), db_url)
    store = open_store(db_url)
    try:
        assert_same_trial(small_trial, store.load_trial())
    finally:
        store.close()


def test_export_sdtm_from_the_database_writes_xpt_and_json(
    small_trial: TrialData, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'trial.db'}"
    _store(small_trial, url)
    result = CliRunner().invoke(
        main, ["export", "sdtm", "--db", url, "-o", str(tmp_path / "sdtm"), "--format", "xpt"]
    )
    assert result.exit_code == 0, result.output
    frame, _meta = pyreadstat.read_xport(str(tmp_path / "sdtm" / "dm.xpt"))
    assert sorted(frame["SUBJID"]) == ["P01", "P02", "P03"]
    assert not list((tmp_path / "sdtm").glob("*.json"))


def test_export_fhir_and_redcap_from_a_redcap_folder(
    small_trial: TrialData, tmp_path: Path
) -> None:
    write_redcap(small_trial, tmp_path / "in")
    runner = CliRunner()
    result = runner.invoke(
        main, ["export", "fhir", str(tmp_path / "in"), "-o", str(tmp_path / "bundle.json")]
    )
    assert result.exit_code == 0, result.output
    bundle = json.loads((tmp_path / "bundle.json").read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    result = runner.invoke(
        main, ["export", "redcap", str(tmp_path / "in"), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "records.csv").read_text() == (
        tmp_path / "in" / "records.csv"
    ).read_text()


def test_export_of_a_malformed_redcap_folder_exits_2_naming_the_cell(
    small_trial: TrialData, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    write_redcap(small_trial, folder)
    text = (folder / "records.csv").read_text(encoding="utf-8")
    (folder / "records.csv").write_text(
        text.replace("week1_arm_1", "week9_arm_1", 1), encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["export", "sdtm", str(folder), "-o", str(tmp_path / "sdtm")])
    assert result.exit_code == 2
    assert "records.csv row 3, column redcap_event_name: 'week9_arm_1' is not an event" in (
        result.output.replace("\n", " ")
    )


def test_export_adam_from_the_database_writes_json(small_trial: TrialData, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'trial.db'}"
    _store(small_trial, url)
    out = tmp_path / "adam"
    result = CliRunner().invoke(
        main, ["export", "adam", "--db", url, "-o", str(out), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    # No episode of the small trial has a response (P01's relapse precedes any), so
    # ADTTE has no rows and is not written.
    assert sorted(p.name for p in out.iterdir()) == ["adeff.json", "adsl.json", "define.xml"]


def test_export_redcap_from_a_trial_folder(small_trial: TrialData, tmp_path: Path) -> None:
    from myotrial.ingest.writer import write_trial_folder

    write_trial_folder(small_trial, tmp_path / "trial")
    result = CliRunner().invoke(
        main, ["export", "redcap", str(tmp_path / "trial"), "-o", str(tmp_path / "redcap")]
    )
    assert result.exit_code == 0, result.output
    assert_same_trial(small_trial, read_redcap(tmp_path / "redcap"))
