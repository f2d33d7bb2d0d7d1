"""``myotrial validate``: summary, every problem, CSV of problems, exit status, no changes."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner
from ingest_cases import valid_tables, write_folder

from myotrial.cli import main


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_valid_folder_exits_0_and_prints_row_counts(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["visits"][0]["nurse_note"] = "ok"
    for row in tables["visits"][1:]:
        row["nurse_note"] = ""
    folder = write_folder(tmp_path / "t", tables)
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert "patients: 2 rows" in result.output
    assert "visits: 3 rows; extra columns kept: nurse_note" in result.output
    assert "no problems found" in result.output


def test_invalid_folder_exits_2_lists_problems_and_changes_nothing(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["visits"][1]["ck"] = "-3"
    tables["visits"][2]["patient_id"] = "P99"
    folder = write_folder(tmp_path / "t", tables)
    before = snapshot(folder)
    out = tmp_path / "problems.csv"
    result = CliRunner().invoke(
        main, ["validate", str(folder), "--csv", str(out), "--format", "table"]
    )
    assert result.exit_code == 2
    assert "2 problems found" in result.output
    assert "visits.csv row 3, column ck: '-3' is below 0" in result.output
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["file"], r["row"], r["column"], r["value"], r["rule"]) for r in rows] == [
        ("visits.csv", "3", "ck", "-3", "is below 0"),
        ("visits.csv", "4", "patient_id", "P99", "refers to an unknown patient"),
    ]
    assert snapshot(folder) == before


def test_missing_path_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "absent")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
