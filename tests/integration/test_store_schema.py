"""The shipped migrations build exactly the tables the code uses."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from myotrial.store import migrations, open_store, sqlalchemy_url
from myotrial.store.engine import schema_revision
from myotrial.store.tables import metadata


def test_migrated_schema_matches_the_table_definitions(db_url: str) -> None:
    open_store(db_url).close()
    engine = sa.create_engine(sqlalchemy_url(db_url))
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert differences == []


def _newest_revision() -> str:
    """The single head of the shipped migrations (the highest-numbered file's revision)."""
    versions = Path(migrations.__file__).parent / "versions"
    newest = max(versions.glob("rev_*.py")).name
    return newest.removeprefix("rev_").split("_")[0]


def test_opening_twice_leaves_the_schema_at_the_newest_revision(db_url: str) -> None:
    open_store(db_url).close()
    store = open_store(db_url)
    assert schema_revision(store.engine) == _newest_revision()
    store.close()


def test_the_migrations_form_one_line_numbered_in_order() -> None:
    # Revisions landed side by side must not fork the history: two heads would leave
    # `upgrade` unable to say which schema is the newest.
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    script = ScriptDirectory.from_config(config)
    revisions = list(reversed(list(script.walk_revisions())))
    assert script.get_heads() == [revisions[-1].revision]
    assert [revision.revision for revision in revisions] == [
        f"{number:04d}" for number in range(1, len(revisions) + 1)
    ]
    assert [revision.down_revision for revision in revisions[1:]] == [
        revision.revision for revision in revisions[:-1]
    ]
