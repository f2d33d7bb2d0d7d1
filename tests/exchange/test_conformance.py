"""The conformance check: empty on coded synthetic trials, and each rule fires on a
dataset broken by hand at a known place."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from myotrial.cli import main
from myotrial.exchange.cdisc.common import Dataset
from myotrial.exchange.cdisc.conformance import FINDING_COLUMNS, RULES, check_datasets
from myotrial.exchange.cdisc.findings import sdtm_datasets
from myotrial.exchange.meddra import code_adverse_events, read_meddra
from myotrial.ingest.writer import write_trial_folder
from myotrial.services.exchange import check_sdtm, export_sdtm
from myotrial.synthetic import make_pilot, make_registry
from myotrial.trialdata import TrialData
from tests.exchange.conftest import make_small_trial
from tests.meddra_synthetic import write_synthetic_meddra

# Terms the synthetic trials report that the synthetic dictionary lacks (or holds only
# as a non-current LLT), coded by hand as a data manager would (code-ae --assign).
ASSIGNED = {
    "Herpes zoster": 95000003,
    "Pneumonia": 95000003,
    "Sepsis": 95000003,
    "Urinary tract infection": 95000003,
    "Respiratory failure": 95000003,
    "Hyperglycaemia": 95000001,
    "Urticaria": 95000008,
}


def _coded(trial: TrialData, folder: Path) -> TrialData:
    dictionary = read_meddra(write_synthetic_meddra(folder))
    events, uncoded = code_adverse_events(
        trial.adverse_events, dictionary, {k: float(v) for k, v in ASSIGNED.items()}
    )
    assert uncoded == []
    return trial.with_tables(adverse_events=events)


@pytest.mark.parametrize("which", ["pilot", "registry"])
def test_the_report_is_empty_on_a_coded_synthetic_trial(which: str, tmp_path: Path) -> None:
    trial = make_pilot() if which == "pilot" else make_registry(80, seed=7, n_sites=4)
    if which == "registry":
        assert set(trial.patients["arm"]) == {"MSCT", "control"}
    findings = check_sdtm(_coded(trial, tmp_path / "MedAscii"))
    assert findings.empty, findings.to_string()


def test_uncoded_adverse_events_are_listed_one_per_record() -> None:
    trial = make_small_trial()
    findings = check_sdtm(trial)
    assert findings[["rule", "dataset", "variable", "row"]].values.tolist() == [
        ["MT0003", "AE", "AEDECOD", 1],
        ["MT0003", "AE", "AEDECOD", 2],
    ]


@pytest.fixture
def clean(tmp_path: Path) -> dict[str, Dataset]:
    datasets = sdtm_datasets(_coded(make_small_trial(), tmp_path / "MedAscii"))
    assert check_datasets(datasets).empty
    return {d.name: d for d in datasets}


def _broken(datasets: dict[str, Dataset], name: str, frame: pd.DataFrame) -> list[Dataset]:
    return [replace(d, frame=frame) if d.name == name else d for d in datasets.values()]


def _one(findings: pd.DataFrame) -> tuple[object, ...]:
    assert len(findings) == 1, findings.to_string()
    row = findings.iloc[0]
    return (row["rule"], row["dataset"], row["variable"], row["row"])


def _edit(frame: pd.DataFrame, row: int, column: str, value: object) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[row, column] = value
    return frame


def test_dm_and_ts_must_be_present(clean: dict[str, Dataset]) -> None:
    datasets = [d for d in clean.values() if d.name != "TS"]
    findings = check_datasets(datasets)
    assert findings["rule"].tolist() == ["MT0001"] and findings["dataset"].tolist() == ["TS"]


def test_a_missing_required_variable(clean: dict[str, Dataset]) -> None:
    frame = clean["DM"].frame.drop(columns=["SEX"])
    findings = check_datasets(_broken(clean, "DM", frame))
    assert findings[["rule", "dataset", "variable"]].values.tolist() == [["MT0002", "DM", "SEX"]]
    assert pd.isna(findings["row"].iloc[0])


def test_a_null_required_value(clean: dict[str, Dataset]) -> None:
    frame = _edit(clean["DM"].frame, 1, "SEX", "")
    assert _one(check_datasets(_broken(clean, "DM", frame))) == ("MT0003", "DM", "SEX", 2)


def test_a_value_longer_than_xpt_allows(clean: dict[str, Dataset]) -> None:
    frame = _edit(clean["AE"].frame, 0, "AETERM", "x" * 201)
    assert _one(check_datasets(_broken(clean, "AE", frame))) == ("MT0004", "AE", "AETERM", 1)


def test_a_date_that_is_not_iso_8601(clean: dict[str, Dataset]) -> None:
    frame = _edit(clean["LB"].frame, 3, "LBDTC", "04/01/2010")
    findings = check_datasets(_broken(clean, "LB", frame))
    # the broken date also breaks LBDY's agreement with it: two rules, same record
    assert findings[["rule", "variable", "row"]].values.tolist() == [
        ["MT0005", "LBDTC", 4],
        ["MT0010", "LBDY", 4],
    ]


def test_a_value_outside_a_non_extensible_codelist(clean: dict[str, Dataset]) -> None:
    frame = _edit(clean["DM"].frame, 2, "SEX", "U")
    finding = check_datasets(_broken(clean, "DM", frame))
    assert _one(finding) == ("MT0006", "DM", "SEX", 3)
    assert "SEX (C66731)" in finding["message"].iloc[0]


def test_a_value_outside_an_extensible_codelist(clean: dict[str, Dataset]) -> None:
    frame = _edit(clean["EX"].frame, 0, "EXROUTE", "ORAL")
    assert _one(check_datasets(_broken(clean, "EX", frame))) == ("MT0007", "EX", "EXROUTE", 1)


def test_a_value_level_codelist_is_checked(clean: dict[str, Dataset]) -> None:
    ts = clean["TS"].frame
    row = int(ts.index[ts["TSPARMCD"] == "RANDOM"][0])
    frame = _edit(ts, row, "TSVAL", "YES")
    assert _one(check_datasets(_broken(clean, "TS", frame))) == ("MT0006", "TS", "TSVAL", row + 1)


def test_a_repeated_sequence_number(clean: dict[str, Dataset]) -> None:
    lb = clean["LB"].frame
    frame = _edit(lb, 1, "LBSEQ", lb.loc[0, "LBSEQ"])
    assert _one(check_datasets(_broken(clean, "LB", frame))) == ("MT0008", "LB", "LBSEQ", 2)


def test_a_subject_missing_from_dm(clean: dict[str, Dataset]) -> None:
    ae = clean["AE"].frame
    frame = _edit(ae, 1, "USUBJID", "MYOTRIAL-P99")
    findings = check_datasets(_broken(clean, "AE", frame))
    # P99 has no RFSTDTC either, so AESTDY/AEENDY cannot agree: the DY rule fires too
    assert findings.loc[findings["rule"] == "MT0009", ["variable", "row"]].values.tolist() == [
        ["USUBJID", 2]
    ]


def test_a_study_day_that_disagrees_with_the_date(clean: dict[str, Dataset]) -> None:
    lb = clean["LB"].frame
    frame = _edit(lb, 0, "LBDY", lb.loc[0, "LBDY"] + 1)
    assert _one(check_datasets(_broken(clean, "LB", frame))) == ("MT0010", "LB", "LBDY", 1)


def test_every_rule_is_tested_here() -> None:
    tested = {f"MT{n:04d}" for n in range(1, 11)}
    assert set(RULES) == tested


def test_export_sdtm_check_writes_the_report(tmp_path: Path) -> None:
    folder = tmp_path / "trial"
    write_trial_folder(make_small_trial(), folder)
    out = tmp_path / "sdtm"
    result = CliRunner().invoke(main, ["export", "sdtm", str(folder), "-o", str(out), "--check"])
    assert result.exit_code == 0, result.output
    report = pd.read_csv(out / "conformance.csv")
    assert tuple(report.columns) == FINDING_COLUMNS
    # the small trial's two adverse events are not MedDRA coded
    assert report["rule"].tolist() == ["MT0003", "MT0003"]
    assert "2 findings" in result.output
    written = export_sdtm(make_small_trial(), tmp_path / "again", "xpt", check=True)
    assert (tmp_path / "again" / "conformance.csv") in written
