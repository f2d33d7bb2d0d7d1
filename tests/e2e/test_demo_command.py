"""``myotrial demo`` from the command line, end to end in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from myotrial.cli import main
from myotrial.store import open_store
from myotrial.synthetic import make_pilot
from myotrial.trialdata import TABLES


def test_demo_writes_imports_and_says_where_and_a_rerun_changes_nothing(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["demo", "--out", str(tmp_path)])
    assert first.exit_code == 0, first.output
    for table in TABLES:
        assert (tmp_path / "trial" / f"{table}.csv").is_file()
        assert f"{table}.csv" in first.output
    assert "SYNTHETIC" in (tmp_path / "trial" / "trial.toml").read_text()
    assert (tmp_path / "trial" / "README.txt").is_file()
    assert (tmp_path / "trial.xlsx").is_file()
    assert "myotrial.db" in first.output
    summary = json.loads((tmp_path / "analysis" / "summary.json").read_text())
    assert summary["counts"]["patients"] == 10
    assert summary["counts"]["retreatments"] == 2
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "SYNTHETIC DATA" in report
    assert "report.html" in first.output
    assert "simulated" in first.output

    store = open_store(f"sqlite:///{tmp_path / 'myotrial.db'}")
    try:
        stored = store.load_trial()
        audit = store.audit()
    finally:
        store.close()
    pilot = make_pilot(2011)
    for table in TABLES:
        pd.testing.assert_frame_equal(
            stored.table(table).reset_index(drop=True), pilot.table(table), check_like=True
        )
    assert (audit["action"] == "insert").all()
    assert set(audit["user"]) == {"myotrial demo"}

    again = runner.invoke(main, ["demo", "--out", str(tmp_path)])
    assert again.exit_code == 0, again.output
    assert "no change" in again.output
