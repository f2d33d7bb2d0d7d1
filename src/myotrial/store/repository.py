"""The repository: reads and writes the trial's stored form on one open connection.

It speaks in DataFrames of the stored form (see :mod:`myotrial.store.codec`) and never
commits; the unit of work owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import numpy as np
import pandas as pd
import sqlalchemy as sa

from myotrial.errors import StoreError
from myotrial.store import codec
from myotrial.store.columns import COLUMNS, kinds
from myotrial.store.tables import audit_trail, changesets, trial_meta, trial_tables

_CHUNK = 5_000  # ids per DELETE ... IN (...): below every backend's parameter limit


class SqlTrialRepository:
    """Trial tables, configuration and audit trail on a SQLAlchemy connection."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def read_table(self, table: str) -> pd.DataFrame:
        """Every stored row of ``table`` in the stored form, with its database ``id``."""
        sql_table = trial_tables[table]
        result = self.connection.execute(sa.select(sql_table))
        frame = pd.DataFrame(result.all(), columns=list(result.keys()))
        columns = {"id": frame["id"].astype("int64")}
        for column, kind in COLUMNS[table]:
            columns[column] = codec.to_kind(frame[column], kind)
        columns["row_number"] = frame["row_number"].astype("int64")
        stored = pd.DataFrame(columns, index=frame.index)
        extras = codec.extras_from_json(frame["extra"])
        return pd.concat([stored, extras], axis=1)

    def insert_rows(self, table: str, stored: pd.DataFrame) -> None:
        """Insert rows given in the stored form (executemany, one statement)."""
        if stored.empty:
            return
        self.connection.execute(trial_tables[table].insert(), _db_records(table, stored))

    def update_rows(self, table: str, stored: pd.DataFrame) -> None:
        """Rewrite rows (matched on ``id``) with the stored-form values given."""
        if stored.empty:
            return
        sql_table = trial_tables[table]
        # bound names differ from column names: SQLAlchemy reserves those for SET
        records = [
            {f"new_{k}": v for k, v in record.items()}
            for record in _db_records(table, stored, with_id=True)
        ]
        values: dict[str, Any] = {k[4:]: sa.bindparam(k) for k in records[0] if k != "new_row_id"}
        statement = sql_table.update().where(sql_table.c.id == sa.bindparam("new_row_id"))
        self.connection.execute(statement.values(values), records)

    def delete_rows(self, table: str, ids: np.ndarray) -> None:
        """Delete rows by database id."""
        sql_table = trial_tables[table]
        for start in range(0, len(ids), _CHUNK):
            chunk = [int(i) for i in ids[start : start + _CHUNK]]
            self.connection.execute(sql_table.delete().where(sql_table.c.id.in_(chunk)))

    def read_meta(self) -> dict[str, Any] | None:
        """The stored configuration, layout, source and checksum (``None`` if empty)."""
        row = self.connection.execute(sa.select(trial_meta)).mappings().first()
        return None if row is None else dict(row)

    def write_meta(self, meta: dict[str, Any]) -> None:
        """Store the configuration, layout, source and checksum of the trial."""
        exists = self.connection.execute(sa.select(trial_meta.c.id)).first() is not None
        if exists:
            self.connection.execute(trial_meta.update().values(**meta))
        else:
            self.connection.execute(trial_meta.insert().values(id=1, **meta))

    def add_changeset(
        self, kind: str, user: str, reason: str, source: str = "", checksum: str = ""
    ) -> tuple[int, dt.datetime]:
        """Record one import or correction; return its id and UTC time."""
        now = dt.datetime.now(dt.UTC)
        result = self.connection.execute(
            changesets.insert().values(
                kind=kind,
                user_name=user,
                changed_at=now,
                reason=reason,
                source=source,
                checksum=checksum,
            )
        )
        key = result.inserted_primary_key
        if key is None:
            raise StoreError("the database did not return the id of the new changeset")
        return int(key[0]), now

    def add_audit(
        self, rows: pd.DataFrame, changeset: int, user: str, at: dt.datetime, reason: str
    ) -> None:
        """Append audit rows (columns of :data:`myotrial.store.diff.AUDIT_COLUMNS`)."""
        if rows.empty:
            return
        records = _records(rows.astype(object).where(rows.notna(), None))
        common = {"changeset_id": changeset, "user_name": user, "changed_at": at, "reason": reason}
        self.connection.execute(audit_trail.insert().values(common), records)

    def read_audit(self, patient_id: str | None = None) -> pd.DataFrame:
        """Audit rows in the order written, optionally for one patient."""
        query = sa.select(audit_trail).order_by(audit_trail.c.id)
        if patient_id is not None:
            query = query.where(audit_trail.c.patient_id == patient_id)
        result = self.connection.execute(query)
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def _db_records(table: str, stored: pd.DataFrame, with_id: bool = False) -> list[dict[str, Any]]:
    """Rows as driver values: Python scalars, ``datetime.date``, ``None`` for missing.

    Typed columns missing in every row are left out: the database fills them with NULL
    on insert, and no row being rewritten has a value there to clear.
    """
    columns: dict[str, pd.Series] = {"row_number": stored["row_number"].astype(object)}
    if with_id:
        columns["row_id"] = stored["id"].astype(object)
    in_use = stored.notna().any(axis=0)
    for column, kind in kinds(table).items():
        if in_use[column]:
            columns[column] = _driver_values(stored[column], kind)
    columns["extra"] = codec.extras_to_json(stored)
    return _records(pd.DataFrame(columns))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def _driver_values(series: pd.Series, kind: str) -> pd.Series:
    missing = series.isna()
    values = series.dt.date.astype(object) if kind == "date" else series.astype(object)
    return values.where(~missing, None)
