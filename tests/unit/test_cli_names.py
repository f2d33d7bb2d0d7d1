"""One spelling per option in the help, old spellings kept; both spellings of commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from myotrial.analysis.options import AnalysisOptions
from myotrial.cli import main
from myotrial.ingest.writer import write_trial_folder
from myotrial.synthetic import make_pilot


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def pilot_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("names") / "pilot"
    write_trial_folder(make_pilot(2011), folder)
    return folder


@pytest.mark.parametrize(
    "command",
    [
        ["demo"],
        ["analyze"],
        ["report"],
        ["score", "tis"],
        ["score", "doi"],
        ["classify"],
        ["randomise"],
        ["design"],
        ["export", "redcap"],
        ["export", "sdtm"],
        ["export", "adam"],
        ["export", "fhir"],
    ],
)
def test_every_writing_command_shows_dash_o_output_and_hides_out(command: list[str]) -> None:
    text = _invoke(*command, "--help").output
    assert "-o, --output" in text
    assert "--out " not in text and "--out," not in text


@pytest.mark.parametrize(
    ("spelling", "canonical"), [("analyse", "analyze"), ("randomize", "randomise")]
)
def test_both_spellings_run_the_same_command(spelling: str, canonical: str) -> None:
    result = _invoke(spelling, "--help")
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: main {canonical} [OPTIONS]")


def test_randomize_writes_the_same_list_as_randomise(tmp_path: Path) -> None:
    args = ["--n-per-stratum", "4", "--strata", "site=A,B", "--seed", "7"]
    assert _invoke("randomise", *args, "-o", str(tmp_path / "a.csv")).exit_code == 0
    assert _invoke("randomize", *args, "--out", str(tmp_path / "b.csv")).exit_code == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_old_out_spelling_still_writes(tmp_path: Path, pilot_folder: Path) -> None:
    result = _invoke("analyse", str(pilot_folder), "--out", str(tmp_path / "tables"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tables" / "summary.json").exists()


def test_problems_csv_is_one_option_spelled_csv(tmp_path: Path, pilot_folder: Path) -> None:
    help_text = _invoke("validate", "--help").output
    assert "--csv FILE" in help_text and "--problems-csv" not in help_text
    old = _invoke("validate", str(pilot_folder), "--problems-csv", str(tmp_path / "p.csv"))
    assert old.exit_code == 0
    assert (tmp_path / "p.csv").read_text(encoding="utf-8") == ("file,row,column,value,rule,hint\n")


def test_report_passes_the_analysis_options(
    tmp_path: Path, pilot_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[AnalysisOptions | None] = []

    def stop(
        trial: object, options: AnalysisOptions | None, progress: object, plan: object = None
    ) -> None:
        seen.append(options)
        raise SystemExit(0)

    monkeypatch.setattr("myotrial.services.report.analyse_as_planned", stop)
    out = str(tmp_path / "r.html")
    _invoke("report", str(pilot_folder), "-o", out, "--missing", "zero", "--population", "juvenile")
    assert seen == [AnalysisOptions(population="juvenile", missing="zero")]


def test_export_adam_passes_the_analysis_options(
    tmp_path: Path, pilot_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[AnalysisOptions | None] = []

    def export(trial: object, out: Path, file_format: str, options: AnalysisOptions) -> list[Path]:
        seen.append(options)
        return []

    monkeypatch.setattr("myotrial.services.exchange.export_adam", export)
    result = _invoke("export", "adam", str(pilot_folder), "-o", str(tmp_path), "--missing", "zero")
    assert result.exit_code == 0, result.output
    assert seen == [AnalysisOptions(population=None, missing="zero")]


def test_fhir_output_folder_gets_bundle_json(tmp_path: Path, pilot_folder: Path) -> None:
    result = _invoke("export", "fhir", str(pilot_folder), "-o", f"{tmp_path}/fhir/")
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "fhir").iterdir()] == ["bundle.json"]
