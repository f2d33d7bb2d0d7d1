"""A trial folder through REDCap and back, and trial-format rules reported in REDCap terms."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from myotrial.errors import InvalidInputError
from myotrial.exchange.redcap import write_redcap
from myotrial.ingest import read_trial
from myotrial.ingest.redcap import read_redcap
from myotrial.ingest.writer import write_trial_folder
from myotrial.synthetic import make_pilot
from myotrial.trialdata import TABLES, TrialData
from tests.exchange.test_redcap import records, row_of


@pytest.fixture(scope="module")
def pilot_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pilot")
    write_trial_folder(make_pilot(seed=2011), folder)
    return folder


def test_trial_folder_through_redcap_reads_back_identical(
    pilot_folder: Path, tmp_path: Path
) -> None:
    original = read_trial(pilot_folder)
    write_redcap(original, tmp_path)
    back = read_redcap(tmp_path)
    assert back.config == original.config
    assert not back.lots.empty and not back.donors.empty  # the pilot's product record
    for table in TABLES:  # the product project (product/) carries donors and lots
        # same rows in the same order, same columns in the same order, same dtypes
        expected = (
            original.table(table)
            .sort_values(list(original.table(table).columns[:2]), kind="mergesort")
            .reset_index(drop=True)
        )
        got = (
            back.table(table)
            .sort_values(list(expected.columns[:2]), kind="mergesort")
            .reset_index(drop=True)
        )
        pd.testing.assert_frame_equal(got, expected, obj=table)


def test_empty_text_with_a_default_reads_as_the_default(
    small_trial: TrialData, tmp_path: Path
) -> None:
    write_redcap(small_trial, tmp_path)
    frame = records(tmp_path)
    row = row_of(frame, "P03", "baseline_arm_1")
    frame.loc[row - 2, "site"] = ""
    frame.to_csv(tmp_path / "records.csv", index=False)
    # docs/trial-format.md: site defaults to "1"
    patients = read_redcap(tmp_path).patients.set_index("patient_id")
    assert patients.loc["P03", "site"] == "1"


def test_trial_format_rules_are_reported_at_the_redcap_cell(
    small_trial: TrialData, tmp_path: Path
) -> None:
    write_redcap(small_trial, tmp_path)
    frame = records(tmp_path)
    row = row_of(frame, "P01", "week1_arm_1")
    frame.loc[row - 2, "phga"] = "12"  # VAS in cm is 0-10 (docs/measures.md §1)
    log = frame.index[frame["redcap_repeat_instrument"] == "adverse_event"][0]
    frame.loc[log, "ae_grade"] = "7"  # CTCAE grades are 1-5
    frame.to_csv(tmp_path / "records.csv", index=False)
    with pytest.raises(InvalidInputError) as caught:
        read_redcap(tmp_path)
    cells = {(p.file, p.row, p.column, p.value) for p in caught.value.problems}
    assert cells == {
        ("records.csv", row, "phga", "12"),
        ("records.csv", int(log) + 2, "ae_grade", "7"),
    }


def test_reading_and_rule_problems_are_reported_together(
    small_trial: TrialData, tmp_path: Path
) -> None:
    write_redcap(small_trial, tmp_path)
    frame = records(tmp_path)
    week1 = row_of(frame, "P01", "week1_arm_1")
    month1 = row_of(frame, "P01", "month1_arm_1")
    frame.loc[week1 - 2, "phga"] = "12"  # a rule of the trial format (VAS 0-10 cm)
    frame.loc[month1 - 2, "visit_date"] = "2010-02-31"  # no such day
    frame.to_csv(tmp_path / "records.csv", index=False)
    with pytest.raises(InvalidInputError) as caught:
        read_redcap(tmp_path)
    cells = [(p.row, p.column, p.value) for p in caught.value.problems]
    assert (week1, "phga", "12") in cells
    assert (month1, "visit_date", "2010-02-31") in cells
    # the unreadable date is reported once, not again as a missing required value
    assert [c for c in cells if c[0] == month1] == [(month1, "visit_date", "2010-02-31")]


def test_trial_folder_through_redcap_gives_the_same_analysis(
    pilot_folder: Path, tmp_path: Path
) -> None:
    from myotrial.analysis.api import analyze

    original = read_trial(pilot_folder)
    write_redcap(original, tmp_path)
    expected, got = analyze(original), analyze(read_redcap(tmp_path))
    for name, table in expected.tables().items():
        pd.testing.assert_frame_equal(got.tables()[name], table, obj=name)
    assert got.summary["counts"] == expected.summary["counts"]
