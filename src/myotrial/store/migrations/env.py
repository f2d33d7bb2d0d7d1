"""Alembic environment: myotrial runs migrations itself, on the connection it opened.

``myotrial.store.open_store`` passes its connection in ``config.attributes``; the
``alembic`` command line can also be used by developers with ``-x url=...``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from myotrial.store.engine import sqlalchemy_url
from myotrial.store.tables import metadata


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///myotrial.db")
    engine = sa.create_engine(sqlalchemy_url(url))
    with engine.begin() as opened:
        _run(opened)
    engine.dispose()
