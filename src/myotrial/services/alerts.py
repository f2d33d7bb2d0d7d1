"""Alerts: expedited notices for named roles (a serious adverse event, an unblinding).

A use case that must tell someone at once calls :func:`raise_alert` inside its own unit
of work, so the alert is stored with the change that caused it or not at all. An alert
is listed to the roles it names only (a site-bound role: for its own site's patients
only), acknowledged once by one of them; raising and acknowledging are audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from myotrial.errors import InvalidInputError, NotFoundError, Problem
from myotrial.services.access import ROLES, SITE_ROLES, Caller
from myotrial.services.uow import UseCases
from myotrial.store.unit_of_work import AbstractUnitOfWork

ALERT_KINDS: tuple[str, ...] = ("serious_adverse_event", "unblinding")
"""The kinds of alert: a serious adverse event (expedited report), an emergency
unblinding."""


def raise_alert(
    uow: AbstractUnitOfWork,
    *,
    kind: str,
    patient_id: str | None,
    message: str,
    for_roles: Sequence[str],
    caller: Caller,
) -> dict[str, Any]:
    """Record an alert in ``uow`` (committed with the caller's change).

    Parameters
    ----------
    uow : AbstractUnitOfWork
        The open unit of work of the change that raises the alert.
    kind : str
        One of :data:`ALERT_KINDS`.
    patient_id : str or None
        The patient concerned; the alert takes the patient's site.
    message : str
        What happened, in words; it must not name the patient's arm.
    for_roles : sequence of str
        The roles the alert is for (each one of :data:`~myotrial.services.access.ROLES`).
    caller : Caller
        Who raised it.

    Returns
    -------
    dict
        The alert: id, created_at, kind, patient_id, site, message, for_roles,
        raised_by, acknowledged_by, acknowledged_at.

    Raises
    ------
    InvalidInputError
        If the kind or a role is unknown, no role is named or the message is empty.
    """
    problems = _alert_problems(kind, message, for_roles)
    if problems:
        raise InvalidInputError(problems)
    site = None if patient_id is None else uow.patients.site_of(patient_id)
    return uow.alerts.add(
        {
            "kind": kind,
            "patient_id": patient_id,
            "site": site,
            "message": message,
            "for_roles": tuple(for_roles),
            "raised_by": caller.username,
        }
    )


def sees_alert(caller: Caller, alert: dict[str, Any]) -> bool:
    """Whether the alert is for the caller: its role is named and, for a site-bound
    role, the patient is of the caller's site."""
    if caller.role not in alert["for_roles"]:
        return False
    return caller.role not in SITE_ROLES or alert["site"] == caller.site


class Alerts(UseCases):
    """Listing and acknowledging alerts."""

    def alerts(self, caller: Caller, open_only: bool = False) -> list[dict[str, Any]]:
        """The alerts for the caller, newest first (unacknowledged only if ``open_only``)."""
        with self.uow() as uow:
            found = uow.alerts.list(caller.role, open_only)
        return [a for a in found if sees_alert(caller, a)]

    def acknowledge(self, caller: Caller, alert_id: int) -> dict[str, Any]:
        """Record that the caller has seen the alert, once, audited.

        Raises
        ------
        NotFoundError
            If there is no such alert or it is not for the caller (alike, so that an
            alert's existence does not leak).
        ConflictError
            If it was acknowledged already.
        """
        with self.uow() as uow:
            alert = _visible(uow, caller, alert_id)
            alert = uow.alerts.acknowledge(int(alert["id"]), caller.username)
            uow.commit()
        return alert


def _visible(uow: AbstractUnitOfWork, caller: Caller, alert_id: int) -> dict[str, Any]:
    alert = uow.alerts.get(alert_id)
    if not sees_alert(caller, alert):
        raise NotFoundError(f"alert {alert_id} does not exist")
    return alert


def _alert_problems(kind: str, message: str, for_roles: Sequence[str]) -> list[Problem]:
    problems = []
    if kind not in ALERT_KINDS:
        rule = f"must be one of {', '.join(ALERT_KINDS)}"
        problems.append(Problem("alert", None, "kind", kind, rule))
    if not message.strip():
        problems.append(Problem("alert", None, "message", message, "cannot be empty"))
    if not for_roles:
        problems.append(Problem("alert", None, "for_roles", None, "must name a role"))
    problems += [
        Problem("alert", None, "for_roles", r, f"must be one of {', '.join(ROLES)}")
        for r in for_roles
        if r not in ROLES
    ]
    return problems
