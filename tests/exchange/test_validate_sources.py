"""``myotrial validate`` reads what the loader reads: REDCap exports and databases too."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from myotrial.cli import main
from myotrial.exchange.redcap import write_redcap
from myotrial.store import open_store
from myotrial.trialdata import TrialData
from tests.exchange.test_redcap import records, row_of


def _validate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", *args])
    return result.exit_code, result.output


def test_a_valid_redcap_export_validates_with_its_rows(
    small_trial: TrialData, tmp_path: Path
) -> None:
    folder = tmp_path / "redcap"
    write_redcap(small_trial, folder)
    code, output = _validate(str(folder), "--format", "table")
    assert code == 0, output
    assert "no problems found" in output
    # the small trial: 3 patients, 4 infusions
    assert "patients: 3 rows" in output and "infusions: 4 rows" in output


def test_a_bad_value_in_a_redcap_export_names_file_row_column_and_rule(
    small_trial: TrialData, tmp_path: Path
) -> None:
    folder = tmp_path / "redcap"
    write_redcap(small_trial, folder)
    frame = records(folder)
    row = row_of(frame, "P02", "week1_arm_1")
    frame.loc[row - 2, "ck"] = "high"
    frame.to_csv(folder / "records.csv", index=False)
    code, output = _validate(str(folder), "--format", "tsv")
    assert code == 2, output
    line = next(x for x in output.splitlines() if "records.csv" in x)
    assert line.split("\t")[:4] == ["records.csv", str(row), "ck", "high"]


def test_an_export_not_matching_its_dictionary_is_listed_not_raised(
    small_trial: TrialData, tmp_path: Path
) -> None:
    folder = tmp_path / "redcap"
    write_redcap(small_trial, folder)
    frame = records(folder).rename(columns={"haq_aid___dressing": "haq_aid___bathing"})
    frame.to_csv(folder / "records.csv", index=False)
    code, output = _validate(str(folder))
    assert code == 2
    assert "haq_aid___bathing" in output and "not a choice code" in output


def test_missing_data_codes_are_noted(small_trial: TrialData, tmp_path: Path) -> None:
    folder = tmp_path / "redcap"
    write_redcap(small_trial, folder)
    frame = records(folder)
    row = row_of(frame, "P02", "week1_arm_1")
    frame.loc[row - 2, "ck"] = "NAV"
    frame.to_csv(folder / "records.csv", index=False)
    code, output = _validate(str(folder))
    assert code == 0, output
    assert f"records.csv row {row}, column ck: 'NAV'" in output


def test_a_stored_trial_validates_from_its_database_url(
    small_trial: TrialData, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'trial.db'}"
    store = open_store(url)
    store.save_trial(small_trial, user="tester", reason="test")
    store.close()
    code, output = _validate(url, "--format", "table")
    assert code == 0, output
    assert "patients: 3 rows" in output


def test_a_renamed_project_validates_with_its_mapping(
    small_trial: TrialData, tmp_path: Path
) -> None:
    from tests.exchange.test_redcap import _rename_project

    folder = tmp_path / "redcap"
    write_redcap(small_trial, folder)
    _rename_project(folder)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[fields]\npt_gender = "sex"\n[events]\nscreening_arm_1 = '
        '"baseline_arm_1"\n[instruments]\ndemographics = "patient"\n'
        '[choices.sex]\n1 = "F"\n2 = "M"\n',
        encoding="utf-8",
    )
    assert _validate(str(folder))[0] == 2  # without the mapping its names are unknown
    code, output = _validate(str(folder), "--mapping", str(mapping))
    assert code == 0, output
