"""EULAR/ACR 2017 and Bohan-Peter classification: hand sums at the published cut-offs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from myotrial import InvalidInputError
from myotrial.cli import main
from myotrial.measures import classify_bohan_peter, classify_eular_acr


def eular(**items: object) -> pd.Series:
    result: pd.Series = classify_eular_acr(pd.DataFrame([items])).iloc[0]
    return result


@pytest.mark.parametrize(
    ("items", "score", "category"),
    [
        # 1.3 (age 18-39) + 3.9 (anti-Jo-1) = 5.2 → not IIM
        ({"age_at_onset": 30, "anti_jo1": True}, 5.2, "not IIM"),
        # 2.1 (age ≥ 40) + 3.3 (Gottron's sign) = 5.4 → possible (5.3-5.4)
        ({"age_at_onset": 40, "gottron_sign": True}, 5.4, "possible"),
        # 1.3 + 3.3 + 0.7 = 5.3 → possible, the lower edge
        ({"age_at_onset": 18, "gottron_sign": True, "dysphagia": True}, 5.3, "possible"),
        # 2.1 + 3.1 (heliotrope) + 0.7 (upper weakness) = 5.9 → probable
        ({"age_at_onset": 50, "heliotrope": True, "weakness_upper": True}, 5.9, "probable"),
        # 1.3 + 3.3 + 0.9 = 5.5 → probable, the edge
        ({"age_at_onset": 25, "gottron_sign": True, "legs_proximal_weaker": True}, 5.5, "probable"),
        # 2.1 + 3.1 + 1.3 (enzymes) + 0.7 (upper) + 0.8 (lower) = 8.0 → definite
        (
            {
                "age_at_onset": 60,
                "heliotrope": True,
                "enzymes_raised": True,
                "weakness_upper": True,
                "weakness_lower": True,
            },
            8.0,
            "definite",
        ),
        # 1.3 + 3.9 + 1.3 + 0.7 = 7.2 → probable
        (
            {"age_at_onset": 20, "anti_jo1": True, "enzymes_raised": True, "weakness_upper": True},
            7.2,
            "probable",
        ),
        # 2.1 + 3.3 (Gottron's sign) + 2.1 (Gottron's papules) = 7.5 → definite, the edge
        ({"age_at_onset": 41, "gottron_sign": True, "gottron_papules": True}, 7.5, "definite"),
    ],
)
def test_without_biopsy(items: dict[str, object], score: float, category: str) -> None:
    scored = eular(**items)
    assert not scored["eular_acr_biopsy"]
    assert scored["eular_acr_score"] == pytest.approx(score)
    assert scored["eular_acr_category"] == category
    assert scored["eular_acr_probability"] == pytest.approx(1 / (1 + np.exp(5.33 - score)))


@pytest.mark.parametrize(
    ("items", "score", "category"),
    [
        # 1.5 (age 18-39) + 3.1 (rimmed vacuoles) + 1.9 (perifascicular) = 6.5 → possible edge
        (
            {"age_at_onset": 35, "biopsy_rimmed_vacuoles": True, "biopsy_perifascicular": True},
            6.5,
            "possible",
        ),
        # 2.2 (≥ 40) + 3.7 (Gottron's sign) + 0.5 (lower weakness) = 6.4 → not IIM
        (
            {"age_at_onset": 70, "gottron_sign": True, "weakness_lower": True, "biopsy": True},
            6.4,
            "not IIM",
        ),
        # 2.2 + 3.7 + 0.7 (upper) = 6.6 → possible
        (
            {"age_at_onset": 70, "gottron_sign": True, "weakness_upper": True, "biopsy": "yes"},
            6.6,
            "possible",
        ),
        # 1.5 + 3.8 + 1.4 = 6.7 → probable edge
        (
            {
                "age_at_onset": 30,
                "anti_jo1": True,
                "enzymes_raised": True,
                "biopsy_endomysial": False,
            },
            6.7,
            "probable",
        ),
        # 2.2 + 3.2 + 1.6 + 1.7 = 8.7 → definite edge
        (
            {
                "age_at_onset": 45,
                "heliotrope": True,
                "neck_flexors_weak": True,
                "biopsy_endomysial": True,
            },
            8.7,
            "definite",
        ),
    ],
)
def test_with_biopsy(items: dict[str, object], score: float, category: str) -> None:
    scored = eular(**items)
    assert scored["eular_acr_biopsy"]
    assert scored["eular_acr_score"] == pytest.approx(score)
    assert scored["eular_acr_category"] == category
    assert scored["eular_acr_probability"] == pytest.approx(1 / (1 + np.exp(6.49 - score)))


def test_onset_before_18_scores_no_age_points() -> None:
    assert eular(age_at_onset=17.9, heliotrope=True)["eular_acr_score"] == pytest.approx(3.1)


def test_bad_item_and_age_are_refused_together() -> None:
    with pytest.raises(InvalidInputError) as caught:
        classify_eular_acr(pd.DataFrame([{"age_at_onset": 130, "heliotrope": "maybe"}]))
    assert {p.column for p in caught.value.problems} == {"age_at_onset", "heliotrope"}


@pytest.mark.parametrize(
    ("items", "kind", "level"),
    [
        (
            {"proximal_weakness": 1, "biopsy_evidence": 1, "enzymes_raised": 1, "emg_myopathic": 1},
            "PM",
            "definite",
        ),
        ({"proximal_weakness": 1, "biopsy_evidence": 1, "enzymes_raised": 1}, "PM", "probable"),
        ({"proximal_weakness": 1, "emg_myopathic": 1}, "PM", "possible"),
        ({"enzymes_raised": 1}, "PM", "none"),
        (
            {"dm_rash": 1, "proximal_weakness": 1, "enzymes_raised": 1, "emg_myopathic": 1},
            "DM",
            "definite",
        ),
        ({"dm_rash": 1, "proximal_weakness": 1, "enzymes_raised": 1}, "DM", "probable"),
        ({"dm_rash": 1, "emg_myopathic": 1}, "DM", "possible"),
        ({"dm_rash": 1}, "DM", "none"),
        # rash and weakness derived from the EULAR/ACR items
        ({"gottron_papules": 1, "weakness_lower": 1, "biopsy_perimysial": 1}, "DM", "probable"),
    ],
)
def test_bohan_peter(items: dict[str, object], kind: str, level: str) -> None:
    result = classify_bohan_peter(pd.DataFrame([items])).iloc[0]
    assert (result["bohan_peter_type"], result["bohan_peter"]) == (kind, level)


def test_classify_command(tmp_path: Path) -> None:
    pd.DataFrame(
        [{"patient_id": "p1", "age_at_onset": 41, "gottron_sign": True, "gottron_papules": True}]
    ).to_csv(tmp_path / "PATIENTS.csv", index=False)
    result = CliRunner().invoke(
        main, ["classify", str(tmp_path / "PATIENTS.csv"), "-o", str(tmp_path / "out.csv")]
    )
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "out.csv")
    assert out.loc[0, "eular_acr_category"] == "definite"
    assert out.loc[0, "bohan_peter_type"] == "DM"
