"""Casebook signatures and trial locks in the database, each change audited.

The use cases (:mod:`myotrial.services.casebook`) decide who may sign, lock and unlock;
this module reads and writes the rows inside the caller's transaction. Every write
also appends an audit row (table ``casebook_signatures`` or ``trial_locks``), so the
audit trail shows each signature, unlocking and invalidation with who, when and why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from myotrial.store.diff import AUDIT_COLUMNS
from myotrial.store.repository import SqlTrialRepository
from myotrial.store.tables import casebook_signatures, trial_locks, trial_tables


@dataclass(frozen=True)
class CasebookHold:
    """What a change or a signature needs to know once it holds the patient's row."""

    signatures: list[dict[str, Any]]
    """The patient's signatures not invalidated (locking or unlocked), oldest first."""
    trial_locked: bool
    """Whether a lock holds the whole trial (:func:`current_lock` tells who and why)."""


def hold_patient(
    connection: sa.Connection, patient_id: str, shared: bool = False
) -> CasebookHold | None:
    """Hold the patient's row until the transaction ends, then read the patient's
    standing signatures and whether the trial is locked; ``None`` when there is no such
    patient.

    Every change of a patient's casebook and every signature takes this row first
    (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write transactions hold the
    whole database already), so a signature and a change racing for one patient run
    one after the other: the change either comes first and is signed, or comes after
    and invalidates the signature.

    ``shared`` holds it ``FOR SHARE``: for a change that only inserts a row whose key
    the database keeps unique (a visit), so entries of one patient run side by side
    while a signature, which holds the row ``FOR UPDATE``, still waits for them all.

    Two statements, in this order: a statement sees what was committed when it began,
    so the signatures and the lock are read by a statement that begins once the hold
    is granted, when a signature or a trial lock that held it first has committed.
    """
    held = connection.execute(_HOLD[shared], {"patient_id": patient_id}).first()
    if held is None:
        return None
    rows = connection.execute(_STANDING, {"patient_id": patient_id}).mappings().all()
    standing = [
        {column.name: row[f"signature_{column.name}"] for column in casebook_signatures.c}
        for row in rows
        if row["signature_id"] is not None
    ]
    return CasebookHold(standing, rows[0]["lock_id"] is not None)


def hold_trial(connection: sa.Connection, locking: bool = False) -> None:
    """Hold the trial's lock table until the transaction ends (PostgreSQL; SQLite's write
    transactions hold the whole database already).

    A write with no patient's row to hold yet (the enrolment of a new patient) holds it
    before reading whether the trial is locked, alongside other such writes. A trial
    lock holds it ``locking``, alone, and then every patient's row ``FOR UPDATE``: it
    waits for every enrolment and change in flight, and every one after it waits for
    the lock, then reads it and is refused.
    """
    if connection.dialect.name == "sqlite":
        return
    mode = "SHARE ROW EXCLUSIVE" if locking else "ROW EXCLUSIVE"
    connection.exec_driver_sql(f"LOCK TABLE trial_locks IN {mode} MODE")
    if locking:
        patients = trial_tables["patients"]
        connection.execute(sa.select(patients.c.id).with_for_update()).all()


def _hold_query(shared: bool) -> sa.Select[Any]:
    patients = trial_tables["patients"]
    query = sa.select(patients.c.id).where(patients.c.patient_id == sa.bindparam("patient_id"))
    return query.with_for_update(read=shared)


def _standing_query() -> sa.Select[Any]:
    """The trial's lock (if any) with the patient's signatures not invalidated: one row
    per signature, or one row of nulls beside the lock when there is none."""
    patients = trial_tables["patients"]
    standing = sa.and_(
        casebook_signatures.c.patient_id == patients.c.patient_id,
        casebook_signatures.c.invalidated_at.is_(None),
    )
    lock_id = sa.select(sa.func.max(trial_locks.c.id)).where(trial_locks.c.unlocked_at.is_(None))
    return (
        sa.select(
            lock_id.scalar_subquery().label("lock_id"),
            *(c.label(f"signature_{c.name}") for c in casebook_signatures.c),
        )
        .select_from(patients.outerjoin(casebook_signatures, standing))
        .where(patients.c.patient_id == sa.bindparam("patient_id"))
        .order_by(casebook_signatures.c.id)
    )


# built once: the statements of every entry, compiled once per process (SQLite's
# compiler leaves the FOR SHARE / FOR UPDATE out: its write transaction holds the file)
_HOLD = {shared: _hold_query(shared) for shared in (False, True)}
_STANDING = _standing_query()


def signatures(connection: sa.Connection, patient_id: str) -> list[dict[str, Any]]:
    """The patient's signatures, oldest first."""
    query = (
        sa.select(casebook_signatures)
        .where(casebook_signatures.c.patient_id == patient_id)
        .order_by(casebook_signatures.c.id)
    )
    return [dict(r) for r in connection.execute(query).mappings()]


def add_signature(connection: sa.Connection, values: dict[str, Any], reason: str) -> int:
    """Record a signature (patient_id, signed_by, role, meaning, signed_at), audited."""
    result = connection.execute(casebook_signatures.insert().values(**values))
    key = result.inserted_primary_key
    assert key is not None
    number = int(key[0])
    _audit(
        connection,
        "casebook_signatures",
        f"{values['patient_id']}|{number}",
        values["patient_id"],
        "sign",
        "meaning",
        None,
        values["meaning"],
        values["signed_by"],
        values["signed_at"],
        reason,
    )
    return number


def change_signature(
    connection: sa.Connection,
    signature: dict[str, Any],
    values: dict[str, Any],
    action: str,
    user: str,
    reason: str,
) -> None:
    """Record the unlocking or invalidation of a signature (``values``), audited.

    Only once: when two changes holding the patient's row shared both find the unlocked
    signature, the first invalidates it and the second's update finds nothing to change
    (PostgreSQL re-reads the row after waiting for the first), so one audit row.
    """
    table = casebook_signatures
    stamp = next(k for k in values if k.endswith("_at"))
    changed = connection.execute(
        table.update()
        .where(table.c.id == signature["id"], table.c[stamp].is_(None))
        .values(**values)
    )
    if changed.rowcount != 1:
        return
    patient_id = signature["patient_id"]
    at = values[stamp]
    _audit(
        connection,
        "casebook_signatures",
        f"{patient_id}|{signature['id']}",
        patient_id,
        action,
        "status",
        "signed",
        _STATUS[action],
        user,
        at,
        reason,
    )


_STATUS = {"unlock": "unlocked", "invalidate": "invalidated"}
"""The status a signature has after each change."""


def current_lock(connection: sa.Connection) -> dict[str, Any] | None:
    """The lock holding the trial now, or ``None``."""
    query = sa.select(trial_locks).where(trial_locks.c.unlocked_at.is_(None))
    row = connection.execute(query.order_by(trial_locks.c.id.desc())).mappings().first()
    return None if row is None else dict(row)


def lock_trial(connection: sa.Connection, user: str, at: dt.datetime, reason: str) -> int:
    """Lock (freeze) the trial, audited; the lock's number."""
    result = connection.execute(
        trial_locks.insert().values(locked_by=user, locked_at=at, reason=reason)
    )
    key = result.inserted_primary_key
    assert key is not None
    number = int(key[0])
    change = ("lock", "status", "open", "locked")
    _audit(connection, "trial_locks", str(number), None, *change, user, at, reason)
    return number


def unlock_trial(
    connection: sa.Connection, lock: dict[str, Any], user: str, at: dt.datetime, reason: str
) -> None:
    """End ``lock``, audited."""
    connection.execute(
        trial_locks.update()
        .where(trial_locks.c.id == lock["id"])
        .values(unlocked_by=user, unlocked_at=at, unlock_reason=reason)
    )
    change = ("unlock", "status", "locked", "open")
    _audit(connection, "trial_locks", str(lock["id"]), None, *change, user, at, reason)


def _audit(
    connection: sa.Connection,
    table: str,
    key: str,
    patient_id: str | None,
    action: str,
    field: str,
    old: str | None,
    new: str | None,
    user: str,
    at: dt.datetime,
    reason: str,
) -> None:
    repository = SqlTrialRepository(connection)
    changeset, _ = repository.add_changeset(action, user, reason, table)
    row = dict(zip(AUDIT_COLUMNS, (table, key, patient_id, action, field, old, new), strict=True))
    repository.add_audit(pd.DataFrame([row]), changeset, user, at, reason)
