"""The product project of a REDCap export: generated from the domain, read back, checked."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from myotrial.errors import InvalidInputError
from myotrial.exchange.redcap import write_redcap
from myotrial.exchange.redcap.dictionary import read_dictionary
from myotrial.ingest.redcap import read_redcap
from myotrial.synthetic import make_pilot

PRODUCT = Path("product")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("redcap")
    write_redcap(make_pilot(seed=2011), folder)
    return folder


def _copy(exported: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(exported, tmp_path / "export"))


def _records(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / PRODUCT / "records.csv", dtype=str, keep_default_na=False)


def _lot_row(records: pd.DataFrame, lot: str) -> int:
    """Spreadsheet row of a lot (header is row 1)."""
    return int(records.index[records["lot_code"] == lot][0]) + 2


def test_product_dictionary_states_the_domain_rules(exported: Path) -> None:
    fields = {f.name: f for f in read_dictionary(exported / PRODUCT / "dictionary.csv")}
    # docs/trial-format.md, lots.csv: percentages 0-100, passage a whole number 0-50,
    # sterility pass/fail, mycoplasma negative/positive; the lot code is required
    cd105 = fields["lot_cd105_pct"]
    assert (cd105.validation, cd105.cells[8], cd105.cells[9], cd105.cells[6]) == (
        "number",
        "0",
        "100",
        "%",
    )
    assert cd105.cells[4] == "% of cells CD105+"
    assert (fields["lot_passage"].validation, fields["lot_passage"].cells[9]) == ("integer", "50")
    assert fields["lot_sterility"].codes == ("pass", "fail")
    assert fields["lot_mycoplasma"].codes == ("negative", "positive")
    assert fields["lot_released"].field_type == "yesno"
    assert fields["lot_code"].cells[12] == "y"
    assert fields["record_id"].cells[17] == "myotrial=donors.donor"
    assert fields["lot_expiry_date"].validation == "date_ymd"


def test_every_lot_is_a_repeating_instance_of_its_donor(exported: Path) -> None:
    records = _records(exported)
    pilot = make_pilot(seed=2011)
    donors = records[records["redcap_repeat_instrument"] == ""]
    lots = records[records["redcap_repeat_instrument"] == "lot"]
    assert sorted(donors["record_id"]) == sorted(pilot.donors["donor"])
    got = dict(zip(lots["lot_code"], lots["record_id"], strict=True))
    assert got == dict(zip(pilot.lots["lot"], pilot.lots["donor"], strict=True))


def test_a_trial_without_a_product_record_writes_no_product_project(tmp_path: Path) -> None:
    pilot = make_pilot(seed=2011)
    bare = pilot.with_tables(
        donors=pilot.donors.iloc[:0],
        lots=pilot.lots.iloc[:0],
        infusions=pilot.infusions.assign(lot=None),
    )
    write_redcap(bare, tmp_path)
    assert not (tmp_path / PRODUCT).exists()
    assert read_redcap(tmp_path).lots.empty


def test_a_bad_lot_value_names_the_product_file_row_and_field(
    exported: Path, tmp_path: Path
) -> None:
    folder = _copy(exported, tmp_path)
    records = _records(folder)
    row = _lot_row(records, "L03")
    records.loc[row - 2, "lot_viability_pct"] = "lots"
    records.to_csv(folder / PRODUCT / "records.csv", index=False)
    with pytest.raises(InvalidInputError) as caught:
        read_redcap(folder)
    located = [(p.file, p.row, p.column, p.value) for p in caught.value.problems]
    assert located[0] == ("product/records.csv", row, "lot_viability_pct", "lots")
    # L03 is infused: its infusions are refused too, the viability being unknown
    assert {p.file for p in caught.value.problems} == {"product/records.csv", "records.csv"}


def test_a_lot_out_of_range_is_located_in_the_product_project(
    exported: Path, tmp_path: Path
) -> None:
    folder = _copy(exported, tmp_path)
    records = _records(folder)
    row = _lot_row(records, "L03")
    records.loc[row - 2, "lot_cd73_pct"] = "101"  # a percentage is at most 100
    records.to_csv(folder / PRODUCT / "records.csv", index=False)
    with pytest.raises(InvalidInputError) as caught:
        read_redcap(folder)
    located = [(p.file, p.row, p.column) for p in caught.value.problems]
    assert ("product/records.csv", row, "lot_cd73_pct") in located


def test_an_infused_lot_failing_release_is_refused_at_the_infusion(
    exported: Path, tmp_path: Path
) -> None:
    # ISCT 2006: CD105 at least 95 %; L02 is infused in the pilot
    folder = _copy(exported, tmp_path)
    records = _records(folder)
    records.loc[_lot_row(records, "L02") - 2, "lot_cd105_pct"] = "94.9"
    records.to_csv(folder / PRODUCT / "records.csv", index=False)
    with pytest.raises(InvalidInputError) as caught:
        read_redcap(folder)
    messages = [str(p) for p in caught.value.problems]
    assert any(
        "records.csv" in m and "infusion_lot" in m and "cd105_pct 94.9 is below 95" in m
        for m in messages
    ), messages


def test_a_lot_field_on_a_donor_row_is_refused(exported: Path, tmp_path: Path) -> None:
    folder = _copy(exported, tmp_path)
    records = _records(folder)
    donor_row = int(records.index[records["redcap_repeat_instrument"] == ""][0])
    records.loc[donor_row, "lot_passage"] = "3"
    records.to_csv(folder / PRODUCT / "records.csv", index=False)
    with pytest.raises(InvalidInputError) as caught:
        read_redcap(folder)
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.column) == (
        "product/records.csv",
        donor_row + 2,
        "lot_passage",
    )
