"""The report as HTML: valid, self-contained, navigable, every figure described."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from report_fixtures import make_pilot, make_result, make_trial
from report_html_checks import NS, SVG, external_references, heading_levels, parse, text_of

from myotrial.report import render_report, write_report


@pytest.fixture(scope="module")
def html() -> str:
    return render_report(make_trial(), make_result(), pilot=make_pilot())


def test_report_parses_without_errors(html: str) -> None:
    _tree, errors = parse(html)
    assert errors == []


def test_report_makes_no_external_requests(html: str) -> None:
    tree, _ = parse(html)
    assert external_references(tree, html) == []
    assert "<script" not in html
    assert "<link" not in html


def test_headings_start_at_h1_and_skip_no_level(html: str) -> None:
    tree, _ = parse(html)
    levels = heading_levels(tree)
    assert levels[0] == 1
    assert levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels))


def test_every_figure_has_title_description_and_caption(html: str) -> None:
    tree, _ = parse(html)
    figures = list(tree.iter(f"{NS}figure"))
    assert len(figures) == 5  # CK, MMT-8, waterfall, swimmer, Kaplan-Meier
    for figure in figures:
        svg = figure.find(f"{SVG}svg")
        assert svg.get("role") == "img"
        title_id, desc_id = svg.get("aria-labelledby").split()
        assert text_of(svg.find(f"{SVG}title"))
        assert len(text_of(svg.find(f"{SVG}desc"))) > 40
        assert svg.find(f"{SVG}title").get("id") == title_id
        assert svg.find(f"{SVG}desc").get("id") == desc_id
        assert text_of(figure.find(f"{NS}figcaption"))


def test_element_ids_are_unique(html: str) -> None:
    tree, _ = parse(html)
    ids = [e.get("id") for e in tree.iter() if e.get("id")]
    assert len(ids) == len(set(ids))


def test_pilot_style_table_shows_mean_sd_and_p(html: str) -> None:
    # Hand calculation in conftest: CK month1 baseline 2000 ± 1000, follow-up 1200 ± 1216.55.
    table = _table(html, "table-measure-ck")
    assert [
        "Month 1",
        "30",
        "3",
        "2,000 ± 1,000",
        "1,200 ± 1,217",
        "−800 (−2,114 to 514)",
        "0.134",
        "0.250",
    ] in table
    assert ["MMT-8" in c for c in _captions(html)].count(True) >= 1


def test_response_rates_show_exact_interval(html: str) -> None:
    table = _table(html, "table-response-1")
    # 2 of 3 responders, Clopper-Pearson 9 % to 99 %.
    assert table[1][:2] == ["Month 1", "2/3 (67 %)9 to 99 %"]


def test_summary_states_patients_infusions_and_response(html: str) -> None:
    tree, _ = parse(html)
    summary = text_of(next(e for e in tree.iter(f"{NS}section") if e.get("id") == "summary"))
    assert (
        "3 patients were enrolled and 3 received 4 infusions in 4 courses (1 re-treatment)"
        in summary
    )
    # best TIS 62.5, 45, 10 in the first course: 2 of 3 at least minimal (≥ 20).
    assert "2 of 3 patients (67 %) reached at least a minimal response" in summary
    assert "1 of 1 re-treatment courses led to a response again" in summary


def test_pilot_comparison_puts_published_and_trial_means_side_by_side(html: str) -> None:
    table = _table(html, "table-pilot-ck")
    assert table[0] == ["Time point", "Tang2011: mean ± SD", "n", "This trial: mean ± SD", "n"]
    assert ["Baseline", "1,681 ± 430", "8", "2,000 ± 1,000", "3"] in table
    assert ["Month 1", "293 ± 89", "8", "1,200 ± 1,217", "3"] in table


def test_methods_name_sources_and_provenance_names_checksum(html: str) -> None:
    assert "Ann Rheum Dis 2017;76:792-801" in html
    assert "Clopper" in html and "Kaplan" in html
    assert "ab" * 32 in html


def test_empty_sections_say_so_instead_of_drawing(pilot) -> None:
    trial = make_trial()
    result = make_result()
    bare = trial.with_tables(visits=trial.visits.iloc[0:0])
    empty = type(result)(
        **{**result.tables(), "relapse": pd.DataFrame(), "summary": result.summary}
        | {"change_from_baseline": result.change_from_baseline.iloc[0:0]}
    )
    html = render_report(bare, empty, pilot=pilot)
    tree, errors = parse(html)
    assert errors == []
    notes = [text_of(e) for e in tree.iter(f"{NS}p") if "empty" in (e.get("class") or "")]
    assert any("CK (U/L) per patient over time: no data for this figure" in n for n in notes)
    assert any("no relapse-free time" in n for n in notes)
    assert any("no measure has paired baseline" in n for n in notes)


def test_write_report_writes_utf8_file(tmp_path, trial, result, pilot, monkeypatch) -> None:
    monkeypatch.setattr("myotrial.report.sections._pilot", lambda _p: pilot)
    written = write_report(trial, result, tmp_path / "out" / "report.html")
    assert written == [tmp_path / "out" / "report.html"]
    assert written[0].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def _captions(html: str) -> list[str]:
    tree, _ = parse(html)
    return [text_of(c) for c in tree.iter(f"{NS}caption")]


def _table(html: str, wrap_id: str) -> list[list[str]]:
    tree, _ = parse(html)
    wrap = next(e for e in tree.iter(f"{NS}div") if e.get("id") == wrap_id)
    return [
        [re.sub(r"\s+", " ", text_of(c)) for c in row if c.tag in (f"{NS}td", f"{NS}th")]
        for row in wrap.iter(f"{NS}tr")
    ]


def test_trial_not_read_from_files_gets_a_checksum_of_its_tables():
    from dataclasses import replace

    from myotrial.report.document import tables_checksum

    trial = replace(make_trial(), checksum="")
    again = replace(make_trial(), checksum="")
    changed = trial.with_tables(visits=trial.visits.assign(ck=trial.visits["ck"] + 1))
    assert tables_checksum(trial) == tables_checksum(again)
    assert tables_checksum(trial) != tables_checksum(changed)
    assert re.fullmatch(r"[0-9a-f]{64}", tables_checksum(trial))
    html = render_report(trial, make_result(), pilot=make_pilot())
    assert tables_checksum(trial) in html


def test_design_section_from_a_real_design_keeps_the_page_valid():
    # A minimal design in the shape `myotrial design --json` writes, run through the
    # design area's own section renderer.
    pytest.importorskip("myotrial.report.design_section")
    design = json.loads((Path(__file__).parent / "design_example.json").read_text("utf-8"))
    html = render_report(make_trial(), make_result(), design, pilot=make_pilot())
    tree, errors = parse(html)
    assert errors == []
    ids = [e.get("id") for e in tree.iter() if e.get("id")]
    assert ids.count("design") == 1
    levels = heading_levels(tree)
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels))
    assert external_references(tree, html) == []
