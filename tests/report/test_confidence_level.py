"""The report states the confidence level the analysis used, never a fixed 95 %."""

from __future__ import annotations

import re

import pytest

import myotrial
from myotrial.analysis.options import AnalysisOptions
from myotrial.report.document import render_report
from myotrial.synthetic import make_pilot


@pytest.fixture(scope="module")
def report_at_90() -> str:
    trial = make_pilot(seed=2011)  # the pilot has a product record: the lot tables too
    result = myotrial.analyze(trial, AnalysisOptions(confidence=0.9))
    return render_report(trial, result)


def test_every_interval_of_the_report_is_labelled_at_90_percent(report_at_90: str) -> None:
    text = re.sub(r"<[^>]+>", " ", report_at_90)
    assert "95 %" not in text
    for label in (
        "Change (90 % CI)",
        "Clopper-Pearson) 90 % confidence interval",
        "90 % CI (exact)",
        "mean change with its 90 % confidence interval",
        "Clopper-Pearson) 90 % intervals",
    ):
        assert label in text, label


def test_the_default_level_is_95_percent() -> None:
    assert AnalysisOptions().level == "95 %"
    assert AnalysisOptions(confidence=0.9).level == "90 %"
