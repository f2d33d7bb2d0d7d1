"""Optional tools: a missing one skips a test on a user's machine and fails it under CI;
``report --pdf`` without a PDF engine says so before writing anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.conftest import unavailable

from myotrial.cli import main


def test_missing_tool_skips_with_its_reason_on_a_users_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^no chromium$"):
        unavailable("no chromium")


def test_missing_tool_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"^no chromium; CI must have it"):
        unavailable("no chromium")


def test_report_pdf_without_engine_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("myotrial.report.pdf._weasyprint_available", lambda: False)
    monkeypatch.setattr("myotrial.report.pdf.chromium_executable", lambda: None)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(tmp_path), "-o", str(out), "--pdf"])
    assert result.exit_code == 1
    assert result.output == (
        "error: no PDF engine: install WeasyPrint (pip install 'myotrial[pdf]') or Chromium "
        "(apt-get install chromium), or print the HTML report from a browser\n"
    )
    assert list(tmp_path.iterdir()) == []
