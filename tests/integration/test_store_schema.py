"""The shipped migrations build exactly the tables the code uses."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from myotrial.store import open_store, sqlalchemy_url
from myotrial.store.engine import schema_revision
from myotrial.store.tables import metadata


def test_migrated_schema_matches_the_table_definitions(db_url: str) -> None:
    open_store(db_url).close()
    engine = sa.create_engine(sqlalchemy_url(db_url))
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert differences == []


def test_opening_twice_leaves_the_schema_at_the_newest_revision(db_url: str) -> None:
    open_store(db_url).close()
    store = open_store(db_url)
    assert schema_revision(store.engine) == "0002"
    store.close()
