"""The rules a visit entered on a form or a corrected value must meet: those of an import.

A form's values and a correction are parsed with :func:`myotrial.ingest.parse_records`
and checked with :func:`myotrial.ingest.validate_trial`, exactly as a row of visits.csv,
so the web service, ``myotrial correct`` and ``myotrial import`` refuse the same values.
A form has no spreadsheet rows, so the problems name the field only.
"""

from __future__ import annotations

import pandas as pd

from myotrial.errors import InvalidInputError, Problem
from myotrial.ingest import parse_records, validate_trial
from myotrial.ingest.raw import empty_table
from myotrial.ingest.writer import as_text
from myotrial.store.columns import kinds
from myotrial.store.correction import SOURCE as CORRECTION
from myotrial.store.correction import VisitToCorrect
from myotrial.store.records import FORM
from myotrial.store.unit_of_work import AbstractUnitOfWork
from myotrial.trialdata import TABLES, TrialData


def patient_trial(
    uow: AbstractUnitOfWork, patient_id: str, tables: tuple[str, ...] = TABLES
) -> TrialData:
    """A trial holding one patient only (for scoring and checks of that patient).

    Tables not named in ``tables`` are left empty (a visit's checks need only the
    patient, the infusions and the visits).

    Raises
    ------
    NotFoundError
        If the database holds no trial.
    """
    config, frames = uow.patients.tables(patient_id, tables)
    full = {t: frames[t] if t in tables else empty_table(t) for t in TABLES}
    return TrialData(config=config, source=FORM, **full)  # type: ignore[arg-type]


def check_entry(
    trial: TrialData, patient_id: str, values: dict[str, str]
) -> tuple[TrialData, list[Problem]]:
    """The patient's trial with the visit added, and every problem the visit has.

    Parameters
    ----------
    trial : TrialData
        The patient's trial (:func:`patient_trial` with patients, infusions and visits).
    patient_id : str
        The patient the visit belongs to.
    values : dict of str to str
        The form's fields as text, as they would be written in visits.csv.

    Returns
    -------
    combined : TrialData
        ``trial`` with the parsed visit appended as the last row of visits.
    problems : list of Problem
        Unknown fields, values that break a rule of the trial format, and rules across
        tables (a visit before enrolment, a duplicate date); empty when it may be stored.
    """
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
    raw = pd.DataFrame(
        [{**values, "patient_id": patient_id}], dtype=object, index=[len(trial.visits)]
    )
    typed, problems = parse_records("visits", raw, FORM, trial.config)
    problems = unknown + problems
    combined = trial.with_tables(visits=pd.concat([trial.visits, typed], ignore_index=True))
    if not problems:
        new_row = len(trial.visits) + 2  # as a spreadsheet numbers it: header is row 1
        problems = [
            p for p in validate_trial(combined, {t: FORM for t in TABLES}) if p.row == new_row
        ]
    return combined, [_unrowed(p) for p in problems]


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
    """The rules across tables (visit before enrolment, ...), as at import."""
    config = visit.config
    empty = {t: parse_records(t, empty_table(t), CORRECTION, config)[0] for t in TABLES}
    trial = TrialData(
        config=config,
        patients=visit.patient,
        infusions=empty["infusions"],
        visits=typed,
        adverse_events=empty["adverse_events"],
        events=empty["events"],
        medications=empty["medications"],
    )
    problems = [p for p in validate_trial(trial) if p.file.startswith("visits")]
    if problems:
        raise InvalidInputError([_unrowed(p, CORRECTION) for p in problems])


def _unrowed(problem: Problem, file: str | None = None) -> Problem:
    """A form or a correction has no spreadsheet rows: report the field only."""
    return Problem(
        file or problem.file, None, problem.column, problem.value, problem.rule, problem.hint
    )
