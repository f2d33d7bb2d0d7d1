"""Lot-aware analysis on a two-arm synthetic registry with missing data."""

from __future__ import annotations

import numpy as np
import pytest

from myotrial import analyze
from myotrial.analysis.product_api import analyze_product
from myotrial.analysis.result import AnalysisResult
from myotrial.synthetic import make_registry
from myotrial.synthetic.product import product_record
from myotrial.trialdata import TrialData

Registry = tuple[TrialData, AnalysisResult]


@pytest.fixture(scope="module")
def registry() -> Registry:
    trial = make_registry(300, seed=17)
    donors, lots, infusions = product_record(
        trial.infusions, np.random.default_rng(5), infusions_per_lot=8, donors_per_source=3
    )
    trial = trial.with_tables(donors=donors, lots=lots, infusions=infusions)
    return trial, analyze(trial)


def test_every_treated_course_counts_once_per_donor(registry: Registry) -> None:
    trial, result = registry
    product = analyze_product(trial, result)
    donors = product.rates[
        (product.rates["level"] == "donor") & (product.rates["outcome"] == "response")
    ]
    courses = result.episodes[result.episodes["episode"] > 0]
    # each course's infusions come from one source's lots; the day-7 infusion may come
    # from a second lot of another donor, so a course counts at least once
    assert donors["n"].sum() >= len(courses)
    assert (donors["events"] <= donors["n"]).all()
    assert (
        (donors["ci_low"] <= donors["proportion"]) & (donors["proportion"] <= donors["ci_high"])
    ).all()


def test_the_donor_model_reports_a_share_between_0_and_1(registry: Registry) -> None:
    trial, result = registry
    model = analyze_product(trial, result).group_model.set_index(["measure", "term"])
    share = model.loc[("mmt8", "donor share"), "estimate"]
    assert 0.0 <= share < 1.0
    # the control arm has no infusions, so no donor: only treated patients are modelled
    treated = trial.patients.loc[trial.patients["arm"] != "control", "patient_id"]
    assert model.loc[("mmt8", "intercept"), "n_patients"] <= treated.nunique()


def test_lot_grouping_fits_lots_instead_of_donors(registry: Registry) -> None:
    trial, result = registry
    model = analyze_product(trial, result, grouping="lot").group_model
    assert set(model["grouping"]) == {"lot"}
    assert model["n_groups"].iloc[0] > 6
