"""The columns the store keeps typed, and the natural key of each table.

Every column the trial format names (``docs/trial-format.md``) has a typed database
column; any other column of an imported table is kept per row as JSON, so nothing
entered is lost. Natural keys identify a row across imports: re-importing a folder
compares rows by these keys, never by position.
"""

from __future__ import annotations

from typing import Literal

from myotrial.config import ENZYMES
from myotrial.measures.haq import HAQ_CATEGORIES
from myotrial.measures.mmt import MMT_GROUPS

Kind = Literal["text", "number", "date", "bool"]


def _visit_columns() -> tuple[tuple[str, Kind], ...]:
    columns: list[tuple[str, Kind]] = [("patient_id", "text"), ("visit_date", "date")]
    columns += [(name, "number") for name in ("phga", "ptga", "extramuscular", "mmt8")]
    columns += [(f"mmt_{group}", "number") for group in MMT_GROUPS]
    columns += [(f"mmt_{group}_{side}", "number") for group in MMT_GROUPS for side in ("r", "l")]
    columns += [("mmt_max", "number"), ("haq", "number")]
    columns += [(f"haq_{category}", "number") for category in HAQ_CATEGORIES]
    columns += [(f"haq_{category}_aid", "bool") for category in HAQ_CATEGORIES]
    columns += [(enzyme, "number") for enzyme in ENZYMES]
    columns += [(f"{enzyme}_uln", "number") for enzyme in ENZYMES]
    columns += [
        (name, "number")
        for name in (
            "fvc_pct",
            "dlco_pct",
            "hrct_score",
            "ulcers",
            "cdasi_activity",
            "prednisone_mg",
        )
    ]
    return tuple(columns)


COLUMNS: dict[str, tuple[tuple[str, Kind], ...]] = {
    "patients": (
        ("patient_id", "text"),
        ("site", "text"),
        ("sex", "text"),
        ("age", "number"),
        ("diagnosis", "text"),
        ("onset_date", "date"),
        ("diagnosis_date", "date"),
        ("enrolment_date", "date"),
        ("weight_kg", "number"),
        ("arm", "text"),
        ("refractory", "bool"),
        ("severe_systemic", "bool"),
        ("ild", "bool"),
        ("antibody", "text"),
    ),
    "infusions": (
        ("patient_id", "text"),
        ("infusion_date", "date"),
        ("source", "text"),
        ("donor", "text"),
        ("cells_per_kg", "number"),
        ("lot", "text"),
        ("route", "text"),
        ("viability_pct", "number"),
    ),
    "visits": _visit_columns(),
    "adverse_events": (
        ("patient_id", "text"),
        ("onset_date", "date"),
        ("term", "text"),
        ("soc", "text"),
        ("grade", "number"),
        ("serious", "bool"),
        ("relatedness", "text"),
        ("infusion_reaction", "bool"),
        ("resolved_date", "date"),
        ("outcome", "text"),
    ),
    "events": (
        ("patient_id", "text"),
        ("event_date", "date"),
        ("type", "text"),
        ("note", "text"),
    ),
    "medications": (
        ("patient_id", "text"),
        ("drug", "text"),
        ("dose", "number"),
        ("unit", "text"),
        ("start_date", "date"),
        ("stop_date", "date"),
    ),
}
"""Typed columns per table, in the order of the trial format."""

KEYS: dict[str, tuple[str, ...]] = {
    "patients": ("patient_id",),
    "infusions": ("patient_id", "infusion_date", "lot"),
    "visits": ("patient_id", "visit_date"),
    "adverse_events": ("patient_id", "onset_date", "term"),
    "events": ("patient_id", "event_date", "type"),
    "medications": ("patient_id", "drug", "start_date"),
}
"""The natural key of each table: how a row is recognised from one import to the next."""


REPEATABLE: frozenset[str] = frozenset({"infusions", "adverse_events", "events", "medications"})
"""Tables where two rows may share a natural key (two adverse events with the same term
on one day): the store numbers such rows in order (``occurrence`` 0, 1, ...) and matches
the n-th incoming row with the n-th stored one."""


def match_keys(table: str) -> tuple[str, ...]:
    """The columns that identify a stored row: the natural key, plus ``occurrence``."""
    return KEYS[table] + (("occurrence",) if table in REPEATABLE else ())


def kinds(table: str) -> dict[str, Kind]:
    """Column name to kind for the typed columns of ``table``."""
    return dict(COLUMNS[table])
