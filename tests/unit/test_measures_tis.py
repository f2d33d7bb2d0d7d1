"""ACR/EULAR 2016 TIS: the worked checks of docs/measures.md §2 and every band edge from raw values.

Raw values are chosen by hand so that each improvement percentage lands where the test
says (e.g. phga 5 → 3.5 cm is (5 - 3.5) / 10 × 100 = 15 %).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import myotrial
from myotrial import ConfigError, InvalidInputError


def pairs_from_percent(
    phga: float, ptga: float, mmt: float, haq: float, enzyme: float, extra: float
) -> dict[str, float]:
    """Raw values giving these improvement % (hand inversion of the §2 formulas)."""
    return {
        "phga_0": 10.0,
        "phga_1": 10.0 - phga / 10.0,
        "ptga_0": 10.0,
        "ptga_1": 10.0 - ptga / 10.0,
        "mmt8_0": 0.0,
        "mmt8_1": mmt * 80.0 / 100.0,
        "haq_0": 3.0,
        "haq_1": 3.0 - haq * 3.0 / 100.0,
        "ck_0": 1000.0,
        "ck_1": 1000.0 - enzyme * 10.0,
        "ck_uln": 200.0,
        "extramuscular_0": 10.0,
        "extramuscular_1": 10.0 - extra / 10.0,
    }


def score_one(row: dict[str, float], **options: object) -> pd.Series:
    result: pd.Series = myotrial.score_tis(pd.DataFrame([row]), **options).iloc[0]
    return result


@pytest.mark.parametrize(
    ("percents", "tis", "adult", "juvenile"),
    [
        # docs/measures.md §2 worked checks: 20 + 7.5 + 27.5 + 7.5 + 7.5 + 7.5 = 77.5
        ((50, 30, 25, 20, 60, 10), 77.5, "major", "major"),
        # 7.5 + 2.5 + 10 + 5 + 2.5 + 7.5 = 35
        ((15, 15, 10, 15, 15, 15), 35.0, "minimal", "minimal"),
        # 15 + 5 + 20 + 7.5 + 5 + 12.5 = 65
        ((25, 25, 20, 25, 25, 25), 65.0, "major", "moderate"),
    ],
)
def test_worked_checks_of_the_spec(
    percents: tuple[float, ...], tis: float, adult: str, juvenile: str
) -> None:
    row = pairs_from_percent(*percents)
    assert score_one(row)["tis"] == tis
    assert score_one(row)["category"] == adult
    assert score_one(row, population="juvenile")["category"] == juvenile


def test_physician_global_5_to_3_5_is_exactly_15_percent_and_scores_7_5() -> None:
    row = pairs_from_percent(0, 0, 0, 0, 0, 0) | {"phga_0": 5.0, "phga_1": 3.5}
    scored = score_one(row)
    assert scored["p_phga"] == pytest.approx(15.0)
    assert scored["points_phga"] == 7.5


# Raw baseline/follow-up values whose improvement sits exactly on an edge (hand-computed)
# and a hair above it; band n below the edge, band n + 1 above.
VAS_EDGES = [
    (10.0, 9.5, 5),
    (10.0, 8.5, 15),
    (10.0, 7.5, 25),
    (10.0, 6.0, 40),
    (7.3, 6.8, 5),
    (5.1, 3.6, 15),
    (8.2, 5.7, 25),
    (9.9, 5.9, 40),
]
POINTS = {
    "phga": (0, 7.5, 15, 17.5, 20),
    "ptga": (0, 2.5, 5, 7.5, 10),
    "extramuscular": (0, 7.5, 12.5, 15, 20),
    "mmt8": (0, 10, 20, 27.5, 32.5),
    "haq": (0, 5, 7.5, 7.5, 10),
    "enzyme": (0, 2.5, 5, 7.5, 7.5),
}
EDGE_BAND = {5: 0, 15: 1, 25: 2, 40: 3, 2: 0, 10: 1, 20: 2, 30: 3}


@pytest.mark.parametrize("csm", ["phga", "ptga", "extramuscular"])
@pytest.mark.parametrize(("base", "follow", "edge"), VAS_EDGES)
def test_vas_edges_from_raw_values_stay_in_the_lower_band(
    csm: str, base: float, follow: float, edge: int
) -> None:
    row = pairs_from_percent(0, 0, 0, 0, 0, 0) | {f"{csm}_0": base, f"{csm}_1": follow}
    assert score_one(row)[f"points_{csm}"] == POINTS[csm][EDGE_BAND[edge]]
    row[f"{csm}_1"] = follow - 0.01
    assert score_one(row)[f"points_{csm}"] == POINTS[csm][EDGE_BAND[edge] + 1]


# MMT 0-80: +1.6 = 2 %, +8 = 10 %, +16 = 20 %, +24 = 30 %; 0-150: +3, +15, +30, +45.
@pytest.mark.parametrize(
    ("base", "follow", "mmt_max", "edge"),
    [
        (40, 41.6, 80, 2),
        (40, 48, 80, 10),
        (33, 49, 80, 20),
        (50, 74, 80, 30),
        (100, 103, 150, 2),
        (100, 115, 150, 10),
        (70, 100, 150, 20),
        (90, 135, 150, 30),
    ],
)
def test_mmt_edges_from_raw_values(base: float, follow: float, mmt_max: int, edge: int) -> None:
    row = pairs_from_percent(0, 0, 0, 0, 0, 0) | {
        "mmt8_0": base,
        "mmt8_1": follow,
        "mmt_max": mmt_max,
    }
    assert score_one(row)["points_mmt8"] == POINTS["mmt8"][EDGE_BAND[edge]]
    row["mmt8_1"] = follow + 0.1
    assert score_one(row)["points_mmt8"] == POINTS["mmt8"][EDGE_BAND[edge] + 1]


# HAQ: 0.15 / 3 = 5 %, 0.45 / 3 = 15 %, 0.75 / 3 = 25 %, 1.2 / 3 = 40 %.
@pytest.mark.parametrize(
    ("base", "follow", "edge"),
    [
        (2.0, 1.85, 5),
        (1.5, 1.05, 15),
        (2.125, 1.375, 25),
        (3.0, 1.8, 40),
        (1.3, 0.1, 40),
    ],
)
def test_haq_edges_from_raw_values(base: float, follow: float, edge: int) -> None:
    row = pairs_from_percent(0, 0, 0, 0, 0, 0) | {"haq_0": base, "haq_1": follow}
    assert score_one(row)["points_haq"] == POINTS["haq"][EDGE_BAND[edge]]
    row["haq_1"] = follow - 0.001
    assert score_one(row)["points_haq"] == POINTS["haq"][EDGE_BAND[edge] + 1]


# Enzyme relative to baseline: 1681 → 1596.95 is 5 %; 300 → 255 is 15 %; 1000 → 750 25 %.
@pytest.mark.parametrize(
    ("base", "follow", "edge"),
    [
        (1681, 1596.95, 5),
        (300, 255, 15),
        (1000, 750, 25),
        (885, 531, 40),
    ],
)
def test_enzyme_edges_from_raw_values(base: float, follow: float, edge: int) -> None:
    row = pairs_from_percent(0, 0, 0, 0, 0, 0) | {"ck_0": base, "ck_1": follow}
    assert score_one(row)["points_enzyme"] == POINTS["enzyme"][EDGE_BAND[edge]]
    row["ck_1"] = follow - 0.01
    assert score_one(row)["points_enzyme"] == POINTS["enzyme"][EDGE_BAND[edge] + 1]


def test_any_worsening_scores_zero() -> None:
    row = pairs_from_percent(0, 0, 0, 0, 0, 0) | {
        "phga_0": 2.0,
        "phga_1": 9.0,
        "mmt8_0": 70.0,
        "mmt8_1": 20.0,
    }
    scored = score_one(row)
    assert scored["p_phga"] == pytest.approx(-70.0)
    assert (scored["points_phga"], scored["points_mmt8"]) == (0.0, 0.0)


def test_enzyme_baseline_zero_gives_p_zero() -> None:
    row = pairs_from_percent(0, 0, 0, 0, 0, 0) | {"ck_0": 0.0, "ck_1": 50.0}
    assert score_one(row)["p_enzyme"] == 0.0


@pytest.mark.parametrize(
    ("tis_percents", "adult", "juvenile"),
    [
        # phga 7.5 + mmt 10 = 17.5 → none | none; + haq 5 (15 %) = 22.5 → minimal | none
        ((15, 0, 10, 0, 0, 0), "none", "none"),
        ((15, 0, 10, 15, 0, 0), "minimal", "none"),
        # 7.5 + 10 + 5 + 7.5 = 30: minimal for both (juvenile edge 30)
        ((15, 0, 10, 15, 0, 15), "minimal", "minimal"),
        # 20 + 20 = 40: adult moderate edge; juvenile minimal
        ((50, 0, 20, 0, 0, 0), "moderate", "minimal"),
        # 20 + 20 + 5 = 45: juvenile moderate edge
        ((50, 0, 20, 15, 0, 0), "moderate", "moderate"),
        # 20 + 32.5 + 7.5 = 60: adult major edge
        ((50, 0, 40.1, 0, 0, 15), "major", "moderate"),
        # 20 + 32.5 + 12.5 = 65: major, juvenile moderate
        ((50, 0, 40.1, 0, 0, 15.1), "major", "moderate"),
        # 20 + 32.5 + 5 + 12.5 = 70: juvenile major edge
        ((50, 0, 40.1, 15, 0, 15.1), "major", "major"),
        ((50, 0, 40.1, 15, 30, 15.1), "major", "major"),
    ],
)
def test_category_thresholds_adult_and_juvenile(
    tis_percents: tuple[float, ...], adult: str, juvenile: str
) -> None:
    row = pairs_from_percent(*tis_percents)
    assert score_one(row)["category"] == adult
    assert score_one(row, population="juvenile")["category"] == juvenile


def test_strict_mode_leaves_tis_missing_and_names_the_absent_measures() -> None:
    row = pairs_from_percent(50, 30, 25, 20, 60, 10) | {"phga_1": np.nan, "haq_0": np.nan}
    scored = score_one(row)
    assert np.isnan(scored["tis"]) and scored["category"] is None
    assert not scored["complete"]
    assert scored["missing"] == "phga;haq"
    assert np.isnan(scored["points_phga"])


def test_zero_mode_scores_absent_measures_zero_and_flags_the_row() -> None:
    row = pairs_from_percent(50, 30, 25, 20, 60, 10) | {"phga_1": np.nan}
    scored = score_one(row, missing="zero")
    # 77.5 without phga's 20 points
    assert scored["tis"] == 57.5 and scored["category"] == "moderate"
    assert scored["points_phga"] == 0.0 and not scored["complete"]
    assert scored["missing"] == "phga"


def test_strict_mode_never_fills_mmt_even_when_the_rest_is_complete() -> None:
    row = pairs_from_percent(50, 50, 50, 50, 50, 50)
    del row["mmt8_0"], row["mmt8_1"]
    scored = score_one(row)
    assert np.isnan(scored["tis"]) and scored["missing"] == "mmt8"


def test_most_abnormal_enzyme_is_chosen_with_ties_to_ck_first() -> None:
    base = pairs_from_percent(0, 0, 0, 0, 0, 0)
    # ck 1000/200 = 5 ×ULN, ldh 1500/250 = 6 ×ULN: ldh chosen, 1500 → 750 is 50 %.
    row = base | {"ldh_0": 1500.0, "ldh_1": 750.0, "ldh_uln": 250.0}
    assert score_one(row)["p_enzyme"] == pytest.approx(50.0)
    # ldh 1250/250 = 5 ×ULN ties with ck: ck (0 %) wins.
    row = base | {"ldh_0": 1250.0, "ldh_1": 250.0, "ldh_uln": 250.0}
    assert score_one(row)["p_enzyme"] == 0.0
    # aldolase present only at baseline is not a candidate.
    row = base | {"aldolase_0": 76.0, "aldolase_1": np.nan, "aldolase_uln": 7.6}
    assert score_one(row)["p_enzyme"] == 0.0


def test_uln_from_the_mapping_when_the_row_has_none() -> None:
    row = pairs_from_percent(0, 0, 0, 0, 0, 0) | {"ldh_0": 1500.0, "ldh_1": 750.0}
    assert score_one(row, uln={"ldh": 250})["p_enzyme"] == pytest.approx(50.0)
    assert score_one(row, uln={"ldh": 400})["p_enzyme"] == 0.0  # 3.75 ×ULN < ck 5


def test_missing_uln_is_an_error_naming_the_enzyme() -> None:
    row = pairs_from_percent(0, 0, 0, 0, 0, 0) | {"ldh_0": 1500.0, "ldh_1": 750.0}
    with pytest.raises(InvalidInputError) as caught:
        score_one(row)
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (2, "ldh_uln")
    assert "ldh" in problem.rule


def test_ukat_per_litre_is_accepted_and_scored_like_units_per_litre() -> None:
    row = pairs_from_percent(0, 0, 0, 0, 0, 0) | {"ldh_0": 25.0, "ldh_1": 12.5}
    # 25 µkat/L = 1500 U/L; ULN 250 U/L; 6 ×ULN beats ck's 5.
    scored = score_one(row, enzyme_units={"ldh": "ukat/L"}, uln={"ldh": 250 / 60})
    assert scored["p_enzyme"] == pytest.approx(50.0)


def test_vas_in_mm_is_divided_by_10() -> None:
    row = pairs_from_percent(0, 0, 0, 0, 0, 0)
    for key in ("phga", "ptga", "extramuscular"):
        row[f"{key}_0"] *= 10
        row[f"{key}_1"] *= 10
    row["phga_0"], row["phga_1"] = 50.0, 35.0
    assert score_one(row, vas_unit="mm")["points_phga"] == 7.5


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("phga_1", 10.5, "outside the VAS scale"),
        ("ptga_0", -0.1, "outside the VAS scale"),
        ("haq_1", 3.2, "outside the HAQ-DI scale"),
        ("mmt8_1", 81.0, "outside 0-"),
        ("ck_1", -3.0, "below 0"),
        ("mmt_max", 100.0, "must be 80 or 150"),
        ("ck_uln", 0.0, "must be above 0"),
        ("phga_0", "five", "is not a number"),
    ],
)
def test_bad_values_are_refused_with_file_row_column_value_rule(
    column: str, value: object, rule: str
) -> None:
    good = pairs_from_percent(10, 10, 10, 10, 10, 10)
    frame = pd.DataFrame([good, good | {column: value}])
    with pytest.raises(InvalidInputError) as caught:
        myotrial.score_tis(frame, source="PAIRS.csv")
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.column) == ("PAIRS.csv", 3, column)
    assert problem.value == str(value).removesuffix(".0") and rule in problem.rule


def test_all_problems_are_collected() -> None:
    row = pairs_from_percent(10, 10, 10, 10, 10, 10) | {"phga_1": 11.0, "haq_0": 4.0}
    with pytest.raises(InvalidInputError) as caught:
        score_one(row)
    assert {p.column for p in caught.value.problems} == {"phga_1", "haq_0"}


@pytest.mark.parametrize(
    ("option", "value"),
    [("mmt_max", 100), ("population", "child"), ("missing", "mean"), ("vas_unit", "in")],
)
def test_bad_options_are_config_errors(option: str, value: object) -> None:
    with pytest.raises(ConfigError):
        score_one(pairs_from_percent(10, 10, 10, 10, 10, 10), **{option: value})


def test_output_is_input_columns_then_the_documented_columns_and_records_options() -> None:
    frame = pd.DataFrame([pairs_from_percent(10, 10, 10, 10, 10, 10)]).assign(id="p1")
    result = myotrial.score_tis(frame, population="juvenile", missing="zero")
    csm = ["phga", "ptga", "mmt8", "haq", "enzyme", "extramuscular"]
    expected = [
        *frame.columns,
        *(f"p_{c}" for c in csm),
        *(f"points_{c}" for c in csm),
        "tis",
        "category",
        "complete",
        "missing",
    ]
    assert list(result.columns) == expected
    assert result.attrs["options"]["population"] == "juvenile"
    assert result.attrs["options"]["missing"] == "zero"
