"""Corrections: parsed and checked as at import, written with an audit row and a reason."""

from __future__ import annotations

import pytest
from store_trials import database_snapshot, small_trial

from myotrial.errors import InvalidInputError, NotFoundError
from myotrial.services.entry import correct_visit
from myotrial.store import open_store


def _stored(db_url: str) -> None:
    store = open_store(db_url)
    store.save_trial(small_trial(), user="tester", reason="first import")
    store.close()


def test_correction_is_stored_and_audited_with_reason(db_url: str) -> None:
    _stored(db_url)
    store = open_store(db_url)
    done = correct_visit(
        store.unit_of_work, "P01", "2011-04-01", "ck", "400", reason="lab report", user="monitor"
    )
    trail = store.audit(patient_id="P01")
    visits = store.load_trial().visits
    store.close()
    assert (done.old_value, done.new_value, done.changed) == ("410.5", "400.0", True)
    last = trail.iloc[-1]
    assert (last["table"], last["key"], last["field"]) == ("visits", "P01|2011-04-01", "ck")
    assert (last["old_value"], last["new_value"]) == ("410.5", "400.0")
    assert (last["reason"], last["user"], last["action"]) == ("lab report", "monitor", "update")
    assert visits.loc[1, "ck"] == 400.0
    assert visits.drop(columns="ck").equals(small_trial().visits.drop(columns="ck"))


def test_correction_to_missing_is_audited(db_url: str) -> None:
    _stored(db_url)
    store = open_store(db_url)
    done = correct_visit(
        store.unit_of_work, "P02", "2011-04-11", "phga", "", reason="not assessed", user="monitor"
    )
    visits = store.load_trial().visits
    store.close()
    assert (done.old_value, done.new_value) == ("7.0", None)
    assert visits["phga"].isna().sum() == 2


def test_correction_of_the_same_value_writes_nothing(db_url: str) -> None:
    _stored(db_url)
    before = database_snapshot(db_url)
    store = open_store(db_url)
    done = correct_visit(
        store.unit_of_work, "P01", "2011-04-01", "ck", "410.5", reason="check", user="monitor"
    )
    store.close()
    assert not done.changed
    assert database_snapshot(db_url) == before


@pytest.mark.parametrize(
    ("field", "value", "column", "rule"),
    [
        ("ck", "-3", "ck", "below 0"),
        ("mmt8", "abc", "mmt8", "not a number"),
        ("phga", "11", "phga", "outside 0-10"),
        ("visit_date", "2011-04-02", "field", "part of the visit's key"),
        ("no_such_column", "1", "field", "not a column of visits"),
    ],
)
def test_bad_correction_is_refused_and_nothing_is_written(
    db_url: str, field: str, value: str, column: str, rule: str
) -> None:
    _stored(db_url)
    before = database_snapshot(db_url)
    store = open_store(db_url)
    with pytest.raises(InvalidInputError) as caught:
        correct_visit(
            store.unit_of_work, "P01", "2011-04-01", field, value, reason="typo", user="monitor"
        )
    store.close()
    problem = caught.value.problems[0]
    assert problem.column == column
    assert rule in problem.rule
    assert database_snapshot(db_url) == before


def test_correction_without_reason_is_refused(db_url: str) -> None:
    _stored(db_url)
    store = open_store(db_url)
    with pytest.raises(InvalidInputError, match="reason"):
        correct_visit(
            store.unit_of_work, "P01", "2011-04-01", "ck", "400", reason=" ", user="monitor"
        )
    store.close()


@pytest.mark.parametrize(
    ("patient", "date", "message"),
    [("P99", "2011-04-01", "no patient 'P99'"), ("P01", "2011-04-02", "no visit on 2011-04-02")],
)
def test_unknown_patient_or_visit_is_not_found(
    db_url: str, patient: str, date: str, message: str
) -> None:
    _stored(db_url)
    store = open_store(db_url)
    with pytest.raises(NotFoundError, match=message):
        correct_visit(
            store.unit_of_work, patient, date, "ck", "400", reason="lab report", user="monitor"
        )
    store.close()
