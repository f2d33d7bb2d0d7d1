"""ADaM: ADSL, ADEFF and ADTTE against hand calculations and the analysis they come from."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pyreadstat
import pytest
from lifelines import KaplanMeierFitter

from myotrial.analysis.api import analyze
from myotrial.analysis.result import AnalysisResult
from myotrial.exchange.cdisc.adam import adam_datasets
from myotrial.exchange.cdisc.common import Dataset
from myotrial.exchange.cdisc.transport import write_datasets
from myotrial.synthetic import make_pilot
from myotrial.trialdata import TrialData
from tests.exchange.conftest import make_small_trial

SCHEMA = Path(__file__).parents[2] / "src/myotrial/exchange/cdisc/data"


def _sas(day: date) -> float:
    return float((day - date(1960, 1, 1)).days)


@pytest.fixture(scope="module")
def small() -> dict[str, Dataset]:
    trial = make_small_trial()
    return {d.name: d for d in adam_datasets(trial, analyze(trial))}


@pytest.fixture(scope="module")
def pilot() -> tuple[TrialData, AnalysisResult, dict[str, Dataset]]:
    trial = make_pilot(seed=2011)
    result = analyze(trial)
    return trial, result, {d.name: d for d in adam_datasets(trial, result)}


def test_adsl_dates_courses_and_populations(small: dict[str, Dataset]) -> None:
    adsl = small["ADSL"].frame.set_index("SUBJID")
    assert adsl.loc["P01", ["TRTSDT", "TRTEDT", "NCOURSE"]].tolist() == [
        _sas(date(2010, 1, 5)),
        _sas(date(2010, 8, 2)),
        2.0,
    ]
    # P03 is allocated to control and never infused. docs/analysis.md: ITT is every
    # randomised patient, safety every patient in the arm of the treatment received (no
    # infusion = the control arm), per protocol those who received the allocated arm.
    columns = ["ITTFL", "SAFFL", "PPROTFL", "TRT01P", "TRT01A", "ACTARM", "NCOURSE"]
    assert adsl.loc["P03", columns].tolist() == [
        "Y",
        "Y",
        "Y",
        "control",
        "control",
        "control",
        0.0,
    ]
    assert adsl.loc["P01", columns[:6]].tolist() == ["Y", "Y", "Y", "MSCT", "MSCT", "MSCT"]
    assert np.isnan(adsl.loc["P03", "TRTSDT"])


def test_a_patient_allocated_to_msct_but_never_infused_is_off_protocol(
    small_trial: TrialData,
) -> None:
    # P02's infusion removed: allocated MSCT, received standard care (the control arm).
    trial = small_trial.with_tables(
        infusions=small_trial.infusions[small_trial.infusions["patient_id"] != "P02"]
    )
    adsl = adam_datasets(trial, analyze(trial))[0].frame.set_index("SUBJID")
    assert adsl.loc["P02", ["TRT01P", "TRT01A", "PPROTFL", "SAFFL"]].tolist() == [
        "MSCT",
        "control",
        "N",
        "Y",
    ]


def test_adeff_change_from_each_course_baseline(small: dict[str, Dataset]) -> None:
    adeff = small["ADEFF"].frame
    p01 = adeff[(adeff["USUBJID"] == "MYOTRIAL-P01") & (adeff["PARAMCD"] == "PHGA")]
    course1 = p01[p01["BASETYPE"] == "COURSE 1"].set_index("AVISIT")
    assert course1.loc["BASELINE", ["AVAL", "ABLFL"]].tolist() == [6.5, "Y"]
    assert np.isnan(course1.loc["BASELINE", "CHG"])
    # week 1: 5.0 - 6.5 = -1.5 cm, -1.5 / 6.5 = -23.08 %; 2010-01-12 is day 8 (ADaM: day 1 =
    # first infusion on 2010-01-05)
    week1 = course1.loc["WEEK1"]
    assert (week1["AVAL"], week1["BASE"], week1["CHG"], week1["ADY"]) == (5.0, 6.5, -1.5, 8.0)
    assert week1["PCHG"] == pytest.approx(-1.5 / 6.5 * 100)
    course2 = p01[p01["BASETYPE"] == "COURSE 2"].set_index("AVISIT")
    # the re-treatment baseline is the visit of 2010-07-26 (phga 6), its month 1 is 3.5
    assert course2.loc["BASELINE", "AVAL"] == 6.0
    assert course2.loc["MONTH1", "CHG"] == pytest.approx(-2.5)


def test_adeff_enzyme_follows_the_most_abnormal_at_baseline(small: dict[str, Dataset]) -> None:
    adeff = small["ADEFF"].frame
    rows = adeff[
        (adeff["USUBJID"] == "MYOTRIAL-P01")
        & (adeff["PARAMCD"] == "ENZXULN")
        & (adeff["BASETYPE"] == "COURSE 1")
    ].set_index("AVISIT")
    # baseline xULN: CK 1681/200 = 8.405, aldolase 15.2/7.6 = 2, LDH 480/250 = 1.92,
    # AST 88/40 = 2.2, ALT 70/40 = 1.75: CK is followed; week 1 CK 886/200 = 4.43
    assert rows.loc["BASELINE", "AVAL"] == pytest.approx(8.405)
    assert rows.loc["WEEK1", "AVAL"] == pytest.approx(4.43)


def test_adeff_tis_and_criteria_match_the_analysis(
    pilot: tuple[TrialData, AnalysisResult, dict[str, Dataset]],
) -> None:
    _, result, datasets = pilot
    adeff = datasets["ADEFF"].frame
    tis = adeff[adeff["PARAMCD"] == "TIS"]
    scored = result.scores.dropna(subset=["tis"])
    assert len(tis) == len(scored)
    assert sorted(tis["AVAL"]) == sorted(scored["tis"])
    entry = scored["episode"].eq(0).sum()
    assert (tis["BASETYPE"] == "STUDY ENTRY").sum() == entry > 0
    assert tis["AVAL"].between(0, 100).all()
    by_level = {
        "CRIT1FL": ("minimal", "moderate", "major"),
        "CRIT2FL": ("moderate", "major"),
        "CRIT3FL": ("major",),
    }
    for flag, levels in by_level.items():
        assert (tis[flag] == "Y").sum() == scored["category"].isin(levels).sum()
    assert set(tis["CRIT1"]) == {"TIS >= 20 (minimal improvement, adult)"}
    assert set(adeff.loc[adeff["PARAMCD"] != "TIS", "CRIT1FL"]) == {""}


def test_adtte_gives_the_analysis_kaplan_meier(
    pilot: tuple[TrialData, AnalysisResult, dict[str, Dataset]],
) -> None:
    _, result, datasets = pilot
    adtte = datasets["ADTTE"].frame
    kmf = KaplanMeierFitter().fit(adtte["AVAL"], event_observed=1 - adtte["CNSR"])
    mine = kmf.survival_function_.iloc[:, 0]
    theirs = result.relapse.set_index("time_days")["survival"]
    assert np.allclose(mine.reindex(theirs.index, method="ffill"), theirs)
    relapse = result.summary["relapse"]
    assert (len(adtte), int((adtte["CNSR"] == 0).sum())) == (
        relapse["patients"],
        relapse["relapses"],
    )


def test_adam_files_read_back_and_validate(small: dict[str, Dataset], tmp_path: Path) -> None:
    write_datasets(list(small.values()), tmp_path, "MYOTRIAL", "both")
    adsl, meta = pyreadstat.read_xport(str(tmp_path / "adsl.xpt"))
    assert meta.table_name == "ADSL"
    # DATE9. numeric dates come back from SAS transport as dates
    first = adsl.set_index("SUBJID").loc["P01", "TRTSDT"]
    assert pd.Timestamp(first) == pd.Timestamp("2010-01-05")
    schema = json.loads((SCHEMA / "dataset-json-1.1.schema.json").read_text())
    # a dataset without rows is not written: every file written holds rows
    assert {p.name for p in tmp_path.glob("*.json")} == {f"{n.lower()}.json" for n in small}
    for name in (n.lower() for n in small):
        document = json.loads((tmp_path / f"{name}.json").read_text())
        assert document["records"] > 0
        jsonschema.Draft201909Validator(schema).validate(document)
    document = json.loads((tmp_path / "adsl.json").read_text())
    column = next(c for c in document["columns"] if c["name"] == "TRTSDT")
    assert (column["dataType"], column["targetDataType"], column["displayFormat"]) == (
        "date",
        "integer",
        "DATE9.",
    )
    names = [c["name"] for c in document["columns"]]
    first_row = dict(zip(names, document["rows"][0], strict=True))
    assert first_row["TRTSDT"] == "2010-01-05"


def test_bds_records_carry_the_subject_treatments_and_short_params(
    pilot: tuple[TrialData, AnalysisResult, dict[str, Dataset]],
) -> None:
    _, _, datasets = pilot
    adsl = datasets["ADSL"].frame.set_index("USUBJID")
    for name in ("ADEFF", "ADTTE"):
        frame = datasets[name].frame
        assert (frame["TRTP"] == frame["USUBJID"].map(adsl["TRT01P"])).all()
        assert (frame["TRTA"] == frame["USUBJID"].map(adsl["TRT01A"])).all()
        # ADaMIG 1.3: PARAM at most 40 characters (it is also an XPT v5 label)
        assert frame["PARAM"].str.len().max() <= 40
    assert set(datasets["ADTTE"].frame["PARAM"]) == {"Days from First Response to Relapse"}
    # a one-arm pilot: every patient randomised (ITT), in safety; infused = per protocol
    assert set(adsl["ITTFL"]) == {"Y"} and set(adsl["SAFFL"]) == {"Y"}
    assert set(adsl["RACE"]) == {"ASIAN"}
