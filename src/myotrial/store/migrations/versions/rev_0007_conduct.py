"""Running the controlled trial: consent records, alerts, the sealed list, allocations.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

``consents`` holds one record per patient enrolled through the service (a patient
imported from a trial folder has none: its consent was collected on paper, see
docs/server.md); ``alerts`` the expedited notices for named roles;
``randomisation_setup`` and ``randomisation_list`` the sealed list (or the
minimisation settings) made at set-up; ``allocation_strata`` one counter per stratum,
locked by each randomisation; ``allocations`` who was given which position of which
stratum's list.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("patient_id", sa.Text, nullable=False, unique=True),
        sa.Column("consent_date", sa.Date, nullable=False),
        sa.Column("form_version", sa.Text, nullable=False),
        sa.Column("eligibility", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", _WHEN, nullable=False),
        sa.Column("withdrawn_at", _WHEN),
        sa.Column("withdrawn_by", sa.Text),
        sa.Column("withdrawal_reason", sa.Text),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("patient_id", sa.Text),
        sa.Column("site", sa.Text),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("for_roles", sa.Text, nullable=False),
        sa.Column("raised_by", sa.Text, nullable=False),
        sa.Column("acknowledged_by", sa.Text),
        sa.Column("acknowledged_at", _WHEN),
    )
    op.create_index("ix_alerts_patient_id", "alerts", ["patient_id"])
    op.create_table(
        "randomisation_setup",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("scheme", sa.Text, nullable=False),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("seed", sa.Text),
        sa.Column("sha256", sa.Text),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("allocated", sa.Integer, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
    )
    op.create_table(
        "randomisation_list",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("stratum", sa.Text, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("arm", sa.Text, nullable=False),
        sa.Column("block", sa.Integer),
        sa.Column("block_size", sa.Integer),
        sa.UniqueConstraint("stratum", "sequence", name="uq_randomisation_list_position"),
    )
    op.create_table(
        "allocation_strata",
        sa.Column("stratum", sa.Text, primary_key=True),
        sa.Column("allocated", sa.Integer, nullable=False),
    )
    op.create_table(
        "allocations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("patient_id", sa.Text, nullable=False, unique=True),
        sa.Column("stratum", sa.Text, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("arm", sa.Text, nullable=False),
        sa.Column("scheme", sa.Text, nullable=False),
        sa.Column("allocated_by", sa.Text, nullable=False),
        sa.Column("allocated_at", _WHEN, nullable=False),
        sa.UniqueConstraint("stratum", "sequence", name="uq_allocations_position"),
    )


def downgrade() -> None:
    op.drop_table("allocations")
    op.drop_table("allocation_strata")
    op.drop_table("randomisation_list")
    op.drop_table("randomisation_setup")
    op.drop_index("ix_alerts_patient_id", "alerts")
    op.drop_table("alerts")
    op.drop_table("consents")
