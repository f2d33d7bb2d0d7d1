"""What a site reads: its patients, one patient's records and scores, the audit trail.

Every read goes through the access rules of :mod:`myotrial.services.access`: an
investigator sees their own site, a statistician no identified data at all; and
through the blinding of :mod:`myotrial.services.blinding`: a blinded role never sees
an arm.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any, NamedTuple

import pandas as pd

from myotrial.analysis.options import AnalysisOptions, Notes
from myotrial.analysis.prepared import prepare
from myotrial.analysis.scoring import score_visits
from myotrial.config import TrialConfig
from myotrial.domain.dates import parse_iso_date
from myotrial.errors import InvalidInputError, NotFoundError, Problem
from myotrial.services.access import Caller, require
from myotrial.services.blinding import audit_for, audit_rows_for, frame_for, rows_for
from myotrial.services.enrolment import trial_config
from myotrial.services.uow import UseCases
from myotrial.services.visibility import site_scope, visible_ids, visible_site
from myotrial.services.visit_rules import patient_trial
from myotrial.store.pages import DEFAULT_LIMIT, MAX_LIMIT, AuditFilter, PatientFilter
from myotrial.store.unit_of_work import AbstractUnitOfWork
from myotrial.trialdata import TrialData

PAGE = "page"
"""The ``file`` of a problem with the paging or filter parameters of a list."""

_NONE = pd.DataFrame()


class Page(NamedTuple):
    """One page of a list and the cursor of the next (``None`` on the last page)."""

    rows: list[dict[str, Any]]
    next: str | None


def page_limit(limit: int | None) -> int:
    """Rows per page: :data:`DEFAULT_LIMIT` when not given, refused outside 1-1000.

    Raises
    ------
    InvalidInputError
        If ``limit`` is below 1 or above :data:`MAX_LIMIT`.
    """
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        rule = f"must be from 1 to {MAX_LIMIT}"
        raise InvalidInputError([Problem(PAGE, None, "limit", str(limit), rule)])
    return limit


def _cursor(text: str | None, column: str) -> int | None:
    if text is None or text == "":
        return None
    if not text.isdigit() or not 1 <= int(text) <= 2**31 - 1:
        rule = "is not a cursor this list gave"
        hint = "use the next cursor of the page before, or none for the first page"
        raise InvalidInputError([Problem(PAGE, None, column, None, rule, hint)])
    return int(text)


def blinding_config(uow: AbstractUnitOfWork) -> TrialConfig:
    """The stored trial's configuration; before any import, the defaults (open label:
    there is no arm to hide, and account changes are audited before a trial exists)."""
    try:
        return trial_config(uow)
    except NotFoundError:
        return TrialConfig()


def _day(text: str | None, column: str) -> dt.date | None:
    if not text:
        return None
    try:
        return parse_iso_date(text)
    except ValueError:
        rule = "is not a date in YYYY-MM-DD form"
        raise InvalidInputError([Problem(PAGE, None, column, text, rule)]) from None


class PagedRecords(UseCases):
    """The patient list and the audit trail a page at a time, as the caller may see them."""

    def patient_page(
        self,
        caller: Caller,
        search: str | None = None,
        site: str | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> Page:
        """Patients by code whose code holds ``search`` (any case), of ``site``.

        An investigator sees their own site only: another site gives an empty page,
        exactly as a site without patients would.

        Raises
        ------
        AccessDeniedError
            If the caller reads pseudonymised data only.
        InvalidInputError
            If ``limit`` is outside 1-1000.
        """
        scope = site_scope(caller)
        if scope is not None and site not in (None, scope):
            return Page([], None)
        where = PatientFilter(search or None, scope or site or None, after or None)
        where = replace(where, limit=page_limit(limit))
        with self.uow() as uow:
            rows, following = uow.patients.patient_page(where)
            config = blinding_config(uow) if rows else None
        return Page(rows if config is None else rows_for(caller, config, rows), following)

    def audit_page(
        self,
        caller: Caller,
        patient_id: str | None = None,
        user: str | None = None,
        table: str | None = None,
        since: str | None = None,
        until: str | None = None,
        before: str | None = None,
        limit: int | None = None,
    ) -> Page:
        """Audit rows the caller may see, newest first, a page at a time.

        Admins and monitors see every row (account changes included); an investigator
        the rows about their own site's patients (:mod:`myotrial.services.access`).

        Raises
        ------
        NotFoundError
            If ``patient_id`` names a patient the caller may not see.
        AccessDeniedError
            If the caller reads pseudonymised data only.
        InvalidInputError
            If a date is not ``YYYY-MM-DD``, ``limit`` is outside 1-1000 or the cursor
            is not one a page gave.
        """
        scope = site_scope(caller)
        where = AuditFilter(
            patient_id=patient_id or None,
            user=user or None,
            table=table or None,
            since=_day(since, "since"),
            until=_day(until, "until"),
            site=scope,
            before=_cursor(before, "cursor"),
            limit=page_limit(limit),
        )
        with self.uow() as uow:
            if where.patient_id is not None:
                visible_site(uow, caller, where.patient_id)
            rows, following = uow.patients.audit_page(where)
            config = blinding_config(uow) if rows else None
        rows = rows if config is None else audit_rows_for(caller, config, rows)
        return Page(rows, None if following is None else str(following))


class PatientRecords(PagedRecords):
    """The reading use cases of the sites over one store."""

    def patients(self, caller: Caller) -> list[dict[str, Any]]:
        """The patients the caller may see, with their number of visits.

        Returns
        -------
        list of dict
            One per patient, by patient_id: patient_id, site, arm, diagnosis, sex, age,
            enrolment_date, n_visits.

        Raises
        ------
        AccessDeniedError
            If the caller reads pseudonymised data only.
        """
        require(caller.reads_identified, "this role reads pseudonymised exports only")
        with self.uow() as uow:
            frame = uow.patients.list(caller.site_filter)
            config = blinding_config(uow)
        return _rows(frame_for(caller, config, frame))

    def patient(self, caller: Caller, patient_id: str) -> dict[str, Any]:
        """One patient with visits and infusions.

        Returns
        -------
        dict
            The patient's row, plus ``visits`` (by date, only the columns that hold a
            value), ``visit_columns`` (those columns), ``infusions``,
            ``adverse_events`` and ``events``.

        Raises
        ------
        NotFoundError
            If there is no such patient or the caller may not see it.
        """
        with self.uow() as uow:
            found = uow.patients.records(patient_id)
            config = blinding_config(uow)
        patient = frame_for(caller, config, found["patients"])
        if patient.empty or not caller.sees_site(str(patient["site"].iloc[0])):
            raise NotFoundError(f"patient {patient_id!r} does not exist")
        visits = found["visits"].sort_values("visit_date")
        shown = [c for c in visits.columns if visits[c].notna().any() and c != "patient_id"]
        return {
            **_rows(patient)[0],
            "visits": _rows(visits[shown]),
            "visit_columns": shown,
            "infusions": _rows(found["infusions"]),
            "adverse_events": _rows(found.get("adverse_events", _NONE)),
            "events": _rows(found.get("events", _NONE)),
        }

    def scores(self, caller: Caller, patient_id: str) -> list[dict[str, Any]]:
        """TIS of every follow-up visit against its episode baseline, computed now.

        Returns
        -------
        list of dict
            The rows of :func:`visit_scores` for the patient.

        Raises
        ------
        NotFoundError
            If there is no such patient or the caller may not see it.
        """
        with self.uow() as uow:
            visible_site(uow, caller, patient_id)
            trial = patient_trial(uow, patient_id)
        return _rows(frame_for(caller, trial.config, visit_scores(trial)))

    def audit(self, caller: Caller, patient_id: str | None) -> list[dict[str, Any]]:
        """Audit rows the caller may see (investigators: their site's patients).

        Returns
        -------
        list of dict
            Rows of :meth:`myotrial.store.TrialStore.audit`, oldest first.

        Raises
        ------
        NotFoundError
            If ``patient_id`` names a patient the caller may not see.
        AccessDeniedError
            If the caller reads pseudonymised data only.
        """
        with self.uow() as uow:
            if patient_id is not None:
                visible_site(uow, caller, patient_id)
                frame = uow.patients.audit(patient_id)
            else:
                frame = uow.patients.audit(None)
                allowed = visible_ids(uow, caller)
                if allowed is not None:
                    frame = frame[frame["patient_id"].isin(allowed)]
            config = blinding_config(uow)
        return _rows(audit_for(caller, config, frame))


def visit_scores(trial: TrialData) -> pd.DataFrame:
    """TIS of every follow-up visit of each course against that course's baseline.

    The same episode, baseline and scoring rules as ``myotrial analyze``; unlike the
    analysis tables, visits outside every time-point window are scored too.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`myotrial.analysis.scoring.score_visits`, by course and date.
    """
    options, notes = AnalysisOptions(), Notes()
    prep = prepare(trial, options, notes)
    keys = ["patient_id", "episode", "visit_date"]
    followup = prep.followup[prep.followup["episode"] > 0]
    timepoints = prep.mapped[[*keys, "timepoint"]].drop_duplicates(keys)
    followup = followup.drop(columns=["timepoint"], errors="ignore").merge(
        timepoints, on=keys, how="left"
    )
    scores = score_visits(followup, prep.baseline, trial.config, options)
    return scores.sort_values(["episode", "visit_date"]).reset_index(drop=True)


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts keyed by column name."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]
