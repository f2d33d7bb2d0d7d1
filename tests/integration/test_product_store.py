"""Lots in the store: round trip, release by the release role, recall, both audited; a
recall survives re-imports and refuses later infusions of the lot; racing recalls."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pandas as pd
import pytest

from myotrial.errors import AccessDeniedError, InvalidInputError, MyotrialError
from myotrial.ingest.writer import write_trial_folder
from myotrial.services.product import recall, release
from myotrial.services.trial import import_trial
from myotrial.store import open_store
from myotrial.store.accounts import add_user
from myotrial.synthetic import make_pilot
from myotrial.trialdata import TrialData

RECALL_DAY = dt.date(2010, 3, 1)


@pytest.fixture()
def pilot() -> TrialData:
    return make_pilot()


def _stored(db_url: str, pilot: TrialData, tmp_path: Path) -> Path:
    folder = write_trial_folder(pilot, tmp_path / "pilot")[0].parent
    import_trial(folder, db_url, user="tester")
    return folder


def _load(db_url: str) -> TrialData:
    store = open_store(db_url)
    try:
        return store.load_trial()
    finally:
        store.close()


def _audit(db_url: str) -> pd.DataFrame:
    store = open_store(db_url)
    try:
        return store.audit()
    finally:
        store.close()


def _add_account(db_url: str, name: str, role: str) -> None:
    store = open_store(db_url)
    with store.engine.begin() as connection:
        add_user(connection, name, "not-a-real-hash", role, None)
    store.close()


def test_lots_and_donors_round_trip(db_url: str, pilot: TrialData, tmp_path: Path) -> None:
    _stored(db_url, pilot, tmp_path)
    back = _load(db_url)
    pd.testing.assert_frame_equal(back.lots, pilot.lots, check_dtype=False)
    pd.testing.assert_frame_equal(back.donors, pilot.donors, check_dtype=False)


def test_recall_is_audited_and_survives_a_reimport(
    db_url: str, pilot: TrialData, tmp_path: Path
) -> None:
    folder = _stored(db_url, pilot, tmp_path)
    summary = recall(db_url, "L03", "sterility failure", "qa.lead", today=RECALL_DAY)
    # L03 treated P09 (2010-01-20, 2010-01-27) and P10 (2010-02-03): none after the recall
    assert summary.patients == ["P09", "P10"]
    assert summary.later_infusions.empty
    changes = _audit(db_url)
    recalled = changes[changes["reason"] == "sterility failure"]
    assert set(recalled["field"]) == {"recalled", "recalled_date", "recall_reason"}
    assert set(recalled["key"]) == {"L03"} and set(recalled["user"]) == {"qa.lead"}
    # the folder's lots.csv does not carry the recall: the store keeps it
    import_trial(folder, db_url, user="tester")
    lot = _load(db_url).lots.set_index("lot").loc["L03"]
    assert bool(lot["recalled"]) and lot["recall_reason"] == "sterility failure"


def test_a_recalled_lot_is_refused_for_later_infusions(
    db_url: str, pilot: TrialData, tmp_path: Path
) -> None:
    _stored(db_url, pilot, tmp_path)
    recall(db_url, "L03", "sterility failure", "qa.lead", today=RECALL_DAY)
    extra = pd.DataFrame(
        {"patient_id": ["P09"], "infusion_date": [pd.Timestamp("2010-03-01")], "lot": ["L03"]}
    )
    infusions = pd.concat([pilot.infusions, extra], ignore_index=True)
    later = write_trial_folder(pilot.with_tables(infusions=infusions), tmp_path / "later")
    with pytest.raises(InvalidInputError) as info:
        import_trial(later[0].parent, db_url, user="tester")
    assert [str(p) for p in info.value.problems] == [
        "infusions.csv row 18, column lot: 'L03' fails release: "
        "recalled 2010-03-01: sterility failure"
    ]
    assert len(_load(db_url).infusions) == len(pilot.infusions)


def test_only_the_release_role_releases(db_url: str, pilot: TrialData, tmp_path: Path) -> None:
    lots = pilot.lots.copy()
    lots.loc[lots["lot"] == "L06", ["released", "released_by", "released_date"]] = [
        False,
        None,
        pd.NaT,
    ]
    unreleased = pilot.with_tables(
        lots=lots, infusions=pilot.infusions[pilot.infusions["lot"] != "L06"]
    )
    _stored(db_url, unreleased, tmp_path)
    _add_account(db_url, "monitor.one", "monitor")
    _add_account(db_url, "qp.one", "release")
    with pytest.raises(AccessDeniedError):
        release(db_url, "L06", "monitor.one")
    with pytest.raises(InvalidInputError) as info:
        release(db_url, "L07", "qp.one")
    assert [p.rule for p in info.value.problems] == [
        "fails its release specification: cd105_pct 90 is below 95 (ISCT 2006)"
    ]
    release(db_url, "L06", "qp.one", today=dt.date(2009, 10, 30))
    lot = _load(db_url).lots.set_index("lot").loc["L06"]
    assert (bool(lot["released"]), lot["released_by"]) == (True, "qp.one")
    assert lot["released_date"] == pd.Timestamp("2009-10-30")
    changes = _audit(db_url)
    assert set(changes.loc[changes["reason"] == "release of lot L06", "user"]) == {"qp.one"}
    with pytest.raises(InvalidInputError, match="already released"):
        release(db_url, "L06", "qp.one")


def test_racing_recalls_record_one(db_url: str, pilot: TrialData, tmp_path: Path) -> None:
    _stored(db_url, pilot, tmp_path)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def attempt(user: str) -> None:
        start.wait()
        try:
            recall(db_url, "L01", f"recall by {user}", user, today=RECALL_DAY)
            outcomes.append("recalled")
        except MyotrialError as exc:  # already recalled, or the database refused
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt, args=(u,)) for u in ("qa.one", "qa.two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes).count("recalled") == 1
    changes = _audit(db_url)
    reasons = changes.loc[changes["field"] == "recall_reason", "reason"]
    assert len(reasons) == 1
