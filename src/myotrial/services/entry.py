"""Data entry: a site enters a visit or corrects a value, checked as an import would be.

The values are checked by :mod:`myotrial.services.visit_rules` and written, with their
audit rows, through the unit of work; a value that breaks a rule is refused with every
problem and nothing is written.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pandas as pd

from myotrial.domain import Kind
from myotrial.domain import table as domain_table
from myotrial.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    Problem,
    UnconfirmedError,
)
from myotrial.services.access import Caller
from myotrial.services.casebook import open_for_change
from myotrial.services.enrolment import require_consent
from myotrial.services.patients import visit_scores
from myotrial.services.row_rules import corrected_row, soft_problems
from myotrial.services.uow import UnitOfWorkFactory, UseCases
from myotrial.services.visibility import writable_site
from myotrial.services.visit_rules import check_entry, corrected_visit, patient_trial
from myotrial.store import Correction
from myotrial.store.correction import SOURCE as CORRECTION
from myotrial.store.correction import parse_day
from myotrial.store.records import DUPLICATE_RULE, duplicate_visit
from myotrial.store.trial_store import require_filled
from myotrial.store.unit_of_work import AbstractUnitOfWork

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
        """Check and store one visit with its audit rows.

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
        # Checked in one transaction and written in another: validation needs no lock,
        # because the unique key on (patient_id, visit_date) settles two entries racing
        # for one date.
        new = self._checked(caller, patient_id, values)
        if not confirm:
            _confirmed(self.uow, patient_id, "visits", new)
        with self.uow() as uow:
            open_for_change(uow, patient_id, caller.username)
            uow.patients.add_visit(new, caller.username, reason or "data entry")
            uow.commit()
        record = new.iloc[0].to_dict()
        return {str(k): v for k, v in record.items() if not _missing(v)}

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
        with self.uow() as uow:
            visit, problems = self._check(uow, caller, patient_id, values)
            trial = patient_trial(uow, patient_id, SCORING_TABLES)
        combined = trial.with_tables(visits=pd.concat([trial.visits, visit], ignore_index=True))
        result: dict[str, Any] = {
            "problems": [asdict(p) for p in problems],
            "tis": None,
            "category": None,
            "note": "",
        }
        if problems:
            return result
        visit_date = combined.visits["visit_date"].iloc[-1]
        scored = visit_scores(combined)
        row = scored[scored["visit_date"] == visit_date]
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

    def _checked(self, caller: Caller, patient_id: str, values: dict[str, Any]) -> pd.DataFrame:
        with self.uow() as uow:
            visit, problems = self._check(uow, caller, patient_id, values)
        duplicate = [p for p in problems if p.rule == DUPLICATE_RULE]
        if duplicate:
            raise ConflictError(duplicate)
        if problems:
            raise InvalidInputError(problems)
        return visit

    def _check(
        self, uow: AbstractUnitOfWork, caller: Caller, patient_id: str, values: dict[str, Any]
    ) -> tuple[pd.DataFrame, list[Problem]]:
        """The visit and its problems, reading the patient's row and one key only."""
        writable_site(uow, caller, patient_id)
        require_consent(uow, patient_id)
        config, frames = uow.patients.tables(patient_id, ("patients",))
        if frames["patients"].empty:
            raise NotFoundError(f"patient {patient_id!r} does not exist")
        first = uow.patients.first_visit(patient_id)
        visit, problems = check_entry(config, frames["patients"], _as_text(values), first)
        if not problems:
            day = visit["visit_date"].iloc[0].date()
            if uow.patients.has_visit(patient_id, day):
                problems = [duplicate_visit(patient_id, day)]
        return visit, problems


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
        require_consent(uow, patient_id)
        open_for_change(uow, patient_id, user)
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


def _confirmed(
    uow_factory: UnitOfWorkFactory, patient_id: str, table: str, row: pd.DataFrame
) -> None:
    """Refuse a row a soft check finds unusual, until the user confirms it."""
    with uow_factory() as uow:
        trial = patient_trial(uow, patient_id, ("patients",))
    soft = soft_problems(table, row, trial)
    if soft:
        raise UnconfirmedError(soft)


def _as_text(values: dict[str, Any]) -> dict[str, str]:
    """Form or JSON values as visits.csv would hold them (``true``/``false``, empty)."""
    return {
        str(k): "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in values.items()
    }


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))  # type: ignore[call-overload]
