"""Each patient's race (CDISC CT C74457) and height, for SDTM DM.RACE and VS.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("patients", sa.Column("height_cm", sa.Double))
    op.add_column("patients", sa.Column("race", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("race")
        batch.drop_column("height_cm")
