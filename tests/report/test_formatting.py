"""Rounding and wording of numbers in the report."""

from __future__ import annotations

import math

import pytest

from myotrial.report.formatting import (
    column_label,
    interval,
    mean_sd,
    p_value,
    scientific,
    text,
)


@pytest.mark.parametrize(
    ("p", "shown"),
    [(0.0004, "< 0.001"), (0.001, "0.001"), (0.0456, "0.046"), (1.0, "1.000"),
     (math.nan, "–")],
)  # fmt: skip
def test_p_values_print_three_decimals_and_floor_at_one_in_a_thousand(p, shown):
    assert p_value(p) == shown


@pytest.mark.parametrize(
    ("value", "shown"), [(1e6, "1 × 10⁶"), (1.25e6, "1.25 × 10⁶"), (2.5e-3, "2.5 × 10⁻³")]
)
def test_cell_doses_print_as_powers_of_ten(value, shown):
    assert scientific(value) == shown


def test_mean_sd_uses_thousands_separator_and_true_minus():
    # Pilot CK baseline (docs/measures.md §9): 1681 ± 430.
    assert mean_sd(1681.0, 430.0, 0) == "1,681 ± 430"
    assert interval(-2114.5, 514.5, 0) == "−2,114 to 514"


def test_missing_sd_is_a_dash_not_nan():
    assert mean_sd(500.0, math.nan, 0) == "500 ± –"


def test_column_labels_read_as_words():
    assert column_label("fvc_pct_baseline") == "FVC % baseline"


@pytest.mark.parametrize("value", [math.inf, -math.inf])
def test_infinite_values_print_as_a_dash(value):
    # A relative change from a baseline of 0 is infinite: undefined, shown as missing.
    assert text(value) == "–"
