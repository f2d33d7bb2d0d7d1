"""Lot-aware rates on a hand-made trial; exact intervals as R ``binom.test`` prints them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myotrial.analysis.product import (
    course_lots,
    dose_correlation,
    dose_response,
    reaction_rates,
    response_rates,
)
from myotrial.product.trace import events_after, infusion_lots

LOTS = pd.DataFrame({"lot": ["L1", "L2", "L3"], "donor": ["D1", "D1", "D2"]})
# P1: course 1 (L1 on day 0 and day 7), course 2 (L2); P2, P3, P4 one infusion each.
INFUSIONS = pd.DataFrame(
    {
        "patient_id": ["P1", "P1", "P1", "P2", "P3", "P4"],
        "infusion_date": pd.to_datetime(
            ["2024-01-01", "2024-01-08", "2024-09-01", "2024-02-01", "2024-03-01", "2024-04-01"]
        ),
        "lot": ["L1", "L1", "L2", "L1", "L2", "L3"],
        "cells_per_kg": [1e6, 1e6, 2e6, 1e6, 2e6, 2e6],
    }
)
EPISODES = pd.DataFrame(
    {
        "patient_id": ["P1", "P1", "P1", "P2", "P3", "P4"],
        "episode": [0, 1, 2, 1, 1, 1],
        "first_infusion": pd.to_datetime(
            ["2024-01-01", "2024-01-01", "2024-09-01", "2024-02-01", "2024-03-01", "2024-04-01"]
        ),
        "cells_per_kg_total": [2e6, 2e6, 2e6, 1e6, 2e6, 2e6],
        "response_date": pd.to_datetime(
            ["2024-02-01", "2024-02-01", None, None, "2024-04-01", "2024-05-01"]
        ),
        "best_tis": [45.0, 45.0, 10.0, 7.5, 30.0, 62.5],
    }
)


def _rates(table: pd.DataFrame, level: str) -> dict[str, tuple[int, int]]:
    rows = table[table["level"] == level]
    return {
        g: (int(n), int(e))
        for g, n, e in zip(rows["group"], rows["n"], rows["events"], strict=True)
    }


def test_a_course_counts_once_under_each_lot_and_donor() -> None:
    courses = course_lots(EPISODES, infusion_lots(INFUSIONS, LOTS))
    table = response_rates(EPISODES, courses)
    # L1: P1 course 1 (responded; two infusions, one course) and P2 (not)
    # L2: P1 course 2 (not) and P3 (responded); L3: P4 (responded)
    assert _rates(table, "lot") == {"L1": (2, 1), "L2": (2, 1), "L3": (1, 1)}
    assert _rates(table, "donor") == {"D1": (4, 2), "D2": (1, 1)}


def test_rates_carry_exact_intervals() -> None:
    courses = course_lots(EPISODES, infusion_lots(INFUSIONS, LOTS))
    table = response_rates(EPISODES, courses).set_index(["level", "group"])
    # binom.test(2, 4)$conf.int: 0.067585986488543 0.932414013511457
    assert table.loc[("donor", "D1"), "ci_low"] == pytest.approx(0.067585986488543, rel=1e-10)
    assert table.loc[("donor", "D1"), "ci_high"] == pytest.approx(0.932414013511457, rel=1e-10)
    # binom.test(1, 1)$conf.int: 0.025 1
    assert table.loc[("lot", "L3"), "ci_low"] == pytest.approx(0.025, rel=1e-10)
    assert table.loc[("lot", "L3"), "ci_high"] == 1.0


def test_infusion_reactions_count_within_seven_days_per_infusion() -> None:
    events = pd.DataFrame(
        {
            "patient_id": ["P2", "P3", "P4", "P1"],
            "onset_date": pd.to_datetime(["2024-02-01", "2024-03-09", "2024-04-02", "2024-01-09"]),
            "term": ["fever", "chills", "rash", "headache"],
            # P3's reaction begins 8 days after the infusion; P4's event is no reaction
            "infusion_reaction": pd.array([True, True, False, True], dtype="boolean"),
        }
    )
    table = reaction_rates(infusion_lots(INFUSIONS, LOTS), events)
    # L1 infusions: P1 day 0 (headache 8 days later: no), P1 day 7 (next day: yes), P2 (yes)
    assert _rates(table, "lot") == {"L1": (3, 2), "L2": (2, 0), "L3": (1, 0)}
    assert _rates(table, "donor") == {"D1": (5, 2), "D2": (1, 0)}


def test_events_after_lists_each_infusion_window() -> None:
    events = pd.DataFrame(
        {
            "patient_id": ["P1"],
            "onset_date": pd.to_datetime(["2024-01-08"]),
            "term": ["fever"],
        }
    )
    near = events_after(INFUSIONS[INFUSIONS["lot"] == "L1"], events)
    # 7 days after the first infusion and the day of the second: listed under both
    assert near["days_after"].tolist() == [7, 0]


def test_dose_response_by_distinct_dose() -> None:
    table = dose_response(EPISODES).set_index("dose_group")
    # courses at 1e6: P2 (no); at 2e6: P1 c1 (yes), P1 c2 (no), P3 (yes), P4 (yes)
    assert table.loc["1e+06", ["n", "responders"]].tolist() == [1, 0]
    assert table.loc["2e+06", ["n", "responders"]].tolist() == [4, 3]
    assert table.loc["2e+06", "median_best_tis"] == pytest.approx(37.5)


def test_many_doses_fall_into_thirds() -> None:
    episodes = pd.DataFrame(
        {
            "episode": 1,
            "cells_per_kg_total": np.linspace(0.5e6, 2.0e6, 9),
            "response_date": pd.to_datetime([None] * 4 + ["2024-01-01"] * 5),
            "best_tis": np.arange(9.0),
        }
    )
    table = dose_response(episodes)
    assert table["dose_group"].tolist() == ["lowest third", "middle third", "highest third"]
    assert table["responders"].tolist() == [0, 2, 3]


def test_dose_correlation_is_spearmans() -> None:
    result = dose_correlation(EPISODES)
    # courses (dose, best TIS): (2e6, 45), (2e6, 10), (1e6, 7.5), (2e6, 30), (2e6, 62.5)
    # cor(rank(dose), rank(tis)) with ties: ranks dose 3.5,3.5,1,3.5,3.5; tis 4,2,1,3,5
    # R: cor.test(dose, tis, method = "spearman", exact = FALSE)$estimate 0.707106781186547
    assert result["n"] == 5
    assert result["rho"] == pytest.approx(0.7071067811865476, rel=1e-12)
