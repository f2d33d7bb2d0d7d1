from __future__ import annotations

from pathlib import Path

import pytest

from myotrial import ConfigError, TrialConfig, load_config


def test_missing_file_gives_every_default(tmp_path: Path) -> None:
    config = load_config(tmp_path / "trial.toml")
    assert config.population == "adult"
    assert config.mmt_max == 80
    assert config.course_gap_days == 28
    assert config.vas_unit == "cm"
    assert [(t.name, t.day, t.window) for t in config.timepoints][:2] == [
        ("week1", 7, 3),
        ("week2", 14, 3),
    ]
    assert dict(config.uln) == {}


def test_values_are_read(tmp_path: Path) -> None:
    (tmp_path / "trial.toml").write_text(
        '[trial]\npopulation = "juvenile"\nmmt_max = 150\n[uln]\nck = 200\n'
        '[units]\nck = "ukat/L"\n[timepoints]\nm1 = { day = 30, window = 7 }\n'
    )
    config = load_config(tmp_path / "trial.toml")
    assert (config.population, config.mmt_max) == ("juvenile", 150)
    assert config.uln["ck"] == 200.0
    assert config.unit("ck") == "ukat/L" and config.unit("ldh") == "U/L"
    assert [t.name for t in config.timepoints] == ["m1"]


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "trial.toml").write_text("[trial\nname = 1")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "trial.toml")
    assert info.value.problems[0].file == "trial.toml"
    assert "not valid TOML" in info.value.problems[0].rule


def test_every_bad_value_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        TrialConfig.from_dict({"trial": {"population": "child", "mmt_max": 100}, "uln": {"ck": -1}})
    columns = {p.column for p in info.value.problems}
    assert columns == {"trial.population", "trial.mmt_max", "uln.ck"}


def test_primary_timepoint_defaults_to_the_last_time_point(tmp_path: Path) -> None:
    config = load_config(tmp_path / "trial.toml")
    assert config.primary is not None and config.primary.name == "month12"
    assert config.control_arm == "control"


def test_primary_timepoint_and_control_arm_are_read(tmp_path: Path) -> None:
    (tmp_path / "trial.toml").write_text(
        '[trial]\nprimary_timepoint = "month6"\ncontrol_arm = "standard care"\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path / "trial.toml")
    assert config.primary is not None and config.primary.name == "month6"
    assert config.control_arm == "standard care"
    assert TrialConfig.from_dict(config.to_dict()) == config


def test_unknown_primary_timepoint_is_an_error_naming_the_time_points(tmp_path: Path) -> None:
    (tmp_path / "trial.toml").write_text('[trial]\nprimary_timepoint = "week24"\n', "utf-8")
    with pytest.raises(ConfigError, match="month12"):
        load_config(tmp_path / "trial.toml")
