"""The repository: reads and writes the trial's stored form on one open connection.

It speaks in DataFrames of the stored form (see :mod:`myotrial.store.codec`) and never
commits; the unit of work owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from myotrial.errors import StoreError
from myotrial.store import bulk, codec
from myotrial.store.columns import COLUMNS, KEYS, REPEATABLE, kinds, match_keys
from myotrial.store.tables import (
    audit_trail,
    changesets,
    row_number_sequence,
    trial_meta,
    trial_tables,
)

_CHUNK = 5_000  # ids per DELETE ... IN (...): below every backend's parameter limit


class SqlTrialRepository:
    """Trial tables, configuration and audit trail on a SQLAlchemy connection."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self._sqlite = connection.dialect.name == "sqlite"

    def read_table(
        self, table: str, typed: Sequence[str] | None = None, patient_id: str | None = None
    ) -> pd.DataFrame:
        """Stored rows of ``table`` in the stored form, with their database ``id``.

        ``typed`` names the typed columns to read (default all); the others come back
        missing, which is what they hold when the trial's layout does not use them.
        ``patient_id`` restricts the rows to one patient's.
        """
        wanted = set(kinds(table) if typed is None else typed) | set(match_keys(table))
        names = [c for c, _ in COLUMNS[table] if c in wanted]
        bookkeeping = ["id", "row_number", "extra"]
        bookkeeping += ["occurrence"] if table in REPEATABLE else []
        if patient_id is None:
            frame = bulk.select_frame(self.connection, table, [*bookkeeping, *names])
        else:
            frame = self._patient_frame(table, [*bookkeeping, *names], patient_id)
        size = len(frame)
        columns = {"id": frame["id"].astype("int64")}
        for column, kind in COLUMNS[table]:
            values = frame[column] if column in wanted else None
            columns[column] = (
                codec.empty(kind, size) if values is None else codec.to_kind(values, kind)
            )
        columns["row_number"] = frame["row_number"].astype("int64")
        if table in REPEATABLE:
            columns["occurrence"] = frame["occurrence"].astype("int64")
        stored = pd.DataFrame(columns, index=frame.index)
        extras = codec.extras_from_json(frame["extra"])
        return pd.concat([stored, extras], axis=1)

    def _patient_frame(self, table: str, columns: list[str], patient_id: str) -> pd.DataFrame:
        """One patient's rows (a few, so the SQLAlchemy path is fast enough)."""
        sql_table = trial_tables[table]
        query = sa.select(*(sql_table.c[c] for c in columns)).where(
            sql_table.c.patient_id == patient_id
        )
        rows = self.connection.execute(query).all()
        if not rows:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return pd.DataFrame.from_records(rows, columns=columns, coerce_float=False)

    def has_row(self, table: str, key: dict[str, Any]) -> bool:
        """Whether a row with these natural-key values is stored (an index lookup)."""
        sql_table = trial_tables[table]
        query = sa.select(sql_table.c.id).where(
            *(sql_table.c[column] == value for column, value in key.items())
        )
        return self.connection.execute(query.limit(1)).first() is not None

    def insert_rows(self, table: str, stored: pd.DataFrame) -> None:
        """Insert rows given in the stored form, in bulk."""
        bulk.insert_frame(self.connection, table, _db_frame(table, stored))

    def append_row(self, table: str, stored: pd.DataFrame) -> None:
        """Insert one row after every stored row, whatever other writers do meanwhile.

        The row number is taken inside the INSERT: from the table's sequence on
        PostgreSQL (unique however many entries run at once, and after the table lock
        of an import), as the largest plus one on SQLite (one writer at a time).

        Raises
        ------
        sqlalchemy.exc.IntegrityError
            If a row with the same natural key exists (the unique key decides a race).
        """
        frame = _db_frame(table, stored).drop(columns="row_number")
        row = frame.astype(object).where(frame.notna(), None).iloc[0]
        values: dict[str, Any] = {str(k): v for k, v in row.items()}
        dates = [c for c, kind in kinds(table).items() if kind == "date" and values.get(c)]
        values.update({c: dt.date.fromisoformat(values[c]) for c in dates})
        sql_table = trial_tables[table]
        self.connection.execute(
            sql_table.insert().values(**values, row_number=self._next_row_number(table))
        )

    def append_record(self, table: str, values: dict[str, Any]) -> None:
        """Insert one row given as driver values (typed columns only), in one INSERT.

        The row number is taken inside the INSERT as :meth:`append_row` takes it; in a
        table where rows may share a key, the row's ``occurrence`` is the number of
        stored rows with its key.

        Raises
        ------
        sqlalchemy.exc.IntegrityError
            If a row with the same natural key exists (the unique key decides a race).
        """
        sql_table = trial_tables[table]
        row = {**values, "row_number": self._next_row_number(table)}
        if table in REPEATABLE:
            same = [sql_table.c[k] == values.get(k) for k in KEYS[table]]
            row["occurrence"] = sa.select(sa.func.count()).where(*same).scalar_subquery()
        self.connection.execute(sql_table.insert().values(**row))

    def _next_row_number(self, table: str) -> sa.ColumnElement[Any]:
        sql_table = trial_tables[table]
        if self._sqlite:
            top = sa.func.coalesce(sa.func.max(sql_table.c.row_number), -1) + 1
            return sa.select(top).scalar_subquery()
        return sa.literal_column(f"nextval('{row_number_sequence(table)}')")

    def lock_tables(self) -> None:
        """Hold off other writers of the trial tables until this transaction ends.

        PostgreSQL only (SQLite has one writer at a time anyway): an import compares
        the whole trial with what is stored, so no entry may slip in between.
        """
        if self._sqlite:
            return
        names = ", ".join(f'"{t}"' for t in trial_tables)
        self.connection.exec_driver_sql(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")

    def sync_row_numbers(self) -> None:
        """Let entries number their rows after the last row an import wrote (PostgreSQL)."""
        if self._sqlite:
            return
        for table in trial_tables:
            self.connection.exec_driver_sql(
                f"SELECT setval('{row_number_sequence(table)}', "
                f'(SELECT coalesce(max(row_number), -1) + 1 FROM "{table}"), false)'
            )

    def update_rows(self, table: str, stored: pd.DataFrame, columns: Sequence[str]) -> None:
        """Rewrite ``columns`` (and the row order) of rows matched on ``id``, in bulk."""
        frame = _db_frame(table, stored, with_id=True, columns=columns)
        bulk.update_frame(self.connection, table, frame)

    def delete_rows(self, table: str, ids: np.ndarray) -> None:
        """Delete rows by database id."""
        sql_table = trial_tables[table]
        for start in range(0, len(ids), _CHUNK):
            chunk = [int(i) for i in ids[start : start + _CHUNK]]
            self.connection.execute(sql_table.delete().where(sql_table.c.id.in_(chunk)))

    def read_meta(self, lock: bool = False) -> dict[str, Any] | None:
        """The stored configuration, layout, source and checksum (``None`` if empty).

        ``lock`` holds the row until the transaction ends (``SELECT ... FOR UPDATE`` on
        PostgreSQL; SQLite's write transactions hold the whole database already), so a
        read-change-write of the layout cannot lose another writer's change.
        """
        query = sa.select(trial_meta)
        if lock:
            query = query.with_for_update()
        row = self.connection.execute(query).mappings().first()
        return None if row is None else dict(row)

    def write_meta(self, meta: dict[str, Any]) -> None:
        """Store the configuration, layout, source and checksum of the trial."""
        exists = self.connection.execute(sa.select(trial_meta.c.id)).first() is not None
        if exists:
            self.connection.execute(trial_meta.update().values(**meta))
        else:
            self.connection.execute(trial_meta.insert().values(id=1, **meta))

    def add_layout_columns(self, table: str, entries: Sequence[Sequence[str]]) -> None:
        """Add to the stored layout of ``table`` the columns it does not list yet.

        An entry or a correction may fill a column the imported trial did not have; the
        layout is re-read under a row lock and extended, never replaced, so two writers
        adding different columns at once both keep theirs (a value whose column is
        missing from the layout would be stored but never shown).
        """
        known = self._layout_columns(table, self.read_meta())
        if all(entry[0] in known for entry in entries):
            return
        meta = self.read_meta(lock=True)
        if meta is None:
            return
        layout = json.loads(meta["layout"])
        known = self._layout_columns(table, meta)
        added = [list(e) for e in entries if e[0] not in known]
        if added:
            layout["tables"][table] += added
            self.connection.execute(trial_meta.update().values(layout=codec.dumps(layout)))

    @staticmethod
    def _layout_columns(table: str, meta: dict[str, Any] | None) -> set[str]:
        if meta is None:
            return set()
        return {entry[0] for entry in json.loads(meta["layout"])["tables"][table]}

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
        frame = rows.astype(object).where(rows.notna(), None)
        frame["changeset_id"] = changeset
        frame["user_name"] = user
        # stored as UTC text in ISO form on SQLite, as timestamptz on PostgreSQL
        frame["changed_at"] = (
            at.strftime("%Y-%m-%d %H:%M:%S.%f") if self._sqlite else at.isoformat()
        )
        frame["reason"] = reason
        bulk.insert_frame(self.connection, "audit_trail", frame)

    def add_audit_row(
        self, row: dict[str, Any], changeset: int, user: str, at: dt.datetime, reason: str
    ) -> None:
        """Append one audit row (the keys of :data:`myotrial.store.diff.AUDIT_COLUMNS`)."""
        self.connection.execute(
            audit_trail.insert().values(
                **row, changeset_id=changeset, user_name=user, changed_at=at, reason=reason
            )
        )

    def read_audit(self, patient_id: str | None = None) -> pd.DataFrame:
        """Audit rows in the order written, optionally for one patient."""
        query = sa.select(audit_trail).order_by(audit_trail.c.id)
        if patient_id is not None:
            query = query.where(audit_trail.c.patient_id == patient_id)
        result = self.connection.execute(query)
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def _db_frame(
    table: str, stored: pd.DataFrame, with_id: bool = False, columns: Sequence[str] = ()
) -> pd.DataFrame:
    """Rows as driver values: numbers, booleans, ``YYYY-MM-DD`` text, ``None``.

    An insert leaves out typed columns missing in every row (the database fills in
    NULL); an update writes the typed ``columns`` given, which may set values missing.
    """
    out: dict[str, pd.Series] = {}
    # an outer merge leaves whole numbers as float64; the database wants integers
    if with_id:
        out["id"] = stored["id"].astype("int64")
    out["row_number"] = stored["row_number"].astype("int64")
    if table in REPEATABLE:
        out["occurrence"] = stored["occurrence"].astype("int64")
    in_use = stored.notna().any(axis=0)
    for column, kind in kinds(table).items():
        if column in columns or column in match_keys(table) or (not with_id and in_use[column]):
            values = stored[column]
            out[column] = bulk.driver_dates(values) if kind == "date" else values
    out["extra"] = codec.extras_to_json(stored)
    return pd.DataFrame(out, index=stored.index)
