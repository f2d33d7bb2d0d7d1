"""What an import changes: the stored form of a table compared with what is stored.

Pure pandas, no database. Rows are matched on the table's natural key
(:func:`~myotrial.store.columns.match_keys`) with one merge; each value column is compared
as a whole, so the cost grows with the number of columns, not of rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from myotrial.errors import Problem
from myotrial.store.codec import as_text, field_name, records_json
from myotrial.store.columns import match_keys

AUDIT_COLUMNS: tuple[str, ...] = (
    "table_name",
    "record_key",
    "patient_id",
    "action",
    "field",
    "old_value",
    "new_value",
)
OLD = "__old"


@dataclass(frozen=True)
class TableDiff:
    """The writes one table needs, and their audit rows.

    ``inserts`` and ``updates`` are in the stored form (``updates`` carries the database
    ``id``); ``deleted_ids`` are database ids; ``audit`` has :data:`AUDIT_COLUMNS`;
    ``compared`` names the value columns holding a value on either side (the only ones
    an update can change, to a value or to missing).
    """

    table: str
    inserts: pd.DataFrame
    updates: pd.DataFrame
    deleted_ids: np.ndarray
    audit: pd.DataFrame
    updated: int
    unchanged: int
    compared: tuple[str, ...] = ()

    @property
    def writes(self) -> bool:
        """Whether anything is to be written (including a new row order)."""
        return bool(len(self.inserts) or len(self.updates) or len(self.deleted_ids))


def key_problems(table: str, stored: pd.DataFrame, file: str) -> list[Problem]:
    """Rows the store cannot identify: no patient_id (donor, lot), or a key seen before."""
    keys = list(match_keys(table))
    owner = keys[0]  # patient_id, or the donor or lot code of the product record
    missing = stored.index[stored[owner].isna()]
    problems = [
        Problem(file, int(row) + 2, owner, None, "is required", f"every row must name its {owner}")
        for row in missing
    ]
    repeated = stored.duplicated(keys, keep="first")
    rows = stored.index[repeated]
    shown = record_keys(stored.loc[rows, keys], keys)
    return problems + [
        Problem(
            file,
            int(row) + 2,
            ", ".join(keys),
            key,
            f"repeats the key of an earlier row ({', '.join(keys)} must be unique)",
            "merge the two rows or correct the date",
        )
        for row, key in zip(rows, shown, strict=True)
    ]


def record_keys(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """The natural key of each row as text, parts joined by ``|``.

    A repeated key's later rows end in ``|#2``, ``|#3`` (their ``occurrence`` + 1).
    """
    parts = [as_text(frame[k]).fillna("") for k in keys if k != "occurrence"]
    joined = parts[0].astype(str)
    for part in parts[1:]:
        joined = joined + "|" + part.astype(str)
    if "occurrence" in keys:
        later = frame["occurrence"] > 0
        number = (frame["occurrence"] + 1).astype(str)
        joined = joined.where(~later, joined + "|#" + number)
    return joined


def diff_table(table: str, incoming: pd.DataFrame, stored: pd.DataFrame) -> TableDiff:
    """Compare the incoming stored form with the stored rows (which carry ``id``)."""
    keys = list(match_keys(table))
    incoming, stored = _align(incoming, stored)
    # a column missing everywhere on both sides cannot have changed
    in_use = incoming.notna().any(axis=0) | stored.notna().any(axis=0)
    values = [c for c in incoming.columns if c not in (*keys, "row_number") and in_use[c]]
    if stored.empty:  # a first import: every row is new, nothing to match
        return _all_new(table, incoming, keys, values)
    merged = incoming.merge(stored, on=keys, how="outer", suffixes=("", OLD), indicator=True)
    both = merged[merged["_merge"] == "both"]
    changed = pd.DataFrame({c: _differs(both[c], both[c + OLD]) for c in values}, index=both.index)
    value_changed = changed.any(axis=1) if values else pd.Series(False, index=both.index)
    moved = both["row_number"].to_numpy() != both["row_number" + OLD].to_numpy()
    rewrite = both[value_changed.to_numpy() | moved]
    added = merged[merged["_merge"] == "left_only"]
    gone = merged[merged["_merge"] == "right_only"]
    audit = pd.concat(
        [
            _audit_rows(table, added, keys, "insert", new=added[values]),
            _audit_changes(table, both, changed, keys),
            _audit_rows(table, gone, keys, "delete", old=_old(gone, values)),
        ],
        ignore_index=True,
    )
    return TableDiff(
        table=table,
        inserts=added[list(incoming.columns)].reset_index(drop=True),
        updates=rewrite[["id", *incoming.columns]].reset_index(drop=True),
        deleted_ids=gone["id"].to_numpy(dtype="int64"),
        audit=audit,
        updated=int(value_changed.sum()),
        unchanged=int((~value_changed).sum()),
        compared=tuple(values),
    )


def _all_new(table: str, incoming: pd.DataFrame, keys: list[str], values: list[str]) -> TableDiff:
    return TableDiff(
        table=table,
        inserts=incoming.reset_index(drop=True),
        updates=incoming.iloc[:0].assign(id=pd.Series(dtype="int64")),
        deleted_ids=np.empty(0, dtype="int64"),
        audit=_audit_rows(table, incoming, keys, "insert", new=incoming[values]),
        updated=0,
        unchanged=0,
        compared=tuple(values),
    )


def _align(incoming: pd.DataFrame, stored: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give both sides the same value columns (an absent unknown column is all missing)."""
    incoming, stored = incoming.copy(), stored.copy()
    for column in stored.columns:
        if column not in incoming.columns and column != "id":
            incoming[column] = pd.Series([None] * len(incoming), dtype=object)
    for column in incoming.columns:
        if column not in stored.columns:
            stored[column] = pd.Series([None] * len(stored), dtype=object)
    return incoming, stored


def _differs(new: pd.Series, old: pd.Series) -> np.ndarray:
    new_missing = new.isna().to_numpy()
    old_missing = old.isna().to_numpy()
    if new.dtype == object or old.dtype == object:
        equal = new.astype(object).to_numpy() == old.astype(object).to_numpy()
    else:
        equal = (new == old).fillna(False).to_numpy(dtype=bool)
    same = (new_missing & old_missing) | (~new_missing & ~old_missing & equal)
    return ~same


def _old(frame: pd.DataFrame, values: list[str]) -> pd.DataFrame:
    return frame[[c + OLD for c in values]].rename(columns=lambda c: c.removesuffix(OLD))


def _audit_rows(
    table: str,
    rows: pd.DataFrame,
    keys: list[str],
    action: str,
    new: pd.DataFrame | None = None,
    old: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One audit row per inserted or deleted record; the record's values as JSON."""
    if rows.empty:
        return pd.DataFrame(columns=list(AUDIT_COLUMNS))
    none = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    return pd.DataFrame(
        {
            "table_name": table,
            "record_key": record_keys(rows, keys),
            "patient_id": _patients(rows),
            "action": action,
            "field": none,
            "old_value": none if old is None else records_json(_present(old)),
            "new_value": none if new is None else records_json(_present(new)),
        },
        columns=list(AUDIT_COLUMNS),
    )


def _patients(rows: pd.DataFrame) -> pd.Series:
    """The patient of each row; none for the product record (donors, lots)."""
    if "patient_id" in rows.columns:
        return rows["patient_id"].astype(object)
    return pd.Series([None] * len(rows), index=rows.index, dtype=object)


def _present(frame: pd.DataFrame) -> pd.DataFrame:
    """Only the columns holding a value somewhere, to keep audit rows short."""
    return frame.loc[:, frame.notna().any(axis=0)]


def _audit_changes(
    table: str, both: pd.DataFrame, changed: pd.DataFrame, keys: list[str]
) -> pd.DataFrame:
    """One audit row per changed value: field, old value, new value."""
    columns = changed.columns[changed.any(axis=0).to_numpy()]
    if not len(columns):
        return pd.DataFrame(columns=list(AUDIT_COLUMNS))
    record_key = record_keys(both, keys)
    pieces = []
    for column in columns:
        rows = changed[column].to_numpy()
        pieces.append(
            pd.DataFrame(
                {
                    "table_name": table,
                    "record_key": record_key[rows],
                    "patient_id": _patients(both)[rows],
                    "action": "update",
                    "field": field_name(str(column)),
                    "old_value": as_text(both[column + OLD][rows]),
                    "new_value": as_text(both[column][rows]),
                },
                columns=list(AUDIT_COLUMNS),
            )
        )
    return pd.concat(pieces, ignore_index=True)
