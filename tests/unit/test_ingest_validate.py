"""Validation of a trial folder: each bad input gives one exact problem (file/row/column/rule)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from ingest_cases import TRIAL_TOML, valid_tables, write_folder

from myotrial import InvalidInputError, Problem, TrialConfig, TrialData
from myotrial.ingest import inspect_trial, parse_records, read_trial, validate_trial


def problems_after(
    tmp_path: Path, table: str, index: int, column: str, value: str, toml: str = TRIAL_TOML
) -> list[Problem]:
    tables = valid_tables()
    tables[table][index][column] = value
    return inspect_trial(write_folder(tmp_path / "trial", tables, toml)).problems


def where(problems: list[Problem]) -> list[tuple[str, int | None, str | None, str]]:
    return [(p.file, p.row, p.column, p.rule) for p in problems]


def test_valid_folder_has_no_problem(tmp_path: Path) -> None:
    trial = read_trial(write_folder(tmp_path / "trial"))
    assert len(trial.patients) == 2 and len(trial.visits) == 3
    assert trial.visits["ck"].tolist() == [1681.0, 293.0, 2100.0]
    assert trial.visits["visit_date"].dtype == "datetime64[ns]"
    assert trial.patients["ild"].tolist() == [True, False]
    assert trial.config.uln["ck"] == 200.0


@pytest.mark.parametrize(
    ("value", "rule", "hint"),
    [
        ("-3", "is below 0", "enzyme activity cannot be negative"),
        (
            "high",
            "is not a number",
            "enzyme activity: write digits with a decimal point, or leave the cell empty",
        ),
        (
            "1,681",
            "is not a number",
            "enzyme activity: write digits with a decimal point, or leave the cell empty",
        ),
    ],
)
def test_bad_lab_value_is_reported_at_its_cell(
    tmp_path: Path, value: str, rule: str, hint: str
) -> None:
    problems = problems_after(tmp_path, "visits", 1, "ck", value)
    assert problems == [Problem("visits.csv", 3, "ck", value, rule, hint)]


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("phga", "11", "is outside 0-10 (cm)"),
        ("ptga", "-0.5", "is outside 0-10 (cm)"),
        ("extramuscular", "55", "is outside 0-10 (cm)"),
        ("haq", "3.5", "is outside 0-3"),
        ("mmt8", "81", "is above the MMT-8 maximum"),
        ("mmt8", "-1", "is below 0"),
        ("fvc_pct", "5", "is outside 10-200"),
        ("prednisone_mg", "2500", "is outside 0-2000"),
        ("ulcers", "1.5", "must be a whole number"),
        ("ulcers", "-1", "is below 0"),
        ("ck_uln", "0", "must be above 0"),
    ],
)
def test_score_outside_its_scale_is_reported(
    tmp_path: Path, column: str, value: str, rule: str
) -> None:
    problems = problems_after(tmp_path, "visits", 0, column, value)
    assert where(problems) == [("visits.csv", 2, column, rule)]
    assert problems[0].value == value


def test_vas_in_mm_accepts_0_to_100_when_declared(tmp_path: Path) -> None:
    toml = TRIAL_TOML.replace('vas_unit = "cm"', 'vas_unit = "mm"')
    assert problems_after(tmp_path / "a", "visits", 0, "phga", "55", toml) == []
    problems = problems_after(tmp_path / "b", "visits", 0, "phga", "101", toml)
    assert where(problems) == [("visits.csv", 2, "phga", "is outside 0-100 (mm)")]


def test_vas_hint_names_the_declared_unit(tmp_path: Path) -> None:
    (problem,) = problems_after(tmp_path / "a", "visits", 0, "phga", "60")
    assert 'declare vas_unit = "mm"' in problem.hint
    (problem,) = problems_after(tmp_path / "b", "visits", 0, "phga", "-1")
    assert problem.hint == "visual analogue scale in cm; values are never clipped"


@pytest.mark.parametrize(
    ("population", "age", "expected"),
    [
        ("adult", "17", ["is outside 18-100"]),
        ("adult", "18", []),
        ("juvenile", "9", []),
        ("juvenile", "101", ["is outside 0-100"]),
    ],
)
def test_age_range_depends_on_population(
    tmp_path: Path, population: str, age: str, expected: list[str]
) -> None:
    toml = TRIAL_TOML.replace('population = "adult"', f'population = "{population}"')
    problems = problems_after(tmp_path, "patients", 0, "age", age, toml)
    assert [p.rule for p in problems] == expected
    assert all((p.row, p.column) == (2, "age") for p in problems)


@pytest.mark.parametrize(
    "value", ["05/01/2011", "2011-02-30", "2011-01-05T00:00", "yesterday", "2011-1-5", "20110105"]
)
def test_unparseable_visit_date_is_reported_once(tmp_path: Path, value: str) -> None:
    problems = problems_after(tmp_path, "visits", 2, "visit_date", value)
    assert problems == [
        Problem(
            "visits.csv",
            4,
            "visit_date",
            value,
            "is not a date in YYYY-MM-DD form",
            "e.g. 2011-03-14; dates are never guessed",
        )
    ]


def test_duplicate_patient_points_at_first_row(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["patients"].append(dict(tables["patients"][0]))
    problems = inspect_trial(write_folder(tmp_path / "trial", tables)).problems
    assert problems == [
        Problem(
            "patients.csv",
            4,
            "patient_id",
            "P01",
            "repeats the key (patient_id)",
            "first given in row 2",
        )
    ]


def test_duplicate_visit_is_reported_on_the_later_row(tmp_path: Path) -> None:
    problems = problems_after(tmp_path, "visits", 1, "visit_date", "2011-01-05")
    assert problems == [
        Problem(
            "visits.csv",
            3,
            "patient_id, visit_date",
            "P01 / 2011-01-05",
            "repeats the key (patient_id, visit_date)",
            "first given in row 2",
        )
    ]


@pytest.mark.parametrize(
    ("table", "file"),
    [
        ("visits", "visits.csv"),
        ("infusions", "infusions.csv"),
        ("adverse_events", "adverse_events.csv"),
        ("events", "events.csv"),
        ("medications", "medications.csv"),
    ],
)
def test_unknown_patient_is_reported_in_every_child_table(
    tmp_path: Path, table: str, file: str
) -> None:
    problems = problems_after(tmp_path, table, 0, "patient_id", "P99")
    assert where(problems) == [(file, 2, "patient_id", "refers to an unknown patient")]


def test_infusion_before_enrolment(tmp_path: Path) -> None:
    problems = problems_after(tmp_path, "infusions", 1, "infusion_date", "2011-01-31")
    assert problems == [
        Problem(
            "infusions.csv",
            3,
            "infusion_date",
            "2011-01-31",
            "is before the patient's enrolment date",
            "enrolled 2011-02-01",
        )
    ]


@pytest.mark.parametrize(
    ("table", "index", "column", "value", "rule"),
    [
        ("visits", 0, "visit_date", "2011-01-04", "is before the patient's enrolment date"),
        ("adverse_events", 0, "onset_date", "2010-12-31", "is before the patient's enrolment date"),
        ("events", 0, "event_date", "2011-01-31", "is before the patient's enrolment date"),
        ("patients", 0, "onset_date", "2011-01-06", "is after the enrolment date"),
        ("patients", 1, "diagnosis_date", "2011-02-02", "is after the enrolment date"),
        ("adverse_events", 0, "resolved_date", "2011-01-04", "is before the onset date"),
        ("medications", 0, "stop_date", "2010-01-09", "is before the start date"),
    ],
)
def test_dates_out_of_order(
    tmp_path: Path, table: str, index: int, column: str, value: str, rule: str
) -> None:
    problems = problems_after(tmp_path, table, index, column, value)
    assert where(problems) == [(f"{table}.csv", index + 2, column, rule)]


@pytest.mark.parametrize(
    ("table", "column", "value", "rule"),
    [
        ("patients", "sex", "f", "is not one of F, M"),
        (
            "patients",
            "diagnosis",
            "dermatomyositis",
            "is not one of PM, DM, ADM, JDM, IMNM, ASS, OM, IBM",
        ),
        ("patients", "ild", "yes", "is not true or false"),
        ("infusions", "donor", "self", "is not one of allogeneic, autologous"),
        (
            "adverse_events",
            "relatedness",
            "maybe",
            "is not one of not related, unlikely, possible, probable, definite",
        ),
        ("adverse_events", "grade", "6", "is outside 1-5"),
        ("events", "type", "flare", "is not one of relapse, withdrawal, lost_to_follow_up, death"),
        ("infusions", "cells_per_kg", "0", "must be above 0 and at most 1e+08"),
        ("infusions", "viability_pct", "101", "is outside 0-100"),
        ("patients", "weight_kg", "19", "is outside 20-300"),
    ],
)
def test_allowed_values_and_ranges(
    tmp_path: Path, table: str, column: str, value: str, rule: str
) -> None:
    problems = problems_after(tmp_path, table, 0, column, value)
    assert where(problems) == [(f"{table}.csv", 2, column, rule)]


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("patients", "sex"),
        ("patients", "enrolment_date"),
        ("visits", "patient_id"),
        ("adverse_events", "term"),
        ("medications", "drug"),
    ],
)
def test_required_value_missing(tmp_path: Path, table: str, column: str) -> None:
    problems = problems_after(tmp_path, table, 0, column, "")
    assert where(problems) == [(f"{table}.csv", 2, column, "a value is required")]


def test_dose_without_unit(tmp_path: Path) -> None:
    problems = problems_after(tmp_path, "medications", 0, "unit", "")
    assert where(problems) == [("medications.csv", 2, "unit", "a dose needs its unit")]


def test_defaults_fill_empty_cells(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["patients"][0]["site"] = ""
    tables["patients"][0]["arm"] = ""
    tables["infusions"][0]["donor"] = ""
    tables["infusions"][0]["route"] = ""
    trial = read_trial(write_folder(tmp_path / "trial", tables))
    assert trial.patients.loc[0, ["site", "arm"]].tolist() == ["1", "MSCT"]
    assert trial.infusions.loc[0, ["donor", "route"]].tolist() == ["allogeneic", "IV"]


def test_every_problem_is_collected_across_files(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["patients"][1]["sex"] = "X"
    tables["visits"][0]["ck"] = "-1"
    tables["visits"][2]["haq"] = "4"
    tables["events"][0]["type"] = "flare"
    with pytest.raises(InvalidInputError) as info:
        read_trial(write_folder(tmp_path / "trial", tables))
    assert [(p.file, p.row, p.column) for p in info.value.problems] == [
        ("patients.csv", 3, "sex"),
        ("visits.csv", 2, "ck"),
        ("visits.csv", 4, "haq"),
        ("events.csv", 2, "type"),
    ]


def _graded_visit(mmt_max: int, grade: float, total: float) -> pd.DataFrame:
    """One visit graded ``grade`` in every group of the 0-80 or 0-150 form."""
    from myotrial.ingest.schema import MMT_LIMB_GROUPS

    row: dict[str, object] = {
        "patient_id": "P01",
        "visit_date": "2011-01-05",
        "mmt8": total,
        "mmt_max": mmt_max,
        "mmt_neck_flexors": grade,
    }
    for group in MMT_LIMB_GROUPS:
        if mmt_max == 80:
            row[f"mmt_{group}"] = grade
        else:
            row[f"mmt_{group}_r"] = grade
            row[f"mmt_{group}_l"] = grade
    return pd.DataFrame([{k: str(v) for k, v in row.items()}])


@pytest.mark.parametrize(
    ("mmt_max", "total", "expected"),
    [
        # 8 groups x 6 = 48 on the 0-80 form; 6 + 14 x 6 = 90 on the 0-150 form.
        (80, 48, []),
        (80, 50, ["disagrees with the sum of its grades"]),
        (150, 90, []),
        (150, 48, ["disagrees with the sum of its grades"]),
    ],
)
def test_mmt8_total_against_its_grades(mmt_max: int, total: float, expected: list[str]) -> None:
    _, problems = parse_records("visits", _graded_visit(mmt_max, 6, total), "form")
    assert [(p.row, p.column, p.rule) for p in problems] == [(2, "mmt8", r) for r in expected]


def test_mmt8_mismatch_hint_gives_the_sum() -> None:
    _, problems = parse_records("visits", _graded_visit(80, 7, 50), "form")
    assert problems[0].hint.startswith("the grades sum to 56")


def test_grade_outside_kendall_scale() -> None:
    raw = _graded_visit(80, 6, 48)
    raw["mmt_deltoid"] = "11"
    _, problems = parse_records("visits", raw, "form")
    # The total 48 now also disagrees with the grades as entered (7 x 6 + 11 = 53).
    assert [(p.column, p.rule) for p in problems] == [
        ("mmt8", "disagrees with the sum of its grades"),
        ("mmt_deltoid", "is outside 0-10"),
    ]


def test_validate_trial_reports_rows_from_the_index() -> None:
    trial = read_trial_from_frames()
    visits = trial.visits.copy()
    visits.loc[1, "haq"] = 3.25
    problems = validate_trial(trial.with_tables(visits=visits))
    assert where(problems) == [("visits.csv", 3, "haq", "is outside 0-3")]


def read_trial_from_frames() -> TrialData:
    from myotrial.ingest.reader import RawTable, assemble

    tables = [
        RawTable(name, f"{name}.csv", pd.DataFrame(rows)) for name, rows in valid_tables().items()
    ]
    check = assemble(tables, TrialConfig(), "memory", "", [])
    assert check.problems == []
    return check.trial


def test_parse_records_uses_the_configuration() -> None:
    raw = pd.DataFrame([{"patient_id": "P01", "visit_date": "2011-01-05", "phga": "55"}])
    _, in_cm = parse_records("visits", raw, "form")
    typed, in_mm = parse_records("visits", raw, "form", TrialConfig(vas_unit="mm"))
    assert [p.rule for p in in_cm] == ["is outside 0-10 (cm)"]
    assert in_mm == [] and typed.loc[0, "phga"] == 55.0


@pytest.mark.parametrize(("lot", "expected"), [("L1", ["repeats the key"]), ("L9", [])])
def test_two_infusions_on_one_day_need_different_lots(
    tmp_path: Path, lot: str, expected: list[str]
) -> None:
    tables = valid_tables()
    tables["infusions"].append(dict(tables["infusions"][0], lot=lot))
    problems = inspect_trial(write_folder(tmp_path / "t", tables)).problems
    assert [(p.row, p.rule.split(" (")[0]) for p in problems] == [(4, r) for r in expected]


def test_two_arm_trial_without_randomisation_date_names_the_row(tmp_path: Path) -> None:
    from myotrial.ingest.crosscheck import randomisation_problems

    patients = pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3"],
            "arm": ["MSCT", "control", None],
            "randomisation_date": pd.to_datetime(["2020-01-02", None, "2020-01-05"]),
        }
    )
    problems = randomisation_problems(patients, "patients.csv")
    # P2 is the second data row: spreadsheet row 3
    assert [(p.file, p.row, p.column) for p in problems] == [
        ("patients.csv", 3, "randomisation_date")
    ]
    assert randomisation_problems(patients.assign(arm="MSCT"), "patients.csv") == []
