"""The donor random effect against R lme4 and statsmodels.

Data: ``donor_model.csv`` (synthetic: 24 patients nested in 6 donors, some visits missing).
R values come from ``donor_model.R`` (R 4.2, lme4 1.1-31), pasted beside each assert;
the tests never run R.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from myotrial.analysis.nested import fit_nested_intercepts_reml
from myotrial.analysis.product import fit_group_model

DATA = Path(__file__).with_name("donor_model.csv")
LEVELS = ["baseline", "month1", "month3", "month6"]
DAYS = {"baseline": 0, "month1": 30, "month3": 90, "month6": 180}


def _frame() -> pd.DataFrame:
    data = pd.read_csv(DATA)
    return data.rename(columns={"patient": "patient_id"}).assign(day=data["timepoint"].map(DAYS))


def test_donor_model_matches_lme4_lmer() -> None:
    frame = _frame()
    donors = frame.drop_duplicates("patient_id").set_index("patient_id")["donor"]
    table = fit_group_model(frame, donors, "donor").set_index("term")
    # lmer(y ~ timepoint + (1 | donor/patient), REML = TRUE)
    # fixef: 7.143135980953114 -0.857726053853713 -1.337398387316249 -1.557094168107508
    # sqrt(diag(vcov)): 0.269732707001523 0.111414680239018 0.109534514829131 0.109531185571096
    expected = {
        "intercept": (7.143135980953114, 0.269732707001523),
        "change at month1": (-0.857726053853713, 0.111414680239018),
        "change at month3": (-1.337398387316249, 0.109534514829131),
        "change at month6": (-1.557094168107508, 0.109531185571096),
    }
    for term, (estimate, std_error) in expected.items():
        assert table.loc[term, "estimate"] == pytest.approx(estimate, rel=1e-6)
        assert table.loc[term, "std_error"] == pytest.approx(std_error, rel=1e-5)
    # VarCorr: patient:donor 0.262864694392592, donor 0.336347962483251,
    # Residual 0.127103073965096; share 0.463087811816801
    assert table.loc["donor variance", "estimate"] == pytest.approx(0.336347962483251, rel=1e-5)
    assert table.loc["patient variance", "estimate"] == pytest.approx(0.262864694392592, rel=1e-5)
    assert table.loc["residual variance", "estimate"] == pytest.approx(0.127103073965096, rel=1e-5)
    assert table.loc["donor share", "estimate"] == pytest.approx(0.463087811816801, rel=1e-5)
    assert (table["n_groups"].iloc[0], table["n_patients"].iloc[0]) == (6, 24)


def test_donor_model_matches_statsmodels_variance_components() -> None:
    import statsmodels.formula.api as smf

    frame = _frame()
    design = pd.get_dummies(
        pd.Categorical(frame["timepoint"], categories=LEVELS), drop_first=True, dtype=float
    )
    design.insert(0, "intercept", 1.0)
    ours = fit_nested_intercepts_reml(
        frame["y"].to_numpy(),
        design.to_numpy(),
        pd.factorize(frame["patient_id"])[0],
        pd.factorize(frame["donor"])[0],
    )
    # independent reference: MixedLM with donor groups and a patient variance component
    theirs = smf.mixedlm(
        "y ~ C(timepoint, levels=LEVELS)",
        frame.assign(patient=frame["patient_id"]),
        groups="donor",
        re_formula="1",
        vc_formula={"patient": "0 + C(patient)"},
    ).fit(reml=True)
    assert ours.beta == pytest.approx(np.asarray(theirs.fe_params), rel=1e-5)
    assert ours.group_variance == pytest.approx(float(theirs.cov_re.iloc[0, 0]), rel=1e-4)
    assert ours.patient_variance == pytest.approx(float(theirs.vcomp[0]), rel=1e-4)
    assert ours.residual_variance == pytest.approx(float(theirs.scale), rel=1e-4)


def test_patients_in_two_groups_are_refused() -> None:
    with pytest.raises(ValueError, match="nest"):
        fit_nested_intercepts_reml(
            np.arange(6.0),
            np.ones((6, 1)),
            np.array([0, 0, 1, 1, 2, 2]),
            np.array([0, 1, 1, 1, 0, 0]),
        )
