"""``myotrial analyze`` on a trial folder and on the trial in a database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from myotrial.analysis.result import TABLE_NAMES
from myotrial.cli import main
from myotrial.ingest.writer import write_trial_folder
from myotrial.store import open_store
from myotrial.synthetic import make_pilot


def _check_folder(out: Path, output: str, source: str) -> None:
    for name in TABLE_NAMES:
        assert (out / f"{name}.csv").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["patients"] == 10
    assert source in summary["source"]
    assert str(out) in output


def test_analyze_reads_a_trial_folder(tmp_path: Path) -> None:
    folder = tmp_path / "trial"
    write_trial_folder(make_pilot(), folder)
    out = tmp_path / "analysis"
    result = CliRunner().invoke(main, ["analyze", str(folder), "-o", str(out)])
    assert result.exit_code == 0, result.output
    _check_folder(out, result.stdout, "trial")
    checksum = json.loads((out / "summary.json").read_text())["input_checksum"]
    assert len(checksum) == 64  # SHA-256 of the input, set by the reader


@pytest.mark.slow
def test_analyze_reads_the_database(tmp_path: Path, db_url: str) -> None:
    store = open_store(db_url)
    try:
        store.save_trial(make_pilot(), user="tester", reason="analysis test")
    finally:
        store.close()
    out = tmp_path / "analysis"
    result = CliRunner().invoke(main, ["analyze", "--db", db_url, "-o", str(out)])
    assert result.exit_code == 0, result.output
    _check_folder(out, result.stdout, db_url.split("://")[0].split("+")[0])


def test_analyze_reports_an_invalid_folder_with_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "trial"
    write_trial_folder(make_pilot(), folder)
    visits = folder / "visits.csv"
    lines = visits.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("ck")] = "-5"
    visits.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")
    result = CliRunner().invoke(main, ["analyze", str(folder), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "ck" in result.output
    assert not (tmp_path / "out").exists()
