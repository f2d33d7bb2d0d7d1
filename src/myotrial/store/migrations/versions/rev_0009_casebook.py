"""Casebook signatures and trial locks.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

The columns are written out here, not imported, so that this migration keeps creating
the same schema whatever later versions of myotrial change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "casebook_signatures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("patient_id", sa.Text, nullable=False),
        sa.Column("signed_by", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("meaning", sa.Text, nullable=False),
        _when("signed_at", nullable=False),
        sa.Column("unlocked_by", sa.Text),
        _when("unlocked_at"),
        sa.Column("unlock_reason", sa.Text),
        sa.Column("invalidated_by", sa.Text),
        _when("invalidated_at"),
    )
    op.create_index("ix_casebook_signatures_patient_id", "casebook_signatures", ["patient_id"])
    op.create_table(
        "trial_locks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("locked_by", sa.Text, nullable=False),
        _when("locked_at", nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("unlocked_by", sa.Text),
        _when("unlocked_at"),
        sa.Column("unlock_reason", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("trial_locks")
    op.drop_index("ix_casebook_signatures_patient_id", "casebook_signatures")
    op.drop_table("casebook_signatures")
