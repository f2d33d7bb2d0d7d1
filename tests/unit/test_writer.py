"""Writing a trial folder and a workbook in the trial format."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from myotrial.config import TrialConfig
from myotrial.ingest.writer import config_toml, csv_text, write_trial_folder, write_workbook
from myotrial.synthetic import make_pilot, synthetic_readme
from myotrial.trialdata import TABLES, TrialData

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module")
def pilot() -> TrialData:
    return make_pilot(2011)


@pytest.fixture(scope="module")
def folder(pilot: TrialData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("trial")
    write_trial_folder(pilot, out, readme=synthetic_readme(pilot))
    return out


def raw(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)


def test_one_csv_per_table_plus_toml_and_readme(folder: Path) -> None:
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([f"{t}.csv" for t in TABLES] + ["trial.toml", "README.txt"])
    assert "SIMULATED PATIENTS, NOT REAL" in (folder / "README.txt").read_text()


def test_dates_are_iso_and_flags_true_or_false(folder: Path) -> None:
    patients = raw(folder, "patients")
    assert patients["enrolment_date"].str.match(ISO_DATE).all()
    assert set(patients["ild"]) == {"true", "false"}
    medications = raw(folder, "medications")
    assert (medications["stop_date"] == "").any(), "a missing date is an empty cell"


def test_numbers_are_written_in_full_and_read_back_exactly(pilot: TrialData, folder: Path) -> None:
    text = raw(folder, "visits")
    assert not text["ck"].str.endswith(".0").any(), "whole numbers carry no '.0'"
    assert raw(folder, "infusions")["cells_per_kg"].eq("1000000").all()
    back = pd.read_csv(folder / "visits.csv")
    for column in ("ck", "haq", "aldolase", "phga", "fvc_pct", "prednisone_mg"):
        np.testing.assert_array_equal(back[column].to_numpy(), pilot.visits[column].to_numpy())


def test_empty_cells_for_missing_values(pilot: TrialData, folder: Path) -> None:
    text = raw(folder, "visits")
    missing = pilot.visits["ck_mb"].isna().to_numpy()
    assert (text["ck_mb"].to_numpy()[missing] == "").all()


def test_trial_toml_reads_back_to_the_same_configuration(pilot: TrialData, folder: Path) -> None:
    data = tomllib.loads((folder / "trial.toml").read_text(encoding="utf-8"))
    assert TrialConfig.from_dict(data) == pilot.config
    assert data["uln"]["ck"] == 200


def test_awkward_text_survives_the_toml_round_trip() -> None:
    config = TrialConfig(
        name='Essai "MSCT" – Zürich\\n',
        uln={"ck": 171.5},
        extra={"site notes": {"1": "a = b", "x": [1, 2]}},
    )
    again = TrialConfig.from_dict(tomllib.loads(config_toml(config.to_dict())))
    assert again == config


def test_same_trial_same_bytes(pilot: TrialData, folder: Path, tmp_path: Path) -> None:
    write_trial_folder(make_pilot(2011), tmp_path, readme=synthetic_readme(pilot))
    for path in folder.iterdir():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_extra_columns_are_kept(pilot: TrialData, tmp_path: Path) -> None:
    visits = pilot.visits.assign(site_note="checked")
    write_trial_folder(pilot.with_tables(visits=visits), tmp_path)
    assert raw(tmp_path, "visits").columns[-1] == "site_note"


def test_workbook_has_a_sheet_per_table_and_a_trial_sheet(pilot: TrialData, tmp_path: Path) -> None:
    import openpyxl

    path = write_workbook(pilot, tmp_path / "pilot.xlsx")
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == [*TABLES, "trial"]
    header = next(book["patients"].iter_rows(max_row=1, values_only=True))
    assert list(header) == list(pilot.patients.columns)
    settings = {k: v for k, v in book["trial"].iter_rows(min_row=2, values_only=True)}
    assert settings["trial.name"] == pilot.config.name
    assert settings["uln.ck"] == 200
    assert settings["timepoints.month1.day"] == 30
    assert settings["timepoints.month1.window"] == 7
    first = next(book["visits"].iter_rows(min_row=2, max_row=2, values_only=True))
    row = dict(zip(pilot.visits.columns, first, strict=False))
    assert row["visit_date"] == pilot.visits["visit_date"].iloc[0].to_pydatetime()
    assert row["ck"] == pilot.visits["ck"].iloc[0]
    flags = next(book["patients"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert dict(zip(pilot.patients.columns, flags, strict=False))["refractory"] == "true"


def test_quoting_matches_the_csv_module(tmp_path: Path) -> None:
    import csv
    import io

    frame = pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3", "P4"],
            "note": ['weaker, CK "rising"', "line\nbreak", "", "plain"],
            "dose": [1.5, np.nan, 10.0, 0.1],
        }
    )
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(frame.columns)
    writer.writerows(
        [
            ["P1", 'weaker, CK "rising"', "1.5"],
            ["P2", "line\nbreak", ""],
            ["P3", "", "10"],
            ["P4", "plain", "0.1"],
        ]
    )
    assert csv_text(frame) == expected.getvalue()


def assert_same_trial(read: TrialData, written: TrialData) -> None:
    """The reader gives back every table and setting of the written trial."""
    assert read.config == written.config
    for table in TABLES:
        pd.testing.assert_frame_equal(
            read.table(table).reset_index(drop=True),
            written.table(table).reset_index(drop=True),
            check_like=True,
        )


def test_folder_reads_back_to_an_equal_trial(pilot: TrialData, folder: Path) -> None:
    from myotrial.ingest import read_trial

    assert_same_trial(read_trial(folder), pilot)


def test_workbook_reads_back_to_an_equal_trial(pilot: TrialData, tmp_path: Path) -> None:
    from myotrial.ingest import read_trial

    assert_same_trial(read_trial(write_workbook(pilot, tmp_path / "pilot.xlsx")), pilot)


@pytest.mark.parametrize("seed", [1, 2])
def test_synthetic_trials_break_no_rule_of_the_format(seed: int) -> None:
    from myotrial.ingest import validate_trial
    from myotrial.synthetic import make_registry

    assert validate_trial(make_pilot(seed)) == []
    assert validate_trial(make_registry(300, seed=seed)) == []
