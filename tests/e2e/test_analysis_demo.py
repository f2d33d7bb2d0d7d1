"""The demonstration writes the analysis of the synthetic pilot."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from myotrial.analysis.result import TABLE_NAMES
from myotrial.services.demo import run_demo


def test_demo_writes_every_analysis_table(tmp_path: Path) -> None:
    steps = run_demo(tmp_path)
    assert "analyse" in [step.name for step in steps]
    folder = tmp_path / "analysis"
    for name in TABLE_NAMES:
        assert (folder / f"{name}.csv").is_file()
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["counts"]["patients"] == 10
    # the pilot's headline: CK falls by month 1 (Tang 2011: 1681 -> 293 U/L)
    change = pd.read_csv(folder / "change_from_baseline.csv")
    ck = change[
        (change["episode"] == 1) & (change["measure"] == "ck") & (change["timepoint"] == "month1")
    ].iloc[0]
    assert ck["change_mean"] < 0 and ck["p_ttest"] < 0.05
