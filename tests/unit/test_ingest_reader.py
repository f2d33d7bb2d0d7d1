"""Reading trial folders and workbooks: files, sheets, configuration, extra columns, checksum."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from ingest_cases import TRIAL_SETTINGS, valid_tables, write_folder, write_workbook

from myotrial import InvalidInputError, Problem
from myotrial.ingest import checksum_of, inspect_trial, read_trial
from myotrial.trialdata import TABLES


def whole_file(problems: list[Problem]) -> list[tuple[str, int | None, str | None, str]]:
    return [(p.file, p.row, p.column, p.rule) for p in problems]


def test_missing_required_column_is_one_problem(tmp_path: Path) -> None:
    tables = valid_tables()
    for row in tables["patients"]:
        del row["sex"]
    problems = inspect_trial(write_folder(tmp_path / "t", tables)).problems
    assert problems == [
        Problem(
            "patients.csv",
            None,
            "sex",
            None,
            "required column is missing",
            "add a column named sex to the header row",
        )
    ]


def test_column_name_in_capitals_gets_a_hint(tmp_path: Path) -> None:
    tables = valid_tables()
    for row in tables["visits"]:
        row["Visit_Date"] = row.pop("visit_date")
    (problem,) = inspect_trial(write_folder(tmp_path / "t", tables)).problems
    assert (problem.file, problem.column, problem.rule) == (
        "visits.csv",
        "visit_date",
        "required column is missing",
    )
    assert problem.hint == "found 'Visit_Date': column names are lower case"


def test_broken_trial_toml_is_reported_with_the_tables(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["visits"][0]["ck"] = "-5"
    check = inspect_trial(write_folder(tmp_path / "t", tables, toml="[trial\nname = 1"))
    assert [(p.file, p.row, p.column) for p in check.problems] == [
        ("trial.toml", None, None),
        ("visits.csv", 2, "ck"),
    ]
    assert check.problems[0].rule.startswith("is not valid TOML")


def test_bad_setting_in_trial_toml_names_the_key(tmp_path: Path) -> None:
    toml = '[trial]\nmmt_max = 90\nvas_unit = "inch"\n'
    problems = inspect_trial(write_folder(tmp_path / "t", toml=toml)).problems
    assert [(p.file, p.column, p.rule) for p in problems] == [
        ("trial.toml", "trial.mmt_max", "must be one of 80, 150"),
        ("trial.toml", "trial.vas_unit", "must be one of cm, mm"),
    ]


def test_missing_trial_toml_means_defaults(tmp_path: Path) -> None:
    trial = read_trial(write_folder(tmp_path / "t", toml=None))
    assert (trial.config.mmt_max, trial.config.vas_unit) == (80, "cm")


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"", "is empty (no header row)"),
        (b"\n\n", "is empty (no header row)"),
        (b"visit_date,ck\n\xff\xfe2011,3\n", "is not UTF-8 text"),
    ],
)
def test_empty_or_unreadable_file(tmp_path: Path, content: bytes, rule: str) -> None:
    folder = write_folder(tmp_path / "t")
    (folder / "visits.csv").write_bytes(content)
    problems = inspect_trial(folder).problems
    assert [(p.file, p.row, p.column) for p in problems] == [("visits.csv", None, None)]
    assert problems[0].rule.startswith(rule)


def test_file_that_cannot_be_opened(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "t")
    (folder / "events.csv").unlink()
    (folder / "events.csv").mkdir()  # a folder where a file should be cannot be read
    (problem,) = inspect_trial(folder).problems
    assert (problem.file, problem.row) == ("events.csv", None)
    assert problem.rule.startswith("cannot be read")


def test_header_only_patients_file_has_no_data_rows(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "t")
    (folder / "patients.csv").write_text("patient_id,sex,diagnosis,enrolment_date\n")
    problems = inspect_trial(folder).problems
    assert whole_file(problems)[0] == ("patients.csv", None, None, "has no data rows")


def test_ragged_csv_is_reported(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "t")
    (folder / "events.csv").write_text(
        "patient_id,event_date,type,note\nP02,2011-08-01,relapse,,extra,more\n"
    )
    (problem,) = inspect_trial(folder).problems
    assert (problem.file, problem.row) == ("events.csv", None)
    assert problem.rule.startswith("is not valid CSV")


@pytest.mark.parametrize("name", ["patients", "visits"])
def test_required_file_missing(tmp_path: Path, name: str) -> None:
    folder = write_folder(tmp_path / "t")
    (folder / f"{name}.csv").unlink()
    problems = inspect_trial(folder).problems
    assert whole_file(problems) == [(f"{name}.csv", None, None, "required file is missing")]


def test_optional_files_may_be_absent(tmp_path: Path) -> None:
    tables = {k: v for k, v in valid_tables().items() if k in ("patients", "visits")}
    trial = read_trial(write_folder(tmp_path / "t", tables))
    assert trial.infusions.empty and "infusion_date" in trial.infusions.columns
    assert trial.infusions["infusion_date"].dtype == "datetime64[ns]"


def test_blank_lines_keep_spreadsheet_row_numbers(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "t")
    lines = (folder / "visits.csv").read_text().splitlines()
    lines.insert(2, "")  # a blank line as row 3
    lines[3] = lines[3].replace(",293,", ",-293,")
    (folder / "visits.csv").write_text("\n".join(lines) + "\n")
    problems = inspect_trial(folder).problems
    assert [(p.row, p.column) for p in problems] == [(4, "ck")]


def test_unknown_columns_are_kept_and_reported(tmp_path: Path) -> None:
    tables = valid_tables()
    for i, row in enumerate(tables["visits"]):
        row["nurse_note"] = f"note {i}"
    tables["patients"][0]["hospital"] = "A"
    tables["patients"][1]["hospital"] = ""
    trial = read_trial(write_folder(tmp_path / "t", tables))
    assert trial.extra_columns == {"patients": ("hospital",), "visits": ("nurse_note",)}
    assert trial.visits["nurse_note"].tolist() == ["note 0", "note 1", "note 2"]
    assert trial.patients["hospital"].tolist() == ["A", None]


def test_checksum_is_sha256_of_names_and_bytes(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "t")
    trial = read_trial(folder)
    digest = hashlib.sha256()
    for name in ["trial.toml"] + [f"{t}.csv" for t in TABLES]:
        if not (folder / name).exists():  # the optional product record is not written
            continue
        data = (folder / name).read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode() + data)
    assert trial.checksum == digest.hexdigest() == checksum_of(folder)
    assert trial.source == str(folder)


def test_checksum_changes_with_one_byte(tmp_path: Path) -> None:
    first = read_trial(write_folder(tmp_path / "a")).checksum
    tables = valid_tables()
    tables["visits"][0]["ck"] = "1682"
    assert read_trial(write_folder(tmp_path / "b", tables)).checksum != first


def test_path_that_is_not_a_trial(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InvalidInputError) as info:
        read_trial(tmp_path / "notes.txt")
    assert info.value.problems[0].rule == "is not a folder or an .xlsx workbook"
    with pytest.raises(InvalidInputError) as info:
        read_trial(tmp_path / "absent")
    assert info.value.problems[0].rule == "does not exist"


def test_workbook_and_folder_give_the_same_trial(tmp_path: Path) -> None:
    from_folder = read_trial(write_folder(tmp_path / "t"))
    book = write_workbook(tmp_path / "trial.xlsx", settings=TRIAL_SETTINGS)
    from_book = read_trial(book)
    assert from_book.config == from_folder.config
    for table in TABLES:
        pd.testing.assert_frame_equal(from_book.table(table), from_folder.table(table))
    assert (
        from_book.checksum
        == hashlib.sha256(
            f"trial.xlsx\0{book.stat().st_size}\0".encode() + book.read_bytes()
        ).hexdigest()
    )


def test_workbook_without_a_required_sheet(tmp_path: Path) -> None:
    tables = {k: v for k, v in valid_tables().items() if k != "visits"}
    problems = inspect_trial(write_workbook(tmp_path / "trial.xlsx", tables)).problems
    assert whole_file(problems) == [("trial.xlsx", None, None, "has no sheet named visits")]


def test_workbook_problems_name_the_sheet(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["visits"][1]["ck"] = "-3"
    problems = inspect_trial(write_workbook(tmp_path / "trial.xlsx", tables)).problems
    assert whole_file(problems) == [("trial.xlsx sheet visits", 3, "ck", "is below 0")]


def test_workbook_trial_sheet_settings(tmp_path: Path) -> None:
    settings = [
        ("trial.vas_unit", "mm"),
        ("trial.mmt_max", 150),
        ("units.ck", "ukat/L"),
        ("uln.ck", 3.3),
        ("timepoints.month1.day", 30),
        ("timepoints.month1.window", 7),
    ]
    trial = read_trial(write_workbook(tmp_path / "trial.xlsx", settings=settings))
    config = trial.config
    assert (config.vas_unit, config.mmt_max, config.unit("ck")) == ("mm", 150, "ukat/L")
    assert config.uln["ck"] == 3.3
    assert [(t.name, t.day, t.window) for t in config.timepoints] == [("month1", 30, 7)]


def test_workbook_trial_sheet_bad_rows(tmp_path: Path) -> None:
    settings = [("vas_unit", "mm"), ("trial.mmt_max", 90), ("uln.ck", 200), ("uln.ck", 210)]
    problems = inspect_trial(write_workbook(tmp_path / "t.xlsx", settings=settings)).problems
    assert [(p.file, p.row, p.column, p.rule) for p in problems] == [
        ("t.xlsx sheet trial", None, "trial.mmt_max", "must be one of 80, 150"),
        ("t.xlsx sheet trial", 2, "key", "is not a section.name key"),
        ("t.xlsx sheet trial", 5, "key", "is given twice"),
    ]


def test_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    (tmp_path / "trial.xlsx").write_text("not a zip")
    problems = inspect_trial(tmp_path / "trial.xlsx").problems
    assert [(p.file, p.row) for p in problems] == [("trial.xlsx", None)]
    assert problems[0].rule.startswith("cannot be read as an .xlsx workbook")


def test_semicolon_separated_file_is_named_as_such(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "t")
    (folder / "events.csv").write_text("patient_id;event_date;type\nP02;2011-08-01;relapse\n")
    problems = inspect_trial(folder).problems
    assert whole_file(problems) == [
        ("events.csv", 1, None, "is separated by semicolons, not commas")
    ]


def test_empty_sheet_is_reported(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    book_path = write_workbook(tmp_path / "trial.xlsx")
    book = load_workbook(book_path)
    del book["events"]
    book.create_sheet("events")
    book.save(book_path)
    problems = inspect_trial(book_path).problems
    assert whole_file(problems) == [
        ("trial.xlsx sheet events", None, None, "is empty (no header row)")
    ]


@pytest.mark.parametrize(
    ("name", "rule"), [("visits", "required file is missing"), ("events", "file is missing")]
)
def test_file_name_in_capitals_is_not_ignored(tmp_path: Path, name: str, rule: str) -> None:
    folder = write_folder(tmp_path / "t")
    (folder / f"{name}.csv").rename(folder / f"{name.capitalize()}.csv")
    problems = inspect_trial(folder).problems
    assert problems == [
        Problem(
            f"{name}.csv",
            None,
            None,
            None,
            rule,
            f"found {name.capitalize()}.csv: file names are lower case",
        )
    ]


def test_synthetic_pilot_reads_back_alike_from_folder_and_workbook(tmp_path: Path) -> None:
    from myotrial.ingest.writer import write_trial_folder
    from myotrial.ingest.writer import write_workbook as write_trial_workbook
    from myotrial.synthetic import make_pilot

    pilot = make_pilot(seed=2011)
    write_trial_folder(pilot, tmp_path / "pilot")
    from_folder = read_trial(tmp_path / "pilot")
    from_book = read_trial(write_trial_workbook(pilot, tmp_path / "pilot.xlsx"))
    assert from_book.config == from_folder.config
    for table in TABLES:
        pd.testing.assert_frame_equal(from_book.table(table), from_folder.table(table))
        assert len(from_folder.table(table)) == len(pilot.table(table))
    assert from_folder.visits["ck"].tolist() == pytest.approx(
        pilot.visits["ck"].tolist(), nan_ok=True
    )
