"""MMT-8 totals, HAQ-DI, enzyme units and ×ULN, prednisone equivalents: hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myotrial import InvalidInputError
from myotrial.measures import (
    MMT_GROUPS,
    haq_di,
    mmt_total,
    most_abnormal_enzyme,
    prednisone_equivalent,
    times_uln,
    to_units_per_litre,
)

GRADES_R = dict(zip(MMT_GROUPS, [10, 9, 8, 7, 6, 5, 4, 3], strict=True))
GRADES_L = dict(zip(MMT_GROUPS, [10, 8, 8, 8, 8, 8, 8, 8], strict=True))


def grades_frame() -> pd.DataFrame:
    row = {f"mmt_{g}_r": v for g, v in GRADES_R.items()}
    row |= {f"mmt_{g}_l": v for g, v in GRADES_L.items() if g != "neck_flexors"}
    return pd.DataFrame([row])


def test_mmt_0_80_uses_the_right_side_by_default() -> None:
    # 10 + 9 + 8 + 7 + 6 + 5 + 4 + 3 = 52
    assert mmt_total(grades_frame())[0] == 52.0


def test_mmt_0_80_left_side() -> None:
    # neck flexors are one midline group, graded once (here under _r): 10 + 7 × 8 = 66
    assert mmt_total(grades_frame(), side="l")[0] == 66.0
    plain = grades_frame().assign(mmt_neck_flexors=9.0).drop(columns="mmt_neck_flexors_r")
    assert mmt_total(plain, side="l")[0] == 65.0


def test_mmt_0_150_both_sides_plus_neck() -> None:
    # limbs right 9+8+7+6+5+4+3 = 42, left 7 × 8 = 56, neck 10 → 108
    assert mmt_total(grades_frame(), mmt_max=150)[0] == 108.0


def test_mmt_total_missing_when_a_grade_is_missing() -> None:
    frame = grades_frame().drop(columns="mmt_quadriceps_r")
    assert np.isnan(mmt_total(frame)[0])


def test_mmt_grade_outside_0_10_is_an_error() -> None:
    frame = grades_frame().assign(mmt_biceps_r=11.0)
    with pytest.raises(InvalidInputError) as caught:
        mmt_total(frame)
    assert caught.value.problems[0].column == "mmt_biceps_r"


def test_haq_mean_of_answered_categories_with_the_aids_rule() -> None:
    row = {
        "haq_dressing": 1,
        "haq_arising": 0,
        "haq_eating": 0,
        "haq_walking": 1,
        "haq_hygiene": 3,
        "haq_reach": 2,
        "haq_grip": np.nan,
        "haq_activities": 0,
        "haq_dressing_aid": True,
        "haq_arising_aid": "yes",
        "haq_reach_aid": True,
    }
    # dressing 1 → 2, arising 0 → 2 (aid), reach stays 2; grip unanswered:
    # (2 + 2 + 0 + 1 + 3 + 2 + 0) / 7 = 10 / 7
    assert haq_di(pd.DataFrame([row]))[0] == pytest.approx(10 / 7)


def test_haq_needs_six_answered_categories() -> None:
    six = {
        f"haq_{c}": 1.0 for c in ("dressing", "arising", "eating", "walking", "hygiene", "reach")
    }
    five = dict(list(six.items())[:5])
    assert haq_di(pd.DataFrame([six]))[0] == 1.0
    assert np.isnan(haq_di(pd.DataFrame([five]))[0])


def test_haq_aid_alone_does_not_answer_a_category() -> None:
    six = {f"haq_{c}": 0.0 for c in ("dressing", "arising", "eating", "walking", "hygiene")}
    frame = pd.DataFrame([six | {"haq_grip_aid": True}])
    assert np.isnan(haq_di(frame)[0])


def test_haq_bad_aid_flag_is_an_error() -> None:
    with pytest.raises(InvalidInputError):
        haq_di(pd.DataFrame([{"haq_grip": 1, "haq_grip_aid": "sometimes"}]))


def test_ukat_to_units_per_litre_and_times_uln() -> None:
    # 1 µkat/L = 60 U/L (1 µmol/s = 60 µmol/min)
    assert to_units_per_litre(np.array([2.5]), "ukat/L")[0] == 150.0
    assert to_units_per_litre(np.array([2.5]), "U/L")[0] == 2.5
    assert times_uln(np.array([1681.0]), 200.0)[0] == pytest.approx(8.405)
    with pytest.raises(ValueError, match="unknown enzyme unit"):
        to_units_per_litre(np.array([1.0]), "IU")


def test_most_abnormal_enzyme_order_and_ties() -> None:
    # columns ck, aldolase, ldh: row 0 ldh 3 ×ULN wins over ck 2 ×ULN; row 1 tie → ck;
    # row 2 ck absent at follow-up → aldolase; row 3 nothing at both visits.
    base = np.array(
        [[400, 7.6, 750], [400, np.nan, 500], [4000, 15.2, np.nan], [np.nan, 5, np.nan]],
        dtype=float,
    )
    follow = np.array(
        [[300, 7.6, 500], [300, np.nan, 400], [np.nan, 7.6, np.nan], [100, np.nan, np.nan]],
        dtype=float,
    )
    uln = np.tile([200.0, 7.6, 250.0], (4, 1))
    choice, needs = most_abnormal_enzyme(base, follow, uln)
    assert choice.tolist() == [2, 0, 1, -1]
    assert not needs.any()


@pytest.mark.parametrize(
    ("drug", "dose", "prednisone"),
    [
        ("prednisone", 30, 30.0),
        ("Prednisolone", 5, 5.0),
        ("methylprednisolone", 4, 5.0),
        ("methylprednisolone", 16, 20.0),
        ("hydrocortisone", 20, 5.0),
        ("dexamethasone", 0.75, 5.0),
        ("dexamethasone", 6, 40.0),
    ],
)
def test_prednisone_equivalents(drug: str, dose: float, prednisone: float) -> None:
    frame = pd.DataFrame({"drug": [drug], "dose": [dose], "unit": ["mg"]})
    assert prednisone_equivalent(frame).iloc[0] == pytest.approx(prednisone)


def test_non_steroid_rows_are_missing_and_bad_units_refused() -> None:
    frame = pd.DataFrame({"drug": ["methotrexate"], "dose": [15], "unit": ["mg/week"]})
    assert np.isnan(prednisone_equivalent(frame).iloc[0])
    with pytest.raises(InvalidInputError) as caught:
        prednisone_equivalent(pd.DataFrame({"drug": ["prednisone"], "dose": [1], "unit": ["g"]}))
    assert caught.value.problems[0].column == "unit"
