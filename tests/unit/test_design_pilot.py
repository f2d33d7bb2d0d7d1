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


def _change_by_hand(trial: TrialData, arm: str) -> float:
    """Mean week-24 MMT-8 change of one arm's patients, computed here with pandas.

    Day 0: first infusion, else first visit; baseline the last visit in days −30..0;
    week 24 the visit nearest day 168 within days 112-224.
    """
    ids = trial.patients.loc[trial.patients["arm"] == arm, "patient_id"]
    visits = trial.visits[trial.visits["patient_id"].isin(ids)]
    first = visits.groupby("patient_id")["visit_date"].min()
    infusion = trial.infusions.groupby("patient_id")["infusion_date"].min()
    zero = infusion.reindex(first.index).fillna(first)
    frame = visits.assign(day=(visits["visit_date"] - visits["patient_id"].map(zero)).dt.days)
    frame = frame.sort_values("visit_date")
    # the chosen visit's value, even when missing (groupby.last would skip to another)
    base = frame[frame["day"].between(-30, 0)].groupby("patient_id").tail(1)
    base = base.set_index("patient_id")["mmt8"]
    late = frame[frame["day"].between(112, 224)].assign(gap=(frame["day"] - 168).abs())
    week24 = late.sort_values(["gap", "day"]).groupby("patient_id").head(1)
    week24 = week24.set_index("patient_id")["mmt8"]
    both = pd.concat([base.rename("b"), week24.rename("w")], axis=1).dropna()
    return float((both["w"] - both["b"]).mean())


def test_two_arm_trial_fits_each_arm_from_its_own_patients() -> None:
    from myotrial.design.pilot import fit_trial
    from myotrial.synthetic import make_registry

    trial = make_registry(300, seed=5)
    lines: list[str] = []
    values, sources, draws = fit_trial(trial, 100, 1, lines.append)
    assert values["mean_treatment"] == pytest.approx(_change_by_hand(trial, "MSCT"), abs=1e-9)
    assert values["mean_control"] == pytest.approx(_change_by_hand(trial, "control"), abs=1e-9)
    assert sources["mean_control"].startswith("control arm")
    assert sources["p_treatment"].startswith("MSCT arm")
    assert draws["p_control"].shape == (100,)
    assert len(lines) == 3 and all("patients" in line for line in lines)


def test_one_step_bootstrap_agrees_with_refitting_each_resample() -> None:
    from myotrial.design import pilot
    from myotrial.synthetic import make_registry

    trial = pilot.arm_trial(make_registry(400, seed=2), "MSCT")
    visits, baseline, _ = pilot.pilot_visits(trial)
    n = len(baseline)
    counts = np.random.default_rng(3).multinomial(n, np.full(n, 1 / n), size=200)
    weights = np.vstack([np.ones(n), counts]).astype(float)
    position, ck0, weeks, ck = pilot._ck_rows(visits, baseline, pd.Index(baseline["patient_id"]))
    full = pilot.fit_ck_curve(weights[:, position], ck0, weeks, ck)
    step = pilot.one_step_ck_curve(weights, position, ck0, weeks, ck)
    for a, b in zip(full, step, strict=True):
        assert a[0] == pytest.approx(b[0], rel=1e-6)  # the point estimate is the same fit
        assert np.corrcoef(a[1:], b[1:])[0, 1] > 0.98
        assert np.std(b[1:]) == pytest.approx(np.std(a[1:]), rel=0.1)


def test_from_pilot_says_what_it_is_doing(monkeypatch: pytest.MonkeyPatch) -> None:
    from myotrial.synthetic import make_registry

    monkeypatch.setattr(design_service, "load_trial", lambda path, url: make_registry(120, seed=4))
    args = ["design", "--endpoint", "response", "--from-pilot", "--bootstrap", "50"]
    args += ["--sims", "200", "--no-curve", "--n-per-arm", "10"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "--from-pilot: fitting the MSCT parameters" in result.output
