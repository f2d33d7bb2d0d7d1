"""SDTM: domain content, XPT v5 read back with pyreadstat, Dataset-JSON against its schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pandas as pd
import pyreadstat
import pytest

from myotrial.exchange.cdisc.common import Dataset
from myotrial.exchange.cdisc.findings import sdtm_datasets
from myotrial.exchange.cdisc.transport import ExportError, write_datasets, write_xpt
from myotrial.trialdata import TrialData
from tests.exchange.conftest import make_small_trial

SCHEMA = Path(__file__).parents[2] / "src/myotrial/exchange/cdisc/data"


@pytest.fixture(scope="module")
def datasets() -> dict[str, Dataset]:
    return {d.name: d for d in sdtm_datasets(make_small_trial())}


@pytest.fixture(scope="module")
def written(datasets: dict[str, Dataset], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sdtm")
    write_datasets(list(datasets.values()), folder, "MYOTRIAL", "both")
    return folder


def test_every_domain_is_written_in_both_formats(written: Path) -> None:
    # the small trial records FVC and ulcers but no DLCO or HRCT: RE and FA have rows
    names = {"ts", "dm", "suppdm", "sv", "ds", "ex", "suppex", "cm", "ae", "suppae", "ce"}
    names |= {"mh", "suppmh", "lb", "qs", "vs", "re", "fa"}
    assert {p.name for p in written.iterdir()} == {
        f"{n}.{ext}" for n in names for ext in ("xpt", "json")
    } | {"define.xml"}


def test_lb_carries_the_uln_and_standard_units(datasets: dict[str, Dataset]) -> None:
    lb = datasets["LB"].frame
    ck = lb[(lb["USUBJID"] == "MYOTRIAL-P01") & (lb["LBTESTCD"] == "CK")]
    # baseline CK 1681 U/L against the trial's ULN 200 -> HIGH; 2010-01-04 is the day
    # before the first infusion (2010-01-05): study day -1 (SDTM has no day 0).
    first = ck.iloc[0]
    assert (first["LBORRES"], first["LBORRESU"], first["LBORNRHI"]) == ("1681", "U/L", "200")
    assert (first["LBSTRESN"], first["LBSTNRHI"], first["LBNRIND"]) == (1681.0, 200.0, "HIGH")
    assert (first["LBDTC"], first["LBDY"], first["VISIT"]) == ("2010-01-04", -1.0, "BASELINE")
    assert set(lb["LBTESTCD"]) == {"CK", "CKMB", "ALDOLASE", "LDH", "AST", "ALT"}


def test_lb_converts_microkatal_to_units_per_litre(small_trial: TrialData) -> None:
    from dataclasses import replace

    config = replace(
        small_trial.config, units={"ck": "ukat/L"}, uln={**small_trial.config.uln, "ck": 3.4}
    )
    visits = small_trial.visits.assign(ck=small_trial.visits["ck"] / 100)
    trial = replace(small_trial, config=config).with_tables(visits=visits)
    lb = {d.name: d for d in sdtm_datasets(trial)}["LB"].frame
    first = lb[lb["LBTESTCD"] == "CK"].iloc[0]
    # 16.81 ukat/L x 60 = 1008.6 U/L; ULN 3.4 ukat/L x 60 = 204 U/L
    assert (first["LBORRES"], first["LBORRESU"], first["LBORNRHI"]) == ("16.81", "ukat/L", "3.4")
    assert first["LBSTRESN"] == pytest.approx(1008.6)
    assert first["LBSTNRHI"] == pytest.approx(204.0)


def test_ex_has_dose_lot_and_tissue(datasets: dict[str, Dataset]) -> None:
    ex = datasets["EX"].frame
    row = ex[ex["EXLOT"] == "BM-0201"].iloc[0]
    assert (row["EXDOSE"], row["EXDOSU"], row["EXSCAT"], row["EXROUTE"]) == (
        1.5e6,
        "cells/kg",
        "BONE MARROW",
        "INTRAVENOUS",
    )
    # 2010-08-02 is 209 days after 2010-01-05: study day 210
    assert (row["EXSTDTC"], row["EXSTDY"], row["EXSEQ"]) == ("2010-08-02", 210.0, 3.0)


def test_dm_reference_dates_and_arms(datasets: dict[str, Dataset]) -> None:
    dm = datasets["DM"].frame.set_index("SUBJID")
    assert dm.loc["P01", ["RFSTDTC", "RFXENDTC", "RFENDTC"]].tolist() == [
        "2010-01-05",
        "2010-08-02",
        "2010-09-01",
    ]
    assert dm.loc["P03", ["RFSTDTC", "RFXSTDTC", "ARMCD"]].tolist() == ["2010-02-08", "", "CONTROL"]


def test_ae_ce_and_qs_use_the_expected_codes(datasets: dict[str, Dataset]) -> None:
    ae = datasets["AE"].frame.set_index("AETERM")
    assert ae.loc["Fever", ["AESER", "AEREL", "AEOUT", "AECAT"]].tolist() == [
        "N",
        "PROBABLY RELATED",
        "RECOVERED/RESOLVED",
        "INFUSION REACTION",
    ]
    assert datasets["CE"].frame[["CEDECOD", "CESTDTC"]].values.tolist() == [
        ["RELAPSE", "2010-07-26"]
    ]
    qs = datasets["QS"].frame
    assert set(qs["QSTESTCD"]) == {"PHGA", "PTGA", "MMT8TOT", "HAQDI"}


def test_xpt_reads_back_with_names_labels_and_values(
    datasets: dict[str, Dataset], written: Path
) -> None:
    for name, dataset in datasets.items():
        frame, meta = pyreadstat.read_xport(str(written / f"{name.lower()}.xpt"))
        assert meta.table_name == name
        assert list(frame.columns) == list(dataset.frame.columns)
        assert all(len(c) <= 8 for c in frame.columns)
        assert meta.column_labels == [dataset.labels[c] for c in dataset.frame.columns]
        assert all(len(label) <= 40 for label in meta.column_labels)
        expected = dataset.frame.copy()
        for column in expected.columns:
            if expected[column].dtype == object:
                expected[column] = expected[column].fillna("").astype(str)
        pd.testing.assert_frame_equal(frame, expected, check_dtype=False, obj=name)


def test_dataset_json_is_valid_against_the_published_schema(
    datasets: dict[str, Dataset], written: Path
) -> None:
    schema = json.loads((SCHEMA / "dataset-json-1.1.schema.json").read_text())
    for name, dataset in datasets.items():
        document = json.loads((written / f"{name.lower()}.json").read_text())
        jsonschema.Draft201909Validator(schema).validate(document)
        assert document["records"] == len(dataset.frame) == len(document["rows"])
        assert [c["name"] for c in document["columns"]] == list(dataset.frame.columns)


def test_dataset_json_rows_hold_values_and_nulls(written: Path) -> None:
    document = json.loads((written / "ae.json").read_text())
    names = [c["name"] for c in document["columns"]]
    rows = [dict(zip(names, row, strict=True)) for row in document["rows"]]
    assert rows[1]["AEENDTC"] is None and rows[0]["AEENDTC"] == "2010-01-06"
    types = {c["name"]: c["dataType"] for c in document["columns"]}
    assert (types["AESTDTC"], types["AESEQ"], types["AETERM"]) == ("date", "double", "string")


def test_xpt_refuses_names_longer_than_eight(tmp_path: Path) -> None:
    dataset = Dataset(
        "XX", "Too long", pd.DataFrame({"TOOLONGNAME": [1.0]}), {"TOOLONGNAME": "Label"}
    )
    with pytest.raises(ExportError, match="TOOLONGNAME is not an ASCII name of at most 8"):
        write_xpt(dataset, tmp_path)
