"""Data entry: a site enters a visit or corrects a value, checked as an import would be.

The values are checked by :mod:`myotrial.services.visit_rules` and written, with their
audit rows, through the unit of work; a value that breaks a rule is refused with every
problem and nothing is written.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pandas as pd

from myotrial.errors import ConflictError, InvalidInputError, NotFoundError, Problem
from myotrial.services.access import Caller
from myotrial.services.enrolment import require_consent
from myotrial.services.patients import visit_scores
from myotrial.services.uow import UnitOfWorkFactory, UseCases
from myotrial.services.visibility import writable_site
from myotrial.services.visit_rules import check_entry, corrected_visit, patient_trial
from myotrial.store import Correction
from myotrial.store.correction import parse_day
from myotrial.store.records import DUPLICATE_RULE, duplicate_visit
from myotrial.store.trial_store import require_filled
from myotrial.store.unit_of_work import AbstractUnitOfWork

SCORING_TABLES: tuple[str, ...] = ("patients", "infusions", "visits")
"""The tables a preview's TIS needs (episodes from infusions, baselines from visits)."""


class DataEntry(UseCases):
    """The writing use cases of the sites over one store."""

    def add_visit(
        self, caller: Caller, patient_id: str, values: dict[str, Any], reason: str
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
            date is stored first), or has withdrawn consent.
        InvalidInputError
            Listing every problem of the visit.
        """
        # Checked in one transaction and written in another: validation needs no lock,
        # because the unique key on (patient_id, visit_date) settles two entries racing
        # for one date.
        new = self._checked(caller, patient_id, values)
        with self.uow() as uow:
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
        self, caller: Caller, patient_id: str, visit_date: str, field: str, value: str, reason: str
    ) -> dict[str, Any]:
        """Change one visit value through the import's rules; the audit keeps old and new.

        Raises
        ------
        NotFoundError, AccessDeniedError, InvalidInputError
            As :meth:`add_visit`, and as :func:`correct_visit`.
        """
        with self.uow() as uow:
            writable_site(uow, caller, patient_id)
        correct_visit(self.uow, patient_id, visit_date, field, value, reason, caller.username)
        return {
            "patient_id": patient_id,
            "visit_date": visit_date,
            "field": field,
            "value": value,
            "reason": reason,
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
    require_filled(reason, "reason", "say why the value is corrected, e.g. --reason 'source check'")
    require_filled(user, "user", "the name of the person correcting")
    day = parse_day(visit_date)
    with uow_factory() as uow:
        require_consent(uow, patient_id)
        visit = uow.patients.visit_to_correct(patient_id, day, field)
        after = corrected_visit(visit, field, value)
        found = uow.patients.correct(visit, after, field, user, reason)
        if found.changed:
            uow.commit()
    return found


def _as_text(values: dict[str, Any]) -> dict[str, str]:
    """Form or JSON values as visits.csv would hold them (``true``/``false``, empty)."""
    return {
        str(k): "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in values.items()
    }


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))  # type: ignore[call-overload]
