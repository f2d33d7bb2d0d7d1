"""Trial tables, trial configuration, changesets and the append-only audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

The column lists are written out here, not imported, so that this migration keeps
creating the same schema whatever later versions of myotrial change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_MMT = (
    "neck_flexors",
    "deltoid",
    "biceps",
    "wrist_extensors",
    "gluteus_maximus",
    "gluteus_medius",
    "quadriceps",
    "ankle_dorsiflexors",
)
_HAQ = ("dressing", "arising", "eating", "walking", "hygiene", "reach", "grip", "activities")
_ENZYMES = ("ck", "aldolase", "ldh", "ast", "alt", "ck_mb")
_VISITS = (
    "patient_id:text visit_date:date phga ptga extramuscular mmt8 "
    + " ".join(f"mmt_{g}" for g in _MMT)
    + " "
    + " ".join(f"mmt_{g}_{s}" for g in _MMT for s in ("r", "l"))
    + " mmt_max haq "
    + " ".join(f"haq_{c}" for c in _HAQ)
    + " "
    + " ".join(f"haq_{c}_aid:bool" for c in _HAQ)
    + " "
    + " ".join(_ENZYMES)
    + " "
    + " ".join(f"{e}_uln" for e in _ENZYMES)
    + " fvc_pct dlco_pct hrct_score ulcers cdasi_activity prednisone_mg"
)
# name:kind, kind number when not given
_TABLES = {
    "patients": (
        "patient_id:text site:text sex:text age diagnosis:text onset_date:date "
        "diagnosis_date:date enrolment_date:date weight_kg arm:text refractory:bool "
        "severe_systemic:bool ild:bool antibody:text",
        ("patient_id",),
    ),
    "infusions": (
        "patient_id:text infusion_date:date source:text donor:text cells_per_kg lot:text "
        "route:text viability_pct",
        ("patient_id", "infusion_date", "lot", "occurrence"),
    ),
    "visits": (_VISITS, ("patient_id", "visit_date")),
    "adverse_events": (
        "patient_id:text onset_date:date term:text soc:text grade serious:bool "
        "relatedness:text infusion_reaction:bool resolved_date:date outcome:text",
        ("patient_id", "onset_date", "term", "occurrence"),
    ),
    "events": (
        "patient_id:text event_date:date type:text note:text",
        ("patient_id", "event_date", "type", "occurrence"),
    ),
    "medications": (
        "patient_id:text drug:text dose unit:text start_date:date stop_date:date",
        ("patient_id", "drug", "start_date", "occurrence"),
    ),
}
_TYPES = {"text": sa.Text, "number": sa.Double, "date": sa.Date, "bool": sa.Boolean}
_APPEND_ONLY = ("changesets", "audit_trail")


def _columns(table: str, spec: str) -> list[sa.Column]:
    columns: list[sa.Column] = [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("row_number", sa.Integer, nullable=False),
    ]
    for item in spec.split():
        name, _, kind = item.partition(":")
        if name == "patient_id":
            foreign = [] if table == "patients" else [sa.ForeignKey("patients.patient_id")]
            columns.append(sa.Column(name, sa.Text, *foreign, nullable=False))
        else:
            columns.append(sa.Column(name, _TYPES[kind or "number"]()))
    if table not in ("patients", "visits"):
        # rows sharing a natural key are told apart by their order (0, 1, ...)
        columns.append(sa.Column("occurrence", sa.Integer, nullable=False))
    columns.append(sa.Column("extra", sa.Text))
    return columns


def _audit_tables() -> None:
    op.create_table(
        "trial_meta",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("layout", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("checksum", sa.Text, nullable=False),
    )
    op.create_table(
        "changesets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("checksum", sa.Text, nullable=False),
    )
    op.create_table(
        "audit_trail",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("changeset_id", sa.Integer, sa.ForeignKey("changesets.id"), nullable=False),
        sa.Column("table_name", sa.Text, nullable=False),
        sa.Column("record_key", sa.Text, nullable=False),
        sa.Column("patient_id", sa.Text),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("field", sa.Text),
        sa.Column("old_value", sa.Text),
        sa.Column("new_value", sa.Text),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_trail_patient_id", "audit_trail", ["patient_id"])


def _append_only_triggers() -> None:
    """Refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) of audit rows in the database."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION myotrial_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'the % table is append-only: % refused', "
            "TG_TABLE_NAME, TG_OP; END $$"
        )
        for table in _APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION myotrial_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION myotrial_append_only()"
            )
        return
    for table in _APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'the {table} table is append-only: "
                f"{action} refused'); END"
            )


def upgrade() -> None:
    for table, (spec, keys) in _TABLES.items():
        op.create_table(
            table,
            *_columns(table, spec),
            sa.UniqueConstraint(*keys, name=f"uq_{table}_key"),
        )
    _audit_tables()
    _append_only_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION myotrial_append_only() CASCADE")
    for table in ("audit_trail", "changesets", "trial_meta", *reversed(_TABLES)):
        op.drop_table(table)
