"""The trial store: a trial in a database (SQLite file or PostgreSQL) with an audit trail.

>>> store = open_store("sqlite:///myotrial.db")     # doctest: +SKIP
>>> summary = store.save_trial(trial, user="jdoe", reason="month 3 data")  # doctest: +SKIP
>>> trial = store.load_trial()                      # doctest: +SKIP
"""

from __future__ import annotations

from myotrial.store.correction import Correction
from myotrial.store.engine import create_engine, sqlalchemy_url, upgrade
from myotrial.store.trial_store import ImportSummary, TableSummary, TrialStore

__all__ = [
    "Correction",
    "ImportSummary",
    "TableSummary",
    "TrialStore",
    "open_store",
    "sqlalchemy_url",
]


def open_store(url: str, connections: int | None = None) -> TrialStore:
    """Open the trial store at ``url``, first bringing its schema up to date.

    Parameters
    ----------
    url : str
        ``sqlite:///FILE.db`` (created if absent) or ``postgresql://USER@HOST:PORT/DB``
        (the psycopg 3 driver is used whatever driver the URL names).
    connections : int, optional
        Connections the pool keeps open, one per thread using the store at once
        (:func:`myotrial.store.engine.create_engine`).

    Returns
    -------
    TrialStore
        The store; call :meth:`TrialStore.close` when done.

    Raises
    ------
    StoreError
        If the URL is not usable, the database cannot be reached, or it was written by
        a newer version of myotrial.
    """
    engine = create_engine(url, connections)
    try:
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return TrialStore(engine)
