"""Every clinical form but the visit: infusions, adverse events and trial events.

An adverse event or an event is entered by the entry use case of every record
(:meth:`myotrial.services.entry.DataEntry.add_record`, the import's rules on one
record); a serious adverse event raises its expedited alert in the same transaction.
An infusion needs the product record for its release gating, so it is checked with
the import's rules over the patient's rows and the lots
(:mod:`myotrial.services.row_rules`). Every write passes the consent gate and the
casebook's (:func:`myotrial.services.casebook.open_for_change`: trial lock, signed
casebook); a soft check (a date after today) refuses the row until the caller confirms
it. The dose of an infusion in cells/kg is computed from the cells infused and the
patient's recorded body weight, as the protocol gives it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from myotrial.config import TrialConfig
from myotrial.errors import ConflictError, InvalidInputError, Problem, UnconfirmedError
from myotrial.services.access import Caller
from myotrial.services.alerts import raise_alert
from myotrial.services.casebook import open_for_change
from myotrial.services.enrolment import require_consent
from myotrial.services.entry import AfterWrite, DataEntry
from myotrial.services.labels import form_fields
from myotrial.services.row_rules import FORM_NAMES, check_row, soft_problems
from myotrial.services.uow import UseCases
from myotrial.services.visibility import writable_site
from myotrial.services.visit_rules import patient_trial
from myotrial.store.unit_of_work import AbstractUnitOfWork

INFUSION_TABLES: tuple[str, ...] = ("patients", "infusions", "lots", "donors")
"""The tables the rules of an infusion read (release gating needs the product record)."""

CELLS_INFUSED = "cells_infused"
"""The infusion form's count of cells given; the dose per kg is computed from it."""


class ClinicalForms(UseCases):
    """Entering infusions, adverse events and trial events, checked as an import."""

    def fields(self, table: str) -> list[dict[str, Any]]:
        """The fields of a table's form, labelled as :func:`form_fields` gives them."""
        with self.uow() as uow:
            meta = uow.trials.read_meta()
        config = (
            TrialConfig()
            if meta is None
            else TrialConfig.from_dict(json.loads(meta["config"]), source="database")
        )
        return form_fields(table, config)

    def add_infusion(
        self,
        caller: Caller,
        patient_id: str,
        values: dict[str, Any],
        reason: str = "data entry",
        confirm: bool = False,
    ) -> dict[str, Any]:
        """Record an infusion; the dose in cells/kg from ``cells_infused`` and the weight.

        ``values`` holds the columns of infusions (``infusion_date``, ``lot``, ...) and
        either ``cells_infused`` (the count of cells given) or ``cells_per_kg``. A trial
        that records its lots refuses a lot that is unknown, not released, out of its
        specification, expired or recalled, and any dose outside the protocol's range.

        Returns
        -------
        dict
            The stored row, plus ``cells_infused`` and ``weight_kg`` when the dose was
            computed.

        Raises
        ------
        NotFoundError, AccessDeniedError
            As :meth:`add_row`.
        InvalidInputError
            Listing every problem (no weight recorded to compute the dose from, too).
        """
        return self.add_row(caller, patient_id, "infusions", values, reason, confirm)

    def add_adverse_event(
        self,
        caller: Caller,
        patient_id: str,
        values: dict[str, Any],
        reason: str = "data entry",
        confirm: bool = False,
    ) -> dict[str, Any]:
        """Record an adverse event (onset, term, grade, seriousness, relatedness).

        Returns
        -------
        dict
            The stored row, plus ``sequence``: the event's number among the patient's
            adverse events, in the order entered, and ``alert``: the number of the
            expedited alert a serious event raises for monitors and admins (else
            ``None``).
        """
        return self.add_row(caller, patient_id, "adverse_events", values, reason, confirm)

    def add_event(
        self,
        caller: Caller,
        patient_id: str,
        values: dict[str, Any],
        reason: str = "data entry",
        confirm: bool = False,
    ) -> dict[str, Any]:
        """Record a trial event: relapse, withdrawal, lost to follow-up or death."""
        return self.add_row(caller, patient_id, "events", values, reason, confirm)

    def add_row(
        self,
        caller: Caller,
        patient_id: str,
        table: str,
        values: dict[str, Any],
        reason: str,
        confirm: bool,
    ) -> dict[str, Any]:
        """Check and store one row of ``table`` with its audit rows, all or nothing.

        Raises
        ------
        NotFoundError
            If there is no such patient or the caller may not see it.
        AccessDeniedError
            If the caller may not change the patient's data.
        ConflictError
            If the trial is locked, the casebook signed, or the row's key stored already.
        UnconfirmedError
            If a soft check asks to confirm a value and ``confirm`` is false.
        InvalidInputError
            Listing every problem of the row.
        """
        if table != "infusions":
            # adverse events and events: the entry use case of every record, with
            # the expedited alert written in its transaction
            then = _adverse_event_then(caller, patient_id) if table == "adverse_events" else None
            entry = DataEntry(self.uow)
            stored = entry.add_record(caller, table, patient_id, values, reason, confirm, then)
            return {**stored, "table": table}
        text = _as_text(values)
        with self.uow() as uow:
            writable_site(uow, caller, patient_id)
            open_for_change(uow, patient_id, caller.username)
            require_consent(uow, patient_id)
            trial = patient_trial(uow, patient_id, INFUSION_TABLES)
            text, dose = _dose(text, trial.patients)
            row, problems = check_row(trial, table, text)
            _refuse(problems)
            soft = soft_problems(table, row, trial)
            if soft and not confirm:
                raise UnconfirmedError(soft)
            why = reason or "data entry"
            if dose:
                why += f" ({dose[CELLS_INFUSED]:g} cells at {dose['weight_kg']:g} kg)"
            uow.patients.add_row(table, row, caller.username, why)
            uow.commit()
        record = {str(k): v for k, v in row.iloc[0].to_dict().items() if not _missing(v)}
        return {**record, **dose, "table": table}


def _adverse_event_then(caller: Caller, patient_id: str) -> AfterWrite:
    """The number of the stored adverse event and, when serious, its expedited alert."""

    def then(uow: AbstractUnitOfWork, record: dict[str, Any]) -> dict[str, Any]:
        # the casebook's gate holds the patient's row: the count is this entry's own
        _, frames = uow.patients.tables(patient_id, ("adverse_events",))
        alert = _expedited_alert(uow, caller, patient_id, record)
        return {"sequence": len(frames["adverse_events"]), "alert": alert}

    return then


SAE_ROLES: tuple[str, ...] = ("monitor", "admin")
"""Who a serious adverse event is reported to at once (the expedited report, ICH E2A)."""


def _expedited_alert(
    uow: AbstractUnitOfWork, caller: Caller, patient_id: str, event: dict[str, Any]
) -> int | None:
    """Raise the expedited alert of a serious adverse event; its number (else ``None``)."""
    if event.get("serious") is not True:
        return None
    grade = "" if event.get("grade") is None else f", grade {int(event['grade'])}"
    onset = pd.Timestamp(event["onset_date"]).date().isoformat()
    message = f"serious adverse event: {event['term']}{grade}, onset {onset}"
    alert = raise_alert(
        uow,
        kind="serious_adverse_event",
        patient_id=patient_id,
        message=message,
        for_roles=SAE_ROLES,
        caller=caller,
    )
    return int(alert["id"])


def _refuse(problems: list[Problem]) -> None:
    repeated = [p for p in problems if p.rule.startswith("repeats the key")]
    if repeated:
        raise ConflictError(repeated)
    if problems:
        raise InvalidInputError(problems)


def _dose(values: dict[str, str], patient: pd.DataFrame) -> tuple[dict[str, str], dict[str, Any]]:
    """The infusion's values with ``cells_per_kg`` computed from ``cells_infused``.

    The dose per kg is the count of cells given over the patient's recorded body weight
    (``patients.weight_kg``); a form that gives the dose per kg itself is left as it is.
    """
    given = values.pop(CELLS_INFUSED, "").strip()
    if not given:
        return values, {}
    file = FORM_NAMES["infusions"]
    try:
        cells = float(given)
    except ValueError:
        cells = math.nan
    if not math.isfinite(cells) or cells <= 0:
        rule = "is not a positive number of cells"
        raise InvalidInputError([Problem(file, None, CELLS_INFUSED, given, rule, "e.g. 7e7")])
    if values.get("cells_per_kg", "").strip():
        rule = "is given with cells_per_kg: give the cells infused or the dose per kg"
        raise InvalidInputError([Problem(file, None, CELLS_INFUSED, given, rule)])
    weight = patient["weight_kg"].iloc[0] if "weight_kg" in patient else math.nan
    if pd.isna(weight):
        rule = "needs the patient's body weight to give the dose per kg"
        hint = "record weight_kg on the patient first (a correction of patients)"
        raise InvalidInputError([Problem(file, None, CELLS_INFUSED, given, rule, hint)])
    dose = cells / float(weight)
    return {**values, "cells_per_kg": repr(dose)}, {
        CELLS_INFUSED: cells,
        "weight_kg": float(weight),
    }


def _as_text(values: dict[str, Any]) -> dict[str, str]:
    """Form or JSON values as a CSV file would hold them (``true``/``false``, empty)."""
    return {
        str(k): "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in values.items()
        if not (isinstance(v, str) and v.strip() == "")
    }


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))  # type: ignore[call-overload]
