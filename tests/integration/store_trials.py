"""Small trials built by hand for the store tests (typed as the trial readers type them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from myotrial.config import TrialConfig
from myotrial.trialdata import TrialData


def _dates(*values: str | None) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]")


def small_trial() -> TrialData:
    """Three patients with every table filled and one unknown column in two tables."""
    patients = pd.DataFrame(
        {
            "patient_id": ["P01", "P02", "P03"],
            "site": ["1", "1", "2"],
            "sex": ["F", "M", "F"],
            "age": [54.0, 61.0, 38.0],
            "diagnosis": ["DM", "PM", "DM"],
            "enrolment_date": _dates("2011-03-01", "2011-04-11", "2011-05-02"),
            "weight_kg": [62.5, 80.1, np.nan],
            "refractory": pd.array([True, True, None], dtype="boolean"),
            "antibody": ["anti-Jo-1", np.nan, "anti-MDA5"],
            "smoker": ["yes", "no", np.nan],
        }
    )
    visits = pd.DataFrame(
        {
            "patient_id": ["P01", "P01", "P02", "P02", "P03"],
            "visit_date": _dates(
                "2011-03-01", "2011-04-01", "2011-04-11", "2011-05-12", "2011-05-02"
            ),
            "phga": [6.5, 3.0, 7.0, np.nan, 5.5],
            "mmt8": [45.0, 62.0, 40.0, 58.0, 50.0],
            "ck": [1680.0, 410.5, 2300.0, 650.0, 0.1 + 0.2],
            "haq_grip_aid": pd.array([True, False, None, False, True], dtype="boolean"),
            "comment": ["baseline", np.nan, "baseline", 'cold, "mild"', "é"],
            "site_score": [1.5, 2.25, np.nan, 1e-7, 3.0],
        }
    )
    infusions = pd.DataFrame(
        {
            "patient_id": ["P01", "P02", "P03"],
            "infusion_date": _dates("2011-03-01", "2011-04-11", "2011-05-02"),
            "source": ["BM", "UC", "UC"],
            "cells_per_kg": [1e6, 1e6, 1.2e6],
            "lot": ["L1", "L2", np.nan],
        }
    )
    adverse_events = pd.DataFrame(
        {
            "patient_id": ["P02"],
            "onset_date": _dates("2011-04-11"),
            "term": ["fever"],
            "grade": [1.0],
            "serious": pd.array([False], dtype="boolean"),
            "resolved_date": _dates(None),
        }
    )
    events = pd.DataFrame(
        {
            "patient_id": ["P01"],
            "event_date": _dates("2011-09-01"),
            "type": ["relapse"],
            "note": [np.nan],
        }
    )
    medications = pd.DataFrame(
        {
            "patient_id": ["P01", "P01"],
            "drug": ["prednisone", "methotrexate"],
            "dose": [30.0, 15.0],
            "unit": ["mg/day", "mg/week"],
            "start_date": _dates("2010-11-01", None),
            "stop_date": _dates(None, None),
        }
    )
    config = TrialConfig(name="Synthetic test trial", uln={"ck": 200.0})
    return TrialData(
        config=config,
        patients=patients,
        infusions=infusions,
        visits=visits,
        adverse_events=adverse_events,
        events=events,
        medications=medications,
        source="tests/small",
        checksum="0" * 64,
        extra_columns={"patients": ("smoker",), "visits": ("comment", "site_score")},
    )


def database_snapshot(url: str) -> object:
    """Everything the database holds: every table's rows.

    Rows rather than a SQLite file's bytes: in WAL mode a committed change can sit in
    the ``-wal`` file, leaving the main file's bytes as they were.
    """
    import sqlalchemy as sa

    from myotrial.store import sqlalchemy_url

    engine = sa.create_engine(sqlalchemy_url(url))
    dump: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as connection:
        for name in sa.inspect(connection).get_table_names():
            rows = connection.execute(sa.text(f'SELECT * FROM "{name}"')).all()
            dump[name] = sorted((tuple(r) for r in rows), key=repr)
    engine.dispose()
    return dump
