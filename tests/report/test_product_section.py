"""The "Cell product" section: present with lots, absent without."""

from __future__ import annotations

import pytest

from myotrial import analyze
from myotrial.report.document import render_report
from myotrial.report.product_section import product_section
from myotrial.synthetic import make_pilot
from myotrial.trialdata import TrialData


@pytest.fixture(scope="module")
def pilot() -> TrialData:
    return make_pilot()


def test_the_report_shows_the_cell_product(pilot: TrialData) -> None:
    html = render_report(pilot, analyze(pilot))
    section = html[html.index('<section id="product"') :]
    section = section[: section.index("</section>")]
    assert '<a href="#product">Cell product</a>' in html
    assert "Dominici et al., Cytotherapy 2006;8:315" in section
    assert "L07: cd105_pct 90 is below 95 (ISCT 2006)" in section
    assert "90 ✗" in section  # the failed value is marked in the release table
    assert "Chain of identity" in section and "lies between donors" in section


def test_the_release_table_marks_only_the_failed_lot(pilot: TrialData) -> None:
    section = product_section(pilot, analyze(pilot))
    assert section is not None
    verdicts = {row[0]: row[-1] for row in section["release"].rows}
    assert verdicts == {f"L0{i}": "yes" for i in range(1, 7)} | {"L07": "no"}


def test_a_trial_without_lots_has_no_product_section(pilot: TrialData) -> None:
    plain = pilot.with_tables(lots=pilot.lots.iloc[:0], donors=pilot.donors.iloc[:0])
    html = render_report(plain, analyze(plain))
    assert 'id="product"' not in html
