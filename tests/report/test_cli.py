"""``myotrial report``: writes the file, prints its path, exit codes of the contract."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_fixtures import make_pilot, make_result, make_trial

from myotrial.cli import main


@pytest.fixture
def offline_pipeline(monkeypatch):
    """The hand-built trial and analysis in place of loading and analysing a folder."""
    monkeypatch.setattr("myotrial.services.report.load_trial", lambda path, url: make_trial())
    monkeypatch.setattr(
        "myotrial.services.report.analyse_as_planned",
        lambda trial, options, progress, plan=None: make_result(),
    )
    monkeypatch.setattr("myotrial.report.sections._pilot", lambda _p: make_pilot())


def test_report_command_writes_html_and_prints_its_path(tmp_path: Path, offline_pipeline):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(tmp_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_design_that_is_not_json_is_invalid_input(tmp_path: Path, offline_pipeline):
    design = tmp_path / "design.json"
    design.write_text("{not json", encoding="utf-8")
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        main, ["report", str(tmp_path), "-o", str(out), "--design", str(design)]
    )
    assert result.exit_code == 2
    assert "design.json row 1" in result.output and "is not valid JSON" in result.output
    assert not out.exists()


def test_design_section_appears_when_a_design_is_given(
    tmp_path: Path, offline_pipeline, monkeypatch
):
    # The design area supplies render_design_section; a stand-in shows it is called with
    # the design and its fragment lands in the report.
    section = types.ModuleType("myotrial.report.design_section")
    section.render_design_section = lambda design: (
        f'<section id="design"><p>endpoint {design["endpoint"]}</p></section>'
    )
    monkeypatch.setitem(sys.modules, "myotrial.report.design_section", section)
    design = tmp_path / "design.json"
    design.write_text('{"endpoint": "tis20"}', encoding="utf-8")
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        main, ["report", str(tmp_path), "-o", str(out), "--design", str(design)]
    )
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert 'id="design"' in html and "<p>endpoint tis20</p>" in html
