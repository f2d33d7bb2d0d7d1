"""Release gating at import, on the synthetic pilot's product record (two donors, seven
lots; L07 fails release with CD105 on 90 % of the cells and is never infused)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from myotrial.errors import InvalidInputError
from myotrial.ingest import inspect_trial, read_trial
from myotrial.ingest.writer import write_trial_folder, write_workbook
from myotrial.synthetic import make_pilot
from myotrial.trialdata import TrialData


@pytest.fixture(scope="module")
def pilot() -> TrialData:
    return make_pilot()


def _infuse(trial: TrialData, lot: str, row: int = 6) -> TrialData:
    # row 6: P06 on 2009-11-03, after L07 was made (2009-10-13), in spreadsheet row 8
    infusions = trial.infusions.copy()
    infusions.loc[row, "lot"] = lot
    return trial.with_tables(infusions=infusions)


def _messages(path: Path) -> list[str]:
    return [str(p) for p in inspect_trial(path).problems]


def test_the_pilot_with_its_product_record_imports(pilot: TrialData, tmp_path: Path) -> None:
    trial = read_trial(write_trial_folder(pilot, tmp_path / "t")[0].parent)
    assert trial.lots["lot"].tolist() == [f"L0{i}" for i in range(1, 8)]
    assert trial.donors["donor"].tolist() == ["D01", "D02"]
    assert "L07" not in set(trial.infusions["lot"])


def test_infusing_the_failed_lot_names_both_reasons(pilot: TrialData, tmp_path: Path) -> None:
    folder = write_trial_folder(_infuse(pilot, "L07"), tmp_path / "t")[0].parent
    assert _messages(folder) == [
        "infusions.csv row 8, column lot: 'L07' fails release: not released; "
        "cd105_pct 90 is below 95 (ISCT 2006)"
    ]


def test_a_released_lot_out_of_specification_is_refused(pilot: TrialData, tmp_path: Path) -> None:
    lots = pilot.lots.copy()
    failed = lots["lot"] == "L07"
    lots.loc[failed, "released"] = True
    lots.loc[failed, "released_by"] = "qp.synthetic"
    lots.loc[failed, "released_date"] = pd.Timestamp("2009-10-27")
    trial = _infuse(pilot.with_tables(lots=lots), "L07")
    folder = write_trial_folder(trial, tmp_path / "t")[0].parent
    assert _messages(folder) == [
        "infusions.csv row 8, column lot: 'L07' fails release: cd105_pct 90 is below 95 (ISCT 2006)"
    ]


def test_an_unknown_lot_and_a_missing_lot_are_refused(pilot: TrialData, tmp_path: Path) -> None:
    trial = _infuse(_infuse(pilot, "L99", row=0), None, row=1)  # type: ignore[arg-type]
    folder = write_trial_folder(trial, tmp_path / "t")[0].parent
    assert _messages(folder) == [
        "infusions.csv row 2, column lot: 'L99' fails release: not in lots.csv",
        "infusions.csv row 3, column lot: a value is required (the trial records its lots "
        "(lots.csv): every infusion names its lot)",
    ]


def test_a_dose_outside_the_protocol_range_is_refused(pilot: TrialData, tmp_path: Path) -> None:
    infusions = pilot.infusions.copy()
    infusions.loc[0, "cells_per_kg"] = 2.5e6
    infusions.loc[1, "cells_per_kg"] = 2.0e6  # the upper end itself is allowed
    folder = write_trial_folder(pilot.with_tables(infusions=infusions), tmp_path / "t")
    messages = _messages(folder[0].parent)
    assert len(messages) == 1
    assert messages[0].startswith(
        "infusions.csv row 2, column cells_per_kg: '2500000' is outside the protocol's dose "
        "500000-2e+06 cells/kg"
    )


def test_the_workbook_names_its_sheet(pilot: TrialData, tmp_path: Path) -> None:
    path = write_workbook(_infuse(pilot, "L07"), tmp_path / "pilot.xlsx")
    assert _messages(path) == [
        "pilot.xlsx sheet infusions row 8, column lot: 'L07' fails release: not released; "
        "cd105_pct 90 is below 95 (ISCT 2006)"
    ]


def test_a_trial_without_lots_keeps_its_free_text_lots(pilot: TrialData, tmp_path: Path) -> None:
    folder = write_trial_folder(_infuse(pilot, "any text"), tmp_path / "t")[0].parent
    (folder / "lots.csv").unlink()
    (folder / "donors.csv").unlink()
    trial = read_trial(folder)
    assert trial.lots.empty and trial.infusions.loc[6, "lot"] == "any text"


def test_a_lot_of_an_unknown_donor_and_a_release_without_sign_off(
    pilot: TrialData, tmp_path: Path
) -> None:
    lots = pilot.lots.copy()
    lots.loc[0, "donor"] = "D09"
    lots.loc[1, "released_by"] = None
    folder = write_trial_folder(pilot.with_tables(lots=lots), tmp_path / "t")[0].parent
    assert _messages(folder) == [
        "lots.csv row 2, column donor: 'D09' refers to an unknown donor (add the donor to "
        "donors.csv or correct the donor code)",
        "lots.csv row 3, column released_by: a value is required for a released lot "
        "(a release record says who released it)",
    ]


def test_a_refused_import_leaves_the_database_unchanged(pilot: TrialData, tmp_path: Path) -> None:
    from myotrial.services.trial import import_trial
    from myotrial.store import open_store

    url = f"sqlite:///{tmp_path / 'trial.db'}"
    good = write_trial_folder(pilot, tmp_path / "good")[0].parent
    import_trial(good, url, user="tester")
    bad = write_trial_folder(_infuse(pilot, "L07"), tmp_path / "bad")[0].parent
    with pytest.raises(InvalidInputError, match="'L07' fails release"):
        import_trial(bad, url, user="tester")
    store = open_store(url)
    assert "L07" not in set(store.load_trial().infusions["lot"])
    store.close()
