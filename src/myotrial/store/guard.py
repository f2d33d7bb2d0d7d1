"""What an import may not do without ``allow_deletions``: delete rows, or overwrite rows
that were last entered, corrected or MedDRA coded through the service.

A folder is a copy taken at some point; rows entered on the web since (or corrected with
``myotrial correct``) are not in it, and re-importing it must not silently undo them.
Which rows those are is read from the audit trail: a record whose latest audited change
came from an ``entry`` or ``correction`` changeset, not from a later import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd
import sqlalchemy as sa

from myotrial.errors import Problem
from myotrial.store.columns import KEYS
from myotrial.store.diff import TableDiff
from myotrial.store.tables import audit_trail, changesets

SERVICE_KINDS: tuple[str, ...] = ("entry", "correction", "coding", "enrolment", "randomisation")
"""Changeset kinds whose rows an import protects: entries, corrections, MedDRA coding,
enrolments and allocations made through the service."""
SHOWN_KEYS = 5
"""How many keys a refusal names (the count is always given)."""


def refusals(connection: sa.Connection, diffs: Mapping[str, TableDiff]) -> list[Problem]:
    """One problem per table the import would delete from or overwrite protected rows of.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        The import's connection (inside its transaction).
    diffs : mapping of str to TableDiff
        The import's comparison of each table with what is stored.

    Returns
    -------
    list of Problem
        Empty when the import only inserts, or updates rows last written by an import.
    """
    problems: list[Problem] = []
    for table, diff in diffs.items():
        deleted = _keys(diff.audit, "delete")
        if deleted:
            problems.append(_problem(table, deleted, "delete", "that the input does not hold"))
    updated = {t: _keys(d.audit, "update") for t, d in diffs.items()}
    if any(updated.values()):
        protected = service_records(connection, [t for t, keys in updated.items() if keys])
        for table, keys in updated.items():
            overwritten = [k for k in keys if (table, k) in protected]
            if overwritten:
                problems.append(
                    _problem(
                        table,
                        overwritten,
                        "overwrite",
                        # only adverse events are coded (myotrial code-ae)
                        "last entered, corrected or MedDRA coded through the service"
                        if table == "adverse_events"
                        else "last entered, corrected, enrolled or randomised through the service",
                    )
                )
    return problems


def service_records(connection: sa.Connection, tables: Iterable[str]) -> set[tuple[str, str]]:
    """(table, record key) of rows whose latest audited change was an entry or correction."""
    names = list(tables)
    if not names:
        return set()
    last = (
        sa.select(
            audit_trail.c.table_name,
            audit_trail.c.record_key,
            sa.func.max(audit_trail.c.changeset_id).label("changeset_id"),
        )
        .where(audit_trail.c.table_name.in_(names))
        .group_by(audit_trail.c.table_name, audit_trail.c.record_key)
        .subquery()
    )
    query = (
        sa.select(last.c.table_name, last.c.record_key)
        .join(changesets, changesets.c.id == last.c.changeset_id)
        .where(changesets.c.kind.in_(SERVICE_KINDS))
    )
    return {(str(t), str(k)) for t, k in connection.execute(query)}


def _keys(audit: pd.DataFrame, action: str) -> list[str]:
    """Record keys of ``action`` rows, each once, in the audit's order."""
    keys = audit.loc[audit["action"] == action, "record_key"]
    return list(dict.fromkeys(str(k) for k in keys))


def _problem(table: str, keys: list[str], verb: str, which: str) -> Problem:
    shown = ", ".join(keys[:SHOWN_KEYS]) + (", ..." if len(keys) > SHOWN_KEYS else "")
    count = f"{len(keys)} row{'s' if len(keys) != 1 else ''}"
    return Problem(
        f"{table}.csv",
        None,
        ", ".join(KEYS[table]),
        shown,
        f"the import would {verb} {count} of {table} {which}",
        "import with --allow-deletions to let it, or add those rows to the folder",
    )
