"""Reading the stored trial and its audit trail back into the trial format's frames."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from myotrial.config import TrialConfig
from myotrial.errors import NotFoundError
from myotrial.store import codec
from myotrial.store.repository import SqlTrialRepository
from myotrial.trialdata import TABLES, TrialData, empty_table

AUDIT_FRAME_COLUMNS: tuple[str, ...] = (
    "changed_at",
    "user",
    "table",
    "key",
    "patient_id",
    "action",
    "field",
    "old_value",
    "new_value",
    "reason",
    "import_id",
)


def read_stored_trial(repository: SqlTrialRepository) -> TrialData:
    """The trial held by the database ``repository`` reads (see :meth:`TrialStore.load_trial`).

    Raises
    ------
    NotFoundError
        If no trial has been imported into this database.
    """
    meta = repository.read_meta()
    if meta is None:
        raise NotFoundError(
            f"the database {repository.connection.engine.url!r} holds no trial yet "
            "(import one first: myotrial import PATH)"
        )
    typed = typed_columns(meta)
    stored = {t: repository.read_table(t, typed[t]) for t in TABLES}
    layout = json.loads(meta["layout"])
    frames = {t: _decoded(t, stored[t], layout["tables"]) for t in TABLES}
    return TrialData(
        config=TrialConfig.from_dict(json.loads(meta["config"]), source="database"),
        source=meta["source"],
        checksum=meta["checksum"],
        extra_columns={t: tuple(c) for t, c in layout["extra_columns"].items()},
        **frames,
    )


def typed_columns(meta: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """The typed columns each table uses, from the stored layout (none when empty)."""
    if meta is None:
        return {}
    tables = json.loads(meta["layout"])["tables"]
    return {t: [c for c, _, where in tables.get(t, []) if where == "typed"] for t in TABLES}


def _decoded(table: str, stored: pd.DataFrame, layouts: Mapping[str, Any]) -> pd.DataFrame:
    """A stored table as imported; a table the stored layout predates comes back empty."""
    if table not in layouts:  # a trial stored before the product record existed
        return empty_table(table)
    return codec.decode_table(stored, layouts[table])


def audit_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Audit rows as stored, with the columns of :data:`AUDIT_FRAME_COLUMNS`."""
    frame = pd.DataFrame(
        {
            "changed_at": pd.to_datetime(rows.get("changed_at", pd.Series(dtype=object)), utc=True),
            "user": rows.get("user_name"),
            "table": rows.get("table_name"),
            "key": rows.get("record_key"),
            "patient_id": rows.get("patient_id"),
            "action": rows.get("action"),
            "field": rows.get("field"),
            "old_value": rows.get("old_value"),
            "new_value": rows.get("new_value"),
            "reason": rows.get("reason"),
            "import_id": rows.get("changeset_id"),
        },
        columns=list(AUDIT_FRAME_COLUMNS),
    )
    return frame.reset_index(drop=True)
