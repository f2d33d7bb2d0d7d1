"""Problems as a form shows them: in words, beside their field, soft checks apart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from myotrial.domain import table
from myotrial.errors import Problem
from myotrial.services.labels import field_label, problem_in_words
from myotrial.services.queries import QUERY_FIELDS, QUERY_TABLES
from myotrial.services.row_rules import SOFT

SAVED: dict[str, str] = {
    "visit": "The visit was saved.",
    "infusion": "The infusion was saved.",
    "adverse-event": "The adverse event was saved.",
    "event": "The trial event was saved.",
    "correction": "The correction was saved; the audit trail shows the old and new value.",
    "signed": "The casebook is signed.",
    "unlocked": "The casebook is unlocked; the next change invalidates its signature.",
    "randomised": "The patient is randomised.",
}
"""What the patient's page says after each kind of save (``?saved=KIND``)."""


def query_field_label(name: str | None) -> str:
    """The words of a field a query names (its form's label)."""
    if not name:
        return ""
    where = next((t for t in QUERY_TABLES if table(t).column(name) is not None), None)
    return name if where is None else field_label(where, name)


def query_fields() -> list[tuple[str, str]]:
    """The fields a query may name, with their labels, for the query form's list."""
    return [(name, query_field_label(name)) for name in QUERY_FIELDS]


def split_problems(
    table: str, problems: Sequence[Problem], fields: set[str]
) -> tuple[dict[str, str], dict[str, str], list[dict[str, Any]]]:
    """Problems in words: errors and soft warnings by field, and those of no field shown.

    Parameters
    ----------
    table : str
        The form's table (its labels name the fields).
    problems : sequence of Problem
        What the use case refused; soft checks have ``file`` :data:`SOFT`.
    fields : set of str
        The fields the page shows; a problem of another field is listed above the form.
    """
    errors: dict[str, str] = {}
    warnings: dict[str, str] = {}
    others: list[dict[str, Any]] = []
    for problem in problems:
        words = problem_in_words(table, problem)
        target = warnings if problem.file == SOFT else errors
        if words["field"] in fields:
            target[words["field"]] = (
                target.get(words["field"], "") + " " + words["message"]
            ).strip()
        else:
            others.append(words)
    return errors, warnings, others
