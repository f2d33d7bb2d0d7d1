"""A patients table without any classification item: not classifiable, never "not IIM"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

from myotrial.cli import main
from myotrial.measures.classification import (
    classify_bohan_peter,
    classify_eular_acr,
)

NO_ITEMS = pd.DataFrame({"patient_id": ["P01", "P02"], "diagnosis": ["PM", "DM"]})


def test_eular_acr_without_item_columns_is_not_classifiable() -> None:
    result = classify_eular_acr(NO_ITEMS)
    assert list(result["eular_acr_category"]) == ["not classifiable"] * 2
    assert result["eular_acr_score"].isna().all()
    assert result["eular_acr_probability"].isna().all()


def test_bohan_peter_without_item_columns_is_not_classifiable() -> None:
    result = classify_bohan_peter(NO_ITEMS)
    assert list(result["bohan_peter"]) == ["not classifiable"] * 2
    assert result["bohan_peter_type"].isna().all()


def test_one_item_column_makes_the_table_classifiable() -> None:
    # EULAR/ACR 2017: age at onset 18-39 scores 1.3 without biopsy, below 5.3: not IIM.
    result = classify_eular_acr(NO_ITEMS.assign(age_at_onset=[30, 30]))
    assert list(result["eular_acr_category"]) == ["not IIM"] * 2
    np.testing.assert_allclose(result["eular_acr_score"], [1.3, 1.3])


def test_classify_command_warns_and_counts_not_classifiable(tmp_path: Path) -> None:
    NO_ITEMS.to_csv(tmp_path / "patients.csv", index=False)
    out = tmp_path / "classified.csv"
    result = CliRunner().invoke(main, ["classify", str(tmp_path / "patients.csv"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: patients.csv has no classification item column (age_at_onset, "
        "weakness_upper, heliotrope, ... in docs/measures.md §8): every patient is not "
        "classifiable\n"
    )
    assert result.stdout == (f"2 patients (EULAR/ACR 2017): not classifiable 2; written to {out}\n")
    written = pd.read_csv(out)
    assert list(written["bohan_peter"]) == ["not classifiable"] * 2
