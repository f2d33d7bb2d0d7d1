"""Nothing acknowledged is lost: concurrent entries, imports that would delete, row numbers.

Races are provoked, not hoped for: every writer first waits at a barrier, so all of them
have read what is stored before any of them writes (the interleaving that lost values
before writers took the layout's row lock and their row numbers from a sequence).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from store_trials import database_snapshot
from tests.server.conftest import small_trial

from myotrial.errors import ConflictError, InvalidInputError
from myotrial.services import entry as entry_module
from myotrial.services.access import Caller
from myotrial.services.entry import DataEntry
from myotrial.store import TrialStore, open_store, sqlalchemy_url
from myotrial.store.repository import SqlTrialRepository
from myotrial.trialdata import TrialData

NEW_COLUMNS = ("aldolase_uln", "mmt_deltoid", "mmt_neck_flexors", "ldh", "ast", "alt")


def _gate_layout_writes(monkeypatch: pytest.MonkeyPatch, writers: int) -> None:
    """Let writers extend the layout only once every one of them is about to (or 2 s)."""
    barrier = threading.Barrier(writers, timeout=2)
    add_layout_columns = SqlTrialRepository.add_layout_columns

    def gated(self: SqlTrialRepository, table: str, entries: Any) -> None:
        # writers that are queued (SQLite) cannot all arrive: they go on after 2 s
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        add_layout_columns(self, table, entries)

    monkeypatch.setattr(SqlTrialRepository, "add_layout_columns", gated)


def _all_at_once(jobs: list[Callable[[], object]]) -> list[object]:
    """Run the jobs in threads; each result is the return value or the exception."""
    results: list[object] = [None] * len(jobs)

    def run(number: int) -> None:
        try:
            results[number] = jobs[number]()
        except Exception as exc:
            results[number] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


INVESTIGATOR = Caller("inv_a", "investigator", "A")


def _entry(store: TrialStore, day: str, **values: str) -> Callable[[], object]:
    entry = DataEntry(store.unit_of_work)
    return lambda: entry.add_visit(INVESTIGATOR, "A-01", {"visit_date": day, **values}, "race")


@pytest.fixture
def store(db_url: str) -> TrialStore:
    opened = open_store(db_url)
    opened.save_trial(small_trial(), user="setup", reason="test set-up")
    return opened


def test_concurrent_entries_adding_new_columns_keep_every_value(
    store: TrialStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _gate_layout_writes(monkeypatch, len(NEW_COLUMNS))
    days = [f"2025-03-{day:02d}" for day in range(1, len(NEW_COLUMNS) + 1)]
    jobs = [
        _entry(store, day, **{column: "7"}) for day, column in zip(days, NEW_COLUMNS, strict=True)
    ]
    results = _all_at_once(jobs)
    assert [type(r) for r in results] == [dict] * len(NEW_COLUMNS), results
    visits = store.load_trial().visits.set_index("visit_date")
    store.close()
    for day, column in zip(days, NEW_COLUMNS, strict=True):
        assert visits.loc[pd.Timestamp(day), column] == 7.0, column


def test_a_correction_filling_a_new_column_keeps_a_concurrent_entrys_column(
    store: TrialStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _gate_layout_writes(monkeypatch, 2)
    entry = DataEntry(store.unit_of_work)
    correction = lambda: entry.correct(  # noqa: E731
        INVESTIGATOR, "A-01", "2025-01-08", "fvc_pct", "85", reason="source check"
    )
    results = _all_at_once([correction, _entry(store, "2025-03-01", aldolase_uln="7")])
    assert not [r for r in results if isinstance(r, Exception)], results
    visits = store.load_trial().visits.set_index("visit_date")
    store.close()
    assert visits.loc[pd.Timestamp("2025-01-08"), "fvc_pct"] == 85.0
    assert visits.loc[pd.Timestamp("2025-03-01"), "aldolase_uln"] == 7.0


def test_simultaneous_entries_of_one_date_store_one_and_name_the_key_for_the_rest(
    store: TrialStore, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _gate_checks(monkeypatch, db_url, 8)
    results = _all_at_once([_entry(store, "2025-03-01", phga="3") for _ in range(8)])
    stored = store.load_trial().visits
    store.close()
    assert sum(isinstance(r, dict) for r in results) == 1
    refused = [r for r in results if isinstance(r, ConflictError)]
    assert len(refused) == 7, results
    problem = refused[0].problems[0]
    assert (problem.column, problem.value) == ("visit_date", "2025-03-01")
    assert "A-01" in problem.hint
    assert (stored["visit_date"] == pd.Timestamp("2025-03-01")).sum() == 1


def _gate_checks(monkeypatch: pytest.MonkeyPatch, db_url: str, writers: int) -> None:
    """Let every entry be checked before any is written (PostgreSQL).

    Each entry is checked and written in one transaction; on PostgreSQL the
    transactions run side by side, so all writers pass their checks and then race for
    the unique key and the row numbers. On SQLite one write transaction runs at a time
    (WAL, IMMEDIATE), so the entries race for the lock instead and nothing is gated.
    """
    if not db_url.startswith("postgresql"):
        return
    barrier = threading.Barrier(writers, timeout=30)
    checked = entry_module.check_record

    def gated(*args: Any, **kwargs: Any) -> object:
        result = checked(*args, **kwargs)
        barrier.wait()
        return result

    monkeypatch.setattr(entry_module, "check_record", gated)


def test_concurrent_entries_get_distinct_row_numbers(
    store: TrialStore, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _gate_checks(monkeypatch, db_url, 10)
    jobs = [_entry(store, f"2025-04-{day:02d}", phga="3") for day in range(1, 11)]
    results = _all_at_once(jobs)
    store.close()
    assert [type(r) for r in results] == [dict] * 10, results
    # small_trial has 4 visits (row numbers 0-3); the 10 entries follow, each its own
    assert _row_numbers(db_url) == list(range(14))


def _row_numbers(db_url: str) -> list[int]:
    engine = sa.create_engine(sqlalchemy_url(db_url))
    with engine.connect() as connection:
        numbers = connection.execute(sa.text("SELECT row_number FROM visits")).scalars().all()
    engine.dispose()
    return sorted(numbers)


def test_a_folder_without_the_other_patients_is_refused_naming_the_deletions(
    store: TrialStore, db_url: str
) -> None:
    trial = small_trial()
    only_a01 = trial.with_tables(
        **{
            t: trial.table(t)[trial.table(t)["patient_id"] == "A-01"]
            for t in ("patients", "infusions", "visits")
        }
    )
    before = database_snapshot(db_url)
    with pytest.raises(ConflictError) as refused:
        store.save_trial(only_a01, user="monitor", reason="partial folder")
    store.close()
    assert database_snapshot(db_url) == before
    by_file = {p.file: p for p in refused.value.problems}
    assert set(by_file) == {"patients.csv", "infusions.csv", "visits.csv"}
    assert "delete 2 rows of patients" in by_file["patients.csv"].rule
    assert by_file["patients.csv"].value == "A-02, B-01"
    assert "delete 2 rows of visits" in by_file["visits.csv"].rule


def test_allow_deletions_deletes_what_the_folder_lacks(store: TrialStore) -> None:
    trial = small_trial()
    only_a01 = trial.with_tables(
        **{
            t: trial.table(t)[trial.table(t)["patient_id"] == "A-01"]
            for t in ("patients", "infusions", "visits")
        }
    )
    summary = store.save_trial(only_a01, user="monitor", reason="withdrawn", allow_deletions=True)
    loaded = store.load_trial()
    store.close()
    assert summary.as_frame().set_index("table").loc["patients", "deleted"] == 2
    assert list(loaded.patients["patient_id"]) == ["A-01"]


def test_reimporting_the_original_folder_keeps_an_entered_visit(
    store: TrialStore, db_url: str
) -> None:
    _entry(store, "2025-03-01", phga="2")()
    before = database_snapshot(db_url)
    with pytest.raises(ConflictError, match=r"delete 1 row of visits"):
        store.save_trial(small_trial(), user="monitor", reason="monthly folder")
    store.close()
    assert database_snapshot(db_url) == before


def test_reimporting_the_original_folder_keeps_a_correction(store: TrialStore, db_url: str) -> None:
    DataEntry(store.unit_of_work).correct(
        INVESTIGATOR, "A-01", "2025-01-08", "phga", "5.5", reason="source check"
    )
    with pytest.raises(ConflictError, match=r"overwrite 1 row of visits last entered, corrected"):
        store.save_trial(small_trial(), user="monitor", reason="monthly folder")
    visits = store.load_trial().visits
    store.close()
    assert visits.loc[visits["visit_date"] == pd.Timestamp("2025-01-08"), "phga"].item() == 5.5


def test_a_row_last_written_by_an_import_may_be_updated(store: TrialStore) -> None:
    trial = small_trial()
    visits = trial.visits.copy()
    visits.loc[0, "phga"] = 5.0
    summary = store.save_trial(trial.with_tables(visits=visits), user="monitor", reason="fix")
    store.close()
    assert summary.as_frame().set_index("table").loc["visits", "updated"] == 1


def test_a_dry_run_lists_every_change_and_writes_nothing(store: TrialStore, db_url: str) -> None:
    trial = small_trial()
    visits = trial.visits.copy()
    visits.loc[0, "phga"] = 5.0
    extra = pd.DataFrame({"patient_id": ["B-01"], "visit_date": [pd.Timestamp("2025-03-01")]})
    visits = pd.concat([visits.drop(index=3), extra], ignore_index=True)
    before = database_snapshot(db_url)
    summary = store.save_trial(
        trial.with_tables(visits=visits), user="monitor", reason="check", dry_run=True
    )
    store.close()
    assert database_snapshot(db_url) == before
    assert summary.dry_run and summary.import_id is None
    changes = summary.changes.set_index(["action", "record_key"])
    assert changes.loc[("update", "A-01|2025-01-08"), "old_value"] == "6.0"
    assert changes.loc[("update", "A-01|2025-01-08"), "new_value"] == "5.0"
    assert ("insert", "B-01|2025-03-01") in changes.index
    assert ("delete", "B-01|2025-01-22") in changes.index
    assert "delete 1 row of visits" in summary.refused[0].rule


def _hide_column_and_repeat_numbers(db_url: str) -> None:
    """Put the database in the state the lost-layout race left behind, before revision 0005."""
    from alembic import command

    from myotrial.store.engine import _config

    engine = sa.create_engine(sqlalchemy_url(db_url))
    with engine.begin() as connection:
        layout = json.loads(
            connection.execute(sa.text("SELECT layout FROM trial_meta")).scalar_one()
        )
        layout["tables"]["visits"] = [
            e for e in layout["tables"]["visits"] if e[0] != "aldolase_uln"
        ]
        connection.execute(sa.text("UPDATE trial_meta SET layout = :l"), {"l": json.dumps(layout)})
        connection.execute(sa.text("UPDATE visits SET row_number = 3 WHERE row_number > 3"))
        config = _config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    engine.dispose()


def test_upgrading_shows_hidden_values_again_and_numbers_rows_uniquely(
    store: TrialStore, db_url: str
) -> None:
    _entry(store, "2025-03-01", aldolase_uln="7")()
    _entry(store, "2025-03-02", phga="2")()
    store.close()
    _hide_column_and_repeat_numbers(db_url)
    repaired = open_store(db_url)
    visits = repaired.load_trial().visits
    repaired.close()
    day = visits["visit_date"] == pd.Timestamp("2025-03-01")
    assert visits.loc[day, "aldolase_uln"].item() == 7.0
    assert _row_numbers(db_url) == list(range(6))
    # rows 3, 4 and 5 all held number 3; they keep their order by insertion (id)
    assert list(visits["visit_date"].dt.strftime("%Y-%m-%d"))[-3:] == [
        "2025-01-22",
        "2025-03-01",
        "2025-03-02",
    ]


def test_an_entry_on_another_mmt8_form_than_the_first_visit_is_refused(store: TrialStore) -> None:
    # ingest rule: every visit of a patient uses the MMT-8 form of the first (0-80 here)
    entry = DataEntry(store.unit_of_work)
    with pytest.raises(InvalidInputError) as refused:
        entry.add_visit(INVESTIGATOR, "A-01", {"visit_date": "2025-03-01", "mmt_max": "150"}, "")
    store.close()
    assert [p.column for p in refused.value.problems] == ["mmt_max"]
    assert "MMT-8 form" in refused.value.problems[0].rule


def _with_history(visits: int) -> TrialData:
    """small_trial with A-01 seen ``visits`` times in all (daily from its first visit)."""
    trial = small_trial()
    days = pd.date_range("2025-01-08", periods=visits, freq="D")
    history = pd.DataFrame({"patient_id": "A-01", "visit_date": days, "phga": 4.0, "ck": 500.0})
    others = trial.visits[trial.visits["patient_id"] != "A-01"]
    return trial.with_tables(visits=pd.concat([history, others], ignore_index=True))


@pytest.mark.parametrize("history", [10, 1000])
def test_an_entry_reads_no_visit_rows_beyond_single_keys(db_url: str, history: int) -> None:
    store = open_store(db_url)
    store.save_trial(_with_history(history), user="setup", reason="history")
    statements: list[str] = []
    sa.event.listen(
        store.engine, "before_cursor_execute", lambda *a: statements.append(a[2].upper())
    )
    _entry(store, "2030-01-01", phga="3")()
    store.close()
    reads = [s for s in statements if s.lstrip().startswith("SELECT") and "VISITS" in s]
    # each read of visits is bounded: one key or the first visit, never the history
    assert reads and all("LIMIT" in s for s in reads), reads
