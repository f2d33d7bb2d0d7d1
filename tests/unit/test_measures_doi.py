"""IMACS 2004 definition of improvement (docs/measures.md §3), hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import myotrial

# Baseline: every relative change below is a hand division by these values.
BASE = {
    "phga_0": 5.0,
    "ptga_0": 5.0,
    "mmt8_0": 50.0,
    "haq_0": 1.0,
    "extramuscular_0": 4.0,
    "ck_0": 1000.0,
    "ck_uln": 200.0,
}
SAME = {
    "phga_1": 5.0,
    "ptga_1": 5.0,
    "mmt8_1": 50.0,
    "haq_1": 1.0,
    "extramuscular_1": 4.0,
    "ck_1": 1000.0,
}


def doi(**follow: float) -> pd.Series:
    row = BASE | SAME | follow
    result: pd.Series = myotrial.score_doi(pd.DataFrame([row])).iloc[0]
    return result


def test_three_improved_meets_doi() -> None:
    # phga 5 → 4 (20 %), ptga 5 → 4 (20 %), mmt 50 → 60 (+20 %): exactly at the edge
    scored = doi(phga_1=4.0, ptga_1=4.0, mmt8_1=60.0)
    assert scored["n_improved"] == 3 and scored["n_worsened"] == 0
    assert bool(scored["doi"])


def test_two_improved_is_not_enough() -> None:
    # ptga 5 → 4.05 is 19 %
    scored = doi(phga_1=4.0, ptga_1=4.05, mmt8_1=60.0)
    assert scored["n_improved"] == 2 and not bool(scored["doi"])


def test_one_worsened_is_allowed() -> None:
    # improved: phga, ptga (20 %), haq 1 → 0.8 (20 %), ck 1000 → 800 (20 %);
    # worsened: extramuscular 4 → 5 (25 %)
    scored = doi(phga_1=4.0, ptga_1=4.0, haq_1=0.8, ck_1=800.0, extramuscular_1=5.0)
    assert (scored["n_improved"], scored["n_worsened"]) == (4, 1) and bool(scored["doi"])


def test_three_worsened_fails() -> None:
    # improved: ptga, mmt, ck; worsened: phga 5 → 6.25, extramuscular 4 → 5, haq 1 → 1.25
    scored = doi(ptga_1=4.0, mmt8_1=60.0, ck_1=800.0, phga_1=6.25, extramuscular_1=5.0, haq_1=1.25)
    assert (scored["n_improved"], scored["n_worsened"]) == (3, 3) and not bool(scored["doi"])


def test_mmt_worsened_fails_even_with_five_improved() -> None:
    # mmt 50 → 37.5 is -25 %
    scored = doi(phga_1=2.0, ptga_1=2.0, haq_1=0.5, ck_1=500.0, extramuscular_1=2.0, mmt8_1=37.5)
    assert scored["worsened_mmt8"] and scored["n_improved"] == 5
    assert not bool(scored["doi"])


def test_worsening_just_below_25_percent_does_not_count() -> None:
    assert not doi(mmt8_1=37.6)["worsened_mmt8"]


def test_baseline_zero_cannot_improve_and_any_rise_worsens() -> None:
    scored = doi(phga_1=4.0, ptga_1=4.0, mmt8_1=60.0, extramuscular_0=0.0, extramuscular_1=0.1)
    assert scored["worsened_extramuscular"] and not scored["improved_extramuscular"]
    still = doi(extramuscular_0=0.0, extramuscular_1=0.0)
    assert not still["worsened_extramuscular"] and not still["improved_extramuscular"]


def test_missing_measure_strict_and_zero() -> None:
    row = BASE | SAME | {"phga_1": 4.0, "ptga_1": 4.0, "mmt8_1": 60.0, "haq_1": np.nan}
    strict = myotrial.score_doi(pd.DataFrame([row])).iloc[0]
    zero = myotrial.score_doi(pd.DataFrame([row]), missing="zero").iloc[0]
    # docs/measures.md §3, three-valued logic: 3 improved, 0 worsened, MMT-8 better; even
    # a worsened HAQ (1 worsened, MMT not) keeps it met, so the absent HAQ cannot change it
    assert strict["doi"] is True or bool(strict["doi"])
    assert bool(zero["doi"]) and zero["n_improved"] == 3


@pytest.mark.parametrize(
    ("follow", "expected"),
    [
        # 0 of 5 known improved: even an improved HAQ gives 1 < 3 -> not met
        ({"haq_1": np.nan}, False),
        # 2 improved (PhGA, PtGA 20 %), HAQ absent: an improved HAQ would make 3 -> unknown
        ({"phga_1": 4.0, "ptga_1": 4.0, "haq_1": np.nan}, None),
        # 3 improved but MMT-8 absent: it could be the worsened one -> unknown
        ({"phga_1": 4.0, "ptga_1": 4.0, "haq_1": 0.5, "mmt8_1": np.nan}, None),
    ],
)
def test_missing_measure_decides_only_when_it_could_change_the_answer(
    follow: dict[str, float], expected: bool | None
) -> None:
    result = doi(**follow)["doi"]
    if expected is None:
        assert result is pd.NA
    else:
        assert bool(result) is expected


@pytest.mark.parametrize("column", ["improved_enzyme", "worsened_enzyme"])
def test_output_columns_follow_the_trial_format(column: str) -> None:
    result = myotrial.score_doi(pd.DataFrame([BASE | SAME]))
    assert column in result.columns
    assert list(result.columns)[-3:] == ["n_improved", "n_worsened", "doi"]
    assert result.attrs["options"]["measure"] == "doi"
