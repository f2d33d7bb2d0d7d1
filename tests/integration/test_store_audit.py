"""Imports are diffed against the store; every change is audited; the trail is append-only."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from store_trials import database_snapshot, small_trial

from myotrial.errors import InvalidInputError
from myotrial.store import open_store, sqlalchemy_url


def test_reimporting_an_unchanged_trial_writes_nothing(db_url: str) -> None:
    store = open_store(db_url)
    store.save_trial(small_trial(), user="tester", reason="first import")
    store.close()
    before = database_snapshot(db_url)
    store = open_store(db_url)
    summary = store.save_trial(small_trial(), user="tester", reason="again")
    store.close()
    assert not summary.changed
    assert summary.as_frame()[["inserted", "updated", "deleted"]].to_numpy().sum() == 0
    assert summary.as_frame().set_index("table")["unchanged"].to_dict() == {
        "patients": 3,
        "infusions": 3,
        "visits": 5,
        "adverse_events": 1,
        "events": 1,
        "medications": 2,
        "donors": 0,
        "lots": 0,
    }
    assert database_snapshot(db_url) == before


def test_first_import_audits_each_new_record(db_url: str) -> None:
    store = open_store(db_url)
    summary = store.save_trial(small_trial(), user="tester", reason="first import")
    trail = store.audit()
    store.close()
    # 3 + 3 + 5 + 1 + 1 + 2 records, plus the configuration
    assert (trail["action"] == "insert").sum() == 15 + 1
    assert set(trail["import_id"]) == {summary.import_id}
    assert set(trail["reason"]) == {"first import"}
    assert set(trail["user"]) == {"tester"}
    visit = trail[(trail["table"] == "visits") & (trail["key"] == "P01|2011-04-01")]
    assert json.loads(visit["new_value"].iloc[0]) == {
        "phga": 3.0,
        "mmt8": 62.0,
        "ck": 410.5,
        "haq_grip_aid": False,
        "comment": None,
        "site_score": "2.25",
    }


def _changed_trial() -> object:
    trial = small_trial()
    visits = trial.visits.copy()
    visits.loc[1, "ck"] = 400.0  # P01 2011-04-01: 410.5 -> 400
    visits.loc[3, "phga"] = 2.5  # P02 2011-05-12: missing -> 2.5
    visits.loc[4, "comment"] = "e"  # unknown column: "é" -> "e"
    patients = trial.patients.copy()
    patients.loc[0, "antibody"] = np.nan  # P01: anti-Jo-1 -> missing
    extra_visit = pd.DataFrame(
        {"patient_id": ["P03"], "visit_date": [pd.Timestamp("2011-06-02")], "mmt8": [61.0]}
    )
    visits = pd.concat([visits, extra_visit], ignore_index=True)
    return trial.with_tables(visits=visits, patients=patients, events=trial.events.iloc[:0].copy())


def test_changed_trial_audits_each_changed_value_with_old_and_new(db_url: str) -> None:
    store = open_store(db_url)
    store.save_trial(small_trial(), user="tester", reason="first import")
    summary = store.save_trial(
        _changed_trial(), user="monitor", reason="source data check", allow_deletions=True
    )
    trail = store.audit()
    store.close()
    latest = trail[trail["import_id"] == summary.import_id]
    updates = latest[latest["action"] == "update"]
    got = set(
        updates[["table", "key", "field", "old_value", "new_value"]].itertuples(
            index=False, name=None
        )
    )
    assert got == {
        ("visits", "P01|2011-04-01", "ck", "410.5", "400.0"),
        ("visits", "P02|2011-05-12", "phga", None, "2.5"),
        ("visits", "P03|2011-05-02", "comment", "é", "e"),
        ("patients", "P01", "antibody", "anti-Jo-1", None),
    }
    assert latest.loc[latest["action"] == "insert", "key"].tolist() == ["P03|2011-06-02"]
    deleted = latest[latest["action"] == "delete"]
    assert deleted[["table", "key"]].values.tolist() == [["events", "P01|2011-09-01|relapse"]]
    assert set(latest["user"]) == {"monitor"}
    assert set(latest["reason"]) == {"source data check"}
    counts = summary.as_frame().set_index("table")
    assert counts.loc["visits"].to_dict() == {
        "inserted": 1,
        "updated": 3,
        "deleted": 0,
        "unchanged": 2,
    }
    assert counts.loc["events", "deleted"] == 1


def test_changed_trial_is_loaded_as_imported(db_url: str) -> None:
    changed = _changed_trial()
    store = open_store(db_url)
    store.save_trial(small_trial(), user="tester", reason="first import")
    store.save_trial(changed, user="monitor", reason="source data check", allow_deletions=True)
    loaded = store.load_trial()
    store.close()
    pd.testing.assert_frame_equal(loaded.visits, changed.visits)  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(loaded.events, changed.events)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_trail SET new_value = 'forged'",
        "DELETE FROM audit_trail",
        "UPDATE changesets SET user_name = 'someone else'",
        "DELETE FROM changesets",
    ],
)
def test_audit_rows_cannot_be_updated_or_deleted(db_url: str, statement: str) -> None:
    store = open_store(db_url)
    store.save_trial(small_trial(), user="tester", reason="first import")
    store.close()
    engine = sa.create_engine(sqlalchemy_url(db_url))
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


def test_audit_trail_cannot_be_truncated_on_postgres(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    open_store(db_url).close()
    engine = sa.create_engine(sqlalchemy_url(db_url))
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE audit_trail CASCADE"))
    engine.dispose()


def test_duplicate_keys_are_refused_and_nothing_is_written(db_url: str) -> None:
    store = open_store(db_url)
    store.save_trial(small_trial(), user="tester", reason="first import")
    store.close()
    before = database_snapshot(db_url)
    trial = small_trial()
    visits = pd.concat([trial.visits, trial.visits.iloc[[2]]], ignore_index=True)
    visits.loc[5, "ck"] = 1.0
    store = open_store(db_url)
    with pytest.raises(InvalidInputError) as caught:
        store.save_trial(trial.with_tables(visits=visits), user="tester", reason="bad")
    store.close()
    assert [(p.file, p.row, p.value) for p in caught.value.problems] == [
        ("visits.csv", 7, "P02|2011-04-11")
    ]
    assert database_snapshot(db_url) == before


def test_audit_for_one_patient_lists_only_that_patient(db_url: str) -> None:
    store = open_store(db_url)
    store.save_trial(small_trial(), user="tester", reason="first import")
    trail = store.audit(patient_id="P02")
    store.close()
    assert set(trail["patient_id"]) == {"P02"}
    # P02: the patient, 1 infusion, 2 visits, 1 adverse event
    assert len(trail) == 5
