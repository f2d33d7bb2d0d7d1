"""``myotrial import DIR --format redcap [--mapping FILE]``: all-or-nothing, notes shown."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from myotrial.cli import main
from myotrial.exchange.redcap import write_redcap
from myotrial.store import open_store
from myotrial.trialdata import TrialData
from tests.exchange.test_redcap import _rename_project, assert_same_trial, records, row_of


def _import(folder: Path, url: str, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["import", str(folder), "--db", url, "--format", "redcap", "--user", "tester", *extra]
    )
    return result.exit_code, result.output


def test_import_with_a_mapping_file_stores_the_trial(
    small_trial: TrialData, tmp_path: Path
) -> None:
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
    url = f"sqlite:///{tmp_path / 'trial.db'}"
    code, output = _import(folder, url, "--mapping", str(mapping))
    assert code == 0, output
    store = open_store(url)
    try:
        assert_same_trial(small_trial, store.load_trial())
    finally:
        store.close()


def test_import_reports_missing_data_codes(small_trial: TrialData, tmp_path: Path) -> None:
    folder = tmp_path / "redcap"
    write_redcap(small_trial, folder)
    frame = records(folder)
    row = row_of(frame, "P02", "week1_arm_1")
    frame.loc[row - 2, "ck"] = "NAV"
    frame.to_csv(folder / "records.csv", index=False)
    code, output = _import(folder, f"sqlite:///{tmp_path / 'trial.db'}")
    assert code == 0, output
    assert "1 REDCap missing-data code read as missing:" in output
    assert f"records.csv row {row}, column ck: 'NAV'" in output


def test_malformed_export_is_refused_and_nothing_is_written(
    small_trial: TrialData, tmp_path: Path
) -> None:
    folder = tmp_path / "redcap"
    write_redcap(small_trial, folder)
    frame = records(folder).rename(columns={"haq_aid___dressing": "haq_aid___bathing"})
    frame.to_csv(folder / "records.csv", index=False)
    database = tmp_path / "trial.db"
    code, output = _import(folder, f"sqlite:///{database}")
    assert code == 2
    assert "haq_aid___bathing" in output and "not a choice code" in output
    assert not database.exists()


def test_mapping_needs_the_redcap_format(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.toml"
    mapping.write_text("", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(tmp_path), "--mapping", str(mapping)])
    assert result.exit_code == 2
    assert "--mapping applies to --format redcap only" in result.output
