"""Worsening rules 1-3 of docs/measures.md §4 and their confirmation over a visit sequence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myotrial import InvalidInputError
from myotrial.measures import confirmed_worsening, is_worse

STABLE = {
    "phga_0": 4.0,
    "phga_1": 4.0,
    "ptga_0": 4.0,
    "ptga_1": 4.0,
    "mmt8_0": 60.0,
    "mmt8_1": 60.0,
    "haq_0": 1.0,
    "haq_1": 1.0,
    "extramuscular_0": 3.0,
    "extramuscular_1": 3.0,
}


def worse(**changes: float) -> bool:
    return bool(is_worse(pd.DataFrame([STABLE | changes])).iloc[0])


def test_stable_visit_is_not_worse() -> None:
    assert not worse()


@pytest.mark.parametrize(
    ("phga_1", "mmt8_1", "expected"),
    [
        (6.0, 48.0, True),  # +2 cm and 60 → 48 is -20 %: both edges reached
        (5.9, 48.0, False),  # +1.9 cm
        (6.0, 48.1, False),  # -19.83 %
        (6.0, 60.0, False),  # phga alone is not enough
    ],
)
def test_rule_1_phga_rise_and_mmt_fall(phga_1: float, mmt8_1: float, expected: bool) -> None:
    assert worse(phga_1=phga_1, mmt8_1=mmt8_1) is expected


def test_rule_1_edge_in_floating_point() -> None:
    # 7.1 - 5.1 = 1.9999999999999996 in binary floating point; it is a 2 cm rise.
    assert worse(phga_0=5.1, phga_1=7.1, mmt8_1=48.0)


@pytest.mark.parametrize(("extra_1", "expected"), [(5.0, True), (4.9, False)])
def test_rule_2_extramuscular_rise_of_2_cm(extra_1: float, expected: bool) -> None:
    assert worse(extramuscular_1=extra_1) is expected


def test_rule_3_three_measures_worse_by_30_percent() -> None:
    # ptga 4 → 5.2 (+30 %), haq 1 → 1.3 (+30 %), mmt 60 → 42 (-30 %)
    assert worse(ptga_1=5.2, haq_1=1.3, mmt8_1=42.0)
    # only two of them
    assert not worse(ptga_1=5.2, haq_1=1.3)
    # the third at 29 %
    assert not worse(ptga_1=5.2, haq_1=1.3, mmt8_1=42.6)


def test_rule_3_rise_from_zero_counts_as_worse() -> None:
    assert worse(ptga_0=0.0, ptga_1=0.5, haq_0=0.0, haq_1=0.125, phga_0=0.0, phga_1=0.5)


def test_missing_measures_cannot_show_worsening() -> None:
    assert not worse(phga_1=np.nan, mmt8_1=40.0)


def test_bad_value_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        worse(phga_1=12.0)


def test_confirmation_needs_two_consecutive_worse_visits_per_patient() -> None:
    visits = pd.DataFrame(
        {
            "patient_id": ["a", "a", "a", "a", "b", "b", "c", "c"],
            "visit_date": pd.to_datetime(
                [
                    "2020-03-01",
                    "2020-01-01",
                    "2020-02-01",
                    "2020-04-01",
                    "2020-01-01",
                    "2020-02-01",
                    "2020-01-01",
                    "2020-02-01",
                ]
            ),
            "worse": [True, False, True, False, True, False, False, True],
        },
        index=[10, 11, 12, 13, 14, 15, 16, 17],
    )
    confirmed = confirmed_worsening(visits)
    # a: Jan no, Feb yes, Mar yes → confirmed at Feb (index 12); b: one worse; c's worse
    # visit is its last and is not followed by another patient's visit.
    assert confirmed[confirmed].index.tolist() == [12]


def test_confirmation_computes_worse_from_pairs_when_not_given() -> None:
    worse_row = STABLE | {"extramuscular_1": 6.0}
    frame = pd.DataFrame([STABLE, worse_row, worse_row]).assign(
        patient_id="a", visit_date=[1, 2, 3]
    )
    assert confirmed_worsening(frame).tolist() == [False, True, False]
