"""Group-sequential boundaries against rpact 3.3.4 ``getDesignGroupSequential``.

The values in ``boundaries_reference.csv`` were written by ``boundaries_reference.R``
(beside this file) with, for each case, e.g.::

    getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.2, sided = 1,
        typeOfDesign = "asOF", informationRates = c(0.33, 0.67, 1),
        typeBetaSpending = "bsOF", bindingFutility = FALSE)
    getDesignCharacteristics(design)$inflationFactor
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from myotrial.design.sequential import Spending, design_boundaries

REFERENCE = pd.read_csv(Path(__file__).with_name("boundaries_reference.csv"))
FAMILY = {
    "asOF": "obf",
    "asP": "pocock",
    "asHSD": "hsd",
    "bsOF": "obf",
    "bsP": "pocock",
    "bsHSD": "hsd",
}
TOLERANCE = 1e-6


def _spending(name: str, gamma: float) -> Spending | None:
    if name == "none":
        return None
    return Spending(FAMILY[name], 0.0 if np.isnan(gamma) else float(gamma))


def _computed(case: pd.DataFrame):
    first = case.iloc[0]
    return design_boundaries(
        case["info_rate"].tolist(),
        0.025,
        0.2,
        _spending(first["spending"], first["gamma_a"]),
        _spending(first["futility"], first["gamma_b"]),
        binding=bool(first["binding"]),
    )


CASES = [group for _, group in REFERENCE.groupby("case")]
IDS = [
    f"K{g['k'].iloc[0]}-{g['spending'].iloc[0]}-{g['futility'].iloc[0]}"
    f"-{'binding' if g['binding'].iloc[0] else 'nonbinding'}"
    for g in CASES
]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_efficacy_boundaries_match_rpact(case: pd.DataFrame) -> None:
    computed = _computed(case)
    np.testing.assert_allclose(computed.efficacy, case["efficacy_z"], rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_futility_boundaries_match_rpact(case: pd.DataFrame) -> None:
    computed = _computed(case)
    if case["futility"].iloc[0] == "none":
        assert computed.futility is None and computed.cumulative_beta is None
        return
    np.testing.assert_allclose(computed.futility, case["futility_z"], rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(
        computed.cumulative_beta, case["cumulative_beta"], rtol=0, atol=TOLERANCE
    )


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_spent_alpha_and_inflation_factor_match_rpact(case: pd.DataFrame) -> None:
    computed = _computed(case)
    np.testing.assert_allclose(
        computed.cumulative_alpha, case["cumulative_alpha"], rtol=0, atol=TOLERANCE
    )
    assert computed.inflation_factor == pytest.approx(
        case["inflation_factor"].iloc[0], abs=TOLERANCE
    )
