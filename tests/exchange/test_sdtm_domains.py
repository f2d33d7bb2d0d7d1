"""SDTMIG 3.4 domains and variables: TS, DS, MH, VS, RE, FA; DM arms; controlled terms.

Each collected value of FVC, DLCO, HRCT, skin ulcers and weight is looked up in SDTM by
subject, date and test, on the synthetic pilot and on a two-arm synthetic registry.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from myotrial.cli import main
from myotrial.errors import ConfigError
from myotrial.exchange.cdisc.common import Dataset, usubjid
from myotrial.exchange.cdisc.findings import sdtm_datasets
from myotrial.exchange.fhir import fhir_bundle
from myotrial.ingest.writer import write_trial_folder
from myotrial.synthetic import make_pilot, make_registry
from myotrial.trialdata import TrialData
from tests.exchange.conftest import make_small_trial

# visit column -> (dataset, test code)
VISIT_FINDINGS = {
    "fvc_pct": ("RE", "FVCPP"),
    "dlco_pct": ("RE", "DLCOPP"),
    "hrct_score": ("FA", "HRCTSCR"),
    "ulcers": ("FA", "ULCERCNT"),
}


@pytest.fixture(scope="module", params=["pilot", "registry"])
def exported(request: pytest.FixtureRequest) -> tuple[TrialData, dict[str, Dataset]]:
    trial = make_pilot() if request.param == "pilot" else make_registry(80, seed=18, n_sites=4)
    return trial, {d.name: d for d in sdtm_datasets(trial)}


@pytest.mark.parametrize("column", list(VISIT_FINDINGS))
def test_every_collected_lung_and_skin_value_is_in_sdtm(
    exported: tuple[TrialData, dict[str, Dataset]], column: str
) -> None:
    trial, datasets = exported
    name, testcd = VISIT_FINDINGS[column]
    source = trial.visits.dropna(subset=[column])
    assert len(source) > 0, f"the synthetic trial records {column}"
    domain = datasets[name].frame
    found = domain[domain[f"{name}TESTCD"] == testcd]
    expected = pd.DataFrame(
        {
            "USUBJID": usubjid(trial, source["patient_id"]).to_numpy(),
            "DTC": source["visit_date"].dt.strftime("%Y-%m-%d").to_numpy(),
            "value": source[column].astype(float).to_numpy(),
        }
    ).sort_values(["USUBJID", "DTC"], ignore_index=True)
    got = pd.DataFrame(
        {
            "USUBJID": found["USUBJID"].to_numpy(),
            "DTC": found[f"{name}DTC"].to_numpy(),
            "value": found[f"{name}STRESN"].to_numpy(),
        }
    ).sort_values(["USUBJID", "DTC"], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected)
    # the original result is the value as entered, in text
    assert np.allclose(found[f"{name}ORRES"].astype(float), found[f"{name}STRESN"])


def test_every_weight_is_in_vs(exported: tuple[TrialData, dict[str, Dataset]]) -> None:
    trial, datasets = exported
    p = trial.patients.dropna(subset=["weight_kg"])
    vs = datasets["VS"].frame
    weight = vs[vs["VSTESTCD"] == "WEIGHT"].set_index("USUBJID")
    ids = usubjid(trial, p["patient_id"])
    assert sorted(weight.index) == sorted(ids)
    assert np.array_equal(weight.loc[ids, "VSSTRESN"].to_numpy(), p["weight_kg"].to_numpy())
    assert set(weight["VSSTRESU"]) == {"kg"}
    assert weight.loc[ids, "VSDTC"].tolist() == p["enrolment_date"].dt.strftime("%Y-%m-%d").tolist()


def test_no_dataset_is_written_without_rows(
    exported: tuple[TrialData, dict[str, Dataset]],
) -> None:
    _, datasets = exported
    assert all(len(d.frame) > 0 for d in datasets.values())
    # make_pilot has lots; SUPPEX is written. Without viability or lots it has no rows.
    trial = make_small_trial()
    trial = trial.with_tables(infusions=trial.infusions.drop(columns=["viability_pct"]))
    names = {d.name for d in sdtm_datasets(trial)}
    assert "SUPPEX" not in names and "EX" in names


def test_trial_summary_has_the_required_parameters(
    exported: tuple[TrialData, dict[str, Dataset]],
) -> None:
    trial, datasets = exported
    ts = datasets["TS"].frame.set_index("TSPARMCD")
    # SSTDTC: the earliest informed consent (enrolment), SDTMIG 3.4 TS assumption
    first = trial.patients["enrolment_date"].min().strftime("%Y-%m-%d")
    assert ts.loc["SSTDTC", "TSVAL"] == first
    assert ts.loc["ACTSUB", "TSVAL"] == str(len(trial.patients))
    settings = trial.config.cdisc
    assert ts.loc["SPONSOR", "TSVAL"] == settings.sponsor
    assert ts.loc["TITLE", "TSVAL"] == settings.title
    assert ts.loc["TPHASE", "TSVAL"] == settings.phase
    assert ts.loc["FCNTRY", "TSVAL"] == "CHN"
    arms = trial.patients["arm"].fillna("MSCT").nunique()
    assert ts.loc["NARMS", "TSVAL"] == str(arms)
    assert ts.loc["RANDOM", "TSVAL"] == ("Y" if arms == 2 else "N")
    for code in ("AGEMIN", "LENGTH", "SDTIGVER", "STYPE", "TBLIND", "TCNTRL", "TTYPE", "INDIC"):
        assert code in ts.index


def test_disposition_follows_the_trial_events(
    exported: tuple[TrialData, dict[str, Dataset]],
) -> None:
    trial, datasets = exported
    ds = datasets["DS"].frame
    leaving = {"withdrawal": "WITHDRAWAL BY SUBJECT", "lost_to_follow_up": "LOST TO FOLLOW-UP"}
    leaving["death"] = "DEATH"
    events = trial.events[trial.events["type"].isin(list(leaving))]
    first = events.sort_values("event_date").drop_duplicates("patient_id")
    left = ds[ds["DSCAT"] == "DISPOSITION EVENT"].set_index("USUBJID")
    for row in first.itertuples():
        subject = usubjid(trial, pd.Series([row.patient_id]))[0]
        assert left.loc[subject, "DSDECOD"] == leaving[row.type]
        assert left.loc[subject, "DSSTDTC"] == row.event_date.strftime("%Y-%m-%d")
    consent = ds[ds["DSDECOD"] == "INFORMED CONSENT OBTAINED"]
    assert len(consent) == len(trial.patients)
    # one disposition event at most per patient
    assert not left.index.duplicated().any()


def test_medical_history_has_the_diagnosis_onset_and_ild(
    exported: tuple[TrialData, dict[str, Dataset]],
) -> None:
    trial, datasets = exported
    mh = datasets["MH"].frame
    myositis = mh[mh["MHCAT"] == "MYOSITIS"].set_index("USUBJID")
    p = trial.patients.set_index(usubjid(trial, trial.patients["patient_id"]).to_numpy())
    names = {"PM": "Polymyositis", "DM": "Dermatomyositis"}
    for subject, row in p.iterrows():
        if row["diagnosis"] in names:
            assert myositis.loc[subject, "MHTERM"] == names[row["diagnosis"]]
        onset = "" if pd.isna(row["onset_date"]) else row["onset_date"].strftime("%Y-%m-%d")
        assert myositis.loc[subject, "MHSTDTC"] == onset
    ild = mh[mh["MHTERM"] == "Interstitial lung disease"].set_index("USUBJID")
    known = p["ild"].dropna()
    assert ild.loc[known.index, "MHOCCUR"].tolist() == ["Y" if f else "N" for f in known]


def test_dm_country_race_and_end_of_participation() -> None:
    trial = make_small_trial()
    dm = {d.name: d for d in sdtm_datasets(trial)}["DM"].frame.set_index("SUBJID")
    assert set(dm["COUNTRY"]) == {"CHN"}
    # P01's last record: the visit of 2010-09-01 (after the third infusion, 2010-08-02)
    assert dm.loc["P01", "RFPENDTC"] == "2010-09-01"
    # P02's last record: the adverse event of 2010-02-20 is before the visit of 2010-03-15
    assert dm.loc["P02", "RFPENDTC"] == "2010-03-15"
    # RACE is patients.race (CDISC CT C74457); P03's is not recorded
    assert dm["RACE"].tolist() == ["ASIAN", "WHITE", ""]


def test_height_is_in_vs_when_recorded() -> None:
    vs = {d.name: d for d in sdtm_datasets(make_small_trial())}["VS"].frame
    height = vs[vs["VSTESTCD"] == "HEIGHT"].set_index("USUBJID")
    assert height["VSSTRESN"].to_dict() == {"MYOTRIAL-P01": 158.0, "MYOTRIAL-P02": 176.5}
    assert set(height["VSSTRESU"]) == {"cm"}


def test_a_race_outside_the_cdisc_codelist_is_refused_on_reading(tmp_path: Path) -> None:
    trial = make_small_trial()
    trial = trial.with_tables(patients=trial.patients.assign(race=["Asian", "WHITE", None]))
    folder = tmp_path / "trial"
    write_trial_folder(trial, folder)
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 2, result.output
    assert "\trace\tAsian\t" in result.output  # file, row, column, value, rule


def test_a_patient_allocated_to_msct_never_infused_has_a_null_actual_arm() -> None:
    # One-arm trial: P02 loses their infusion; P03 moves to MSCT (one arm only).
    trial = make_small_trial()
    patients = trial.patients.assign(arm="MSCT")
    trial = trial.with_tables(
        patients=patients, infusions=trial.infusions[trial.infusions["patient_id"] != "P02"]
    )
    dm = {d.name: d for d in sdtm_datasets(trial)}["DM"].frame.set_index("SUBJID")
    # SDTMIG 3.4 DM: ACTARMCD/ACTARM null, ARMNRS from C142179; never the 3.2 NOTTRT
    assert dm.loc["P02", ["ARMCD", "ACTARMCD", "ACTARM", "ARMNRS"]].tolist() == [
        "MSCT",
        "",
        "",
        "ASSIGNED, NOT TREATED",
    ]
    assert dm.loc["P01", ["ACTARMCD", "ARMNRS"]].tolist() == ["MSCT", ""]
    assert "NOTTRT" not in set(dm["ACTARMCD"])
    subjects = _fhir_actual_arms(trial)
    assert "P02" not in subjects  # FHIR: no actualArm, as SDTM has none
    assert subjects["P01"] == "MSCT"


def _fhir_actual_arms(trial: TrialData) -> dict[str, str]:
    bundle = fhir_bundle(trial)
    resources = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    arms = {}
    for resource in resources.values():
        if resource["resourceType"] == "ResearchSubject" and "actualArm" in resource:
            patient = resources[resource["individual"]["reference"]]
            arms[patient["identifier"][0]["value"]] = resource["actualArm"]
    return arms


def test_fhir_actual_arm_agrees_with_dm_on_a_two_arm_trial() -> None:
    trial = make_registry(60, seed=5, n_sites=3)
    dm = {d.name: d for d in sdtm_datasets(trial)}["DM"].frame.set_index("SUBJID")
    fhir = _fhir_actual_arms(trial)
    dm_arms = dm.loc[dm["ACTARM"] != "", "ACTARM"].to_dict()
    assert fhir == dm_arms
    assert set(dm["ARM"]) == {"MSCT", "control"}


def test_dose_units_and_frequencies_are_controlled_terms() -> None:
    datasets = {d.name: d for d in sdtm_datasets(make_small_trial())}
    cm = datasets["CM"].frame.set_index("CMTRT")
    # mg/week -> mg every week (FREQ QS); mg/month -> QM; prednisone per visit: mg daily
    assert cm.loc["methotrexate", ["CMDOSU", "CMDOSFRQ"]].tolist() == ["mg", "QS"]
    assert cm.loc["cyclophosphamide", ["CMDOSU", "CMDOSFRQ"]].tolist() == ["mg", "QM"]
    assert set(cm.loc["PREDNISONE", "CMDOSFRQ"]) == {"QD"}
    ex = datasets["EX"].frame
    assert set(ex["EXDOSFRQ"]) == {"ONCE"}


def test_action_taken_is_not_applicable_after_the_last_infusion() -> None:
    ae = {d.name: d for d in sdtm_datasets(make_small_trial())}["AE"].frame.set_index("AETERM")
    # Fever began 2010-01-05, the day of P01's first of three infusions: unknown.
    # The URTI of P02 began 2010-02-20, after P02's only infusion (2010-02-02).
    assert ae.loc["Fever", "AEACN"] == "UNKNOWN"
    assert ae.loc["Upper respiratory tract infection", "AEACN"] == "NOT APPLICABLE"
    # not coded: the reported term is not passed off as a dictionary term
    assert set(ae["AEDECOD"]) == {""}


def test_lab_and_questionnaire_baseline_is_the_analysis_baseline() -> None:
    datasets = {d.name: d for d in sdtm_datasets(make_small_trial())}
    lb, qs = datasets["LB"].frame, datasets["QS"].frame
    # P01's first infusion is 2010-01-05; the last visit in the 30 days up to it is
    # 2010-01-04. P03 (control, never infused) is randomised 2010-02-09: baseline 2010-02-08.
    for frame, prefix in ((lb, "LB"), (qs, "QS")):
        flagged = frame[frame[f"{prefix}BLFL"] == "Y"]
        days = flagged.groupby("USUBJID")[f"{prefix}DTC"].unique().map(list).to_dict()
        assert days == {
            "MYOTRIAL-P01": ["2010-01-04"],
            "MYOTRIAL-P02": ["2010-02-01"],
            "MYOTRIAL-P03": ["2010-02-08"],
        }
    assert {"LBORNRLO", "LBSTNRLO"} <= set(lb.columns)


def test_a_missing_required_setting_stops_the_export_naming_it(tmp_path: Path) -> None:
    trial = make_small_trial()
    from dataclasses import replace

    settings = {k: v for k, v in trial.config.extra["cdisc"].items() if k != "country"}
    trial = replace(trial, config=replace(trial.config, extra={"cdisc": settings}))
    with pytest.raises(ConfigError, match=r"cdisc\.country.*DM\.COUNTRY"):
        sdtm_datasets(trial)
    folder = tmp_path / "trial"
    write_trial_folder(trial, folder)
    out = tmp_path / "sdtm"
    result = CliRunner().invoke(main, ["export", "sdtm", str(folder), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "cdisc.country" in result.output and "ISO 3166-1 alpha-3" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("setting", "value", "rule"),
    [
        ("country", "China", "ISO 3166-1 alpha-3"),
        ("phase", "PHASE 2", "must be one of PHASE I TRIAL"),
        ("planned_subjects", 0, "whole number >= 1"),
        ("sponsr", "x", "is not a [cdisc] setting"),
    ],
)
def test_a_broken_cdisc_setting_is_reported_when_trial_toml_is_read(
    setting: str, value: object, rule: str
) -> None:
    from myotrial.domain.config import TrialConfig

    with pytest.raises(ConfigError) as raised:
        TrialConfig.from_dict({"cdisc": {setting: value}})
    problem = raised.value.problems[0]
    assert (problem.column, rule in problem.rule) == (f"cdisc.{setting}", True)
