"""Data queries: a monitor asks about a patient, a visit or a value; the site answers.

| step   | who                              | status afterwards |
|--------|----------------------------------|-------------------|
| open   | admin, monitor                   | open              |
| answer | admin, the patient's investigator | answered          |
| close  | admin, monitor                   | closed            |

Only an open query can be answered. Statisticians take no part in queries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from myotrial.domain import table
from myotrial.domain.dates import parse_iso_date
from myotrial.errors import InvalidInputError, NotFoundError, Problem
from myotrial.services.access import Caller, require
from myotrial.services.uow import UseCases
from myotrial.services.visibility import (
    visible_ids,
    visible_site,
    writable_site,
)
from myotrial.store.unit_of_work import AbstractUnitOfWork


class DataQueries(UseCases):
    """The query use cases over one store."""

    def queries(self, caller: Caller, status: str | None) -> list[dict[str, Any]]:
        """Queries about the patients the caller may see, newest first.

        Returns
        -------
        list of dict
            The query's fields, plus ``can_answer``: whether this caller may answer it.

        Raises
        ------
        AccessDeniedError
            If the caller is a statistician.
        """
        require(caller.reads_queries, "statisticians do not see data queries")
        with self.uow() as uow:
            rows = uow.queries.list(visible_ids(uow, caller), status)
            patients = uow.patients.list(None)
        sites = dict(zip(patients["patient_id"], patients["site"].astype(str), strict=True))
        for row in rows:
            row["can_answer"] = caller.answers_queries_of(sites.get(row["patient_id"], ""))
        return rows

    def open_query(
        self,
        caller: Caller,
        patient_id: str,
        question: str,
        visit_date: str | None,
        field: str | None,
    ) -> dict[str, Any]:
        """Raise a query about a patient (and optionally a visit and a field).

        Raises
        ------
        AccessDeniedError
            If the caller may not raise queries.
        NotFoundError
            If there is no such patient or the caller may not see it.
        InvalidInputError
            If ``visit_date`` is not a date or ``field`` is not a field of the
            patient's forms (:data:`QUERY_FIELDS`).
        """
        require(caller.raises_queries, "only monitors raise queries")
        _check_field(field)
        with self.uow() as uow:
            visible_site(uow, caller, patient_id)
            values = {
                "patient_id": patient_id,
                "question": question,
                "field": field,
                "visit_date": _parse_date(visit_date),
                "raised_by": caller.username,
            }
            query = uow.queries.add(values)
            uow.commit()
        return query

    def answer_query(self, caller: Caller, query_id: int, answer: str) -> dict[str, Any]:
        """Answer an open query about a patient of the caller's site.

        Raises
        ------
        NotFoundError
            If there is no such query or the caller may not see its patient.
        AccessDeniedError
            If the caller may not change the patient's data.
        InvalidInputError
            If the query is not open.
        """
        with self.uow() as uow:
            query = _visible_query(uow, caller, query_id)
            writable_site(uow, caller, query["patient_id"])
            if query["status"] != "open":
                rule = "only an open query can be answered"
                raise InvalidInputError([Problem("query", None, "status", query["status"], rule)])
            answered = {
                "answer": answer,
                "status": "answered",
                "answered_by": caller.username,
                "answered_at": dt.datetime.now(dt.UTC),
            }
            return _update(uow, query_id, answered)

    def close_query(self, caller: Caller, query_id: int) -> dict[str, Any]:
        """Close a query.

        Raises
        ------
        AccessDeniedError
            If the caller may not close queries.
        NotFoundError
            If there is no such query or the caller may not see its patient.
        """
        require(caller.raises_queries, "only monitors close queries")
        with self.uow() as uow:
            _visible_query(uow, caller, query_id)
            closed = {
                "status": "closed",
                "closed_by": caller.username,
                "closed_at": dt.datetime.now(dt.UTC),
            }
            return _update(uow, query_id, closed)


QUERY_TABLES: tuple[str, ...] = (
    "patients",
    "infusions",
    "visits",
    "adverse_events",
    "events",
    "medications",
)
"""The tables of a patient's casebook a query may point into."""

QUERY_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(c.name for t in QUERY_TABLES for c in table(t).columns if c.name != "patient_id")
)
"""Every field a query may name: the columns of the patient's forms."""


def _check_field(field: str | None) -> None:
    if field and field not in QUERY_FIELDS:
        raise InvalidInputError(
            [
                Problem(
                    "query",
                    None,
                    "field",
                    field,
                    "is not a field of the patient's forms",
                    "choose one of the fields listed on the form (GET /api/forms)",
                )
            ]
        )


def _visible_query(uow: AbstractUnitOfWork, caller: Caller, query_id: int) -> dict[str, Any]:
    """The query, when the caller may see its patient.

    A query about another site's patient is refused exactly like a query that does not
    exist: naming its patient would tell one site which codes another uses.
    """
    try:
        query = uow.queries.get(query_id)
        visible_site(uow, caller, query["patient_id"])
    except NotFoundError:
        raise NotFoundError(f"query {query_id} does not exist") from None
    return query


def _update(uow: AbstractUnitOfWork, query_id: int, values: dict[str, Any]) -> dict[str, Any]:
    uow.queries.update(query_id, values)
    query = uow.queries.get(query_id)
    uow.commit()
    return query


def _parse_date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return parse_iso_date(text)
    except ValueError as exc:
        raise InvalidInputError(
            [Problem("query", None, "visit_date", text, "is not a date", "write YYYY-MM-DD")]
        ) from exc
