"""``myotrial score tis|doi``: CSV and Excel in, CSV out, exit 2 on bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from myotrial.cli import main

ROW = {
    "id": "p1",
    "phga_0": 5.0,
    "phga_1": 3.5,
    "ptga_0": 5.0,
    "ptga_1": 3.5,
    "mmt8_0": 40.0,
    "mmt8_1": 48.0,
    "haq_0": 1.5,
    "haq_1": 1.05,
    "extramuscular_0": 5.0,
    "extramuscular_1": 3.5,
    "ck_0": 1000.0,
    "ck_1": 850.0,
    "ck_uln": 200.0,
}


def test_score_tis_from_csv(tmp_path: Path) -> None:
    pd.DataFrame([ROW]).to_csv(tmp_path / "PAIRS.csv", index=False)
    result = CliRunner().invoke(
        main, ["score", "tis", str(tmp_path / "PAIRS.csv"), "-o", str(tmp_path / "out.csv")]
    )
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "out.csv")
    # (15, 15, 10, 15, 15, 15) % → 35, minimal (docs/measures.md §2)
    assert out.loc[0, "tis"] == 35.0 and out.loc[0, "category"] == "minimal"


def test_score_tis_juvenile_from_excel(tmp_path: Path) -> None:
    pd.DataFrame([ROW]).to_excel(tmp_path / "PAIRS.xlsx", index=False)
    result = CliRunner().invoke(
        main,
        [
            "score",
            "tis",
            str(tmp_path / "PAIRS.xlsx"),
            "-o",
            str(tmp_path / "out.csv"),
            "--population",
            "juvenile",
        ],
    )
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "out.csv").loc[0, "category"] == "minimal"


def test_score_doi(tmp_path: Path) -> None:
    pd.DataFrame([ROW]).to_csv(tmp_path / "PAIRS.csv", index=False)
    result = CliRunner().invoke(
        main, ["score", "doi", str(tmp_path / "PAIRS.csv"), "-o", str(tmp_path / "out.csv")]
    )
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "out.csv")
    # 15 % changes are relative 30 %: phga, ptga, extramuscular, haq improved ≥ 20 %;
    # mmt 40 → 48 is +20 %; ck 1000 → 850 is 15 % (not improved): 5 improved.
    assert out.loc[0, "n_improved"] == 5 and bool(out.loc[0, "doi"])


def test_bad_input_exits_2_naming_file_row_column(tmp_path: Path) -> None:
    pd.DataFrame([ROW, ROW | {"haq_1": 3.5}]).to_csv(tmp_path / "PAIRS.csv", index=False)
    result = CliRunner().invoke(
        main, ["score", "tis", str(tmp_path / "PAIRS.csv"), "-o", str(tmp_path / "out.csv")]
    )
    assert result.exit_code == 2
    assert "PAIRS.csv row 3, column haq_1" in result.output
    assert not (tmp_path / "out.csv").exists()


def test_uln_and_unit_options_reach_the_scorer(tmp_path: Path) -> None:
    # ldh 25 µkat/L = 1500 U/L, ULN 250 U/L = 6 ×ULN beats ck 5 ×ULN; 25 → 12.5 is 50 %
    row = ROW | {"ck_0": 1000.0, "ck_1": 1000.0, "ldh_0": 25.0, "ldh_1": 12.5}
    pd.DataFrame([row]).to_csv(tmp_path / "PAIRS.csv", index=False)
    args = [
        "score",
        "tis",
        str(tmp_path / "PAIRS.csv"),
        "-o",
        str(tmp_path / "out.csv"),
        "--uln",
        f"ldh={250 / 60}",
        "--enzyme-unit",
        "ldh=ukat/L",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "out.csv").loc[0, "p_enzyme"] == pytest.approx(50.0)


def test_malformed_uln_option_exits_2(tmp_path: Path) -> None:
    pd.DataFrame([ROW]).to_csv(tmp_path / "PAIRS.csv", index=False)
    result = CliRunner().invoke(
        main,
        [
            "score",
            "doi",
            str(tmp_path / "PAIRS.csv"),
            "-o",
            str(tmp_path / "out.csv"),
            "--uln",
            "ck=high",
        ],
    )
    assert result.exit_code == 2
    assert "--uln" in result.output
