"""``myotrial analyze``: the command writes every table and prints the folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_trials import make_trial
from click.testing import CliRunner

from myotrial.analysis.result import TABLE_NAMES
from myotrial.cli import main
from myotrial.services import analysis as service


def test_analyze_writes_every_table_and_prints_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    visits = [
        {"patient_id": "P1", "day": 0, "ck": 1000},
        {"patient_id": "P1", "day": 30, "ck": 400},
    ]
    # the loader is the store's and ingest's business; here it hands over a known trial
    monkeypatch.setattr(service, "load_trial", lambda path, url: make_trial(visits=visits))
    out = tmp_path / "analysis"
    result = CliRunner().invoke(main, ["analyze", "--db", "sqlite://", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout
    for name in TABLE_NAMES:
        assert (out / f"{name}.csv").is_file()
    assert (out / "summary.json").is_file()


def test_analyze_rejects_a_bad_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["analyze", "--population", "child", "-o", str(tmp_path)])
    assert result.exit_code == 2


def test_analyze_follows_the_plan_test_and_alpha(tmp_path: Path) -> None:
    import json

    import pandas as pd

    from myotrial.ingest.writer import write_trial_folder
    from myotrial.synthetic import make_registry

    folder = tmp_path / "trial"
    write_trial_folder(make_registry(120, seed=4), folder)
    plan = tmp_path / "design.json"
    plan.write_text(
        json.dumps(
            {
                "endpoint": "response",
                "test": "two-sided Fisher exact test",
                "alpha": 0.1,
                "parameters": {"p_control": {"value": 0.44}},
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["analyze", str(folder), "-o", str(out), "--plan", str(plan)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "arm_comparison.csv")
    row = table[(table["endpoint"] == "tis_response") & (table["population"] == "itt_nri")]
    assert "Fisher" in row["method"].iloc[0]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["arm_comparison"]["confidence"] == 0.9
    assert summary["arm_comparison"]["plan"]["assumed"] == {"p_control": 0.44}


def test_report_design_reaches_the_analysis_as_analyze_plan_does(tmp_path: Path) -> None:
    import json
    import re

    import pandas as pd

    from myotrial.ingest.writer import write_trial_folder
    from myotrial.report.formatting import interval, num
    from myotrial.synthetic import make_registry

    folder = tmp_path / "trial"
    write_trial_folder(make_registry(120, seed=4), folder)
    example = Path(__file__).parents[1] / "report" / "design_example.json"
    design = json.loads(example.read_text(encoding="utf-8"))
    design.update(test="two-sided Fisher exact test", alpha=0.1)
    plan = tmp_path / "design.json"
    plan.write_text(json.dumps(design), encoding="utf-8")
    out, html = tmp_path / "out", tmp_path / "report.html"
    analysed = CliRunner().invoke(
        main, ["analyze", str(folder), "-o", str(out), "--plan", str(plan)]
    )
    assert analysed.exit_code == 0, analysed.output
    reported = CliRunner().invoke(
        main, ["report", str(folder), "-o", str(html), "--design", str(plan)]
    )
    assert reported.exit_code == 0, reported.output
    page = html.read_text(encoding="utf-8")
    section = re.search(r'<section id="arm-comparison".*?</section>', page, re.S)
    assert section is not None
    text = section.group(0)
    table = pd.read_csv(out / "arm_comparison.csv")
    row = table[(table["endpoint"] == "tis_response") & (table["population"] == "itt_nri")].iloc[0]
    # the same plan gives the same Fisher test and 90 % interval in both
    assert "Fisher" in row["method"] and "Fisher" in text
    assert "90 % intervals" in text and "Planned endpoint and test" in text
    assert f"{num(row['estimate'], 3)} ({interval(row['ci_low'], row['ci_high'], 3)})" in text
