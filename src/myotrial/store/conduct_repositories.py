"""The repositories of running the trial: enrolment and consent, alerts, allocation.

As in :mod:`myotrial.store.site_repositories`, each abstract class is the port the use
cases program against and the ``Sql`` class the adapter on one open connection; none of
them commits.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from myotrial.store import allocation, conduct
from myotrial.store.repository import SqlTrialRepository


class AbstractEnrolmentRepository(abc.ABC):
    """Enrolled patients' rows and their consent records."""

    @abc.abstractmethod
    def add_patient(self, patient: pd.DataFrame, user: str, reason: str) -> None:
        """Insert one checked patient row with its audit rows; a taken code raises
        :class:`~myotrial.errors.ConflictError`."""

    @abc.abstractmethod
    def consent(self, patient_id: str) -> dict[str, Any] | None:
        """The patient's consent record, or ``None`` when it has none."""

    @abc.abstractmethod
    def add_consent(self, values: dict[str, Any], by: str) -> dict[str, Any]:
        """Record a consent (patient_id, consent_date, form_version, eligibility)."""

    @abc.abstractmethod
    def withdraw(
        self, patient_id: str, by: str, reason: str, paper_consent: dt.date | None
    ) -> dict[str, Any]:
        """Withdraw the patient's consent (a second withdrawal is a ConflictError);
        ``paper_consent`` dates the record an imported patient gets first."""

    @abc.abstractmethod
    def record_event(self, event: dict[str, Any], by: str, reason: str) -> None:
        """Append one audit row (``table``, ``key``, ``patient_id``, ``action``,
        optionally ``field``, ``old_value``, ``new_value``) in a changeset of its own."""


class AbstractAlertRepository(abc.ABC):
    """Alerts for named roles, acknowledged once."""

    @abc.abstractmethod
    def add(self, values: dict[str, Any]) -> dict[str, Any]:
        """Record an alert (kind, patient_id, site, message, for_roles, raised_by)."""

    @abc.abstractmethod
    def get(self, alert_id: int) -> dict[str, Any]:
        """One alert; an unknown id raises :class:`~myotrial.errors.NotFoundError`."""

    @abc.abstractmethod
    def list(self, role: str, open_only: bool) -> list[dict[str, Any]]:
        """Alerts naming ``role``, newest first."""

    @abc.abstractmethod
    def acknowledge(self, alert_id: int, by: str) -> dict[str, Any]:
        """Record the acknowledgement (a second one is a ConflictError)."""


class SqlEnrolmentRepository(AbstractEnrolmentRepository):
    """Patients in ``patients``, consents in ``consents``."""

    def __init__(self, connection: sa.Connection, trials: SqlTrialRepository) -> None:
        self.connection = connection
        self.trials = trials

    def add_patient(self, patient: pd.DataFrame, user: str, reason: str) -> None:
        conduct.write_patient(self.trials, patient, user, reason)

    def consent(self, patient_id: str) -> dict[str, Any] | None:
        return conduct.consent_record(self.connection, patient_id)

    def add_consent(self, values: dict[str, Any], by: str) -> dict[str, Any]:
        return conduct.add_consent(self.connection, values, by)

    def withdraw(
        self, patient_id: str, by: str, reason: str, paper_consent: dt.date | None
    ) -> dict[str, Any]:
        return conduct.withdraw_consent(self.connection, patient_id, by, reason, paper_consent)

    def record_event(self, event: dict[str, Any], by: str, reason: str) -> None:
        conduct.record_event(self.connection, event, by, reason)


class SqlAlertRepository(AbstractAlertRepository):
    """Alerts in ``alerts``."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, values: dict[str, Any]) -> dict[str, Any]:
        return conduct.add_alert(self.connection, values)

    def get(self, alert_id: int) -> dict[str, Any]:
        return conduct.get_alert(self.connection, alert_id)

    def list(self, role: str, open_only: bool) -> list[dict[str, Any]]:
        return conduct.list_alerts(self.connection, role, open_only)

    def acknowledge(self, alert_id: int, by: str) -> dict[str, Any]:
        return conduct.acknowledge_alert(self.connection, alert_id, by)


class AbstractAllocationRepository(abc.ABC):
    """The sealed list and the allocations (:mod:`myotrial.store.allocation`)."""

    @abc.abstractmethod
    def setup(self, lock: bool = False) -> dict[str, Any] | None:
        """The set-up row, or ``None``; ``lock`` holds it until the transaction ends."""

    @abc.abstractmethod
    def write_setup(
        self,
        setup: dict[str, Any],
        entries: pd.DataFrame | None,
        strata: Sequence[str],
        by: str,
    ) -> None:
        """Store the set-up, the list and the strata counters (once)."""

    @abc.abstractmethod
    def lock_stratum(self, stratum: str) -> int:
        """How many of the stratum were allocated, its counter locked."""

    @abc.abstractmethod
    def allocation_of(self, patient_id: str) -> dict[str, Any] | None:
        """The patient's allocation, or ``None``."""

    @abc.abstractmethod
    def list_arm(self, stratum: str, sequence: int) -> str | None:
        """The arm at a position of the stratum's list (``None`` past its end)."""

    @abc.abstractmethod
    def factor_counts(
        self, factors: Sequence[str], values: Sequence[str], arms: Sequence[str]
    ) -> np.ndarray:
        """Allocated patients sharing each factor's level, per arm."""

    @abc.abstractmethod
    def add(self, allocation_row: dict[str, Any], day: dt.date, by: str) -> None:
        """Store an allocation and fill the patient's arm and randomisation date."""

    @abc.abstractmethod
    def sealed_list(self) -> list[dict[str, Any]]:
        """Every position of the list with its allocation."""

    @abc.abstractmethod
    def allocations(self) -> list[dict[str, Any]]:
        """Every allocation in the order made."""


class SqlAllocationRepository(AbstractAllocationRepository):
    """The list and the allocations in their tables."""

    def __init__(self, connection: sa.Connection, trials: SqlTrialRepository) -> None:
        self.connection = connection
        self.trials = trials

    def setup(self, lock: bool = False) -> dict[str, Any] | None:
        return allocation.read_setup(self.connection, lock)

    def write_setup(
        self,
        setup: dict[str, Any],
        entries: pd.DataFrame | None,
        strata: Sequence[str],
        by: str,
    ) -> None:
        allocation.write_setup(self.connection, setup, entries, strata, by)

    def lock_stratum(self, stratum: str) -> int:
        return allocation.lock_stratum(self.connection, stratum)

    def allocation_of(self, patient_id: str) -> dict[str, Any] | None:
        return allocation.allocation_of(self.connection, patient_id)

    def list_arm(self, stratum: str, sequence: int) -> str | None:
        return allocation.list_arm(self.connection, stratum, sequence)

    def factor_counts(
        self, factors: Sequence[str], values: Sequence[str], arms: Sequence[str]
    ) -> np.ndarray:
        return allocation.factor_counts(self.connection, factors, values, arms)

    def add(self, allocation_row: dict[str, Any], day: dt.date, by: str) -> None:
        allocation.write_allocation(self.trials, allocation_row, day, by)

    def sealed_list(self) -> list[dict[str, Any]]:
        return allocation.sealed_list(self.connection)

    def allocations(self) -> list[dict[str, Any]]:
        return allocation.all_allocations(self.connection)
