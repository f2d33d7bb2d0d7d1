"""The repositories of the multi-site use cases: users, data queries, one patient's records.

Each abstract class is the port the use cases of :mod:`myotrial.services` program
against; the ``Sql`` class beside it is the adapter on one open connection. None of
them commits: the unit of work (:mod:`myotrial.store.unit_of_work`) owns the
transaction, so a fake unit of work with in-memory repositories drives the same use
cases in the unit tests.

Rows are plain dicts and DataFrames as the trial format names them (dates as
``datetime.date`` or ``pandas.Timestamp``); turning them into JSON is the web layer's job.
"""

from __future__ import annotations

import abc
import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa

from myotrial.config import TrialConfig
from myotrial.domain.entry import Record, RecordContext
from myotrial.store import accounts, casebook, pages, records, sessions
from myotrial.store.casebook import CasebookHold
from myotrial.store.correction import (
    Correction,
    RowToCorrect,
    VisitToCorrect,
    read_row,
    read_visit,
    write_correction,
)
from myotrial.store.pages import AuditFilter, PatientFilter
from myotrial.store.reading import audit_frame, read_stored_trial
from myotrial.store.repository import SqlTrialRepository
from myotrial.trialdata import TrialData

Rows = list[dict[str, Any]]
"""Rows of a page, as dicts keyed by column name."""


class AbstractUserRepository(abc.ABC):
    """The accounts of the web service (password hashes only, never passwords)."""

    @abc.abstractmethod
    def get(self, username: str) -> dict[str, Any] | None:
        """The active user ``username`` (with ``password_hash``), or ``None``."""

    @abc.abstractmethod
    def add(self, username: str, password_hash: str, role: str, site: str | None) -> None:
        """Add an active user; raises InvalidInputError when the name is taken."""

    @abc.abstractmethod
    def set_active(self, username: str, active: bool) -> None:
        """Enable or disable a user; raises NotFoundError for an unknown name."""

    @abc.abstractmethod
    def list(self) -> list[dict[str, Any]]:
        """Every user (username, role, site, active, created_at), by name, without hashes."""

    @abc.abstractmethod
    def find(self, username: str) -> dict[str, Any]:
        """The user ``username``, active or not; raises NotFoundError for an unknown name."""

    @abc.abstractmethod
    def update(self, username: str, values: dict[str, Any]) -> None:
        """Change ``password_hash``, ``role`` or ``site``; NotFoundError for an unknown name."""

    @abc.abstractmethod
    def end_sessions(self, username: str) -> int:
        """End every live session of the user; return how many were ended."""

    @abc.abstractmethod
    def record_change(self, change: dict[str, Any], by: str, reason: str) -> None:
        """Append an account change (username, action, field, old_value, new_value) to
        the audit trail, made by ``by``."""


class AbstractQueryRepository(abc.ABC):
    """The data queries monitors raise about a patient, a visit or one value."""

    @abc.abstractmethod
    def add(self, values: dict[str, Any]) -> dict[str, Any]:
        """Record a new open query (``values``: patient_id, question, field, visit_date,
        raised_by) and return it with its ``id``, ``status`` and ``raised_at``."""

    @abc.abstractmethod
    def get(self, query_id: int) -> dict[str, Any]:
        """One query; an unknown id raises :class:`~myotrial.errors.NotFoundError`."""

    @abc.abstractmethod
    def list(self, patient_ids: list[str] | None, status: str | None) -> list[dict[str, Any]]:
        """Queries about ``patient_ids`` (all when ``None``) in ``status``, newest first."""

    @abc.abstractmethod
    def update(self, query_id: int, values: dict[str, Any]) -> None:
        """Change the named fields of one query."""


class AbstractCasebookRepository(abc.ABC):
    """Signatures of the patients' casebooks and the locks of the trial."""

    @abc.abstractmethod
    def hold(self, patient_id: str, shared: bool = False) -> CasebookHold | None:
        """Hold the patient's row until the transaction ends; the patient's standing
        signatures and whether the trial is locked, or ``None`` with no such patient.

        ``shared``: alongside other shared holders (changes that only insert a row
        with a unique key); a signature's exclusive hold waits for them all.
        """

    @abc.abstractmethod
    def hold_trial(self, locking: bool = False) -> None:
        """Hold the trial's locks until the transaction ends: beside other writes of new
        patients, or alone with every patient's row (``locking``) for a trial lock,
        which waits for the enrolments and changes in flight."""

    @abc.abstractmethod
    def signatures(self, patient_id: str) -> list[dict[str, Any]]:
        """The patient's signatures, oldest first."""

    @abc.abstractmethod
    def sign(self, values: dict[str, Any], reason: str) -> int:
        """Record a signature with its audit row; its number."""

    @abc.abstractmethod
    def change(
        self,
        signature: dict[str, Any],
        values: dict[str, Any],
        action: str,
        user: str,
        reason: str,
    ) -> None:
        """Record that a signature was unlocked or invalidated, with its audit row."""

    @abc.abstractmethod
    def trial_lock(self) -> dict[str, Any] | None:
        """The lock holding the trial now, or ``None``."""

    @abc.abstractmethod
    def lock(self, user: str, at: dt.datetime, reason: str) -> int:
        """Lock the trial, audited; the lock's number."""

    @abc.abstractmethod
    def unlock(self, lock: dict[str, Any], user: str, at: dt.datetime, reason: str) -> None:
        """End a lock of the trial, audited."""


class AbstractPatientRepository(abc.ABC):
    """The trial as the sites see it: one patient's records, their visits, the audit."""

    @abc.abstractmethod
    def list(self, site: str | None) -> pd.DataFrame:
        """Patients (of ``site`` if given) with ``n_visits``, by patient_id: columns
        patient_id, site, arm, diagnosis, sex, age, enrolment_date, n_visits."""

    @abc.abstractmethod
    def site_of(self, patient_id: str) -> str | None:
        """The patient's site, or ``None`` when there is no such patient."""

    @abc.abstractmethod
    def records(self, patient_id: str) -> dict[str, pd.DataFrame]:
        """The patient's patients, infusions, visits and events rows, as imported."""

    @abc.abstractmethod
    def tables(
        self, patient_id: str, tables: tuple[str, ...]
    ) -> tuple[TrialConfig, dict[str, pd.DataFrame]]:
        """The trial's configuration and the patient's rows of ``tables``.

        Raises :class:`~myotrial.errors.NotFoundError` when the database holds no trial.
        """

    @abc.abstractmethod
    def trial(self) -> TrialData:
        """The whole stored trial; no trial raises :class:`~myotrial.errors.NotFoundError`."""

    @abc.abstractmethod
    def audit(self, patient_id: str | None) -> pd.DataFrame:
        """Audit rows, oldest first (of one patient if given; no rows is an empty frame)."""

    @abc.abstractmethod
    def patient_page(self, where: PatientFilter) -> tuple[Rows, str | None]:
        """One page of patients by code (:func:`myotrial.store.pages.patient_page`)."""

    @abc.abstractmethod
    def audit_page(self, where: AuditFilter) -> tuple[Rows, int | None]:
        """One page of audit rows, newest first (:func:`myotrial.store.pages.audit_page`)."""

    @abc.abstractmethod
    def has_visit(self, patient_id: str, day: dt.date) -> bool:
        """Whether the patient has a visit on ``day``."""

    @abc.abstractmethod
    def entry_context(self, table: str, patient_id: str) -> tuple[TrialConfig, RecordContext]:
        """The configuration and what the rules beyond one entry of ``table`` need
        (the patient's enrolment date; for a visit, the patient's first visit).

        Raises :class:`~myotrial.errors.NotFoundError` when the database holds no trial
        or no such patient.
        """

    @abc.abstractmethod
    def add_record(self, table: str, record: Record, user: str, reason: str) -> None:
        """Insert one checked record (typed values) with its audit row.

        A second row with the same key (a visit of the patient on the same date) raises
        :class:`~myotrial.errors.ConflictError` naming the key.
        """

    @abc.abstractmethod
    def add_row(self, table: str, row: pd.DataFrame, user: str, reason: str) -> None:
        """Insert one checked row of ``table`` (a one-row typed frame) with its audit rows.

        A row whose natural key is stored already raises
        :class:`~myotrial.errors.ConflictError`.
        """

    @abc.abstractmethod
    def visit_to_correct(self, patient_id: str, day: pd.Timestamp, field: str) -> VisitToCorrect:
        """The visit whose ``field`` is to be corrected, with its patient and the config."""

    @abc.abstractmethod
    def row_to_correct(
        self, table: str, patient_id: str, match: dict[str, Any], field: str
    ) -> RowToCorrect:
        """The row of ``table`` (found by the rest of its natural key, ``match``) whose
        ``field`` is to be corrected, with its patient and the config."""

    @abc.abstractmethod
    def correct(
        self, visit: VisitToCorrect, after: pd.DataFrame, field: str, user: str, reason: str
    ) -> Correction:
        """Write a checked correction with its audit row (nothing when unchanged)."""


class SqlUserRepository(AbstractUserRepository):
    """Users in the ``users`` table."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def get(self, username: str) -> dict[str, Any] | None:
        return accounts.find_user(self.connection, username)

    def add(self, username: str, password_hash: str, role: str, site: str | None) -> None:
        accounts.add_user(self.connection, username, password_hash, role, site)

    def set_active(self, username: str, active: bool) -> None:
        accounts.set_active(self.connection, username, active)

    def list(self) -> list[dict[str, Any]]:
        return accounts.list_users(self.connection)

    def find(self, username: str) -> dict[str, Any]:
        return accounts.any_user(self.connection, username)

    def update(self, username: str, values: dict[str, Any]) -> None:
        accounts.update_user(self.connection, username, values)

    def end_sessions(self, username: str) -> int:
        return sessions.revoke_sessions_of(self.connection, username)

    def record_change(self, change: dict[str, Any], by: str, reason: str) -> None:
        accounts.record_account_change(self.connection, change, by, reason)


class SqlQueryRepository(AbstractQueryRepository):
    """Queries in the ``data_queries`` table."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, values: dict[str, Any]) -> dict[str, Any]:
        return accounts.open_query(self.connection, values)

    def get(self, query_id: int) -> dict[str, Any]:
        return accounts.get_query(self.connection, query_id)

    def list(self, patient_ids: list[str] | None, status: str | None) -> list[dict[str, Any]]:
        return accounts.list_queries(self.connection, patient_ids, status)

    def update(self, query_id: int, values: dict[str, Any]) -> None:
        accounts.update_query(self.connection, query_id, values)


class SqlCasebookRepository(AbstractCasebookRepository):
    """Signatures and trial locks in ``casebook_signatures`` and ``trial_locks``."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def hold(self, patient_id: str, shared: bool = False) -> CasebookHold | None:
        return casebook.hold_patient(self.connection, patient_id, shared)

    def hold_trial(self, locking: bool = False) -> None:
        casebook.hold_trial(self.connection, locking)

    def signatures(self, patient_id: str) -> list[dict[str, Any]]:
        return casebook.signatures(self.connection, patient_id)

    def sign(self, values: dict[str, Any], reason: str) -> int:
        return casebook.add_signature(self.connection, values, reason)

    def change(
        self,
        signature: dict[str, Any],
        values: dict[str, Any],
        action: str,
        user: str,
        reason: str,
    ) -> None:
        casebook.change_signature(self.connection, signature, values, action, user, reason)

    def trial_lock(self) -> dict[str, Any] | None:
        return casebook.current_lock(self.connection)

    def lock(self, user: str, at: dt.datetime, reason: str) -> int:
        return casebook.lock_trial(self.connection, user, at, reason)

    def unlock(self, lock: dict[str, Any], user: str, at: dt.datetime, reason: str) -> None:
        casebook.unlock_trial(self.connection, lock, user, at, reason)


class SqlPatientRepository(AbstractPatientRepository):
    """One patient's rows in the trial tables, read and written on one connection."""

    def __init__(self, connection: sa.Connection, trials: SqlTrialRepository) -> None:
        self.connection = connection
        self.trials = trials
        self._layout: str | None = None  # the layout an entry's context read

    def list(self, site: str | None) -> pd.DataFrame:
        return records.patient_list(self.connection, site)

    def site_of(self, patient_id: str) -> str | None:
        return records.patient_site(self.connection, patient_id)

    def records(self, patient_id: str) -> dict[str, pd.DataFrame]:
        return records.patient_records(self.connection, patient_id)

    def tables(
        self, patient_id: str, tables: tuple[str, ...]
    ) -> tuple[TrialConfig, dict[str, pd.DataFrame]]:
        return records.patient_tables(self.connection, patient_id, tables)

    def trial(self) -> TrialData:
        return read_stored_trial(self.trials)

    def audit(self, patient_id: str | None) -> pd.DataFrame:
        return audit_frame(self.trials.read_audit(patient_id))

    def patient_page(self, where: PatientFilter) -> tuple[Rows, str | None]:
        return pages.patient_page(self.connection, where)

    def audit_page(self, where: AuditFilter) -> tuple[Rows, int | None]:
        return pages.audit_page(self.connection, where)

    def has_visit(self, patient_id: str, day: dt.date) -> bool:
        return records.has_visit(self.connection, patient_id, day)

    def entry_context(self, table: str, patient_id: str) -> tuple[TrialConfig, RecordContext]:
        config, context, self._layout = records.entry_context(self.connection, table, patient_id)
        return config, context

    def add_record(self, table: str, record: Record, user: str, reason: str) -> None:
        records.write_record(self.trials, table, record, user, reason, self._layout)

    def add_row(self, table: str, row: pd.DataFrame, user: str, reason: str) -> None:
        records.write_row(self.trials, table, row, user, reason)

    def visit_to_correct(self, patient_id: str, day: pd.Timestamp, field: str) -> VisitToCorrect:
        return read_visit(self.trials, patient_id, day, field)

    def row_to_correct(
        self, table: str, patient_id: str, match: dict[str, Any], field: str
    ) -> RowToCorrect:
        return read_row(self.trials, table, patient_id, match, field)

    def correct(
        self, visit: VisitToCorrect, after: pd.DataFrame, field: str, user: str, reason: str
    ) -> Correction:
        return write_correction(self.trials, visit, after, field, user, reason)
