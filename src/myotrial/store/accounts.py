"""Users of the web service and the data queries monitors raise.

``users`` holds Argon2 password hashes only. ``data_queries`` holds the monitoring
conversation about one value: opened by a monitor, answered by the site, closed by the
monitor, with who and when for each step.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from myotrial.errors import InvalidInputError, NotFoundError, Problem
from myotrial.store.tables import audit_trail, changesets, data_queries, users

ACCOUNT_SOURCE = "myotrial user"
"""The ``source`` of the changesets that record account changes."""

QUERY_STATUSES: tuple[str, ...] = ("open", "answered", "closed")


def add_user(
    connection: sa.Connection, username: str, password_hash: str, role: str, site: str | None
) -> int:
    """Insert a user; a taken name is an input error."""
    taken = connection.execute(sa.select(users.c.id).where(users.c.username == username)).first()
    if taken is not None:
        raise InvalidInputError(
            [Problem("users", None, "username", username, "is taken", "choose another user name")]
        )
    result = connection.execute(
        users.insert().values(
            username=username,
            password_hash=password_hash,
            role=role,
            site=site,
            active=True,
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def find_user(connection: sa.Connection, username: str) -> dict[str, Any] | None:
    """The active user called ``username``, or ``None``."""
    row = (
        connection.execute(
            sa.select(users).where(users.c.username == username, users.c.active.is_(True))
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def set_active(connection: sa.Connection, username: str, active: bool) -> None:
    """Enable or disable a user; an unknown name is an error."""
    result = connection.execute(
        users.update().where(users.c.username == username).values(active=active)
    )
    if result.rowcount == 0:
        raise NotFoundError(f"user {username!r} does not exist")


def any_user(connection: sa.Connection, username: str) -> dict[str, Any]:
    """The user called ``username``, active or not; an unknown name is an error."""
    row = connection.execute(sa.select(users).where(users.c.username == username)).mappings()
    found = row.first()
    if found is None:
        raise NotFoundError(f"user {username!r} does not exist")
    return dict(found)


def update_user(connection: sa.Connection, username: str, values: dict[str, Any]) -> None:
    """Change the named fields of one user; an unknown name is an error."""
    result = connection.execute(users.update().where(users.c.username == username).values(values))
    if result.rowcount == 0:
        raise NotFoundError(f"user {username!r} does not exist")


def record_account_change(
    connection: sa.Connection, change: dict[str, Any], by: str, reason: str
) -> None:
    """Append one account change to the audit trail, in a changeset of its own.

    ``change`` holds ``username``, ``action`` and optionally ``field``, ``old_value`` and
    ``new_value``; a password is never among them (only that it changed).
    """
    now = dt.datetime.now(dt.UTC)
    result = connection.execute(
        changesets.insert().values(
            kind="account",
            user_name=by,
            changed_at=now,
            reason=reason,
            source=ACCOUNT_SOURCE,
            checksum="",
        )
    )
    connection.execute(
        audit_trail.insert().values(
            changeset_id=int(result.inserted_primary_key[0]),  # type: ignore[index]
            table_name="users",
            record_key=change["username"],
            patient_id=None,
            action=change["action"],
            field=change.get("field"),
            old_value=change.get("old_value"),
            new_value=change.get("new_value"),
            user_name=by,
            changed_at=now,
            reason=reason,
        )
    )


def list_users(connection: sa.Connection) -> list[dict[str, Any]]:
    """Every user without the password hash."""
    query = sa.select(
        users.c.username, users.c.role, users.c.site, users.c.active, users.c.created_at
    ).order_by(users.c.username)
    return [dict(row) for row in connection.execute(query).mappings()]


def open_query(connection: sa.Connection, values: dict[str, Any]) -> dict[str, Any]:
    """Record a new open query; return it."""
    now = dt.datetime.now(dt.UTC)
    result = connection.execute(
        data_queries.insert().values(status="open", raised_at=now, **values)
    )
    query = get_query(connection, int(result.inserted_primary_key[0]))  # type: ignore[index]
    _audit_query(connection, query, "open", values["raised_by"], now, values["question"])
    return query


def get_query(connection: sa.Connection, query_id: int) -> dict[str, Any]:
    row = (
        connection.execute(sa.select(data_queries).where(data_queries.c.id == query_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(f"query {query_id} does not exist")
    return dict(row)


def list_queries(
    connection: sa.Connection, patient_ids: list[str] | None, status: str | None = None
) -> list[dict[str, Any]]:
    """Queries about the given patients (all when ``None``), newest first."""
    query = sa.select(data_queries).order_by(data_queries.c.id.desc())
    if patient_ids is not None:
        query = query.where(data_queries.c.patient_id.in_(patient_ids))
    if status is not None:
        query = query.where(data_queries.c.status == status)
    return [dict(row) for row in connection.execute(query).mappings()]


def update_query(connection: sa.Connection, query_id: int, values: dict[str, Any]) -> None:
    """Record an answer (``answered_by``, ``answer``) or a closing (``closed_by``), audited."""
    connection.execute(data_queries.update().where(data_queries.c.id == query_id).values(**values))
    query = get_query(connection, query_id)
    if "answered_by" in values:
        by, at = values["answered_by"], values["answered_at"]
        _audit_query(connection, query, "answer", by, at, values.get("answer"))
    elif "closed_by" in values:
        _audit_query(connection, query, "close", values["closed_by"], values["closed_at"], None)


def _audit_query(
    connection: sa.Connection,
    query: dict[str, Any],
    action: str,
    user: str,
    at: dt.datetime,
    text: str | None,
) -> None:
    """One step of a query in the audit trail: who, when, the question or answer."""
    result = connection.execute(
        changesets.insert().values(
            kind="query",
            user_name=user,
            changed_at=at,
            reason=f"query {action}",
            source="data_queries",
            checksum="",
        )
    )
    where = query["field"] or ""
    if query["visit_date"] is not None:
        where = f"{query['visit_date']:%Y-%m-%d} {where}".strip()
    connection.execute(
        audit_trail.insert().values(
            changeset_id=int(result.inserted_primary_key[0]),  # type: ignore[index]
            table_name="data_queries",
            record_key=str(query["id"]),
            patient_id=query["patient_id"],
            action=f"query {action}",
            field=where or None,
            old_value=None,
            new_value=text,
            user_name=user,
            changed_at=at,
            reason=f"query {query['id']}: {query['question']}",
        )
    )
