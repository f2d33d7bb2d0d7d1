"""Enrolment, consent and eligibility: who enters the trial, and the consent gate.

A site enrols a patient with the trial's eligibility checklist (``[eligibility]`` of
``trial.toml``: the refractory definition, the classification criteria, the
exclusions, the diagnoses and ages admitted) and the consent (date and form version).
An ineligible answer is refused with every reason and nothing is written; an eligible
patient's row (checked as a row of patients.csv) and consent record are written in one
transaction, each audited.

:func:`require_consent` is the gate every use case that enters clinical data calls:
no data for a patient whose consent was withdrawn. A patient enrolled here always has
a consent record; a patient imported from a trial folder has none, because its consent
was collected on paper before the import: the import is its record of consent, until
a withdrawal is recorded (docs/server.md, *Consent*).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from myotrial.config import TrialConfig
from myotrial.domain.conduct import EligibilitySpec
from myotrial.domain.dates import parse_iso_date
from myotrial.errors import ConflictError, InvalidInputError, Problem
from myotrial.ingest import parse_records
from myotrial.services.access import Caller, require
from myotrial.services.casebook import open_for_change, refuse_if_trial_locked
from myotrial.services.uow import UseCases
from myotrial.services.visibility import visible_site, writable_site
from myotrial.store.columns import kinds
from myotrial.store.conduct import ENROLMENT_FORM, withdrawn_already
from myotrial.store.unit_of_work import AbstractUnitOfWork

ALLOCATED_COLUMNS: tuple[str, ...] = ("arm", "randomisation_date")
"""Patient columns only the allocation fills (:mod:`myotrial.services.allocation`)."""


@dataclass(frozen=True)
class Checklist:
    """The eligibility answers of an enrolment.

    ``exclusions`` maps each exclusion of ``[eligibility]`` to whether it applies.
    """

    refractory: bool | None = None
    classification_met: bool | None = None
    exclusions: dict[str, bool | None] = field(default_factory=dict)


def require_consent(uow: AbstractUnitOfWork, patient_id: str) -> None:
    """Refuse clinical data for a patient who has withdrawn consent.

    Called by every use case that enters or changes a patient's clinical data (visits,
    corrections, infusions, adverse events, events), inside its unit of work.

    Raises
    ------
    ConflictError
        With the date and reason of the withdrawal (409).
    """
    record = uow.enrolment.consent(patient_id)
    # No record: imported from a trial folder, consent collected on paper (module doc).
    if record is None or record["withdrawn_at"] is None:
        return
    when = record["withdrawn_at"]
    day = when.date().isoformat() if isinstance(when, dt.datetime) else str(when)
    rule = (
        f"withdrew consent on {day} ({record['withdrawal_reason']}): no further data may be entered"
    )
    raise ConflictError([Problem("consent", None, "patient_id", patient_id, rule)])


def eligibility_problems(
    spec: EligibilitySpec, answers: Checklist, patient: dict[str, Any]
) -> list[Problem]:
    """Every reason the patient may not be enrolled (empty when eligible).

    An unanswered item is a problem too: enrolment needs every answer.
    """
    problems: list[Problem] = []
    if answers.refractory is not True:
        rule = _unanswered(answers.refractory) or "is not refractory as the trial defines it"
        problems.append(_item("refractory", rule, spec.refractory_definition))
    if answers.classification_met is not True:
        rule = _unanswered(answers.classification_met) or "does not meet the criteria"
        problems.append(_item("classification_met", rule, spec.classification))
    for name in spec.exclusions:
        answer = answers.exclusions.get(name)
        if answer is not False:
            problems.append(_item(f"exclusions.{name}", _unanswered(answer) or "applies"))
    for name in answers.exclusions:
        if name not in spec.exclusions:
            hint = f"the trial's exclusions are {', '.join(spec.exclusions) or 'none'}"
            problems.append(_item(f"exclusions.{name}", "is not an exclusion", hint))
    return problems + _admitted(spec, patient)


def consent_problems(
    spec: EligibilitySpec, consent_date: str, form_version: str, enrolment_date: str
) -> list[Problem]:
    """What is wrong with the consent: a date after enrolment or in the future, a form
    version the trial does not use."""
    problems: list[Problem] = []
    day = _date(consent_date, "consent_date", problems)
    enrolled = _date(enrolment_date, "enrolment_date", problems)
    if day is not None and day > dt.datetime.now(dt.UTC).date():
        problems.append(_consent("consent_date", consent_date, "is in the future"))
    if day is not None and enrolled is not None and day > enrolled:
        rule = "is after the enrolment date: consent comes first"
        problems.append(_consent("consent_date", consent_date, rule))
    if not form_version.strip():
        problems.append(_consent("consent_form_version", form_version, "is required"))
    elif spec.consent_versions and form_version not in spec.consent_versions:
        rule = f"is not a version in use ({', '.join(spec.consent_versions)})"
        problems.append(_consent("consent_form_version", form_version, rule))
    return problems


class Enrolment(UseCases):
    """Enrolling patients and recording their consent."""

    def enrol(
        self,
        caller: Caller,
        patient: dict[str, Any],
        answers: Checklist,
        consent_date: str,
        form_version: str,
    ) -> dict[str, Any]:
        """Enrol a patient at the caller's site with their consent, audited.

        Parameters
        ----------
        caller : Caller
            An investigator (enrols at their own site) or an admin (names the site).
        patient : dict
            Columns of patients.csv: ``patient_id``, ``sex``, ``age``, ``diagnosis``,
            optionally ``site`` (admins), ``enrolment_date`` (default today) and the
            other columns except ``arm`` and ``randomisation_date``.
        answers : Checklist
            The eligibility answers.
        consent_date, form_version : str
            The consent: its date (``YYYY-MM-DD``) and the form's version.

        Returns
        -------
        dict
            The patient's row (missing values left out) and ``consent``.

        Raises
        ------
        AccessDeniedError
            If the caller may not enrol at the site.
        InvalidInputError
            Listing every problem: ineligibility, the patient row's rules, the consent.
        ConflictError
            If the study code is taken or the trial is locked.
        """
        values = {k: "" if v is None else str(v) for k, v in patient.items()}
        values["site"] = _site(caller, values.get("site", ""))
        if not values.get("enrolment_date"):
            values["enrolment_date"] = dt.datetime.now(dt.UTC).date().isoformat()
        values["refractory"] = "true" if answers.refractory else "false"
        with self.uow() as uow:
            refuse_if_trial_locked(uow)
            config = trial_config(uow)
            spec = config.eligibility
            row, problems = _patient_row(config, values)
            problems += eligibility_problems(spec, answers, values)
            problems += consent_problems(spec, consent_date, form_version, values["enrolment_date"])
            if problems:
                raise InvalidInputError(problems)
            uow.enrolment.add_patient(row, caller.username, "enrolment")
            consent = uow.enrolment.add_consent(
                {
                    "patient_id": values["patient_id"],
                    "consent_date": parse_iso_date(consent_date),
                    "form_version": form_version,
                    "eligibility": json.dumps(_answers(answers), sort_keys=True),
                },
                caller.username,
            )
            uow.commit()
        stored = {str(k): v for k, v in row.iloc[0].to_dict().items() if not _missing(v)}
        return {**stored, "consent": _consent_view(consent)}

    def checklist(self) -> EligibilitySpec:
        """The trial's eligibility checklist (``[eligibility]``), for the enrolment form."""
        with self.uow() as uow:
            return trial_config(uow).eligibility

    def consent(self, caller: Caller, patient_id: str) -> dict[str, Any]:
        """The patient's consent record (``source`` ``import`` for an imported patient).

        Raises
        ------
        NotFoundError
            If there is no such patient or the caller may not see it.
        """
        with self.uow() as uow:
            visible_site(uow, caller, patient_id)
            record = uow.enrolment.consent(patient_id)
        if record is None:
            return {"patient_id": patient_id, "source": "import", "withdrawn_at": None}
        return {"source": "enrolment", **_consent_view(record)}

    def withdraw(self, caller: Caller, patient_id: str, reason: str) -> dict[str, Any]:
        """Record the withdrawal of the patient's consent; no data are entered after it.

        Raises
        ------
        NotFoundError, AccessDeniedError
            As for data entry.
        InvalidInputError
            If the reason is empty.
        ConflictError
            If consent was withdrawn already, the trial is locked or the casebook is
            signed and not unlocked (:func:`myotrial.services.casebook.open_for_change`).
        """
        if not reason.strip():
            raise InvalidInputError(
                [Problem("consent", None, "reason", reason, "is required", "say why")]
            )
        with self.uow() as uow:
            writable_site(uow, caller, patient_id)
            # the withdrawal changes the casebook: a signature must cover it
            open_for_change(uow, patient_id, caller.username)
            record = uow.enrolment.consent(patient_id)
            if record is not None and record["withdrawn_at"] is not None:
                raise ConflictError([withdrawn_already(patient_id)])
            paper = None if record is not None else _enrolled_on(uow, patient_id)
            found = uow.enrolment.withdraw(patient_id, caller.username, reason, paper)
            uow.commit()
        return _consent_view(found)


def trial_config(uow: AbstractUnitOfWork) -> TrialConfig:
    """The stored trial's configuration; no trial is :class:`NotFoundError`."""
    config, _ = uow.patients.tables("", ())
    return config


def _enrolled_on(uow: AbstractUnitOfWork, patient_id: str) -> dt.date:
    """The enrolment date of an imported patient: the date of its paper consent."""
    _, frames = uow.patients.tables(patient_id, ("patients",))
    day = frames["patients"]["enrolment_date"].iloc[0]
    return pd.Timestamp(day).date()


def _site(caller: Caller, site: str) -> str:
    """The site of the new patient: the investigator's own; an admin names it."""
    if caller.role == "admin":
        if not site:
            raise InvalidInputError(
                [Problem(ENROLMENT_FORM, None, "site", None, "is required", "an admin names it")]
            )
        return site
    site = caller.site or ""
    require(bool(site) and caller.enrols_at(site), f"role {caller.role} may not enrol patients")
    return site


def _patient_row(config: TrialConfig, values: dict[str, str]) -> tuple[pd.DataFrame, list[Problem]]:
    """The patients.csv row, parsed and checked as an import row."""
    known = kinds("patients")
    problems = [
        Problem(ENROLMENT_FORM, None, name, None, rule)
        for name in values
        for rule in [_column_rule(name, known)]
        if rule
    ]
    raw = pd.DataFrame([{k: v for k, v in values.items() if k in known}], dtype=object)
    typed, parsed = parse_records("patients", raw, ENROLMENT_FORM, config)
    problems += [Problem(p.file, None, p.column, p.value, p.rule, p.hint) for p in parsed]
    # the format's default arm is for single-arm trials; an enrolled patient has none
    # until randomised (services.allocation fills it)
    typed = typed.assign(**{c: None for c in ALLOCATED_COLUMNS if c in typed.columns})
    return typed.reset_index(drop=True), problems


def _column_rule(name: str, known: Mapping[str, str]) -> str:
    if name in ALLOCATED_COLUMNS:
        return "is set by randomisation, not at enrolment"
    return "" if name in known else "is not a column of patients (docs/trial-format.md)"


def _admitted(spec: EligibilitySpec, patient: dict[str, Any]) -> list[Problem]:
    problems = []
    diagnosis = patient.get("diagnosis", "")
    if spec.diagnoses and diagnosis and diagnosis not in spec.diagnoses:
        rule = f"is not a diagnosis the trial admits ({', '.join(spec.diagnoses)})"
        problems.append(Problem(ENROLMENT_FORM, None, "diagnosis", diagnosis, rule))
    try:
        age = float(patient.get("age", ""))
    except ValueError:
        return problems  # the patient row's own check names it
    low, high = spec.age_min, spec.age_max
    if (low is not None and age < low) or (high is not None and age > high):
        rule = (
            f"is outside the ages the trial admits ({low:g}-{high:g})"
            if (low is not None and high is not None)
            else "is outside the ages the trial admits"
        )
        problems.append(Problem(ENROLMENT_FORM, None, "age", f"{age:g}", rule))
    return problems


def _item(column: str, rule: str, hint: str = "") -> Problem:
    return Problem("eligibility", None, column, None, rule, hint)


def _consent(column: str, value: str, rule: str) -> Problem:
    return Problem("consent", None, column, value, rule)


def _unanswered(answer: bool | None) -> str:
    return "must be answered" if answer is None else ""


def _date(text: str, column: str, problems: list[Problem]) -> dt.date | None:
    try:
        return parse_iso_date(text)
    except ValueError:
        problems.append(_consent(column, text, "must be a date YYYY-MM-DD"))
        return None


def _answers(answers: Checklist) -> dict[str, Any]:
    return {
        "refractory": answers.refractory,
        "classification_met": answers.classification_met,
        "exclusions": answers.exclusions,
    }


def _consent_view(record: dict[str, Any]) -> dict[str, Any]:
    view = {k: v for k, v in record.items() if k != "id"}
    if isinstance(view.get("eligibility"), str):
        view["eligibility"] = json.loads(view["eligibility"])
    return view


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))  # type: ignore[call-overload]
