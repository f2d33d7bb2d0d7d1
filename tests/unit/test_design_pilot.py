"""--from-pilot: the fit recovers known parameters; bootstrap draws feed assurance."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from myotrial.cli import main
from myotrial.design.pilot import fit_pilot
from myotrial.services import design as design_service
from myotrial.synthetic import make_pilot
from myotrial.trialdata import TrialData


def _exact_ck_pilot(plateau: float, rate: float) -> TrialData:
    """The synthetic pilot with every post-infusion CK replaced by the exact curve."""
    trial = make_pilot(seed=2011)
    visits = trial.visits.copy()
    zero = visits["patient_id"].map(trial.infusions.groupby("patient_id")["infusion_date"].min())
    weeks = (visits["visit_date"] - zero).dt.days / 7.0
    ck0 = visits[weeks <= 0].groupby("patient_id")["ck"].last()
    curve = plateau + (visits["patient_id"].map(ck0) - plateau) * np.exp(-rate * weeks)
    visits["ck"] = np.where(weeks > 0, curve, visits["ck"])
    return trial.with_tables(visits=visits)


def test_ck_curve_fit_recovers_plateau_and_rate_from_exact_data() -> None:
    fit = fit_pilot(_exact_ck_pilot(200.0, 0.8), n_boot=50, rng=1)
    assert fit.values["ck_plateau_treatment"] == pytest.approx(200.0, rel=1e-6)
    assert fit.values["ck_rate_treatment"] == pytest.approx(0.8, rel=1e-6)
    # every bootstrap resample of exact data gives the same curve
    assert np.allclose(fit.draws["ck_plateau_treatment"], 200.0, rtol=1e-5)


def test_mmt8_change_is_week24_minus_baseline_averaged_over_patients() -> None:
    trial = make_pilot(seed=2011)
    visits = trial.visits
    zero = visits["patient_id"].map(trial.infusions.groupby("patient_id")["infusion_date"].min())
    day = (visits["visit_date"] - zero).dt.days
    frame = visits.assign(day=day)
    base = frame[(frame["day"] <= 0) & (frame["day"] >= -30)].groupby("patient_id")["mmt8"].last()
    late = frame[frame["day"].between(112, 224)].assign(gap=(frame["day"] - 168).abs())
    week24 = late.sort_values(["gap", "day"]).groupby("patient_id")["mmt8"].first()
    expected = float(pd.concat([base, week24], axis=1).dropna().diff(axis=1).iloc[:, 1].mean())
    fit = fit_pilot(trial, n_boot=200, rng=2)
    assert fit.values["mean_treatment"] == pytest.approx(expected, abs=1e-12)
    assert fit.draws["mean_treatment"].shape == (200,)
    assert 0 <= fit.values["p_treatment"] <= 1


def test_from_pilot_spec_carries_pilot_sources_and_bootstrap_prior(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(design_service, "load_trial", lambda path, url: make_pilot(seed=2011))
    options = {
        "endpoint": "mmt8_change",
        "from_pilot": True,
        "db": "sqlite://",
        "bootstrap": 100,
        "seed": 5,
        "alpha": 0.05,
        "ratio": "1:1",
        "test": "z",
        "sims": 1000,
        "assurance": True,
    }
    spec = design_service.build_spec(options)
    assert "bootstrap over patients" in spec.sources["mean_treatment"]
    assert spec.prior is not None and len(spec.prior.draws) == 100
    assert spec.sources["mean_control"].startswith("assumption")


def test_design_from_pilot_reads_the_stored_trial(db_url: str) -> None:
    from myotrial.store import open_store

    store = open_store(db_url)
    try:
        store.save_trial(make_pilot(seed=2011), user="test", reason="pilot")
    finally:
        store.close()
    args = [
        "design",
        "--endpoint",
        "mmt8_change",
        "--from-pilot",
        "--db",
        db_url,
        "--bootstrap",
        "200",
        "--assurance",
        "--sims",
        "400",
        "--n-per-arm",
        "10",
        "--json",
        "--no-curve",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    design = json.loads(result.output)
    expected = fit_pilot(make_pilot(seed=2011), n_boot=10, rng=0).values["mean_treatment"]
    assert design["parameters"]["mean_treatment"]["value"] == pytest.approx(expected)
    assert "bootstrap" in design["assurance"]["source"]
