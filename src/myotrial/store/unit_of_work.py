"""The unit of work: one transaction around the repositories, all-or-nothing.

The use cases of :mod:`myotrial.services` open one per call (``with uow: ...;
uow.commit()``) and reach the data only through its repositories: ``trials`` (the whole
trial's tables), ``users``, ``queries``, ``patients`` and ``casebooks``
(:mod:`myotrial.store.site_repositories`), ``enrolment``, ``alerts`` and
``allocations`` (:mod:`myotrial.store.conduct_repositories`).

Leaving the ``with`` block without :meth:`commit` rolls everything back, so an error, an
interrupted import or a killed process leaves the database as it was.
"""

from __future__ import annotations

import abc
from types import TracebackType

import sqlalchemy as sa

from myotrial.errors import StoreError
from myotrial.store.conduct_repositories import (
    AbstractAlertRepository,
    AbstractAllocationRepository,
    AbstractEnrolmentRepository,
    SqlAlertRepository,
    SqlAllocationRepository,
    SqlEnrolmentRepository,
)
from myotrial.store.engine import WRITE_OPTION, write_lock
from myotrial.store.repository import SqlTrialRepository
from myotrial.store.site_repositories import (
    AbstractCasebookRepository,
    AbstractPatientRepository,
    AbstractQueryRepository,
    AbstractUserRepository,
    SqlCasebookRepository,
    SqlPatientRepository,
    SqlQueryRepository,
    SqlUserRepository,
)


class AbstractUnitOfWork(abc.ABC):
    """A transaction and the repositories working inside it."""

    trials: SqlTrialRepository
    users: AbstractUserRepository
    queries: AbstractQueryRepository
    patients: AbstractPatientRepository
    enrolment: AbstractEnrolmentRepository
    alerts: AbstractAlertRepository
    casebooks: AbstractCasebookRepository
    allocations: AbstractAllocationRepository

    def __enter__(self) -> AbstractUnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None:
        """Make every change of this unit of work permanent."""

    @abc.abstractmethod
    def rollback(self) -> None:
        """Discard every uncommitted change."""


class SqlUnitOfWork(AbstractUnitOfWork):
    """A unit of work on one SQLAlchemy connection and transaction.

    On SQLite it is a write transaction: it waits its turn behind this process's other
    writers, then begins IMMEDIATE (see :func:`myotrial.store.engine.write_lock`), so
    writes queue instead of failing with "database is locked".
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._lock = write_lock(engine)

    def __enter__(self) -> SqlUnitOfWork:
        if self._lock is not None:
            self._lock.acquire()
        try:
            self.connection = self.engine.connect().execution_options(**{WRITE_OPTION: True})
            self.transaction = self.connection.begin()
        except sa.exc.SQLAlchemyError as exc:
            self._release()
            raise StoreError(f"cannot open the database {self.engine.url!r}: {exc}") from exc
        self.trials = SqlTrialRepository(self.connection)
        self.users = SqlUserRepository(self.connection)
        self.queries = SqlQueryRepository(self.connection)
        self.patients = SqlPatientRepository(self.connection, self.trials)
        self.enrolment = SqlEnrolmentRepository(self.connection, self.trials)
        self.alerts = SqlAlertRepository(self.connection)
        self.casebooks = SqlCasebookRepository(self.connection)
        self.allocations = SqlAllocationRepository(self.connection, self.trials)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            super().__exit__(exc_type, exc, traceback)
        finally:
            self.connection.close()
            self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()

    def commit(self) -> None:
        """Commit the transaction."""
        self.transaction.commit()

    def rollback(self) -> None:
        """Roll back unless already committed."""
        if self.transaction.is_active:
            self.transaction.rollback()
