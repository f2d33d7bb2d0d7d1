"""The MedDRA coding of each adverse event (written by ``myotrial code-ae``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

For each level of the primary path (lowest level term, preferred term, high level term,
high level group term, primary system organ class) the term's code and name. Written out
here, not imported, so that this migration keeps adding the same columns whatever later
versions of myotrial change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_LEVELS = ("llt", "pt", "hlt", "hlgt", "soc")


def _columns() -> list[sa.Column[object]]:
    columns: list[sa.Column[object]] = []
    for level in _LEVELS:
        columns.append(sa.Column(f"meddra_{level}_code", sa.Double))
        columns.append(sa.Column(f"meddra_{level}", sa.Text))
    return columns


def upgrade() -> None:
    with op.batch_alter_table("adverse_events") as batch:
        for column in _columns():
            batch.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("adverse_events") as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
