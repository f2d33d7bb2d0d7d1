"""A small hand-written trial used by the exchange tests (three patients, two courses)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from myotrial.config import TrialConfig
from myotrial.domain.tables import MEDDRA_COLUMNS
from myotrial.trialdata import TrialData
from tests.meddra_synthetic import write_synthetic_meddra


def _dates(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ns]")


def _flags(*values: bool | None) -> pd.Series:
    return pd.Series(list(values), dtype="boolean")


def _numbers(*values: float | None) -> pd.Series:
    return pd.Series([np.nan if v is None else v for v in values], dtype="float64")


def _text(*values: str | None) -> pd.Series:
    return pd.Series(list(values), dtype=object)


CDISC = {
    "country": "CHN",
    "sponsor": "Test sponsor",
    "title": "MSCT pilot (test)",
    "phase": "PHASE I/II TRIAL",
}
"""The ``[cdisc]`` settings a CDISC export needs."""


def make_small_trial() -> TrialData:
    """Three patients: P01 treated twice (relapse, re-treatment), P02 once, P03 control."""
    config = TrialConfig(
        name="MSCT pilot (test)",
        uln={"ck": 200.0, "aldolase": 7.6, "ldh": 250.0, "ast": 40.0, "alt": 40.0, "ck_mb": 25.0},
        extra={"cdisc": CDISC},
    )
    patients = pd.DataFrame(
        {
            "patient_id": _text("P01", "P02", "P03"),
            "site": _text("1", "1", "2"),
            "sex": _text("F", "M", "F"),
            "age": _numbers(44, 51.5, 38),
            "diagnosis": _text("DM", "PM", "DM"),
            "onset_date": _dates("2008-03-01", "2009-06-15", None),
            "diagnosis_date": _dates("2008-05-01", "2009-07-01", "2009-01-10"),
            "enrolment_date": _dates("2010-01-04", "2010-02-01", "2010-02-08"),
            "weight_kg": _numbers(62, 80.25, 55),
            "height_cm": _numbers(158, 176.5, None),
            "race": _text("ASIAN", "WHITE", None),
            "arm": _text("MSCT", "MSCT", "control"),
            "randomisation_date": _dates("2010-01-05", "2010-02-02", "2010-02-09"),
            "refractory": _flags(True, True, False),
            "severe_systemic": _flags(False, True, None),
            "ild": _flags(True, False, False),
            "antibody": _text("anti-MDA5", None, "anti-Jo-1"),
        }
    )
    infusions = pd.DataFrame(
        {
            "patient_id": _text("P01", "P01", "P01", "P02"),
            "infusion_date": _dates("2010-01-05", "2010-01-12", "2010-08-02", "2010-02-02"),
            "source": _text("UC", "UC", "BM", "UC"),
            "donor": _text("allogeneic", "allogeneic", "allogeneic", "autologous"),
            "cells_per_kg": _numbers(1e6, 1e6, 1.5e6, 0.95e6),
            "lot": _text("UC-0101", "UC-0102", "BM-0201", "UC-0103"),
            "route": _text("IV", "IV", "IV", "IV"),
            "viability_pct": _numbers(96.5, 95, None, 97.25),
        }
    )
    visits = pd.DataFrame(
        {
            "patient_id": _text(
                "P01", "P01", "P01", "P01", "P01", "P01", "P02", "P02", "P02", "P03", "P03"
            ),
            "visit_date": _dates(
                "2010-01-04",
                "2010-01-12",
                "2010-02-04",
                "2010-04-05",
                "2010-07-26",
                "2010-09-01",
                "2010-02-01",
                "2010-02-09",
                "2010-03-15",
                "2010-02-08",
                "2010-05-10",
            ),
            "phga": _numbers(6.5, 5, 3, 2, 6, 3.5, 7, 6.2, 4, 5, 5.1),
            "ptga": _numbers(7, 6, 3.5, 2.5, 7, 4, 8, None, 5, 6, 6),
            "mmt8": _numbers(45, 50, 66, 70, 52, 64, 38, 44, 60, 55, 54),
            "haq": _numbers(1.625, 1.5, 0.875, 0.5, 1.75, 1, 2.25, 2, 1.5, 1.25, 1.25),
            "haq_dressing": _numbers(2, None, None, None, None, None, 3, None, None, None, None),
            "haq_dressing_aid": _flags(
                True, None, None, None, None, None, False, None, None, None, None
            ),
            "ck": _numbers(1681, 886, 293, 202, 1500, 250.5, 2100, 1400, 480, 900, 850),
            "ck_mb": _numbers(40, 31, 22, 18, 45, 20, 60, 44, 30, None, None),
            "ldh": _numbers(480, None, 260, 240, 470, 250, 520, None, 300, 410, 400),
            "ast": _numbers(88, 60, 35, 30, 80, 38, 120, 90, 50, 70, 66),
            "alt": _numbers(70, 55, 33, 28, 75, 36, 95, 80, 45, 60, 61),
            "aldolase": _numbers(15.2, None, 8.1, 7, 14, 7.5, 20, None, 9, 11, 10.5),
            "fvc_pct": _numbers(62, None, None, 70, 64, 71, None, None, None, 80, 81),
            "ulcers": _numbers(1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0),
            "prednisone_mg": _numbers(40, 40, 20, 10, 30, 20, 30, 30, 15, 25, 25),
        }
    )
    adverse_events = pd.DataFrame(
        {
            "patient_id": _text("P01", "P02"),
            "onset_date": _dates("2010-01-05", "2010-02-20"),
            "term": _text("Fever", "Upper respiratory tract infection"),
            "soc": _text("General disorders", "Infections and infestations"),
            "grade": _numbers(1, 2),
            "serious": _flags(False, False),
            "relatedness": _text("probable", "not related"),
            "infusion_reaction": _flags(True, False),
            "resolved_date": _dates("2010-01-06", None),
            "outcome": _text("recovered", "recovering"),
            # not yet MedDRA coded (myotrial code-ae fills these)
            **{
                c: _numbers(None, None) if c.endswith("_code") else _text(None, None)
                for c in MEDDRA_COLUMNS
            },
        }
    )
    events = pd.DataFrame(
        {
            "patient_id": _text("P01"),
            "event_date": _dates("2010-07-26"),
            "type": _text("relapse"),
            "note": _text("CK and weakness back; second MSCT planned"),
        }
    )
    medications = pd.DataFrame(
        {
            "patient_id": _text("P01", "P02"),
            "drug": _text("methotrexate", "cyclophosphamide"),
            "dose": _numbers(15, 1000),
            "unit": _text("mg/week", "mg/month"),
            "start_date": _dates("2009-01-01", "2009-10-01"),
            "stop_date": _dates(None, "2010-01-15"),
        }
    )
    return TrialData(
        config=config,
        patients=patients,
        infusions=infusions,
        visits=visits,
        adverse_events=adverse_events,
        events=events,
        medications=medications,
    )


@pytest.fixture
def small_trial() -> TrialData:
    """The three-patient trial of :func:`make_small_trial`."""
    return make_small_trial()


@pytest.fixture
def meddra_dir(tmp_path: Path) -> Path:
    """The synthetic MedDRA distribution (invented codes; see tests/meddra_synthetic.py)."""
    return write_synthetic_meddra(tmp_path / "MedAscii")
