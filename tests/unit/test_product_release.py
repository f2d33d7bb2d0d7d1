"""Release rules at their edges: ISCT 2006 (Dominici et al., Cytotherapy 2006;8:315) and
the trial's limits; every limit is inclusive."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myotrial.config import TrialConfig
from myotrial.domain.release import ISCT_2006, TRIAL_SPECIFICATION
from myotrial.errors import ConfigError
from myotrial.product.release import dose_outside, infusion_reasons, lot_status, release_failures

PASSING: dict[str, object] = {
    "lot": "L01",
    "donor": "D1",
    "passage": 3.0,
    "manufacture_date": pd.Timestamp("2024-01-10"),
    "expiry_date": pd.Timestamp("2024-07-10"),
    "viability_pct": 92.0,
    "cd73_pct": 99.0,
    "cd90_pct": 99.0,
    "cd105_pct": 98.0,
    "cd45_pct": 0.5,
    "cd34_pct": 0.4,
    "cd14_pct": 0.3,
    "cd19_pct": 0.2,
    "hla_dr_pct": 0.6,
    "sterility": "pass",
    "mycoplasma": "negative",
    "endotoxin_eu_per_ml": 0.1,
    "released": True,
}
SPEC = TrialConfig().release


def lots(*changes: dict[str, object]) -> pd.DataFrame:
    rows = [{**PASSING, "lot": f"L{i + 1:02d}", **change} for i, change in enumerate(changes)]
    frame = pd.DataFrame(rows)
    frame["released"] = frame["released"].astype("boolean")
    return frame


def reasons(change: dict[str, object]) -> list[str]:
    return release_failures(lots(change), SPEC)["reason"].tolist()


def test_a_lot_meeting_every_criterion_passes() -> None:
    assert reasons({}) == []
    assert bool(lot_status(lots({}), SPEC)["meets_specification"].iloc[0])


@pytest.mark.parametrize("column", ["cd73_pct", "cd90_pct", "cd105_pct"])
def test_positive_marker_at_95_percent_passes(column: str) -> None:
    # ISCT 2006: CD73, CD90, CD105 expressed by >= 95 % of the cells.
    assert reasons({column: 95.0}) == []


@pytest.mark.parametrize("column", ["cd73_pct", "cd90_pct", "cd105_pct"])
def test_positive_marker_at_94_9_percent_fails_with_its_limit(column: str) -> None:
    assert reasons({column: 94.9}) == [f"{column} 94.9 is below 95 (ISCT 2006)"]


@pytest.mark.parametrize("column", ["cd45_pct", "cd34_pct", "cd14_pct", "cd19_pct", "hla_dr_pct"])
def test_negative_marker_at_2_percent_passes(column: str) -> None:
    # ISCT 2006: CD45, CD34, CD14 or CD11b, CD19 or CD79a, HLA-DR on <= 2 %.
    assert reasons({column: 2.0}) == []


@pytest.mark.parametrize("column", ["cd45_pct", "cd34_pct", "cd14_pct", "cd19_pct", "hla_dr_pct"])
def test_negative_marker_at_2_1_percent_fails(column: str) -> None:
    assert reasons({column: 2.1}) == [f"{column} 2.1 is above 2 (ISCT 2006)"]


@pytest.mark.parametrize(("given", "other"), [("cd14_pct", "cd11b_pct"), ("cd19_pct", "cd79a_pct")])
def test_either_marker_of_a_pair_may_be_given(given: str, other: str) -> None:
    assert reasons({given: np.nan, other: 1.9}) == []
    assert reasons({given: np.nan, other: 2.5}) == [f"{other} 2.5 is above 2 (ISCT 2006)"]


def test_a_pair_with_neither_marker_fails_as_missing() -> None:
    assert reasons({"cd14_pct": np.nan}) == [
        "cd14_pct or cd11b_pct is missing, needs <= 2 (ISCT 2006)"
    ]


@pytest.mark.parametrize(
    ("column", "edge", "beyond", "reason"),
    [
        ("viability_pct", 70.0, 69.9, "viability_pct 69.9 is below 70"),
        ("endotoxin_eu_per_ml", 0.5, 0.51, "endotoxin_eu_per_ml 0.51 is above 0.5"),
        ("passage", 5.0, 6.0, "passage 6 is above 5"),
    ],
)
def test_trial_limits_are_inclusive(column: str, edge: float, beyond: float, reason: str) -> None:
    assert reasons({column: edge}) == []
    assert reasons({column: beyond}) == [f"{reason} (trial specification)"]


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("sterility", "fail", "sterility fail is not pass"),
        ("mycoplasma", "positive", "mycoplasma positive is not negative"),
        ("sterility", None, "sterility is missing, needs pass"),
    ],
)
def test_sterility_and_mycoplasma_must_be_clear(column: str, value: object, reason: str) -> None:
    assert reasons({column: value}) == [f"{reason} (trial specification)"]


def test_every_failed_rule_is_named_in_specification_order() -> None:
    found = reasons({"cd105_pct": 90.0, "hla_dr_pct": 3.0, "viability_pct": 60.0})
    assert found == [
        "cd105_pct 90 is below 95 (ISCT 2006)",
        "hla_dr_pct 3 is above 2 (ISCT 2006)",
        "viability_pct 60 is below 70 (trial specification)",
    ]


def test_a_changed_isct_limit_becomes_the_trials() -> None:
    spec = TrialConfig.from_dict({"release": {"cd105_pct_min": 90, "cd73_pct_min": 95}}).release
    sources = {lim.key: lim.source for lim in spec.limits}
    assert sources["cd105_pct_min"] == TRIAL_SPECIFICATION
    assert sources["cd73_pct_min"] == ISCT_2006
    failed = release_failures(lots({"cd105_pct": 89.0}), spec)["reason"].tolist()
    assert failed == ["cd105_pct 89 is below 90 (trial specification)"]


def test_bad_release_keys_are_all_reported() -> None:
    with pytest.raises(ConfigError) as info:
        TrialConfig.from_dict(
            {
                "release": {
                    "cd105_min": 95,
                    "passage_max": 2.5,
                    "dose_per_kg_min": 2e6,
                    "dose_per_kg_max": 1e6,
                }
            }
        )
    assert {p.column for p in info.value.problems} == {
        "release.cd105_min",
        "release.passage_max",
        "release.dose_per_kg_min",
    }


def test_release_round_trips_through_the_config_mapping() -> None:
    config = TrialConfig.from_dict(
        {"release": {"viability_pct_min": 80, "dose_per_kg_min": 5e5, "dose_per_kg_max": 2e6}}
    )
    again = TrialConfig.from_dict(config.to_dict())
    assert again.release == config.release
    assert "release" not in TrialConfig().to_dict()


def infusions(*rows: tuple[str | None, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lot": [r[0] for r in rows],
            "infusion_date": pd.to_datetime([r[1] for r in rows]),
        }
    )


def test_infusion_on_the_expiry_day_is_allowed_the_day_after_is_not() -> None:
    found = infusion_reasons(
        infusions(("L01", "2024-07-10"), ("L01", "2024-07-11")), lots({}), SPEC
    )
    assert found.tolist() == ["", "expired 2024-07-10, before the infusion"]


def test_infusion_before_manufacture_is_refused() -> None:
    found = infusion_reasons(infusions(("L01", "2024-01-09")), lots({}), SPEC)
    assert found.tolist() == ["manufactured 2024-01-10, after the infusion"]


def test_unknown_lot_and_missing_lot() -> None:
    found = infusion_reasons(infusions(("L99", "2024-02-01"), (None, "2024-02-01")), lots({}), SPEC)
    assert found.tolist() == ["not in lots.csv", ""]


def test_unreleased_and_out_of_specification_says_both() -> None:
    table = lots({"released": False, "cd105_pct": 90.0, "cd34_pct": 2.5})
    found = infusion_reasons(infusions(("L01", "2024-02-01")), table, SPEC)
    assert found.tolist() == [
        "not released; cd105_pct 90 is below 95 (ISCT 2006); cd34_pct 2.5 is above 2 (ISCT 2006)"
    ]


def test_recall_refuses_infusions_from_its_date() -> None:
    table = lots(
        {
            "recalled": True,
            "recalled_date": pd.Timestamp("2024-03-01"),
            "recall_reason": "sterility",
        }
    )
    found = infusion_reasons(infusions(("L01", "2024-02-29"), ("L01", "2024-03-01")), table, SPEC)
    assert found.tolist() == ["", "recalled 2024-03-01: sterility"]


def test_dose_range_is_inclusive() -> None:
    spec = TrialConfig.from_dict({"release": {"dose_per_kg_min": 5e5, "dose_per_kg_max": 2e6}})
    spec = spec.release
    dose = pd.DataFrame({"cells_per_kg": [4.99e5, 5e5, 2e6, 2.01e6, np.nan]})
    assert dose_outside(dose, spec).tolist() == [True, False, False, True, False]
    assert not dose_outside(dose, SPEC).any()


def test_a_dose_range_needs_both_ends() -> None:
    with pytest.raises(ConfigError) as info:
        TrialConfig.from_dict({"release": {"dose_per_kg_max": 2e6}})
    assert [p.rule for p in info.value.problems] == ["needs its other end"]


def test_infusion_before_the_release_date_is_refused() -> None:
    table = lots({"released_date": pd.Timestamp("2024-02-01")})
    found = infusion_reasons(infusions(("L01", "2024-01-31"), ("L01", "2024-02-01")), table, SPEC)
    assert found.tolist() == ["released 2024-02-01, after the infusion", ""]


def _checks(change: dict[str, object]) -> pd.DataFrame:
    from myotrial.product.release import specification_checks

    return specification_checks(lots(change).iloc[0], SPEC).set_index("rule")


def test_the_specification_table_has_every_rule_with_its_limit_and_source() -> None:
    checks = _checks({})
    # ISCT 2006: CD73, CD90, CD105 >= 95; CD45, CD34, CD14/CD11b, CD19/CD79a, HLA-DR <= 2;
    # the trial's: viability >= 70, endotoxin <= 0.5 EU/mL, passage <= 5, sterility, mycoplasma
    assert checks["limit"].to_dict() == {
        "cd73_pct": ">= 95",
        "cd90_pct": ">= 95",
        "cd105_pct": ">= 95",
        "cd45_pct": "<= 2",
        "cd34_pct": "<= 2",
        "cd14_pct or cd11b_pct": "<= 2",
        "cd19_pct or cd79a_pct": "<= 2",
        "hla_dr_pct": "<= 2",
        "viability_pct": ">= 70",
        "endotoxin_eu_per_ml": "<= 0.5",
        "passage": "<= 5",
        "sterility": "= pass",
        "mycoplasma": "= negative",
    }
    assert set(checks.loc[checks.index.str.startswith("cd"), "source"]) == {ISCT_2006}
    assert checks.loc["viability_pct", "source"] == TRIAL_SPECIFICATION
    assert checks["meets"].all()
    assert checks.loc["cd14_pct or cd11b_pct", "value"] == "cd14_pct 0.3"


@pytest.mark.parametrize(("value", "meets"), [(95.0, True), (94.9, False)])
def test_the_specification_table_judges_cd105_at_its_edge(value: float, meets: bool) -> None:
    row = _checks({"cd105_pct": value}).loc["cd105_pct"]
    assert (row["value"], bool(row["meets"])) == (f"{value:g}", meets)
    assert row["reason"] == ("" if meets else "cd105_pct 94.9 is below 95 (ISCT 2006)")


def test_a_missing_value_fails_its_rule_in_the_table() -> None:
    row = _checks({"hla_dr_pct": np.nan}).loc["hla_dr_pct"]
    assert (row["value"], bool(row["meets"])) == ("", False)
    assert row["reason"] == "hla_dr_pct is missing, needs <= 2 (ISCT 2006)"
