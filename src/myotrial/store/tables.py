"""The database tables (SQLAlchemy Core), mapped from outside the trial's data.

The trial tables mirror the trial format (the six of every trial, and the optional
cell-product record, donors and lots): one typed column per known column, plus
``row_number`` (the row's position in the imported table, so a round trip keeps the
order) and ``extra`` (the row's unknown columns as JSON text). ``trial_meta`` keeps the
configuration and the column layout of the last import (extended, under a row lock,
when an entry or correction fills a new column); ``changesets`` and
``audit_trail`` record who changed what, when and why. The audit tables are
append-only: database triggers (see the migrations) refuse UPDATE and DELETE.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from myotrial.store.columns import COLUMNS, KEYS, REPEATABLE, Kind, match_keys
from myotrial.trialdata import PRODUCT_TABLES, TABLES

metadata = sa.MetaData()

SQL_TYPES: dict[Kind, type[sa.types.TypeEngine[Any]]] = {
    "text": sa.Text,
    "number": sa.Double,
    "date": sa.Date,
    "bool": sa.Boolean,
}


def _trial_table(name: str) -> sa.Table:
    columns: list[sa.Column[Any]] = [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("row_number", sa.Integer, nullable=False),
    ]
    for column, kind in COLUMNS[name]:
        if column == "patient_id":
            foreign = [] if name == "patients" else [sa.ForeignKey("patients.patient_id")]
            columns.append(sa.Column(column, sa.Text, *foreign, nullable=False))
        elif name in PRODUCT_TABLES and (column,) == KEYS[name]:
            # a donor or lot is known by its code alone
            columns.append(sa.Column(column, sa.Text, nullable=False))
        else:
            columns.append(sa.Column(column, SQL_TYPES[kind]()))
    if name in REPEATABLE:
        columns.append(sa.Column("occurrence", sa.Integer, nullable=False))
    columns.append(sa.Column("extra", sa.Text))
    unique = sa.UniqueConstraint(*match_keys(name), name=f"uq_{name}_key")
    # the next row number of an entry is the largest plus one (SQLite): an index read
    order = sa.Index(f"ix_{name}_row_number", "row_number")
    return sa.Table(name, metadata, *columns, unique, order)


def row_number_sequence(table: str) -> str:
    """The PostgreSQL sequence numbering the rows entered one at a time into ``table``.

    Created by the migrations (PostgreSQL only); an import moves it past its last row.
    """
    return f"{table}_row_number_seq"


trial_tables: dict[str, sa.Table] = {name: _trial_table(name) for name in TABLES}

trial_meta = sa.Table(
    "trial_meta",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("layout", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("checksum", sa.Text, nullable=False),
)

changesets = sa.Table(
    "changesets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("checksum", sa.Text, nullable=False),
)

audit_trail = sa.Table(
    "audit_trail",
    metadata,
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
    sa.Index("ix_audit_trail_patient_id", "patient_id"),
    # the audit pages filter by these and walk back from the newest id
    sa.Index("ix_audit_trail_changed_at", "changed_at"),
    sa.Index("ix_audit_trail_user_name", "user_name"),
    sa.Index("ix_audit_trail_table_record", "table_name", "record_key"),
)

# The web service: its users (Argon2 hashes only) and monitors' data queries.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.Text, nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("site", sa.Text),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

data_queries = sa.Table(
    "data_queries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("patient_id", sa.Text, nullable=False, index=True),
    sa.Column("visit_date", sa.Date),
    sa.Column("field", sa.Text),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("raised_by", sa.Text, nullable=False),
    sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("answer", sa.Text),
    sa.Column("answered_by", sa.Text),
    sa.Column("answered_at", sa.DateTime(timezone=True)),
    sa.Column("closed_by", sa.Text),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
)

# The web service's own state: keys made once, recent logins, issued sessions.
server_keys = sa.Table(
    "server_keys",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

login_attempts = sa.Table(
    "login_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Index("ix_login_attempts_username", "username", "attempted_at"),
    sa.Index("ix_login_attempts_address", "address", "attempted_at"),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("username", sa.Text, nullable=False, index=True),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)

# How the controlled trial is run: consent, alerts, the sealed list and allocations.
consents = sa.Table(
    "consents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("patient_id", sa.Text, nullable=False, unique=True),
    sa.Column("consent_date", sa.Date, nullable=False),
    sa.Column("form_version", sa.Text, nullable=False),
    sa.Column("eligibility", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
    sa.Column("withdrawn_by", sa.Text),
    sa.Column("withdrawal_reason", sa.Text),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("patient_id", sa.Text, index=True),
    sa.Column("site", sa.Text),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("for_roles", sa.Text, nullable=False),
    sa.Column("raised_by", sa.Text, nullable=False),
    sa.Column("acknowledged_by", sa.Text),
    sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
)

randomisation_setup = sa.Table(
    "randomisation_setup",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("scheme", sa.Text, nullable=False),
    sa.Column("origin", sa.Text, nullable=False),
    sa.Column("seed", sa.Text),
    sa.Column("sha256", sa.Text),
    sa.Column("settings", sa.Text, nullable=False),
    sa.Column("allocated", sa.Integer, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

randomisation_list = sa.Table(
    "randomisation_list",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("stratum", sa.Text, nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("arm", sa.Text, nullable=False),
    sa.Column("block", sa.Integer),
    sa.Column("block_size", sa.Integer),
    sa.UniqueConstraint("stratum", "sequence", name="uq_randomisation_list_position"),
)

allocation_strata = sa.Table(
    "allocation_strata",
    metadata,
    sa.Column("stratum", sa.Text, primary_key=True),
    sa.Column("allocated", sa.Integer, nullable=False),
)

allocations = sa.Table(
    "allocations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("patient_id", sa.Text, nullable=False, unique=True),
    sa.Column("stratum", sa.Text, nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("arm", sa.Text, nullable=False),
    sa.Column("scheme", sa.Text, nullable=False),
    sa.Column("allocated_by", sa.Text, nullable=False),
    sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("stratum", "sequence", name="uq_allocations_position"),
)

APPEND_ONLY: tuple[str, ...] = ("changesets", "audit_trail")
"""Tables whose rows, once written, are never updated or deleted."""

# Signatures of a patient's casebook (21 CFR 11.50: the signer's name, the date and time,
# and the meaning of the signature) and the locks that freeze the whole trial. A row is
# changed only to record its unlocking or invalidation; each change is also audited.
casebook_signatures = sa.Table(
    "casebook_signatures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("patient_id", sa.Text, nullable=False, index=True),
    sa.Column("signed_by", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("meaning", sa.Text, nullable=False),
    sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("unlocked_by", sa.Text),
    sa.Column("unlocked_at", sa.DateTime(timezone=True)),
    sa.Column("unlock_reason", sa.Text),
    sa.Column("invalidated_by", sa.Text),
    sa.Column("invalidated_at", sa.DateTime(timezone=True)),
)

trial_locks = sa.Table(
    "trial_locks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("locked_by", sa.Text, nullable=False),
    sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("unlocked_by", sa.Text),
    sa.Column("unlocked_at", sa.DateTime(timezone=True)),
    sa.Column("unlock_reason", sa.Text),
)
