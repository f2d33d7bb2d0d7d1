"""Writing the MedDRA coding of stored adverse events, with its audit rows.

The coding is worked out by the use case (:mod:`myotrial.services.coding`) on the stored
rows this module reads; this module writes only the coded columns that changed, each
change an audit row of a ``coding`` changeset (who, when, old and new value, why), as a
correction is written.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from myotrial.domain.tables import MEDDRA_COLUMNS
from myotrial.errors import NotFoundError
from myotrial.store.diff import AUDIT_COLUMNS, diff_table
from myotrial.store.reading import typed_columns
from myotrial.store.repository import SqlTrialRepository

KIND = "coding"
"""The changeset kind of a coding (an import does not overwrite it unasked)."""
TABLE = "adverse_events"


def stored_events(repository: SqlTrialRepository) -> pd.DataFrame:
    """The stored adverse events in the stored form, with their coded columns.

    Raises
    ------
    NotFoundError
        If no trial has been imported into the database.
    """
    meta = repository.read_meta(lock=True)
    if meta is None:
        raise NotFoundError("the database holds no trial yet (import one first)")
    typed = typed_columns(meta).get(TABLE, [])
    return repository.read_table(TABLE, [*typed, *MEDDRA_COLUMNS])


def write_coding(
    repository: SqlTrialRepository,
    stored: pd.DataFrame,
    code: Callable[[pd.DataFrame], pd.DataFrame],
    user: str,
    reason: str,
    source: str,
) -> tuple[pd.DataFrame, int | None]:
    """Write what ``code`` changes in the ``stored`` events; return the audit rows and id.

    ``code`` takes and returns the stored rows (without ``id``) with the coded columns
    set. Nothing is written when nothing changes (the changeset id is then ``None``).
    """
    coded = code(stored.drop(columns="id"))
    change = diff_table(TABLE, coded, stored)
    if change.audit.empty:
        return pd.DataFrame(columns=list(AUDIT_COLUMNS)), None
    changeset, at = repository.add_changeset(KIND, user, reason, source)
    repository.update_rows(TABLE, change.updates, change.compared)
    repository.add_audit(change.audit, changeset, user, at, reason)
    layout = [[c, "float64" if c.endswith("_code") else "object", "typed"] for c in MEDDRA_COLUMNS]
    repository.add_layout_columns(TABLE, layout)
    return change.audit, changeset
