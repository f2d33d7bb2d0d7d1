"""``myotrial analyze``: the command writes every table and prints the folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_trials import make_trial
from click.testing import CliRunner

from myotrial.analysis.result import TABLE_NAMES
from myotrial.cli import main
from myotrial.services import analysis as service


def test_analyze_writes_every_table_and_prints_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    visits = [
        {"patient_id": "P1", "day": 0, "ck": 1000},
        {"patient_id": "P1", "day": 30, "ck": 400},
    ]
    # the loader is the store's and ingest's business; here it hands over a known trial
    monkeypatch.setattr(service, "load_trial", lambda path, url: make_trial(visits=visits))
    out = tmp_path / "analysis"
    result = CliRunner().invoke(main, ["analyze", "--db", "sqlite://", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout
    for name in TABLE_NAMES:
        assert (out / f"{name}.csv").is_file()
    assert (out / "summary.json").is_file()


def test_analyze_rejects_a_bad_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["analyze", "--population", "child", "-o", str(tmp_path)])
    assert result.exit_code == 2
