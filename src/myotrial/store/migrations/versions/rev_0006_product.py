"""The cell-product record: donors and lots.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

The column lists are written out here, not imported, so that this migration keeps
creating the same schema whatever later versions of myotrial change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# name:kind, kind number when not given; the first column is the table's natural key.
_TABLES = {
    "donors": "donor:text source:text age sex:text screening:text screening_date:date",
    "lots": (
        "lot:text donor:text passage manufacture_date:date expiry_date:date cells_total "
        "viability_pct cd73_pct cd90_pct cd105_pct cd45_pct cd34_pct cd14_pct cd11b_pct "
        "cd19_pct cd79a_pct hla_dr_pct sterility:text mycoplasma:text endotoxin_eu_per_ml "
        "released:bool released_by:text released_date:date recalled:bool "
        "recalled_date:date recall_reason:text"
    ),
}
_TYPES = {"text": sa.Text, "number": sa.Double, "date": sa.Date, "bool": sa.Boolean}


def upgrade() -> None:
    for table, spec in _TABLES.items():
        items = [item.partition(":") for item in spec.split()]
        key = items[0][0]
        columns = [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("row_number", sa.Integer, nullable=False),
            *(
                sa.Column(name, _TYPES[kind or "number"](), nullable=name != key)
                for name, _, kind in items
            ),
            sa.Column("extra", sa.Text),
        ]
        op.create_table(table, *columns, sa.UniqueConstraint(key, name=f"uq_{table}_key"))
        # As revision 0005 gives the trial tables: an index on the row number and, on
        # PostgreSQL, the sequence entries take their row numbers from.
        op.create_index(f"ix_{table}_row_number", table, ["row_number"])
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"CREATE SEQUENCE {table}_row_number_seq MINVALUE 0 START 0")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in reversed(list(_TABLES)):
        if postgres:
            op.execute(f"DROP SEQUENCE {table}_row_number_seq")
        op.drop_index(f"ix_{table}_row_number", table)
        op.drop_table(table)
