"""The randomisation date of each patient (day 0 of a randomised trial's comparisons).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("patients", sa.Column("randomisation_date", sa.Date))


def downgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("randomisation_date")
