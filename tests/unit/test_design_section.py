"""The report's design section: figure with caption and text alternative, tables."""

from __future__ import annotations

import functools
import json

import html5lib

from myotrial.design.power import make_spec, run_design
from myotrial.report.design_section import render_design_page, render_design_section


@functools.cache
def _cached() -> str:
    spec = make_spec("mmt8_change", {"mean_treatment": 12, "sd": 10}, sims=400, seed=2)
    return json.dumps(run_design(spec, 20))


def _design() -> dict:  # type: ignore[type-arg]
    return json.loads(_cached())  # type: ignore[no-any-return]


def test_section_has_figure_caption_tables_and_sources() -> None:
    section = render_design_section(_design())
    assert "<svg" in section and "<figcaption>" in section
    assert 'role="img"' in section and "aria-label=" in section
    assert "Operating characteristics" in section
    assert "Assumptions and their sources" in section
    assert "Tang Y et al." in section
    assert "type I error" in section


def test_text_is_escaped() -> None:
    design = _design()
    design["parameters"]["sd"]["source"] = "<script>x</script>"
    section = render_design_section(design)
    assert "<script>x" not in section and "&lt;script&gt;" in section


def test_page_is_well_formed_html() -> None:
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(render_design_page(_design()))
