"""REDCap: the shipped dictionary, export, and reading exports back (good and malformed)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from myotrial.errors import InvalidInputError
from myotrial.exchange.redcap import shipped_fields, write_redcap
from myotrial.exchange.redcap.dictionary import DICTIONARY_COLUMNS
from myotrial.ingest.redcap import read_redcap, read_redcap_export
from myotrial.trialdata import PATIENT_TABLES, TrialData

KEYS = {
    "patients": ["patient_id"],
    "infusions": ["patient_id", "infusion_date"],
    "visits": ["patient_id", "visit_date"],
    "adverse_events": ["patient_id", "onset_date", "term"],
    "events": ["patient_id", "event_date"],
    "medications": ["patient_id", "drug"],
}


def assert_same_trial(left: TrialData, right: TrialData) -> None:
    """Equal settings and tables (row and column order aside)."""
    assert left.config == right.config
    for table in PATIENT_TABLES:  # a REDCap project holds no product record
        a = _normalised(left.table(table), KEYS[table])
        b = _normalised(right.table(table), KEYS[table])
        pd.testing.assert_frame_equal(a, b[list(a.columns)], check_like=False, obj=table)
        assert set(a.columns) == set(b.columns), table


def _normalised(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows sorted by key; missing text as None (None and NaN mean the same here)."""
    frame = frame.sort_values(keys).reset_index(drop=True)
    text = frame.select_dtypes(include="object").columns
    frame[text] = frame[text].astype(object).where(frame[text].notna(), None)
    return frame


def records(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "records.csv", dtype=str, keep_default_na=False)


def row_of(frame: pd.DataFrame, record: str, event: str) -> int:
    """Spreadsheet row number of a record's event row (header is row 1)."""
    hit = frame.index[(frame["record_id"] == record) & (frame["redcap_event_name"] == event)]
    return int(hit[0]) + 2


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small trial exported once per module (tests edit copies of it)."""
    from tests.exchange.conftest import make_small_trial

    folder = tmp_path_factory.mktemp("redcap")
    write_redcap(make_small_trial(), folder)
    return folder


@pytest.fixture
def export(exported: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "redcap"
    shutil.copytree(exported, folder)
    return folder


def test_shipped_dictionary_has_redcaps_18_columns_in_order() -> None:
    path = Path(__file__).parents[2] / "src/myotrial/exchange/redcap/dictionary.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert len(DICTIONARY_COLUMNS) == 18
    assert tuple(rows[0]) == DICTIONARY_COLUMNS
    assert rows[0][0] == "Variable / Field Name" and rows[0][17] == "Field Annotation"
    assert all(len(row) == 18 for row in rows)


def test_shipped_dictionary_covers_every_trial_format_column() -> None:
    carried = {(f.table, f.column) for f in shipped_fields()}
    required = (
        {
            ("patients", c)
            for c in (
                "patient_id",
                "site",
                "sex",
                "age",
                "diagnosis",
                "onset_date",
                "diagnosis_date",
                "enrolment_date",
                "weight_kg",
                "arm",
                "refractory",
                "severe_systemic",
                "ild",
                "antibody",
            )
        }
        | {
            ("infusions", c)
            for c in (
                "infusion_date",
                "source",
                "donor",
                "cells_per_kg",
                "lot",
                "route",
                "viability_pct",
            )
        }
        | {
            ("adverse_events", c)
            for c in (
                "onset_date",
                "term",
                "soc",
                "grade",
                "serious",
                "relatedness",
                "infusion_reaction",
                "resolved_date",
                "outcome",
            )
        }
        | {("events", c) for c in ("event_date", "type", "note")}
        | {("medications", c) for c in ("drug", "dose", "unit", "start_date", "stop_date")}
        | {
            ("visits", c)
            for c in (
                "visit_date",
                "phga",
                "ptga",
                "extramuscular",
                "mmt8",
                "mmt_max",
                "haq",
                "ck",
                "ck_mb",
                "aldolase",
                "ldh",
                "ast",
                "alt",
                "ck_uln",
                "fvc_pct",
                "dlco_pct",
                "hrct_score",
                "ulcers",
                "cdasi_activity",
                "prednisone_mg",
            )
        }
    )
    assert required <= carried
    forms = {f.form for f in shipped_fields()}
    assert forms == {"patient", "visit", "infusion", "adverse_event", "trial_event", "medication"}


def test_export_writes_redcap_import_layout(export: Path) -> None:
    frame = records(export)
    assert list(frame.columns[:4]) == [
        "record_id",
        "redcap_event_name",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
    ]
    # P01's infusions on days 0 and 7 form course 1; 2010-08-02 opens the re-treatment.
    p01 = frame[frame["record_id"] == "P01"]
    infusions = p01[p01["redcap_repeat_instrument"] == "infusion"]
    assert infusions["redcap_repeat_instance"].tolist() == ["1", "2", "3"]
    assert set(infusions["redcap_event_name"]) == {"logs_arm_1"}
    # 2010-01-12 is day 7 of course 1 (week1); 2010-07-26 is 7 days before the second
    # course (its baseline); 2010-09-01 is day 30 of the re-treatment (rt_month1).
    by_date = p01.set_index("visit_date")["redcap_event_name"]
    assert by_date["2010-01-04"] == "baseline_arm_1"
    assert by_date["2010-01-12"] == "week1_arm_1"
    assert by_date["2010-07-26"] == "rt_baseline_arm_1"
    assert by_date["2010-09-01"] == "rt_month1_arm_1"
    # P02's visit on day 41 is in no window (month1 is 23-37): unscheduled, repeating.
    p02 = frame[(frame["record_id"] == "P02") & (frame["visit_date"] == "2010-03-15")]
    assert p02[
        ["redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"]
    ].values.tolist() == [["unscheduled_arm_1", "visit", "1"]]
    baseline = frame[
        (frame["record_id"] == "P01") & (frame["redcap_event_name"] == "baseline_arm_1")
    ].iloc[0]
    assert baseline["sex"] == "F" and baseline["refractory"] == "1"
    assert baseline["haq_aid___dressing"] == "1" and baseline["ck"] == "1681"


def test_export_writes_choice_codes_and_project_setup(export: Path) -> None:
    frame = records(export)
    ae = frame[frame["redcap_repeat_instrument"] == "adverse_event"]
    assert sorted(ae["ae_relatedness"]) == ["not_related", "probable"]
    events = pd.read_csv(export / "events.csv")
    assert events["unique_event_name"].tolist()[:7] == [
        "baseline_arm_1",
        "week1_arm_1",
        "week2_arm_1",
        "month1_arm_1",
        "month3_arm_1",
        "month6_arm_1",
        "month12_arm_1",
    ]
    assert {"rt_baseline_arm_1", "unscheduled_arm_1", "logs_arm_1"} <= set(
        events["unique_event_name"]
    )
    mapping = pd.read_csv(export / "instrument_event_mapping.csv")
    assert ("baseline_arm_1", "patient") in set(
        zip(mapping["unique_event_name"], mapping["form"], strict=True)
    )


def test_round_trip_gives_the_same_trial(small_trial: TrialData, export: Path) -> None:
    assert_same_trial(small_trial, read_redcap(export))


def test_round_trip_keeps_extra_columns(small_trial: TrialData, tmp_path: Path) -> None:
    visits = small_trial.visits.assign(
        six_minute_walk_m=[float(300 + i) for i in range(len(small_trial.visits))]
    )
    trial = small_trial.with_tables(visits=visits)
    write_redcap(trial, tmp_path)
    back = read_redcap(tmp_path)
    assert back.extra_columns == {"visits": ("six_minute_walk_m",)}
    assert_same_trial(trial, back)


def _edit_records(folder: Path, edit: dict[tuple[int, str], str]) -> None:
    frame = records(folder)
    for (row, column), value in edit.items():
        frame.loc[row - 2, column] = value
    frame.to_csv(folder / "records.csv", index=False)


def _problems(folder: Path, mapping: Path | None = None) -> list[tuple[object, ...]]:
    with pytest.raises(InvalidInputError) as caught:
        read_redcap(folder, mapping)
    return [(p.file, p.row, p.column, p.value, p.rule) for p in caught.value.problems]


def test_unknown_event_is_refused_with_its_row(export: Path) -> None:
    row = row_of(records(export), "P01", "week1_arm_1")
    _edit_records(export, {(row, "redcap_event_name"): "week9_arm_1"})
    assert _problems(export) == [
        ("records.csv", row, "redcap_event_name", "week9_arm_1", "is not an event of the project")
    ]


def test_column_missing_from_dictionary_is_refused(export: Path) -> None:
    frame = records(export).assign(grip_kg="")
    frame.to_csv(export / "records.csv", index=False)
    assert _problems(export) == [
        ("records.csv", 1, "grip_kg", None, "is not a field of the data dictionary")
    ]


def test_bad_checkbox_code_is_refused(export: Path) -> None:
    frame = records(export).rename(columns={"haq_aid___dressing": "haq_aid___bathing"})
    frame.to_csv(export / "records.csv", index=False)
    assert _problems(export) == [
        (
            "records.csv",
            1,
            "haq_aid___bathing",
            "bathing",
            "is not a choice code of checkbox field haq_aid",
        )
    ]


def test_bad_checkbox_value_is_refused(export: Path) -> None:
    row = row_of(records(export), "P01", "baseline_arm_1")
    _edit_records(export, {(row, "haq_aid___dressing"): "yes"})
    assert _problems(export) == [
        ("records.csv", row, "haq_aid___dressing", "yes", "is not a checkbox value")
    ]


def _declare_date_format(folder: Path, field: str, validation: str) -> None:
    path = folder / "dictionary.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    for row in rows:
        if row[0] == field:
            row[7] = validation
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


@pytest.mark.parametrize(
    ("validation", "text"),
    [
        ("date_dmy", "26-07-2010"),
        ("date_mdy", "07/26/2010"),
        ("date_ymd", "2010-07-26"),
    ],
)
def test_dates_are_read_in_the_declared_order(export: Path, validation: str, text: str) -> None:
    _declare_date_format(export, "visit_date", validation)
    row = row_of(records(export), "P01", "rt_baseline_arm_1")
    _edit_records(export, {(row, "visit_date"): text})
    visits = read_redcap(export).visits
    assert pd.Timestamp("2010-07-26") in set(visits["visit_date"])


def test_date_not_in_declared_order_is_refused(export: Path) -> None:
    _declare_date_format(export, "visit_date", "date_dmy")
    row = row_of(records(export), "P01", "week1_arm_1")
    # 12-31-2010 has month 31 when read day-month-year
    _edit_records(export, {(row, "visit_date"): "12-31-2010"})
    assert _problems(export) == [
        ("records.csv", row, "visit_date", "12-31-2010", "is not a date in D-M-Y order")
    ]


def test_missing_data_codes_become_missing_and_are_reported(export: Path) -> None:
    row = row_of(records(export), "P01", "week1_arm_1")
    _edit_records(export, {(row, "ck"): "UNK", (row, "phga"): "NASK"})
    result = read_redcap_export(export)
    visit = result.trial.visits.set_index("visit_date").loc[pd.Timestamp("2010-01-12")]
    assert pd.isna(visit["ck"]) and pd.isna(visit["phga"])
    assert {(n.row, n.column, n.value) for n in result.notes} == {
        (row, "ck", "UNK"),
        (row, "phga", "NASK"),
    }


def test_patient_field_on_a_log_row_is_refused(export: Path) -> None:
    frame = records(export)
    row = int(frame.index[frame["redcap_repeat_instrument"] == "medication"][0]) + 2
    _edit_records(export, {(row, "sex"): "F"})
    problems = _problems(export)
    assert problems == [("records.csv", row, "sex", "F", "is a patient field on medication")]


def _rename_project(folder: Path) -> None:
    """Make the export look like a project with its own names and numeric sex codes."""
    dictionary = (folder / "dictionary.csv").read_text(encoding="utf-8")
    dictionary = dictionary.replace("record_id,patient", "study_no,patient")
    dictionary = dictionary.replace(
        'sex,patient,,radio,Sex,"F, Female | M, Male"',
        'pt_gender,demographics,,radio,Sex,"1, Female | 2, Male"',
    )
    dictionary = dictionary.replace("myotrial=patients.sex", "")
    (folder / "dictionary.csv").write_text(dictionary, encoding="utf-8")
    frame = records(folder).rename(columns={"record_id": "study_no", "sex": "pt_gender"})
    frame["pt_gender"] = frame["pt_gender"].replace({"F": "1", "M": "2"})
    frame["redcap_event_name"] = frame["redcap_event_name"].replace(
        {"baseline_arm_1": "screening_arm_1"}
    )
    frame.to_csv(folder / "records.csv", index=False)
    (folder / "events.csv").unlink()


def test_mapping_file_in_toml_reads_a_project_with_other_names(
    small_trial: TrialData, export: Path, tmp_path: Path
) -> None:
    _rename_project(export)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[fields]\npt_gender = "sex"\n\n[events]\nscreening_arm_1 = '
        '"baseline_arm_1"\n\n[instruments]\ndemographics = "patient"\n\n'
        '[choices.sex]\n1 = "F"\n2 = "M"\n',
        encoding="utf-8",
    )
    assert_same_trial(small_trial, read_redcap(export, mapping))


def test_mapping_file_in_csv_reads_a_project_with_other_names(
    small_trial: TrialData, export: Path, tmp_path: Path
) -> None:
    _rename_project(export)
    mapping = tmp_path / "mapping.csv"
    mapping.write_text(
        "kind,redcap,myotrial\nfield,pt_gender,sex\n"
        "event,screening_arm_1,baseline_arm_1\ninstrument,demographics,patient\n"
        "choice:sex,1,F\nchoice:sex,2,M\n",
        encoding="utf-8",
    )
    assert_same_trial(small_trial, read_redcap(export, mapping))


def test_unmapped_project_names_are_each_reported(export: Path) -> None:
    _rename_project(export)
    problems = _problems(export)
    assert (
        "dictionary.csv",
        4,
        "Form Name",
        "demographics",
        "is not an instrument myotrial knows",
    ) in problems
    frame = records(export).rename(columns={"study_no": "record_id"})
    assert len(problems) == 1 + len(frame["record_id"].unique())
    row = row_of(frame, "P01", "screening_arm_1")
    assert (
        "records.csv",
        row,
        "redcap_event_name",
        "screening_arm_1",
        "is not an event of the project",
    ) in problems


def test_shipped_dictionary_has_every_mmt_group_and_haq_category() -> None:
    from myotrial.measures import HAQ_CATEGORIES, MMT_GROUPS

    columns = {f.column for f in shipped_fields()}
    assert {f"mmt_{g}" for g in MMT_GROUPS} <= columns
    assert {f"mmt_{g}_{side}" for g in MMT_GROUPS[1:] for side in "rl"} <= columns
    assert {f"haq_{c}" for c in HAQ_CATEGORIES} <= columns
    (aid,) = [f for f in shipped_fields() if f.kind == "checkbox"]
    assert {aid.checkbox_column(c) for c in aid.codes} == {f"haq_{c}_aid" for c in HAQ_CATEGORIES}
