"""Bulk reads and writes at the driver level, for tables of hundreds of thousands of rows.

SQLAlchemy's per-row parameter handling costs more than the database itself at this
size, so whole columns are converted once with pandas and handed to the driver:
``executemany`` with plain tuples on SQLite, ``COPY`` with CSV text on PostgreSQL.
Driver values: text, float, int, bool, dates as ``YYYY-MM-DD`` text, ``None`` for NULL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

_NULL = "\\N"  # PostgreSQL COPY's NULL marker, written unquoted


def insert_frame(connection: sa.Connection, table: str, frame: pd.DataFrame) -> None:
    """Insert every row of ``frame`` (columns named as in the database) into ``table``."""
    if frame.empty:
        return
    if connection.dialect.name == "postgresql":
        _copy_in(connection, table, frame)
        return
    columns = ", ".join(_quote(connection, c) for c in frame.columns)
    marks = ", ".join(["?"] * len(frame.columns))
    sql = f"INSERT INTO {_quote(connection, table)} ({columns}) VALUES ({marks})"
    rows = list(zip(*(_python_values(frame[c]) for c in frame.columns), strict=True))
    connection.exec_driver_sql(sql, rows)


def update_frame(connection: sa.Connection, table: str, frame: pd.DataFrame) -> None:
    """Rewrite the rows of ``table`` whose ``id`` is in ``frame`` with its other columns.

    The new values go to a temporary table in bulk, then one ``UPDATE ... FROM`` joins
    them in (SQLite 3.33+ and PostgreSQL), instead of one statement per row.
    """
    if frame.empty:
        return
    scratch = f"scratch_{table}"
    names = ", ".join(_quote(connection, c) for c in frame.columns)
    source = _quote(connection, table)
    if connection.dialect.name == "postgresql":
        create = f"CREATE TEMP TABLE {scratch} AS SELECT {names} FROM {source} WITH NO DATA"
    else:
        create = f"CREATE TEMP TABLE {scratch} AS SELECT {names} FROM {source} WHERE 0"
    connection.exec_driver_sql(create)
    insert_frame(connection, scratch, frame)
    sets = ", ".join(
        f"{_quote(connection, c)} = {scratch}.{_quote(connection, c)}"
        for c in frame.columns
        if c != "id"
    )
    connection.exec_driver_sql(
        f"UPDATE {source} SET {sets} FROM {scratch} WHERE {source}.id = {scratch}.id"
    )
    connection.exec_driver_sql(f"DROP TABLE {scratch}")


def select_frame(connection: sa.Connection, table: str, columns: Sequence[str]) -> pd.DataFrame:
    """Every row of ``table`` restricted to ``columns``, values as the driver returns them."""
    names = ", ".join(_quote(connection, c) for c in columns)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"SELECT {names} FROM {_quote(connection, table)}")
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.DataFrame.from_records(rows, columns=list(columns), coerce_float=False)


def driver_dates(series: pd.Series) -> pd.Series:
    """Dates as ``YYYY-MM-DD`` text (``None`` when missing), the form SQLite stores."""
    text = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(str)
    return pd.Series(text, index=series.index, dtype=object).where(series.notna(), None)


def _python_values(series: pd.Series) -> list[Any]:
    values = series.astype(object).to_numpy()
    mask = series.isna().to_numpy()
    if mask.any():
        values[mask] = None
    return list(values)


def _copy_in(connection: sa.Connection, table: str, frame: pd.DataFrame) -> None:
    text = frame.to_csv(index=False, header=False, na_rep=_NULL, lineterminator="\n")
    columns = ", ".join(_quote(connection, c) for c in frame.columns)
    sql = (
        f"COPY {_quote(connection, table)} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '{_NULL}')"
    )
    cursor: Any = connection.connection.cursor()
    try:
        with cursor.copy(sql) as copy:
            copy.write(text.encode("utf-8"))
    except connection.dialect.loaded_dbapi.Error as exc:
        # the driver's own error (a unique key, a dropped connection): give callers the
        # SQLAlchemy error they catch everywhere else
        raise sa.exc.DBAPIError.instance(
            sql, None, exc, connection.dialect.loaded_dbapi.Error
        ) from exc
    finally:
        cursor.close()


def _quote(connection: sa.Connection, name: str) -> str:
    return str(connection.dialect.identifier_preparer.quote(name))
