"""The report of the synthetic pilot through the real pipeline (generate, analyse, render).

Numbers are checked against the trial tables and the analysis tables directly, so the
report is shown to carry what the analysis computed, rounded, and nothing else.
"""

from __future__ import annotations

import itertools
import re

import pytest
from report_html_checks import NS, SVG, external_references, heading_levels, parse, text_of

import myotrial
from myotrial.data import pilot_summary
from myotrial.report import render_report
from myotrial.synthetic import make_pilot


@pytest.fixture(scope="module")
def pipeline():
    trial = make_pilot(2011)
    result = myotrial.analyze(trial)
    return trial, result, render_report(trial, result)


def test_pilot_report_is_valid_self_contained_html(pipeline):
    _trial, _result, html = pipeline
    tree, errors = parse(html)
    assert errors == []
    assert external_references(tree, html) == []
    levels = heading_levels(tree)
    assert levels[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels))


def test_pilot_report_draws_all_five_figures(pipeline):
    tree, _ = parse(pipeline[2])
    figures = list(tree.iter(f"{NS}figure"))
    assert len(figures) == 5
    assert all(f.find(f"{SVG}svg").get("role") == "img" for f in figures)


def test_summary_counts_come_from_the_trial(pipeline):
    trial, result, html = pipeline
    patients, infusions = len(trial.patients), len(trial.infusions)
    courses = int((result.episodes["episode"] >= 1).sum())
    assert (
        f"{patients} patients were enrolled and {trial.infusions['patient_id'].nunique()} "
        f"received {infusions} infusions in {courses} courses" in html
    )


def test_ck_table_shows_the_analysis_means_rounded(pipeline):
    _trial, result, html = pipeline
    change = result.change_from_baseline
    row = change[(change["episode"] == 1) & (change["measure"] == "ck")].iloc[0]
    tree, _ = parse(html)
    wrap = next(e for e in tree.iter(f"{NS}div") if e.get("id") == "table-measure-ck")
    text = re.sub(r"\s+", " ", text_of(wrap))
    assert f"{row['mean']:,.0f} ± {row['sd']:,.0f}" in text


def test_pilot_side_by_side_lists_every_published_ck_time_point(pipeline):
    tree, _ = parse(pipeline[2])
    wrap = next(e for e in tree.iter(f"{NS}div") if e.get("id") == "table-pilot-ck")
    text = text_of(wrap)
    published = pilot_summary().query("measure == 'ck'")
    for mean, sd in zip(published["mean"], published["sd"], strict=True):
        assert f"{mean:,.0f} ± {sd:,.0f}" in text


def test_demo_ends_by_writing_the_report(tmp_path):
    from myotrial.services.demo import run_demo

    steps = run_demo(tmp_path)
    assert steps[-1].name == "report"
    assert steps[-1].paths == (tmp_path / "report.html",)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "SYNTHETIC DATA" in html  # the synthetic pilot says so in its name
