"""SDTM carries the lot of each infusion (EX.EXLOT) and the lot's attributes (SUPPEX)."""

from __future__ import annotations

from myotrial.exchange.cdisc import sdtm
from myotrial.synthetic import make_pilot


def test_exposure_names_the_lot_and_its_donor_passage_and_dates() -> None:
    trial = make_pilot()
    exposure = sdtm.ex(trial)
    qualifiers = sdtm.suppex(trial, exposure).frame
    first = exposure.frame[exposure.frame["USUBJID"] == "MYOTRIAL-P01"].iloc[0]
    assert first["EXLOT"] == "L01"
    rows = qualifiers[
        (qualifiers["USUBJID"] == "MYOTRIAL-P01")
        & (qualifiers["IDVARVAL"] == f"{first['EXSEQ']:g}")
    ].set_index("QNAM")["QVAL"]
    lot = trial.lots.set_index("lot").loc["L01"]
    assert rows["DONORID"] == "D01"
    assert rows["LOTPASS"] == f"{lot['passage']:g}"
    assert rows["LOTEXPDT"] == lot["expiry_date"].strftime("%Y-%m-%d")
    assert rows["LOTRELDT"] == lot["released_date"].strftime("%Y-%m-%d")


def test_a_trial_without_lots_has_only_viability() -> None:
    trial = make_pilot()
    trial = trial.with_tables(lots=trial.lots.iloc[:0])
    qualifiers = sdtm.suppex(trial, sdtm.ex(trial)).frame
    assert set(qualifiers["QNAM"]) == {"VIABPCT"}
