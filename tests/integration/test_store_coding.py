"""MedDRA coding in the store: written with an audit row per value, all or nothing.

Runs on SQLite and PostgreSQL (the ``db_url`` fixture). The dictionary is the synthetic
one of tests/meddra_synthetic.py; expected codes are read off its definition.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from store_trials import database_snapshot
from tests.meddra_synthetic import write_synthetic_meddra

from myotrial.errors import ConflictError, InvalidInputError
from myotrial.services.coding import CodingResult, code_stored_events
from myotrial.store import open_store
from myotrial.synthetic import make_registry
from myotrial.trialdata import TrialData

IN_DICTIONARY = {
    "Fever": 95000001.0,
    "Chills": 95000002.0,
    "Upper respiratory tract infection": 95000003.0,
    "Headache": 95000004.0,
    "Diarrhoea": 95000005.0,
    "Fatigue": 95000006.0,
}


@pytest.fixture
def registry() -> TrialData:
    return make_registry(120, seed=11)


@pytest.fixture
def meddra(tmp_path: Path) -> Path:
    return write_synthetic_meddra(tmp_path / "MedAscii")


def _stored(db_url: str, trial: TrialData) -> None:
    store = open_store(db_url)
    store.save_trial(trial, user="setup", reason="first import")
    store.close()


def test_coding_writes_each_value_with_who_and_why(
    db_url: str, registry: TrialData, meddra: Path
) -> None:
    _stored(db_url, registry)
    result = code_stored_events(meddra, db_url, "coder", "MedDRA synthetic 1.0")
    store = open_store(db_url)
    events = store.load_trial().adverse_events
    trail = store.audit()
    store.close()
    known = events["term"].isin(list(IN_DICTIONARY))
    expected = events.loc[known, "term"].map(IN_DICTIONARY)
    assert (events.loc[known, "meddra_llt_code"] == expected).all()
    assert events.loc[~known, "meddra_llt_code"].isna().all()
    coding = trail[trail["import_id"] == result.changeset]
    # ten coded columns per coded event, each an update with old value missing
    assert len(coding) == 10 * int(known.sum()) == len(result.changes)
    assert set(coding["user"]) == {"coder"}
    assert set(coding["reason"]) == {"MedDRA synthetic 1.0"}
    assert set(coding["action"]) == {"update"} and coding["old_value"].isna().all()
    fever = coding[(coding["field"] == "meddra_pt") & coding["key"].str.contains(r"\|Fever")]
    assert set(fever["new_value"]) == {"Pyrexia (synthetic)"}
    terms = registry.adverse_events["term"]
    uncoded = terms[~terms.isin(list(IN_DICTIONARY))]
    assert {u.term: u.events for u in result.uncoded} == uncoded.value_counts().to_dict()


def test_a_second_coding_writes_nothing(db_url: str, registry: TrialData, meddra: Path) -> None:
    _stored(db_url, registry)
    code_stored_events(meddra, db_url, "coder")
    before = database_snapshot(db_url)
    again = code_stored_events(meddra, db_url, "coder")
    assert again.changeset is None and again.changes.empty
    assert database_snapshot(db_url) == before


def test_manual_coding_is_audited_and_a_wrong_code_changes_nothing(
    db_url: str, registry: TrialData, meddra: Path
) -> None:
    _stored(db_url, registry)
    before = database_snapshot(db_url)
    with pytest.raises(InvalidInputError) as caught:
        code_stored_events(meddra, db_url, "coder", assign=["Urticaria=95000007"])
    assert caught.value.problems[0].rule.startswith("is not a current lowest level term")
    assert database_snapshot(db_url) == before
    result = code_stored_events(meddra, db_url, "coder", assign=["Urticaria=95000008"])
    assert "Urticaria" not in {u.term for u in result.uncoded}
    store = open_store(db_url)
    events = store.load_trial().adverse_events
    store.close()
    urticaria = events[events["term"] == "Urticaria"]
    assert len(urticaria) and (urticaria["meddra_llt"] == "Wheals").all()


def test_reimporting_the_uncoded_folder_does_not_undo_the_coding_unasked(
    db_url: str, registry: TrialData, meddra: Path
) -> None:
    _stored(db_url, registry)
    code_stored_events(meddra, db_url, "coder")
    store = open_store(db_url)
    try:
        with pytest.raises(ConflictError) as caught:
            store.save_trial(registry, user="site", reason="re-import")
        assert "MedDRA coded" in caught.value.problems[0].rule
    finally:
        store.close()


def test_racing_codings_write_the_coding_once(
    db_url: str, registry: TrialData, meddra: Path
) -> None:
    _stored(db_url, registry)
    results: list[CodingResult | BaseException] = []
    barrier = threading.Barrier(2, timeout=10)

    def run() -> None:
        barrier.wait()
        try:
            results.append(code_stored_events(meddra, db_url, "coder"))
        except BaseException as exc:
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(r, CodingResult) for r in results), results
    written = [r for r in results if isinstance(r, CodingResult) and r.changeset is not None]
    assert len(written) == 1
    store = open_store(db_url)
    trail = store.audit()
    store.close()
    assert len(trail[trail["import_id"] == written[0].changeset]) == len(written[0].changes)
    assert trail["field"].str.startswith("meddra_").sum() == len(written[0].changes)
