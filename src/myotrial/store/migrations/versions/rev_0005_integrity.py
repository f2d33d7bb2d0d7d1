"""Unique row numbers, a sequence for entries, audit indexes, hidden columns shown again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Before this revision two visits entered at once could get the same row number, and two
entries each filling a new column could each replace the stored layout with their own,
so one column's values were stored (and audited) but no longer shown. This revision
numbers every table's rows uniquely again (keeping their order), gives PostgreSQL a
sequence per table for entries, and adds back to the layout every typed column that
holds a value.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TRIAL_TABLES = ("patients", "infusions", "visits", "adverse_events", "events", "medications")
_BOOKKEEPING = ("id", "row_number", "occurrence", "extra")


def upgrade() -> None:
    connection = op.get_bind()
    postgres = connection.dialect.name == "postgresql"
    for table in _TRIAL_TABLES:
        _renumber(connection, table)
        op.create_index(f"ix_{table}_row_number", table, ["row_number"])
        if postgres:
            connection.exec_driver_sql(f"CREATE SEQUENCE {table}_row_number_seq MINVALUE 0")
            connection.exec_driver_sql(
                f"SELECT setval('{table}_row_number_seq', "
                f'(SELECT coalesce(max(row_number), -1) + 1 FROM "{table}"), false)'
            )
    op.create_index("ix_audit_trail_changed_at", "audit_trail", ["changed_at"])
    op.create_index("ix_audit_trail_user_name", "audit_trail", ["user_name"])
    op.create_index("ix_audit_trail_table_record", "audit_trail", ["table_name", "record_key"])
    _restore_layout(connection)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_index("ix_audit_trail_table_record", "audit_trail")
    op.drop_index("ix_audit_trail_user_name", "audit_trail")
    op.drop_index("ix_audit_trail_changed_at", "audit_trail")
    for table in _TRIAL_TABLES:
        op.drop_index(f"ix_{table}_row_number", table)
        if postgres:
            op.execute(f"DROP SEQUENCE {table}_row_number_seq")


def _renumber(connection: sa.Connection, table: str) -> None:
    """Rows numbered 0, 1, ... in their order (ties by id) when two share a number."""
    repeated = connection.exec_driver_sql(
        f'SELECT 1 FROM "{table}" GROUP BY row_number HAVING count(*) > 1 LIMIT 1'
    ).first()
    if repeated is None:
        return
    connection.exec_driver_sql(
        f'UPDATE "{table}" SET row_number = ranked.position FROM '
        f"(SELECT id, ROW_NUMBER() OVER (ORDER BY row_number, id) - 1 AS position "
        f'FROM "{table}") AS ranked WHERE "{table}".id = ranked.id'
    )


def _dtype(sql_type: sa.types.TypeEngine) -> str:
    """The dtype a parsed column of this SQL type has (myotrial.ingest.parse_records)."""
    if isinstance(sql_type, sa.Float):
        return "float64"
    if isinstance(sql_type, sa.Date):
        return "datetime64[ns]"
    if isinstance(sql_type, sa.Boolean):
        return "boolean"
    return "object"


def _restore_layout(connection: sa.Connection) -> None:
    """Add to the layout each typed column that holds a value but is not listed."""
    row = connection.exec_driver_sql("SELECT layout FROM trial_meta WHERE id = 1").first()
    if row is None:
        return
    layout = json.loads(row[0])
    inspector = sa.inspect(connection)
    changed = False
    for table in _TRIAL_TABLES:
        listed = {entry[0] for entry in layout["tables"][table]}
        for column in inspector.get_columns(table):
            name = column["name"]
            if name in _BOOKKEEPING or name in listed:
                continue
            held = connection.exec_driver_sql(
                f'SELECT 1 FROM "{table}" WHERE "{name}" IS NOT NULL LIMIT 1'
            ).first()
            if held is not None:
                layout["tables"][table].append([name, _dtype(column["type"]), "typed"])
                changed = True
    if changed:
        text = json.dumps(layout, sort_keys=True, ensure_ascii=False)
        connection.execute(
            sa.text("UPDATE trial_meta SET layout = :layout WHERE id = 1"), {"layout": text}
        )
