"""``myotrial lots``: trace from a folder and from the database, recall, release."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from myotrial.cli import main
from myotrial.ingest.writer import write_trial_folder
from myotrial.synthetic import make_pilot


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lots") / "pilot"
    write_trial_folder(make_pilot(), path)
    return path


def test_trace_lists_every_infusion_and_the_events_of_days_0_to_7(folder: Path) -> None:
    result = CliRunner().invoke(main, ["lots", "trace", "L02", str(folder), "--format", "tsv"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split("\t") == [
        "lot",
        "donor",
        "patient_id",
        "infusion_date",
        "cells_per_kg",
        "adverse_events_0_7_days",
    ]
    # L02 (donor D01) treated P07 on days 0 and 7 and P08 (synthetic pilot, seed 2011)
    assert [line.split("\t")[:4] for line in lines[1:]] == [
        ["L02", "D01", "P07", "2009-10-28"],
        ["L02", "D01", "P07", "2009-11-04"],
        ["L02", "D01", "P08", "2009-12-12"],
    ]
    assert "released by qp.synthetic on 2009-10-21" in result.stderr


def test_trace_json_names_the_failed_rules_of_a_lot_never_infused(folder: Path) -> None:
    result = CliRunner().invoke(main, ["lots", "trace", "L07", str(folder), "--format", "json"])
    found = json.loads(result.stdout)
    assert found["release_failures"] == ["cd105_pct 90 is below 95 (ISCT 2006)"]
    assert found["infusions"] == [] and found["donor"]["donor"] == "D02"


def test_an_unknown_lot_exits_with_its_status(folder: Path) -> None:
    result = CliRunner().invoke(main, ["lots", "trace", "L99", str(folder)])
    assert result.exit_code != 0
    assert "no lot 'L99'" in result.stderr


def test_recall_from_the_command_line_is_audited(folder: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 't.db'}"
    runner = CliRunner()
    assert runner.invoke(main, ["import", str(folder), "--db", db, "--user", "t"]).exit_code == 0
    result = runner.invoke(
        main,
        ["lots", "recall", "L05", "--reason", "endotoxin retest", "--db", db, "--user", "qa"],
    )
    assert result.exit_code == 0, result.output
    assert "patients who received it: P03, P04, P06" in result.output
    audit = runner.invoke(main, ["audit", "--db", db, "--format", "json"])
    rows = [r for r in json.loads(audit.stdout) if r["reason"] == "endotoxin retest"]
    assert {r["field"] for r in rows} == {"recalled", "recalled_date", "recall_reason"}
    again = runner.invoke(
        main, ["lots", "recall", "L05", "--reason", "twice", "--db", db, "--user", "qa"]
    )
    assert again.exit_code == 2 and "already recalled" in again.stderr


def test_release_needs_the_release_role(folder: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 't.db'}"
    runner = CliRunner()
    runner.invoke(main, ["import", str(folder), "--db", db, "--user", "t"])
    result = runner.invoke(main, ["lots", "release", "L07", "--db", db, "--user", "nobody"])
    assert result.exit_code != 0
    assert "release role" in result.stderr
