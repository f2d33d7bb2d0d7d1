"""The sealed randomisation list and the allocations, in the database.

One set-up row (``randomisation_setup``: scheme, origin, seed, SHA-256, settings, how
many were allocated), the list (``randomisation_list``, one row per position of each
stratum), one counter per stratum (``allocation_strata``) and one allocation per
randomised patient (``allocations``, unique per patient and per stratum position).

An allocation locks its stratum's counter (``SELECT ... FOR UPDATE`` on PostgreSQL;
a SQLite write transaction holds the whole database), so racing randomisations of
one stratum queue on that row and take consecutive positions. Minimisation, whose
counts span the strata, locks the set-up row first. None of these functions commits.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from myotrial.errors import ConflictError, NotFoundError, Problem
from myotrial.store.columns import kinds
from myotrial.store.conduct import now, record_event
from myotrial.store.repository import SqlTrialRepository
from myotrial.store.tables import (
    allocation_strata,
    allocations,
    randomisation_list,
    randomisation_setup,
    trial_tables,
)

ALLOCATION_FILE = "randomisation"
"""The file a problem of randomisation names."""


def read_setup(connection: sa.Connection, lock: bool = False) -> dict[str, Any] | None:
    """The set-up row (``None`` before set-up); ``lock`` holds it until the transaction
    ends."""
    query = sa.select(randomisation_setup)
    if lock:
        query = query.with_for_update()
    row = connection.execute(query).mappings().first()
    return None if row is None else dict(row)


def write_setup(
    connection: sa.Connection,
    setup: dict[str, Any],
    entries: pd.DataFrame | None,
    strata: Sequence[str],
    by: str,
) -> None:
    """Store the set-up, the list (``stratum``, ``sequence``, ``arm``, ``block``,
    ``block_size``; ``None`` for minimisation) and a zero counter per stratum; audited.

    Raises
    ------
    ConflictError
        If the trial was set up already (the list is made once).
    """
    if read_setup(connection, lock=True) is not None:
        rule = "is set up already: the sealed list is made once"
        raise ConflictError([Problem(ALLOCATION_FILE, None, "setup", None, rule)])
    row = {**setup, "id": 1, "allocated": 0, "created_by": by, "created_at": now()}
    connection.execute(randomisation_setup.insert().values(**row))
    if entries is not None and len(entries):
        records = entries[["stratum", "sequence", "arm", "block", "block_size"]]
        connection.execute(
            randomisation_list.insert(),
            [
                {str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()}
                for r in records.to_dict("records")
            ],
        )
    connection.execute(allocation_strata.insert(), [{"stratum": s, "allocated": 0} for s in strata])
    event = {
        "table": "randomisation_setup",
        "key": "1",
        "action": "set up randomisation",
        "field": "sha256",
        "new_value": setup.get("sha256") or setup["scheme"],
    }
    record_event(connection, event, by, f"{setup['scheme']} randomisation set up")


def lock_stratum(connection: sa.Connection, stratum: str) -> int:
    """How many of the stratum were allocated, with its counter locked.

    Raises
    ------
    NotFoundError
        If the stratum was not set up.
    """
    query = (
        sa.select(allocation_strata.c.allocated)
        .where(allocation_strata.c.stratum == stratum)
        .with_for_update()
    )
    found = connection.execute(query).first()
    if found is None:
        raise NotFoundError(f"stratum {stratum!r} has no randomisation list")
    return int(found[0])


def allocation_of(connection: sa.Connection, patient_id: str) -> dict[str, Any] | None:
    """The patient's allocation, or ``None``."""
    query = sa.select(allocations).where(allocations.c.patient_id == patient_id)
    row = connection.execute(query).mappings().first()
    return None if row is None else dict(row)


def list_arm(connection: sa.Connection, stratum: str, sequence: int) -> str | None:
    """The arm at ``sequence`` of the stratum's list (``None`` past its end)."""
    query = sa.select(randomisation_list.c.arm).where(
        randomisation_list.c.stratum == stratum, randomisation_list.c.sequence == sequence
    )
    found = connection.execute(query).first()
    return None if found is None else str(found[0])


def factor_counts(
    connection: sa.Connection, factors: Sequence[str], values: Sequence[str], arms: Sequence[str]
) -> np.ndarray:
    """Per factor, the allocated patients sharing ``values``' level, per arm (rows:
    factors, columns: ``arms``)."""
    patients = trial_tables["patients"]
    counts = np.zeros((len(factors), len(arms)), dtype=int)
    for row, (factor, value) in enumerate(zip(factors, values, strict=True)):
        query = (
            sa.select(allocations.c.arm, sa.func.count())
            .join(patients, patients.c.patient_id == allocations.c.patient_id)
            .where(patients.c[factor] == value)
            .group_by(allocations.c.arm)
        )
        for arm, n in connection.execute(query).all():
            counts[row, list(arms).index(str(arm))] = int(n)
    return counts


def write_allocation(
    repository: SqlTrialRepository, allocation: dict[str, Any], day: dt.date, by: str
) -> None:
    """Store the allocation, advance the counters, fill the patient's ``arm`` and
    ``randomisation_date``; audited (stratum and sequence; the arm only in the field
    ``arm`` of the patient's row, which blinded roles never see)."""
    connection = repository.connection
    at = now()
    connection.execute(allocations.insert().values(**allocation, allocated_by=by, allocated_at=at))
    connection.execute(
        allocation_strata.update()
        .where(allocation_strata.c.stratum == allocation["stratum"])
        .values(allocated=allocation_strata.c.allocated + 1)
    )
    connection.execute(
        randomisation_setup.update().values(allocated=randomisation_setup.c.allocated + 1)
    )
    patient_id = allocation["patient_id"]
    position = json.dumps({"stratum": allocation["stratum"], "sequence": allocation["sequence"]})
    event = {
        "table": "allocations",
        "key": patient_id,
        "patient_id": patient_id,
        "action": "randomise",
        "field": "sequence",
        "new_value": position,
    }
    record_event(connection, event, by, f"{allocation['scheme']} randomisation")
    _fill_patient(repository, patient_id, allocation["arm"], day, by)


def _fill_patient(
    repository: SqlTrialRepository, patient_id: str, arm: str, day: dt.date, by: str
) -> None:
    patients = trial_tables["patients"]
    connection = repository.connection
    connection.execute(
        patients.update()
        .where(patients.c.patient_id == patient_id)
        .values(arm=arm, randomisation_date=day)
    )
    for field, value in (("arm", arm), ("randomisation_date", day.isoformat())):
        event = {
            "table": "patients",
            "key": patient_id,
            "patient_id": patient_id,
            "action": "update",
            "kind": "randomisation",  # a later folder import may not overwrite it
            "field": field,
            "new_value": value,
        }
        record_event(connection, event, by, "randomisation")
    known = kinds("patients")
    entries = [["arm", "object", "typed"], ["randomisation_date", "datetime64[ns]", "typed"]]
    repository.add_layout_columns("patients", [e for e in entries if e[0] in known])


def sealed_list(connection: sa.Connection) -> list[dict[str, Any]]:
    """Every position of every stratum with its allocation (for the list holder)."""
    query = (
        sa.select(
            randomisation_list.c.stratum,
            randomisation_list.c.sequence,
            randomisation_list.c.block,
            randomisation_list.c.block_size,
            randomisation_list.c.arm,
            allocations.c.patient_id,
            allocations.c.allocated_by,
            allocations.c.allocated_at,
        )
        .outerjoin(
            allocations,
            sa.and_(
                allocations.c.stratum == randomisation_list.c.stratum,
                allocations.c.sequence == randomisation_list.c.sequence,
            ),
        )
        .order_by(randomisation_list.c.stratum, randomisation_list.c.sequence)
    )
    return [dict(r) for r in connection.execute(query).mappings()]


def all_allocations(connection: sa.Connection) -> list[dict[str, Any]]:
    """Every allocation, in the order made."""
    query = sa.select(allocations).order_by(allocations.c.id)
    return [dict(r) for r in connection.execute(query).mappings()]
