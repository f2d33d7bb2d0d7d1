"""Clinical constants: one definition in myotrial.measures, read by every other layer."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from myotrial.analysis.options import AnalysisOptions
from myotrial.analysis.summary import methods_text
from myotrial.cli import main
from myotrial.domain import Scale
from myotrial.measures import category_thresholds
from myotrial.measures.scales import scale_bounds
from myotrial.report.methods import TIS_THRESHOLDS
from myotrial.synthetic import make_pilot


@pytest.mark.parametrize(
    ("population", "expected"),
    [
        # ACR/EULAR 2016 (adult) and Rider 2017 (juvenile): minimal, moderate, major
        ("adult", {"minimal": 20.0, "moderate": 40.0, "major": 60.0}),
        ("juvenile", {"minimal": 30.0, "moderate": 45.0, "major": 70.0}),
    ],
)
def test_category_thresholds_are_the_published_ones(
    population: str, expected: dict[str, float]
) -> None:
    assert category_thresholds(population) == expected
    assert TIS_THRESHOLDS[population] == expected


def test_methods_text_states_the_thresholds_of_the_analysed_population() -> None:
    trial = make_pilot(seed=2011)  # an adult trial analysed with juvenile thresholds
    text = methods_text(trial, AnalysisOptions(population="juvenile"))
    assert "minimal >= 30, moderate >= 45, major >= 70" in text


def test_score_help_states_both_populations_thresholds() -> None:
    result = CliRunner().invoke(main, ["score", "tis", "--help"])
    assert "adult 20/40/60, juvenile 30/45/70" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("scale", "vas_unit", "population", "low", "high"),
    [
        (Scale.VAS, "cm", "adult", 0.0, 10.0),  # 10 cm visual analogue scale
        (Scale.VAS, "mm", "adult", 0.0, 100.0),  # the same scale in mm
        (Scale.MMT_GRADE, "cm", "adult", 0.0, 10.0),  # Kendall 0-10
        (Scale.HAQ_CATEGORY, "cm", "adult", 0.0, 3.0),  # HAQ 0-3
        (Scale.AGE, "cm", "adult", 18.0, 100.0),  # adult criteria from 18
        (Scale.AGE, "cm", "juvenile", 0.0, 100.0),
    ],
)
def test_scale_bounds_follow_the_trial_format(
    scale: Scale, vas_unit: str, population: str, low: float, high: float
) -> None:
    bounds = scale_bounds(scale, vas_unit, population)
    assert (bounds.minimum, bounds.maximum) == (low, high)


def test_an_upper_limit_of_normal_must_be_above_zero() -> None:
    bounds = scale_bounds(Scale.ULN)
    assert (bounds.minimum, bounds.above_minimum) == (0.0, True)
