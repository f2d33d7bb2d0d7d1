"""``validate`` finds what ``analyze`` would refuse, against the user's own file, row and
column, with hints in the syntax of trial.toml or the workbook's trial sheet."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from myotrial.cli import main
from myotrial.errors import InvalidInputError, Problem
from myotrial.ingest.writer import write_trial_folder, write_workbook
from myotrial.synthetic import make_pilot

TIS_ENZYMES = ["ck", "aldolase", "ldh", "ast", "alt"]  # docs/measures.md §2


def _validate(path: Path) -> Result:
    return CliRunner().invoke(main, ["validate", str(path), "--format", "table"])


def _rows_needing_uln(visits: pd.DataFrame, enzyme: str) -> list[int]:
    # A visit with two or more TIS enzymes needs each one's ULN (spreadsheet rows).
    several = visits[TIS_ENZYMES].notna().sum(axis=1) >= 2
    return [i + 2 for i in visits.index[several & visits[enzyme].notna()]]


def _ranges(rows: list[int]) -> str:
    parts, start = [], rows[0]
    for a, b in zip(rows, [*rows[1:], None], strict=True):
        if b != a + 1:
            parts.append(str(start) if start == a else f"{start}-{a}")
            start = b
    return ", ".join(parts)


@pytest.fixture(scope="module")
def pilot_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pilot") / "trial"
    write_trial_folder(make_pilot(2011), folder)
    return folder


@pytest.fixture(scope="module")
def workbook_without_settings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("book") / "trial.xlsx"
    write_workbook(make_pilot(2011), path)
    book = openpyxl.load_workbook(path)
    del book["trial"]
    book.save(path)
    return path


def test_workbook_without_trial_sheet_fails_validate_on_each_enzyme_uln(
    workbook_without_settings: Path, pilot_folder: Path
) -> None:
    result = _validate(workbook_without_settings)
    assert result.exit_code == 2
    rows = _rows_needing_uln(pd.read_csv(pilot_folder / "visits.csv"), "ck")
    assert (
        f"  trial.xlsx sheet visits rows {_ranges(rows)} ({len(rows)} rows), column ck_uln: "
        "no upper limit of normal for ck (give ck_uln in the row, or the laboratory's "
        "limit once: a row uln.ck in the workbook's trial sheet)\n"
    ) in result.stdout
    assert "no problems found" not in result.output
    assert "pairs" not in result.output and "{'" not in result.output


def test_analyze_refuses_with_the_same_problems_validate_lists(
    workbook_without_settings: Path, tmp_path: Path
) -> None:
    listed = _validate(workbook_without_settings).stdout.splitlines()
    refused = CliRunner().invoke(
        main, ["analyze", str(workbook_without_settings), "-o", str(tmp_path / "out")]
    )
    assert refused.exit_code == 2
    head = next(i for i, line in enumerate(listed) if line.endswith("problems found:"))
    problems = listed[head + 1 :]
    assert refused.stderr.splitlines()[1:] == problems
    assert not (tmp_path / "out").exists()


def _copy(folder: Path, target: Path) -> Path:
    target.mkdir()
    for path in folder.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


def _drop_uln_table(folder: Path) -> None:
    toml = (folder / "trial.toml").read_text(encoding="utf-8")
    without = re.sub(r"\[uln\]\n(?:[^\[\n][^\n]*\n)*", "", toml)
    assert "[uln]" in toml and "[uln]" not in without
    (folder / "trial.toml").write_text(without, encoding="utf-8")


def test_folder_without_uln_table_gets_a_trial_toml_hint(
    pilot_folder: Path, tmp_path: Path
) -> None:
    folder = _copy(pilot_folder, tmp_path / "trial")
    _drop_uln_table(folder)
    result = _validate(folder)
    assert result.exit_code == 2
    assert (
        "column ldh_uln: no upper limit of normal for ldh (give ldh_uln in the row, or the "
        "laboratory's limit once: ldh = ... under [uln] in trial.toml)\n"
    ) in result.stdout


def test_one_enzyme_per_visit_needs_no_uln(pilot_folder: Path, tmp_path: Path) -> None:
    folder = _copy(pilot_folder, tmp_path / "trial")
    _drop_uln_table(folder)
    visits = pd.read_csv(folder / "visits.csv", dtype=str, keep_default_na=False)
    keep = [c for c in visits.columns if c not in [*TIS_ENZYMES[1:], "ck_mb"]]
    visits[keep].to_csv(folder / "visits.csv", index=False)
    result = _validate(folder)
    assert result.exit_code == 0, result.output
    assert "no problems found" in result.stdout


def test_visits_of_a_patient_on_two_mmt_forms(pilot_folder: Path, tmp_path: Path) -> None:
    folder = _copy(pilot_folder, tmp_path / "trial")
    visits = pd.read_csv(folder / "visits.csv", dtype=str, keep_default_na=False)
    visits["mmt_max"] = ""
    visits.loc[2, "mmt_max"] = "150"  # spreadsheet row 4, a follow-up of P01
    visits.to_csv(folder / "visits.csv", index=False)
    result = _validate(folder)
    assert result.exit_code == 2
    assert result.stdout.endswith(
        "1 problem found:\n"
        "  visits.csv row 4, column mmt_max: '150' differs from the patient's MMT-8 form "
        "(the patient's first visit uses mmt_max 80; every visit of a patient uses one "
        "MMT-8 form)\n"
    )


def test_any_other_refusal_of_the_analysis_is_reported_by_validate(
    pilot_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusal = Problem("patients.csv", 3, "arm", "x", "is not an arm of the trial", "fix it")

    def refuse(trial: object) -> None:
        raise InvalidInputError([refusal])

    monkeypatch.setattr("myotrial.services.analysis.analyze", refuse)
    result = _validate(pilot_folder)
    assert result.exit_code == 2
    assert f"  {refusal}\n" in result.stdout
