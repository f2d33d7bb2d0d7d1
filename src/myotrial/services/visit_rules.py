"""The rules a visit entered on a form or a corrected value must meet: those of an import.

A form's values and a correction are parsed with :func:`myotrial.ingest.parse_records`
and checked with the rules of :func:`myotrial.ingest.validate_trial` that concern one
visit (:func:`myotrial.ingest.validate.visit_problems`), exactly as a row of visits.csv,
so the web service, ``myotrial correct`` and ``myotrial import`` refuse the same values.
The check reads the patient's row only, never the patient's other visits: its cost does
not grow with the history. A form has no spreadsheet rows, so the problems name the
field only.
"""

from __future__ import annotations

import pandas as pd

from myotrial.config import TrialConfig
from myotrial.errors import InvalidInputError, Problem
from myotrial.ingest import parse_records
from myotrial.ingest.raw import empty_table
from myotrial.ingest.validate import visit_problems
from myotrial.ingest.writer import as_text
from myotrial.store.columns import kinds
from myotrial.store.correction import SOURCE as CORRECTION
from myotrial.store.correction import VisitToCorrect
from myotrial.store.records import FORM
from myotrial.store.unit_of_work import AbstractUnitOfWork
from myotrial.trialdata import PATIENT_TABLES, TABLES, TrialData


def patient_trial(
    uow: AbstractUnitOfWork, patient_id: str, tables: tuple[str, ...] = PATIENT_TABLES
) -> TrialData:
    """A trial holding one patient only (for scoring and checks of that patient).

    Tables not named in ``tables`` are left empty (a visit's checks need only the
    patient, the infusions and the visits; the product record is no patient's).

    Raises
    ------
    NotFoundError
        If the database holds no trial.
    """
    config, frames = uow.patients.tables(patient_id, tables)
    full = {t: frames[t] if t in tables else empty_table(t) for t in TABLES}
    return TrialData(config=config, source=FORM, **full)  # type: ignore[arg-type]


def check_entry(
    config: TrialConfig,
    patient: pd.DataFrame,
    values: dict[str, str],
    first_visit: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """The visit parsed as a one-row visits table, and every problem it has.

    Parameters
    ----------
    config : TrialConfig
        The trial's configuration.
    patient : pandas.DataFrame
        The patient's row of patients (one row).
    values : dict of str to str
        The form's fields as text, as they would be written in visits.csv.
    first_visit : pandas.DataFrame, optional
        The patient's earliest stored visit (``visit_date``, ``mmt_max``), the one rule
        that looks at another visit needs: every visit of a patient uses the MMT-8
        form of the first.

    Returns
    -------
    visit : pandas.DataFrame
        The parsed visit (typed as an import types it).
    problems : list of Problem
        Unknown fields, values that break a rule of the trial format, and rules across
        tables (a visit before enrolment); empty when it may be stored. Whether the date
        is taken is the caller's question (one lookup of the key).
    """
    patient_id = str(patient["patient_id"].iloc[0])
    unknown = [
        Problem(
            FORM,
            None,
            name,
            value,
            "is not a visit field",
            "see the visits table in docs/trial-format.md",
        )
        for name, value in values.items()
        if name not in kinds("visits")
    ]
    raw = pd.DataFrame([{**values, "patient_id": patient_id}], dtype=object, index=[1])
    typed, problems = parse_records("visits", raw, FORM, config)
    problems = unknown + problems
    if not problems:
        earlier = typed.iloc[:0] if first_visit is None else first_visit
        # a stored visit on the same date is the caller's duplicate, not a repeated row
        earlier = earlier[earlier["visit_date"] != typed["visit_date"].iloc[0]]
        earlier = earlier.reindex(columns=typed.columns).astype(typed.dtypes.to_dict())
        both = pd.concat([earlier.set_axis([0] * len(earlier)), typed])
        # the entry is row 1 (spreadsheet row 3); the earlier visit only sets the form
        problems = [p for p in visit_problems(config, patient, both, FORM) if p.row == 3]
    return typed.reset_index(drop=True), [_unrowed(p) for p in problems]


def corrected_visit(visit: VisitToCorrect, field: str, value: str) -> pd.DataFrame:
    """The visit with ``field`` set to ``value``, parsed and checked as an import row.

    Raises
    ------
    InvalidInputError
        If the value breaks a rule of the trial format (type, range, MMT-8 total against
        its grades) or a rule across tables (date order against enrolment).
    """
    raw = as_text(visit.before)
    raw[field] = value
    typed, problems = parse_records("visits", raw, CORRECTION, visit.config)
    if problems:
        raise InvalidInputError([_unrowed(p, CORRECTION) for p in problems])
    _check_against_patient(visit, typed)
    return typed


def _check_against_patient(visit: VisitToCorrect, typed: pd.DataFrame) -> None:
    """The visit's rules, those across tables included (visit before enrolment, ...)."""
    problems = visit_problems(visit.config, visit.patient, typed, "visits.csv")
    if problems:
        raise InvalidInputError([_unrowed(p, CORRECTION) for p in problems])


def _unrowed(problem: Problem, file: str | None = None) -> Problem:
    """A form or a correction has no spreadsheet rows: report the field only."""
    return Problem(
        file or problem.file, None, problem.column, problem.value, problem.rule, problem.hint
    )
