"""The rules a corrected value must meet, those of an import, and one patient's trial.

A correction is parsed with :func:`myotrial.ingest.parse_records` and checked with the
rules of :func:`myotrial.ingest.validate_trial` that concern one visit
(:func:`myotrial.ingest.validate.visit_problems`), exactly as a row of visits.csv, so
``myotrial correct``, the web service and ``myotrial import`` refuse the same values
(a new entry is checked by :func:`myotrial.ingest.record.check_record`, the same rules
applied to plain values). A correction has no spreadsheet rows, so the problems name
the field only.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from myotrial.domain.entry import Record
from myotrial.errors import InvalidInputError, Problem
from myotrial.ingest import parse_records
from myotrial.ingest.raw import empty_table
from myotrial.ingest.validate import visit_problems
from myotrial.store.correction import SOURCE as CORRECTION
from myotrial.store.correction import VisitToCorrect
from myotrial.store.records import FORM
from myotrial.store.unit_of_work import AbstractUnitOfWork
from myotrial.text import as_text
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


def visit_frame(visits: pd.DataFrame, record: Record) -> pd.DataFrame:
    """One entered visit as a one-row visits table typed like ``visits`` (to score it)."""
    row = {c: pd.Timestamp(v) if isinstance(v, dt.date) else v for c, v in record.items()}
    frame = pd.DataFrame([row], index=[len(visits)])
    for column in frame.columns:
        if column in visits.columns and frame[column].notna().all():
            frame[column] = frame[column].astype(visits[column].dtype)
    return frame


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
