"""The methods text states the lung cut-offs and steroid equivalents of measures/."""

from __future__ import annotations

import pytest

from myotrial.analysis.methods import conventions
from myotrial.analysis.options import AnalysisOptions
from myotrial.config import TrialConfig
from myotrial.measures import lung, steroids


def _rule(topic: str) -> str:
    (found,) = [c.rule for c in conventions(TrialConfig(), AnalysisOptions()) if c.topic == topic]
    return found


def test_lung_rule_states_the_published_cut_offs() -> None:
    # docs/measures.md §6: FVC relative rise ≥ 10 %; progression within a year: FVC
    # down ≥ 5 or DLCO down ≥ 10 points of % predicted (ATS/ERS/JRS/ALAT 2022)
    rule = _rule("Lung")
    assert "relative rise ≥ 10 %" in rule
    assert "FVC fall ≥ 5 points or DLCO fall ≥ 10 points (% predicted) within 365 days" in rule


def test_glucocorticoid_rule_states_the_equivalence_table() -> None:
    # docs/measures.md §7: prednisone 5 mg = prednisolone 5 = methylprednisolone 4 =
    # hydrocortisone 20 = dexamethasone 0.75; tapered below 7.5 mg/day
    rule = _rule("Glucocorticoids")
    assert (
        "prednisone 5 mg = prednisolone 5 = methylprednisolone 4 = hydrocortisone 20 = "
        "dexamethasone 0.75" in rule
    )
    assert "below 7.5 mg/day" in rule


def test_the_text_follows_the_constants(monkeypatch: pytest.MonkeyPatch) -> None:
    # written from measures/, not spelled out: changing a constant changes the text
    monkeypatch.setattr(lung, "DLCO_FALL_POINTS", 15.0)
    monkeypatch.setitem(steroids.PREDNISONE_FACTORS, "methylprednisolone", 1.0)  # type: ignore[index]
    assert "DLCO fall ≥ 15 points" in _rule("Lung")
    assert "methylprednisolone 5 =" in _rule("Glucocorticoids")


def test_design_texts_state_the_adult_minimal_response_and_the_mmrm_weeks() -> None:
    # ACR/EULAR 2016: minimal improvement of adults is TIS >= 20; the MMRM visits are
    # weeks 4, 8, 12 and 24 (docs/design.md)
    from myotrial.design.parameters import DEFAULTS
    from myotrial.design.power import ANALYSIS_TEXT

    assert DEFAULTS["p_control"].description == "standard-care arm: TIS ≥ 20 response"
    assert ANALYSIS_TEXT["response"] == "difference in TIS ≥ 20 response proportions"
    assert ANALYSIS_TEXT["mmrm"].startswith("MMRM of MMT-8 change at weeks 4, 8, 12, 24 ")
