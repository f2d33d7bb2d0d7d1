"""Use cases on a whole trial: import, correct a value, read the audit trail.

The command line and the HTTP server call these, so the rules live in one place. Each
function opens the store it needs and closes it before returning.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd

from myotrial.errors import Problem
from myotrial.services.entry import correct_visit
from myotrial.services.loading import load_trial
from myotrial.store import Correction, ImportSummary, TrialStore, open_store

T = TypeVar("T")


def import_trial(
    path: Path | str,
    db_url: str,
    user: str,
    reason: str = "",
    format: str = "folder",
    mapping: Path | str | None = None,
    notes: list[Problem] | None = None,
    allow_deletions: bool = False,
    dry_run: bool = False,
) -> ImportSummary:
    """Validate the trial at ``path`` and store it, all-or-nothing, with its audit trail.

    The input is read and validated before the database is opened, so invalid input
    leaves the database exactly as it was.

    Parameters
    ----------
    path : path-like
        A trial folder or ``.xlsx`` workbook (``format="folder"``), a REDCap export
        folder (``format="redcap"``) or a CDISC ODM 1.3.2 file (``format="odm"``).
    db_url : str
        Database URL (``sqlite:///FILE.db`` or ``postgresql://...``).
    user, reason : str
        Who imports and why, recorded in the audit trail (reason defaults to
        ``import of <name>``).
    format : {"folder", "redcap", "odm"}
        How to read ``path``.
    mapping : path-like, optional
        REDCap only: mapping file (TOML or CSV) for a project with other names.
    notes : list of Problem, optional
        REDCap only: receives a note per missing-data code read as missing.
    allow_deletions : bool
        Delete stored rows the input does not hold, and overwrite rows entered or
        corrected through the service; without it such an import is refused.
    dry_run : bool
        Compare only: report what the import would do, write nothing.

    Returns
    -------
    ImportSummary
        Rows inserted, updated, deleted and unchanged per table, and every change.

    Raises
    ------
    InvalidInputError
        Listing every problem of the input; nothing is written.
    ConflictError
        If the import would delete or overwrite protected rows without
        ``allow_deletions``; nothing is written.
    StoreError
        If the database cannot be opened or refuses the write.
    """
    trial = load_trial(path, None, format, mapping, notes)
    why = reason or f"import of {Path(path).name}"
    return _with_store(
        db_url,
        lambda store: store.save_trial(trial, user, why, allow_deletions, dry_run),
    )


def correct_value(
    db_url: str, patient_id: str, visit_date: str, field: str, value: str, reason: str, user: str
) -> Correction:
    """Correct one value of one visit (see :func:`myotrial.services.entry.correct_visit`)."""
    return _with_store(
        db_url,
        lambda store: correct_visit(
            store.unit_of_work, patient_id, visit_date, field, value, reason, user
        ),
    )


def audit_trail(db_url: str, patient_id: str | None = None) -> pd.DataFrame:
    """The audit trail, oldest first (see :meth:`myotrial.store.TrialStore.audit`)."""
    return _with_store(db_url, lambda store: store.audit(patient_id))


def _with_store(db_url: str, use: Callable[[TrialStore], T]) -> T:
    store = open_store(db_url)
    try:
        return use(store)
    finally:
        store.close()
