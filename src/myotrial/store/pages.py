"""Pages of the audit trail and of the patient list: keyset reads through indexes.

A page is at most ``limit`` rows after a cursor (the last key of the page before), so
its cost does not grow with the trial: the audit trail is walked back from the newest
row along its primary key (``WHERE id < cursor ORDER BY id DESC LIMIT n``), filtered
through the index on patient (``ix_audit_trail_patient_id``, revision 0001; filters
by user, table and dates are applied along the primary key); the patient list forward along
the patients' key, each patient's number of visits counted on the visits' key
(patient_id, visit_date). One more row than asked is read to know whether a next page
exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from myotrial.store.tables import audit_trail, trial_tables

DEFAULT_LIMIT = 100
"""Rows of a page when the caller names no limit."""
MAX_LIMIT = 1000
"""The most rows one page may hold."""


@dataclass(frozen=True)
class AuditFilter:
    """Which audit rows one page holds.

    Attributes
    ----------
    patient_id, user, table : str or None
        Rows of one patient, made by one user, of one table (``visits``, ``users``...).
    since, until : datetime.date or None
        Rows changed on or after ``since`` and on or before ``until`` (UTC days).
    site : str or None
        Only rows about patients of this site (an investigator's); account changes
        and the product record belong to no patient and are left out.
    before : int or None
        The cursor: rows older than the audit row with this id.
    limit : int
        Rows per page (1 to :data:`MAX_LIMIT`).
    """

    patient_id: str | None = None
    user: str | None = None
    table: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    site: str | None = None
    before: int | None = None
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class PatientFilter:
    """Which patients one page of the list holds.

    Attributes
    ----------
    search : str or None
        A part of the study code (patient_id), in any case.
    site : str or None
        Patients of this site only.
    after : str or None
        The cursor: patients whose code sorts after this one.
    limit : int
        Patients per page (1 to :data:`MAX_LIMIT`).
    """

    search: str | None = None
    site: str | None = None
    after: str | None = None
    limit: int = DEFAULT_LIMIT


def audit_query(where: AuditFilter) -> sa.Select[Any]:
    """The SELECT of one page of audit rows, newest first (``limit`` + 1 rows)."""
    a = audit_trail
    query = sa.select(
        a.c.id,
        a.c.changed_at,
        a.c.user_name,
        a.c.table_name,
        a.c.record_key,
        a.c.patient_id,
        a.c.action,
        a.c.field,
        a.c.old_value,
        a.c.new_value,
        a.c.reason,
        a.c.changeset_id,
    )
    if where.before is not None:
        query = query.where(a.c.id < where.before)
    if where.patient_id is not None:
        query = query.where(a.c.patient_id == where.patient_id)
    # A user, a table or a date range may match most of the trail (an import's user,
    # the visits, years): through their indexes PostgreSQL reads every matching row and
    # sorts them (seconds on 10,000 patients, more with a site's filter on top). Those
    # comparisons are kept off their indexes (coalesce) and the page is read back along
    # the primary key, which meets the newest matching rows first; a page costs at most
    # one walk of the trail. A patient's rows are few: they are read through its index.
    if where.user is not None:
        query = query.where(sa.func.coalesce(a.c.user_name, "") == where.user)
    if where.table is not None:
        query = query.where(sa.func.coalesce(a.c.table_name, "") == where.table)
    when = sa.func.coalesce(a.c.changed_at, a.c.changed_at)
    if where.since is not None:
        query = query.where(when >= _midnight(where.since))
    if where.until is not None:
        query = query.where(when < _midnight(where.until + dt.timedelta(days=1)))
    if where.site is not None:
        query = query.where(a.c.patient_id.in_(sa.bindparam("site_patients", expanding=True)))
    return query.order_by(a.c.id.desc()).limit(where.limit + 1)


def audit_page(
    connection: sa.Connection, where: AuditFilter
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of audit rows, newest first, and the cursor of the next page.

    Returns
    -------
    rows : list of dict
        ``id``, ``changed_at``, ``user``, ``table``, ``key``, ``patient_id``, ``action``,
        ``field``, ``old_value``, ``new_value``, ``reason``, ``import_id``.
    next : int or None
        The ``before`` of the next page; ``None`` on the last page.
    """
    parameters = {}
    if where.site is not None:
        # the site's codes, read first: a list the database matches by hashing, where a
        # subquery may be run again for every audit row
        parameters["site_patients"] = site_patients(connection, where.site)
        if not parameters["site_patients"]:
            return [], None  # a site without patients: no walk through the whole trail
    found = connection.execute(audit_query(where), parameters).all()
    rows = [
        {
            "id": r.id,
            "changed_at": _utc(r.changed_at),
            "user": r.user_name,
            "table": r.table_name,
            "key": r.record_key,
            "patient_id": r.patient_id,
            "action": r.action,
            "field": r.field,
            "old_value": r.old_value,
            "new_value": r.new_value,
            "reason": r.reason,
            "import_id": r.changeset_id,
        }
        for r in found[: where.limit]
    ]
    more = len(found) > where.limit
    return rows, (rows[-1]["id"] if more else None)


def site_patients(connection: sa.Connection, site: str) -> list[str]:
    """The codes of the site's patients."""
    patients = trial_tables["patients"]
    query = sa.select(patients.c.patient_id).where(patients.c.site == site)
    return [str(code) for code in connection.execute(query).scalars()]


def patient_query(where: PatientFilter) -> sa.Select[Any]:
    """The SELECT of one page of patients by code (``limit`` + 1 rows)."""
    patients, visits = trial_tables["patients"], trial_tables["visits"]
    n_visits = (
        sa.select(sa.func.count())
        .where(visits.c.patient_id == patients.c.patient_id)
        .scalar_subquery()
    )
    query = sa.select(
        patients.c.patient_id,
        patients.c.site,
        patients.c.arm,
        patients.c.diagnosis,
        patients.c.sex,
        patients.c.age,
        patients.c.enrolment_date,
        n_visits.label("n_visits"),
    )
    if where.after is not None:
        query = query.where(patients.c.patient_id > where.after)
    if where.site is not None:
        query = query.where(patients.c.site == where.site)
    if where.search:
        pattern = "%" + _escaped(where.search.lower()) + "%"
        query = query.where(sa.func.lower(patients.c.patient_id).like(pattern, escape="\\"))
    return query.order_by(patients.c.patient_id).limit(where.limit + 1)


def patient_page(
    connection: sa.Connection, where: PatientFilter
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of patients by code, with their number of visits, and the next cursor."""
    found = connection.execute(patient_query(where)).mappings().all()
    rows = [dict(r) for r in found[: where.limit]]
    more = len(found) > where.limit
    return rows, (str(rows[-1]["patient_id"]) if more else None)


def _escaped(text: str) -> str:
    """``text`` matched literally by LIKE (its ``%``, ``_`` and ``\\`` escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _utc(value: Any) -> Any:
    """SQLite gives times without their zone; they are stored in UTC."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value
