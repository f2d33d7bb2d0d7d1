"""A trial saved to the store comes back exactly: frames, dtypes, unknown columns, config."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from store_trials import small_trial

from myotrial.errors import NotFoundError, StoreError
from myotrial.store import open_store, sqlalchemy_url
from myotrial.trialdata import TABLES


def test_round_trip_returns_the_same_tables(db_url: str) -> None:
    trial = small_trial()
    store = open_store(db_url)
    store.save_trial(trial, user="tester", reason="first import")
    loaded = store.load_trial()
    store.close()
    for table in TABLES:
        pd.testing.assert_frame_equal(loaded.table(table), trial.table(table), check_exact=True)


def test_round_trip_keeps_config_source_and_unknown_columns(db_url: str) -> None:
    trial = small_trial()
    store = open_store(db_url)
    store.save_trial(trial, user="tester", reason="first import")
    loaded = store.load_trial()
    store.close()
    assert loaded.config == trial.config
    assert loaded.extra_columns == trial.extra_columns
    assert (loaded.source, loaded.checksum) == (trial.source, trial.checksum)


def test_round_trip_keeps_row_order_that_is_not_key_order(db_url: str) -> None:
    trial = small_trial()
    shuffled = trial.visits.iloc[[3, 0, 4, 2, 1]].reset_index(drop=True)
    store = open_store(db_url)
    store.save_trial(trial.with_tables(visits=shuffled), user="tester")
    loaded = store.load_trial()
    store.close()
    pd.testing.assert_frame_equal(loaded.visits, shuffled)


def test_loading_an_empty_database_says_nothing_was_imported(db_url: str) -> None:
    store = open_store(db_url)
    with pytest.raises(NotFoundError, match="no trial yet"):
        store.load_trial()
    store.close()


def test_database_from_a_newer_version_is_refused(db_url: str) -> None:
    open_store(db_url).close()
    engine = sa.create_engine(sqlalchemy_url(db_url))
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match="newer myotrial"):
        open_store(db_url)


def test_postgres_url_without_driver_uses_psycopg() -> None:
    assert sqlalchemy_url("postgresql://u@h:5432/d") == "postgresql+psycopg://u@h:5432/d"
    assert sqlalchemy_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert sqlalchemy_url("sqlite:///x.db") == "sqlite:///x.db"
