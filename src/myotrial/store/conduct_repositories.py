"""The repositories of running the trial: enrolment and consent, alerts.

As in :mod:`myotrial.store.site_repositories`, each abstract class is the port the use
cases program against and the ``Sql`` class the adapter on one open connection; none of
them commits.
"""

from __future__ import annotations

import abc
import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa

from myotrial.store import conduct
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
