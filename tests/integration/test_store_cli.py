"""The import, correct and audit commands: output, exit status, nothing written on error."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from store_trials import database_snapshot

from myotrial.cli import main
from myotrial.ingest.writer import write_trial_folder
from myotrial.synthetic import make_pilot
from myotrial.trialdata import TABLES


@pytest.fixture
def pilot_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "pilot"
    write_trial_folder(make_pilot(2011), folder)
    return folder


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_import_then_reimport_reports_nothing_changed(db_url: str, pilot_folder: Path) -> None:
    code, first = _run("import", str(pilot_folder), "--db", db_url, "--user", "ana")
    assert code == 0, first
    assert "import 1 recorded" in first
    code, again = _run("import", str(pilot_folder), "--db", db_url, "--user", "ana")
    assert code == 0
    assert "nothing changed" in again


def test_invalid_folder_exits_2_lists_every_problem_and_writes_nothing(
    db_url: str, pilot_folder: Path, tmp_path: Path
) -> None:
    assert _run("import", str(pilot_folder), "--db", db_url)[0] == 0
    before = database_snapshot(db_url)
    visits = pilot_folder / "visits.csv"
    lines = visits.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("ck")] = "-3"
    row[header.index("mmt8")] = "ninety"
    visits.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n", encoding="utf-8")
    problems = tmp_path / "problems.csv"
    code, output = _run(
        "import", str(pilot_folder), "--db", db_url, "--problems-csv", str(problems)
    )
    assert code == 2
    assert "visits.csv row 2, column ck" in output
    assert "visits.csv row 2, column mmt8" in output
    assert len(problems.read_text(encoding="utf-8").splitlines()) == 1 + 2
    assert database_snapshot(db_url) == before


def test_correct_then_audit_shows_old_new_and_reason(
    db_url: str, pilot_folder: Path, tmp_path: Path
) -> None:
    assert _run("import", str(pilot_folder), "--db", db_url)[0] == 0
    visits = pd.read_csv(pilot_folder / "visits.csv")
    old = float(
        visits.loc[
            (visits["patient_id"] == "P01") & (visits["visit_date"] == "2009-03-14"), "ck"
        ].iloc[0]
    )
    code, output = _run(
        "correct", "P01", "2009-03-14", "ck", "1300", "--reason", "lab report",
        "--db", db_url, "--user", "monitor",
    )  # fmt: skip
    assert code == 0, output
    # shown as a trial file writes it: 1300, not 1300.0 (docs/store.md)
    assert f"'{old:g}' -> '1300' (audited)" in output
    csv = tmp_path / "audit.csv"
    code, output = _run("audit", "--patient", "P01", "--db", db_url, "--csv", str(csv))
    assert code == 0
    last = csv.read_text(encoding="utf-8").splitlines()[-1]
    assert f",visits,P01|2009-03-14,P01,update,ck,{old},1300.0,lab report," in last


def test_correct_without_reason_is_a_usage_error(db_url: str) -> None:
    code, output = _run("correct", "P01", "2009-03-14", "ck", "1300", "--db", db_url)
    assert code == 2
    assert "--reason" in output


def _only_first_patient(folder: Path, tmp_path: Path) -> Path:
    from myotrial.ingest import read_trial

    trial = read_trial(folder)
    first = trial.patients["patient_id"].iloc[0]
    # Patient tables only: the product record (donors, lots) has no patient.
    tables = {t: trial.table(t) for t in TABLES}
    kept = {t: f[f["patient_id"] == first] for t, f in tables.items() if "patient_id" in f}
    out = tmp_path / "one-patient"
    write_trial_folder(trial.with_tables(**kept), out)
    return out


def test_import_that_would_delete_exits_2_naming_counts_and_keys(
    db_url: str, pilot_folder: Path, tmp_path: Path
) -> None:
    assert _run("import", str(pilot_folder), "--db", db_url)[0] == 0
    before = database_snapshot(db_url)
    code, output = _run("import", str(_only_first_patient(pilot_folder, tmp_path)), "--db", db_url)
    assert code == 2
    assert database_snapshot(db_url) == before
    assert "refused, nothing written" in output
    assert "would delete 9 rows of patients" in output
    assert "P02, P03, P04, P05, P06, ..." in output
    assert "--allow-deletions" in output


def test_import_with_allow_deletions_deletes_and_reports_it(
    db_url: str, pilot_folder: Path, tmp_path: Path
) -> None:
    assert _run("import", str(pilot_folder), "--db", db_url)[0] == 0
    folder = _only_first_patient(pilot_folder, tmp_path)
    code, output = _run("import", str(folder), "--db", db_url, "--allow-deletions")
    assert code == 0, output
    assert "import 2 recorded" in output
    _run("audit", "--db", db_url, "--csv", str(tmp_path / "audit.csv"))
    audit = pd.read_csv(tmp_path / "audit.csv")
    deleted = audit[(audit["import_id"] == 2) & (audit["action"] == "delete")]
    assert (deleted["table"] == "patients").sum() == 9


def test_dry_run_prints_each_change_and_writes_nothing(
    db_url: str, pilot_folder: Path, tmp_path: Path
) -> None:
    assert _run("import", str(pilot_folder), "--db", db_url)[0] == 0
    before = database_snapshot(db_url)
    folder = _only_first_patient(pilot_folder, tmp_path)
    code, output = _run("import", str(folder), "--db", db_url, "--dry-run")
    assert code == 0, output
    assert database_snapshot(db_url) == before
    assert "delete\tpatients\tP02\t" in output  # tab-separated off a terminal
    assert "dry run: nothing written" in output
