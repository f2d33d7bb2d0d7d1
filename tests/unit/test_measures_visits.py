"""Canonical visits (units, MMT-8 and HAQ-DI filled, ×ULN) and visit pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import myotrial
from myotrial import InvalidInputError, TrialConfig
from myotrial.measures import MMT_GROUPS, canonical_visits, make_pairs


def test_units_are_converted_and_uln_filled_from_config() -> None:
    config = TrialConfig(vas_unit="mm", units={"ck": "ukat/L"}, uln={"ck": 3.0, "ldh": 250})
    visits = pd.DataFrame(
        {"patient_id": ["a"], "phga": [35.0], "ck": [10.0], "ldh": [500.0], "ldh_uln": [200.0]}
    )
    out = canonical_visits(visits, config)
    assert out.loc[0, "phga"] == 3.5
    assert out.loc[0, "ck"] == 600.0 and out.loc[0, "ck_uln"] == 180.0  # × 60
    assert out.loc[0, "ck_xuln"] == pytest.approx(10.0 / 3.0)
    assert out.loc[0, "ldh_xuln"] == 2.5  # the row's own ULN wins
    assert out.loc[0, "mmt_max"] == 80


def test_enzyme_without_any_uln_has_missing_xuln() -> None:
    out = canonical_visits(pd.DataFrame({"ast": [80.0]}), TrialConfig())
    assert np.isnan(out.loc[0, "ast_xuln"])


def test_mmt8_from_right_side_grades() -> None:
    grades = {f"mmt_{g}_r": 9.0 for g in MMT_GROUPS} | {f"mmt_{g}_l": 5.0 for g in MMT_GROUPS}
    out = canonical_visits(pd.DataFrame([grades]), TrialConfig())
    assert out.loc[0, "mmt8"] == 72.0  # 8 × 9


def test_mmt8_disagreeing_with_its_grades_is_an_error() -> None:
    grades = {f"mmt_{g}": 9.0 for g in MMT_GROUPS} | {"mmt8": 70.0}
    with pytest.raises(InvalidInputError) as caught:
        canonical_visits(pd.DataFrame([grades]), TrialConfig())
    assert caught.value.problems[0].column == "mmt8"
    assert "disagrees" in caught.value.problems[0].rule


def test_haq_from_categories() -> None:
    categories = {
        "haq_dressing": 1,
        "haq_arising": 2,
        "haq_eating": 0,
        "haq_walking": 3,
        "haq_hygiene": 1,
        "haq_reach": 1,
        "haq_grip": 0,
        "haq_activities": 0,
    }
    out = canonical_visits(pd.DataFrame([categories]), TrialConfig())
    assert out.loc[0, "haq"] == pytest.approx(8 / 8)


def test_pairs_from_two_visit_frames_score_like_the_spec() -> None:
    config = TrialConfig(uln={"ck": 200})
    base = canonical_visits(
        pd.DataFrame(
            {
                "patient_id": ["a"],
                "visit_date": pd.to_datetime(["2020-01-01"]),
                "phga": [10.0],
                "ptga": [10.0],
                "mmt8": [0.0],
                "haq": [3.0],
                "extramuscular": [10.0],
                "ck": [1000.0],
            }
        ),
        config,
    )
    follow = canonical_visits(
        pd.DataFrame(
            {
                "patient_id": ["a"],
                "visit_date": pd.to_datetime(["2020-03-01"]),
                "phga": [5.0],
                "ptga": [7.0],
                "mmt8": [20.0],
                "haq": [2.4],
                "extramuscular": [9.0],
                "ck": [400.0],
            }
        ),
        config,
    )
    pairs = make_pairs(base, follow, config)
    assert pairs.loc[0, "ck_uln"] == 200 and pairs.loc[0, "mmt_max"] == 80
    # (50, 30, 25, 20, 60, 10) % → 77.5, the first worked check of docs/measures.md §2
    assert myotrial.score_tis(pairs).loc[0, "tis"] == 77.5


def test_pairs_on_different_mmt_scales_are_refused() -> None:
    base = pd.DataFrame({"mmt8": [60.0], "mmt_max": [80]})
    follow = pd.DataFrame({"mmt8": [120.0], "mmt_max": [150]})
    with pytest.raises(InvalidInputError):
        make_pairs(base, follow, TrialConfig())
