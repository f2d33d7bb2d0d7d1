"""``myotrial demo`` from the command line, end to end in a temporary folder."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from myotrial.cli import main
from myotrial.trialdata import TABLES


def test_demo_writes_the_synthetic_trial_and_says_where(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for table in TABLES:
        assert (out / "trial" / f"{table}.csv").is_file()
        assert f"{table}.csv" in result.output
    assert "SYNTHETIC" in (out / "trial" / "trial.toml").read_text()
    assert (out / "trial" / "README.txt").is_file()
    assert (out / "trial.xlsx").is_file()
    assert "simulated" in result.output


def test_demo_with_the_same_seed_writes_the_same_files(tmp_path: Path) -> None:
    runner = CliRunner()
    for name in ("a", "b"):
        result = runner.invoke(main, ["demo", "--out", str(tmp_path / name), "--seed", "3"])
        assert result.exit_code == 0, result.output
    for path in (tmp_path / "a" / "trial").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / "trial" / path.name).read_bytes()
