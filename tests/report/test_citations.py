"""Citations a user can follow: the documentation the project ships, never the spec files.

The report, the help, error messages and docs cite ``docs/measures.md §N`` (a numbered
section that exists) or the publication; ``MEASURES.md``, ``ANALYSIS.md``,
``TRIAL_FORMAT.md`` and ``DESIGN.md`` do not ship with an install.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from report_fixtures import make_pilot, make_result, make_trial

from myotrial.report import render_report

ROOT = Path(__file__).resolve().parents[2]
SPEC_FILES = re.compile(r"(?<![\w/-])(MEASURES|ANALYSIS|TRIAL_FORMAT|DESIGN)\.md")
SECTION = re.compile(r"measures\.md §(\d+)")


def _shipped_text() -> list[Path]:
    source = [p for p in (ROOT / "src").rglob("*") if p.suffix in {".py", ".html", ".j2", ".md"}]
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *source]


def _numbered_sections() -> set[str]:
    text = (ROOT / "docs" / "measures.md").read_text(encoding="utf-8")
    return set(re.findall(r"^## (\d+)\. ", text, flags=re.M))


def test_no_shipped_text_cites_a_spec_file() -> None:
    citing = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _shipped_text()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SPEC_FILES.search(line)
    ]
    assert citing == []


def test_measures_sections_are_numbered_one_to_eleven() -> None:
    assert _numbered_sections() == {str(n) for n in range(1, 12)}


def test_every_cited_section_of_measures_exists() -> None:
    cited = {
        (path.relative_to(ROOT).as_posix(), number)
        for path in _shipped_text()
        for number in SECTION.findall(path.read_text(encoding="utf-8"))
    }
    assert cited, "the report and the code cite numbered sections"
    assert {c for c in cited if c[1] not in _numbered_sections()} == set()


@pytest.fixture(scope="module")
def report_html() -> str:
    return render_report(make_trial(), make_result(), pilot=make_pilot())


def test_report_cites_the_shipped_documentation(report_html: str) -> None:
    assert SPEC_FILES.search(report_html) is None
    assert "docs/measures.md §2" in report_html
