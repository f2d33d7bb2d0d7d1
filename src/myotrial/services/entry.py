"""Data entry: a site enters a visit or corrects a value, checked as an import would be.

An entry is checked by :func:`myotrial.ingest.record.check_record` (the import's rules,
applied to plain values) and written with its audit row in the same transaction of the
unit of work; a correction by :mod:`myotrial.services.visit_rules`. A value that breaks
a rule is refused with every problem and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import pandas as pd

from myotrial.domain import Kind
from myotrial.domain import table as domain_table
from myotrial.errors import InvalidInputError, Problem, UnconfirmedError
from myotrial.ingest.record import check_record
from myotrial.services.access import Caller
from myotrial.services.casebook import open_for_change
from myotrial.services.enrolment import require_consent
from myotrial.services.patients import visit_scores
from myotrial.services.row_rules import corrected_row, soft_problems, soft_record_problems
from myotrial.services.uow import UnitOfWorkFactory, UseCases
from myotrial.services.visibility import writable_site
from myotrial.services.visit_rules import corrected_visit, patient_trial, visit_frame
from myotrial.store import Correction
from myotrial.store.columns import REPEATABLE
from myotrial.store.correction import SOURCE as CORRECTION
from myotrial.store.correction import parse_day
from myotrial.store.records import FORM, duplicate_visit
from myotrial.store.trial_store import require_filled
from myotrial.store.unit_of_work import AbstractUnitOfWork

AfterWrite = Callable[[AbstractUnitOfWork, dict[str, Any]], dict[str, Any]]
"""What a use case adds to an entry's transaction after the write (see ``add_record``)."""

SCORING_TABLES: tuple[str, ...] = ("patients", "infusions", "visits")
"""The tables a preview's TIS needs (episodes from infusions, baselines from visits)."""


class DataEntry(UseCases):
    """The writing use cases of the sites over one store."""

    def add_visit(
        self,
        caller: Caller,
        patient_id: str,
        values: dict[str, Any],
        reason: str,
        confirm: bool = True,
    ) -> dict[str, Any]:
        """Check and store one visit with its audit row.

        Returns
        -------
        dict
            The stored visit's values (missing ones left out).

        Raises
        ------
        NotFoundError
            If there is no such patient or the caller may not see it.
        AccessDeniedError
            If the caller may not change the patient's data.
        ConflictError
            If the patient has a visit on that date (also when another entry of that
            date is stored first), the trial is locked, the casebook signed,
            or the patient has withdrawn consent.
        UnconfirmedError
            If ``confirm`` is false and a soft check asks to confirm a value (a date
            after today, a CK above 50 x ULN).
        InvalidInputError
            Listing every problem of the visit.
        """
        return self.add_record(caller, "visits", patient_id, values, reason, confirm)

    def add_record(
        self,
        caller: Caller,
        table: str,
        patient_id: str,
        values: dict[str, Any],
        reason: str,
        confirm: bool = True,
        then: AfterWrite | None = None,
    ) -> dict[str, Any]:
        """Check and store one record of a patient's table (a visit, an adverse event,
        an event, a medication) with its audit row, in one transaction.

        The record is checked with the import's rules that concern it
        (:func:`myotrial.ingest.record.check_record`), reading only the patient's
        enrolment date and, for a visit, the first visit, so its cost does not grow
        with the patient's history; the unique key settles two entries racing for one
        key.

        Parameters
        ----------
        caller : Caller
            Who enters it (written to the audit trail).
        table : str
            One of :data:`myotrial.ingest.record.RECORD_TABLES`.
        patient_id : str
            The patient.
        values : dict
            The record's fields (text, numbers or flags; ``None`` for empty).
        reason : str
            Why; ``"data entry"`` when empty.
        confirm : bool
            Store values a soft check finds unusual (a date after today, a CK above
            50 x ULN); when false they are refused with :class:`UnconfirmedError`.
        then : callable, optional
            Called with the unit of work and the stored record before the commit, so
            what it writes (an expedited alert) commits with the record or not at all;
            its answer is added to the returned values.

        Returns
        -------
        dict
            The stored record's values (missing ones left out).

        Raises
        ------
        NotFoundError, AccessDeniedError, ConflictError, UnconfirmedError, InvalidInputError
            As :meth:`add_visit`.
        """
        fields = {**_as_text(values), "patient_id": patient_id}
        with self.uow() as uow:
            writable_site(uow, caller, patient_id)
            # the casebook's gate holds the patient's row until the commit, shared when
            # the record's key is unique (a visit), so entries of one patient run side
            # by side; alone when the record is numbered among its equals or a use case
            # counts the patient's rows after the write (an adverse event). Consent is
            # read after it, so a withdrawal that held the row first is seen.
            shared = table not in REPEATABLE and then is None
            open_for_change(uow, patient_id, caller.username, shared)
            require_consent(uow, patient_id)
            config, context = uow.patients.entry_context(table, patient_id)
            record, problems = check_record(table, fields, FORM, config, context)
            if problems:
                raise InvalidInputError(problems)
            soft = [] if confirm else soft_record_problems(table, record, config)
            if soft:
                raise UnconfirmedError(soft)
            uow.patients.add_record(table, record, caller.username, reason or "data entry")
            more = {} if then is None else then(uow, record)
            uow.commit()
        return {**{k: v for k, v in record.items() if v is not None}, **more}

    def preview_visit(
        self, caller: Caller, patient_id: str, values: dict[str, Any]
    ) -> dict[str, Any]:
        """Problems and the TIS a visit would have, without writing it.

        Returns
        -------
        dict
            ``problems`` (each as a dict of :class:`~myotrial.errors.Problem` fields),
            ``tis`` and ``category`` (``None`` when not computable) and a ``note``.
        """
        fields = {**_as_text(values), "patient_id": patient_id}
        with self.uow() as uow:
            writable_site(uow, caller, patient_id)
            require_consent(uow, patient_id)
            config, context = uow.patients.entry_context("visits", patient_id)
            record, problems = check_record("visits", fields, FORM, config, context)
            day = record.get("visit_date")
            if (
                not problems
                and isinstance(day, dt.date)
                and uow.patients.has_visit(patient_id, day)
            ):
                problems = [duplicate_visit(patient_id, day)]
            trial = patient_trial(uow, patient_id, SCORING_TABLES)
        result: dict[str, Any] = {
            "problems": [asdict(p) for p in problems],
            "tis": None,
            "category": None,
            "note": "",
        }
        if problems:
            return result
        visit = visit_frame(trial.visits, record)
        combined = trial.with_tables(visits=pd.concat([trial.visits, visit], ignore_index=True))
        scored = visit_scores(combined)
        row = scored[scored["visit_date"] == visit["visit_date"].iloc[0]]
        if row.empty or pd.isna(row["tis"].iloc[0]):
            result["note"] = (
                "no TIS yet: the visit needs an episode baseline and every core set measure"
            )
            return result
        result["tis"] = float(row["tis"].iloc[-1])
        result["category"] = str(row["category"].iloc[-1])
        return result

    def correct(
        self,
        caller: Caller,
        patient_id: str,
        visit_date: str,
        field: str,
        value: str,
        reason: str,
        table: str = "visits",
        key: dict[str, str] | None = None,
        confirm: bool = True,
    ) -> dict[str, Any]:
        """Change one value of any of the patient's rows through the import's rules.

        A visit is found by ``visit_date``; a row of another table by the rest of its
        natural key, ``key`` (``{"onset_date": ..., "term": ...}`` for an adverse event;
        nothing for the patient's own row). The audit keeps old and new value, the reason
        and the user.

        Raises
        ------
        NotFoundError, AccessDeniedError, InvalidInputError
            As :meth:`add_visit`, and as :func:`correct_visit` and :func:`correct_row`.
        UnconfirmedError
            If ``confirm`` is false and a soft check asks to confirm the new value.
        """
        with self.uow() as uow:
            writable_site(uow, caller, patient_id)
        if table == "visits":
            key = {"visit_date": visit_date, **(key or {})}
        found = correct_row(
            self.uow, table, patient_id, key or {}, field, value, reason, caller.username, confirm
        )
        return {
            "patient_id": patient_id,
            "table": table,
            "record": found.record_key,
            "visit_date": found.visit_date or None,
            "field": field,
            "old_value": found.old_value,
            "new_value": found.new_value,
            "value": value,
            "reason": reason,
            "user": caller.username,
            "changed": found.changed,
        }


def correct_visit(
    uow_factory: UnitOfWorkFactory,
    patient_id: str,
    visit_date: str,
    field: str,
    value: str,
    reason: str,
    user: str,
) -> Correction:
    """Change one value of one visit, checked with the import's rules, and audit it.

    Parameters
    ----------
    uow_factory : callable
        Makes the unit of work the correction runs in (all-or-nothing).
    patient_id, visit_date : str
        The visit (``visit_date`` as ``YYYY-MM-DD``).
    field : str
        A column of visits (not ``patient_id`` or ``visit_date``).
    value : str
        The new value as it would be written in visits.csv (empty for missing).
    reason, user : str
        Why and by whom; both required, both recorded in the audit trail.

    Returns
    -------
    Correction
        The old and new value; ``changed`` is false (and nothing is written) when the
        visit already held that value.

    Raises
    ------
    NotFoundError
        If the patient or the visit does not exist.
    ConflictError
        If the patient has withdrawn consent.
    InvalidInputError
        If the reason is empty, the field cannot be corrected, or the value breaks a
        rule of the trial format (type, range, MMT-8 total against its grades, date
        order).
    """
    return correct_row(
        uow_factory, "visits", patient_id, {"visit_date": visit_date}, field, value, reason, user
    )


def correct_row(
    uow_factory: UnitOfWorkFactory,
    table: str,
    patient_id: str,
    key: dict[str, str],
    field: str,
    value: str,
    reason: str,
    user: str,
    confirm: bool = True,
) -> Correction:
    """Change one value of one row of a patient's table, checked and audited.

    The visit's case of :func:`correct_visit`, for every table of a patient: the patient
    itself, infusions, visits, adverse events, events and medications. The change passes
    the casebook's gate (:func:`myotrial.services.casebook.open_for_change`) in the
    transaction that writes it.

    Parameters
    ----------
    uow_factory : callable
        Makes the unit of work the correction runs in (all-or-nothing).
    table, patient_id : str
        The table and the patient.
    key : dict of str to str
        The rest of the row's natural key as text (``visit_date``; ``infusion_date``
        and ``lot``; ``onset_date`` and ``term``; ``event_date`` and ``type``; ``drug``
        and ``start_date``; nothing for patients), and ``occurrence`` for the n-th row
        of a repeated key (0 for the first).
    field, value, reason, user : str
        As :func:`correct_visit`.
    confirm : bool
        Store a value a soft check finds unusual (a date after today, a CK above
        50 x ULN, a weight more than 20 % from the recorded one).

    Raises
    ------
    NotFoundError
        If the patient or the row does not exist.
    ConflictError
        If the trial is locked or the patient's casebook is signed.
    UnconfirmedError
        If ``confirm`` is false and a soft check asks to confirm the new value.
    InvalidInputError
        If the reason is empty, the table or field cannot be corrected, or the value
        breaks a rule of the trial format.
    """
    require_filled(reason, "reason", "say why the value is corrected, e.g. --reason 'source check'")
    require_filled(user, "user", "the name of the person correcting")
    match = typed_key(table, key)
    with uow_factory() as uow:
        # consent after the gate: a withdrawal that held the patient's row first is seen
        open_for_change(uow, patient_id, user)
        require_consent(uow, patient_id)
        if table == "visits":
            row = uow.patients.visit_to_correct(patient_id, match["visit_date"], field)
            after = corrected_visit(row, field, value)
        else:
            row = uow.patients.row_to_correct(table, patient_id, match, field)
            trial = patient_trial(uow, patient_id, _rule_tables(table))
            after = corrected_row(row, trial, field, value)
        if not confirm:
            trial = patient_trial(uow, patient_id, ("patients",))
            soft = soft_problems(table, after, trial, before=row.before)
            if soft:
                raise UnconfirmedError(soft)
        found = uow.patients.correct(row, after, field, user, reason)
        if found.changed:
            uow.commit()
    return found


CORRECTED_TABLES: tuple[str, ...] = (
    "patients",
    "infusions",
    "visits",
    "adverse_events",
    "events",
    "medications",
)
"""The tables of a patient whose values may be corrected."""


def typed_key(table: str, key: dict[str, str]) -> dict[str, Any]:
    """The rest of a row's natural key, typed as the store holds it.

    Raises
    ------
    InvalidInputError
        If the table is not a patient's, a key column is missing or a date is not one.
    """
    if table not in CORRECTED_TABLES:
        rule = f"is not a table whose values may be corrected ({', '.join(CORRECTED_TABLES)})"
        raise InvalidInputError([Problem(CORRECTION, None, "table", table, rule)])
    columns = [c for c in domain_table(table).key if c != "patient_id"]
    match: dict[str, Any] = {}
    for column in columns:
        text = str(key.get(column) or "").strip()
        found = domain_table(table).column(column)
        if found is not None and found.required and not text:
            rule = f"is needed to find the row ({', '.join(columns)})"
            raise InvalidInputError([Problem(CORRECTION, None, column, None, rule)])
        if found is not None and found.kind == Kind.DATE and text:
            match[column] = parse_day(text)
        else:
            match[column] = text or None
    if domain_table(table).repeatable:
        match["occurrence"] = int(key.get("occurrence") or 0)
    return match


def _rule_tables(table: str) -> tuple[str, ...]:
    """The tables the rules of a corrected row of ``table`` read."""
    if table == "patients":
        return ("patients", "infusions", "visits", "adverse_events", "events", "medications")
    return ("patients", table, "lots", "donors") if table == "infusions" else ("patients", table)


def _as_text(values: dict[str, Any]) -> dict[str, str]:
    """Form or JSON values as visits.csv would hold them (``true``/``false``, empty)."""
    return {
        str(k): "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in values.items()
    }
