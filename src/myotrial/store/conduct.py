"""Enrolment, consent and alerts in the database, each change audited.

An enrolled patient is a row of ``patients`` written as an entry writes a visit (the
same audit rows as an import, :func:`myotrial.store.diff.diff_table`) with its consent
record beside it in ``consents``; a withdrawal of consent and an acknowledged alert
change one row and append one audit row. None of these functions commits: the unit of
work owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from myotrial.errors import ConflictError, NotFoundError, Problem, StoreError
from myotrial.store import codec
from myotrial.store.diff import diff_table
from myotrial.store.repository import SqlTrialRepository
from myotrial.store.tables import alerts, audit_trail, changesets, consents

ENROLMENT_FORM = "enrolment form"
"""The ``source`` of an enrolment's changeset and the file its problems name."""


def now() -> dt.datetime:
    """The current UTC time (what every record of this module is stamped with)."""
    return dt.datetime.now(dt.UTC)


def record_event(connection: sa.Connection, event: dict[str, Any], by: str, reason: str) -> None:
    """Append one audit row, in a changeset of its own, for a change outside the trial
    tables.

    ``event`` holds ``table`` (``consents``, ``alerts``, ``allocations``, ...), ``key``,
    ``patient_id``, ``action`` and optionally ``field``, ``old_value``, ``new_value``
    and the changeset's ``kind`` (the action by default).
    """
    at = now()
    changeset = connection.execute(
        changesets.insert().values(
            kind=event.get("kind", event["action"]),
            user_name=by,
            changed_at=at,
            reason=reason,
            source=event.get("source", "myotrial serve"),
            checksum="",
        )
    )
    connection.execute(
        audit_trail.insert().values(
            changeset_id=int(changeset.inserted_primary_key[0]),  # type: ignore[index]
            table_name=event["table"],
            record_key=event["key"],
            patient_id=event.get("patient_id"),
            action=event["action"],
            field=event.get("field"),
            old_value=event.get("old_value"),
            new_value=event.get("new_value"),
            user_name=by,
            changed_at=at,
            reason=reason,
        )
    )


def write_patient(
    repository: SqlTrialRepository, patient: pd.DataFrame, user: str, reason: str
) -> None:
    """Insert one checked patient row (typed as an import types it) with its audit rows.

    Raises
    ------
    ConflictError
        If the study code is taken (the unique key decides two enrolments racing).
    StoreError
        If the database refuses the row for another reason.
    """
    stored, entries = codec.encode_table("patients", patient.reset_index(drop=True))
    nothing = stored.iloc[0:0].assign(id=pd.Series(dtype="int64"))
    diff = diff_table("patients", stored, nothing)
    try:
        repository.append_row("patients", diff.inserts)
    except sa.exc.IntegrityError as exc:
        code = str(patient["patient_id"].iloc[0])
        raise ConflictError([taken_code(code)]) from exc
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"the database refused the patient, nothing was written: {exc}") from exc
    changeset, at = repository.add_changeset("enrolment", user, reason, ENROLMENT_FORM, "")
    repository.add_audit(diff.audit, changeset, user, at, reason)
    repository.add_layout_columns("patients", entries)


def taken_code(patient_id: str) -> Problem:
    """The problem of a study code another patient has."""
    return Problem(
        ENROLMENT_FORM,
        None,
        "patient_id",
        patient_id,
        "is the study code of an enrolled patient (patient_id must be unique)",
        "choose the next free study code of the site",
    )


def consent_record(connection: sa.Connection, patient_id: str) -> dict[str, Any] | None:
    """The patient's consent record, or ``None`` (a patient imported from a folder)."""
    row = connection.execute(sa.select(consents).where(consents.c.patient_id == patient_id))
    found = row.mappings().first()
    return None if found is None else dict(found)


def add_consent(connection: sa.Connection, values: dict[str, Any], by: str) -> dict[str, Any]:
    """Record the patient's consent (``patient_id``, ``consent_date``, ``form_version``,
    ``eligibility`` as JSON text) and audit it."""
    row = {**values, "recorded_by": by, "recorded_at": now()}
    connection.execute(consents.insert().values(**row))
    event = {
        "table": "consents",
        "key": values["patient_id"],
        "patient_id": values["patient_id"],
        "action": "consent",
        "new_value": codec.dumps(
            {
                "consent_date": values["consent_date"].isoformat(),
                "form_version": values["form_version"],
            }
        ),
    }
    record_event(connection, event, by, "consent recorded at enrolment")
    return row


def withdraw_consent(
    connection: sa.Connection,
    patient_id: str,
    by: str,
    reason: str,
    paper_consent: dt.date | None = None,
) -> dict[str, Any]:
    """Mark the patient's consent withdrawn, and audit it.

    ``paper_consent`` is given for a patient imported from a trial folder, who has no
    record: the consent collected on paper is recorded first, dated ``paper_consent``
    (the enrolment date), with form version :data:`PAPER_CONSENT`.

    Raises
    ------
    ConflictError
        If the consent was withdrawn already.
    """
    at = now()
    changed = {"withdrawn_at": at, "withdrawn_by": by, "withdrawal_reason": reason}
    if paper_consent is None:
        result = connection.execute(
            consents.update()
            .where(consents.c.patient_id == patient_id, consents.c.withdrawn_at.is_(None))
            .values(**changed)
        )
        if result.rowcount == 0:
            raise ConflictError([withdrawn_already(patient_id)])
    else:
        paper = _paper(paper_consent)
        connection.execute(consents.insert().values(patient_id=patient_id, **changed, **paper))
    event = {
        "table": "consents",
        "key": patient_id,
        "patient_id": patient_id,
        "action": "withdraw consent",
        "field": "withdrawn_at",
        "new_value": at.isoformat(),
    }
    record_event(connection, event, by, reason)
    found = consent_record(connection, patient_id)
    if found is None:
        raise NotFoundError(f"patient {patient_id!r} has no consent record")
    return found


PAPER_CONSENT = "paper, as imported"
"""The form version of the consent record an imported patient's withdrawal writes."""


def _paper(consent_date: dt.date) -> dict[str, Any]:
    """The record of a consent collected on paper before the trial was imported."""
    return {
        "consent_date": consent_date,
        "form_version": PAPER_CONSENT,
        "eligibility": "{}",
        "recorded_by": "import",
        "recorded_at": now(),
    }


def withdrawn_already(patient_id: str) -> Problem:
    """The problem of a second withdrawal."""
    return Problem(
        "consent", None, "withdrawn_at", None, f"patient {patient_id} has withdrawn consent"
    )


def add_alert(connection: sa.Connection, values: dict[str, Any]) -> dict[str, Any]:
    """Record an alert (kind, patient_id, site, message, for_roles as a sequence,
    raised_by) and audit it; return it with its ``id``."""
    roles: Sequence[str] = values["for_roles"]
    row = {**values, "for_roles": ",".join(roles), "created_at": now()}
    result = connection.execute(alerts.insert().values(**row))
    alert_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    event = {
        "table": "alerts",
        "key": str(alert_id),
        "patient_id": values.get("patient_id"),
        "action": "alert",
        "field": values["kind"],
        "new_value": values["message"],
    }
    record_event(connection, event, values["raised_by"], f"{values['kind']} alert")
    return get_alert(connection, alert_id)


def get_alert(connection: sa.Connection, alert_id: int) -> dict[str, Any]:
    """One alert; an unknown id is :class:`NotFoundError`."""
    row = connection.execute(sa.select(alerts).where(alerts.c.id == alert_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"alert {alert_id} does not exist")
    return _alert(dict(row))


def list_alerts(connection: sa.Connection, role: str, open_only: bool) -> list[dict[str, Any]]:
    """Alerts naming ``role``, newest first (unacknowledged ones only if ``open_only``)."""
    # for_roles is a comma-separated list: match the whole name between commas
    padded = sa.literal(",") + alerts.c.for_roles + sa.literal(",")
    query = sa.select(alerts).where(padded.contains(f",{role},")).order_by(alerts.c.id.desc())
    if open_only:
        query = query.where(alerts.c.acknowledged_at.is_(None))
    return [_alert(dict(row)) for row in connection.execute(query).mappings()]


def acknowledge_alert(connection: sa.Connection, alert_id: int, by: str) -> dict[str, Any]:
    """Record who acknowledged the alert, once, and audit it.

    Raises
    ------
    ConflictError
        If it was acknowledged already (by whom and when is named).
    """
    at = now()
    result = connection.execute(
        alerts.update()
        .where(alerts.c.id == alert_id, alerts.c.acknowledged_at.is_(None))
        .values(acknowledged_by=by, acknowledged_at=at)
    )
    found = get_alert(connection, alert_id)
    if result.rowcount == 0:
        rule = f"was acknowledged by {found['acknowledged_by']} at {found['acknowledged_at']}"
        raise ConflictError([Problem("alert", None, "acknowledged_at", str(alert_id), rule)])
    event = {
        "table": "alerts",
        "key": str(alert_id),
        "patient_id": found["patient_id"],
        "action": "acknowledge",
        "field": "acknowledged_at",
        "new_value": at.isoformat(),
    }
    record_event(connection, event, by, "alert acknowledged")
    return found


def _alert(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "for_roles": [r for r in str(row["for_roles"]).split(",") if r]}
