"""A small hand-built trial and its analysis tables, with the columns of docs/analysis.md.

Three patients: P1 and P2 respond, P2 relapses and is re-treated; P3 has no response.
The change-from-baseline rows are hand calculations from the visits below, written out
so the report's rounding can be checked against them.
"""

from __future__ import annotations

import pandas as pd

from myotrial.analysis.result import AnalysisResult
from myotrial.config import TrialConfig
from myotrial.trialdata import TrialData

D = pd.Timestamp


def _visits() -> pd.DataFrame:
    rows = [
        # patient, date, ck, mmt8, prednisone, fvc
        ("P1", "2024-01-01", 1000.0, 40.0, 30.0, 70.0),
        ("P1", "2024-01-31", 400.0, 60.0, 20.0, 75.0),
        ("P1", "2024-03-31", 200.0, 66.0, 10.0, 80.0),
        ("P2", "2024-02-01", 2000.0, 50.0, 40.0, None),
        ("P2", "2024-03-02", 600.0, 62.0, 20.0, None),
        ("P2", "2024-05-01", 1500.0, 52.0, 30.0, None),
        ("P2", "2024-06-01", 1400.0, 50.0, 30.0, None),
        ("P2", "2024-07-01", 500.0, 64.0, 15.0, None),
        ("P3", "2024-03-01", 3000.0, 30.0, 20.0, 60.0),
        ("P3", "2024-03-31", 2600.0, 32.0, 20.0, 58.0),
        ("P3", "2024-05-30", 2400.0, 34.0, 15.0, 55.0),
    ]
    frame = pd.DataFrame(
        rows, columns=["patient_id", "visit_date", "ck", "mmt8", "prednisone_mg", "fvc_pct"]
    )
    frame["visit_date"] = pd.to_datetime(frame["visit_date"])
    return frame


def make_trial() -> TrialData:
    """The three-patient trial."""
    patients = pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3"],
            "sex": ["F", "M", "F"],
            "age": [45.0, 52.0, 38.0],
            "diagnosis": ["DM", "PM", "DM"],
            "arm": ["MSCT"] * 3,
            "enrolment_date": pd.to_datetime(["2023-12-20", "2024-01-20", "2024-02-20"]),
        }
    )
    infusions = pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P2", "P3"],
            "infusion_date": pd.to_datetime(
                ["2024-01-01", "2024-02-01", "2024-06-01", "2024-03-01"]
            ),
            "source": ["UC", "BM", "UC", "UC"],
            "donor": ["allogeneic"] * 4,
            "cells_per_kg": [1e6, 1e6, 2e6, 1e6],
        }
    )
    empty_ae = pd.DataFrame(
        {
            "patient_id": ["P1"],
            "onset_date": [D("2024-01-02")],
            "term": ["fever"],
            "grade": [1.0],
            "serious": [False],
        }
    )
    events = pd.DataFrame({"patient_id": [], "event_date": [], "type": []})
    meds = pd.DataFrame({"patient_id": [], "drug": []})
    config = TrialConfig(name="Hand-built MSCT trial", uln={"ck": 200.0})
    return TrialData(
        config,
        patients,
        infusions,
        _visits(),
        empty_ae,
        events,
        meds,
        source="hand-built",
        checksum="ab" * 32,
    )


def _change() -> pd.DataFrame:
    # ck month1: baselines 1000, 2000, 3000 (mean 2000, SD 1000); follow-up 400, 600, 2600
    # (mean 1200, SD 1216.55); changes -600, -1400, -400 (mean -800, SD 529.15).
    # mmt8 month1: 40, 50, 30 → 60, 62, 32; changes 20, 12, 2 (mean 11.33, SD 9.02).
    rows = [
        (
            1,
            "ck",
            "month1",
            30,
            3,
            2000.0,
            1000.0,
            1200.0,
            1216.55,
            -800.0,
            529.15,
            -2114.5,
            514.5,
            0.134,
            0.25,
            -60.0,
        ),
        (
            1,
            "ck",
            "month3",
            90,
            2,
            2000.0,
            1414.21,
            1300.0,
            1555.63,
            -700.0,
            141.42,
            -1970.6,
            570.6,
            0.126,
            0.5,
            -35.0,
        ),
        (
            1,
            "mmt8",
            "month1",
            30,
            3,
            40.0,
            10.0,
            51.33,
            16.77,
            11.33,
            9.02,
            -11.07,
            33.74,
            0.170,
            0.25,
            20.0,
        ),
        (
            1,
            "prednisone_mg",
            "month1",
            30,
            3,
            30.0,
            10.0,
            20.0,
            0.0,
            -10.0,
            10.0,
            -34.84,
            14.84,
            0.225,
            0.5,
            -33.0,
        ),
        (
            1,
            "fvc_pct",
            "month1",
            30,
            2,
            65.0,
            7.07,
            66.5,
            12.02,
            1.5,
            4.95,
            -42.97,
            45.97,
            0.736,
            1.0,
            2.0,
        ),
        (
            2,
            "ck",
            "month1",
            30,
            1,
            1400.0,
            None,
            500.0,
            None,
            -900.0,
            None,
            None,
            None,
            None,
            None,
            -64.0,
        ),
    ]
    columns = [
        "episode",
        "measure",
        "timepoint",
        "day",
        "n",
        "baseline_mean",
        "baseline_sd",
        "mean",
        "sd",
        "change_mean",
        "change_sd",
        "change_ci_low",
        "change_ci_high",
        "p_ttest",
        "p_wilcoxon",
        "percent_change_median",
    ]
    return pd.DataFrame(rows, columns=columns)


def _episodes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P2", "P3"],
            "episode": [1, 1, 2, 1],
            "first_infusion": pd.to_datetime(
                ["2024-01-01", "2024-02-01", "2024-06-01", "2024-03-01"]
            ),
            "n_infusions": [1, 1, 1, 1],
            "cells_per_kg_total": [1e6, 1e6, 2e6, 1e6],
            "baseline_date": pd.to_datetime(
                ["2024-01-01", "2024-02-01", "2024-06-01", "2024-03-01"]
            ),
            "retreatment": [False, False, True, False],
            "response_date": pd.to_datetime(["2024-01-31", "2024-03-02", "2024-07-01", None]),
            "best_tis": [62.5, 45.0, 40.0, 10.0],
            "relapse_date": pd.to_datetime([None, "2024-05-01", None, None]),
            "end_date": pd.to_datetime(["2024-03-31", "2024-05-31", "2024-07-01", "2024-05-30"]),
        }
    )


def make_result() -> AnalysisResult:
    """Analysis tables of :func:`make_trial`, columns as docs/analysis.md lists them."""
    baseline = pd.DataFrame(
        {
            "arm": ["MSCT", "MSCT", "MSCT"],
            "characteristic": ["age", "sex", "sex"],
            "level": [None, "F", "M"],
            "n": [3, 3, 3],
            "value": ["45.0 ± 7.0", "2 (66.7 %)", "1 (33.3 %)"],
            "mean": [45.0, None, None],
            "sd": [7.0, None, None],
            "median": [45.0, None, None],
            "q1": [41.5, None, None],
            "q3": [48.5, None, None],
            "count": [None, 2, 1],
            "percent": [None, 66.7, 33.3],
        }
    )
    response = pd.DataFrame(
        {
            "episode": [1, 1, 1, 1],
            "timepoint": ["month1"] * 4,
            "criterion": ["tis_minimal", "tis_moderate", "tis_major", "doi"],
            "n": [3] * 4,
            "responders": [2, 2, 1, 2],
            "proportion": [2 / 3, 2 / 3, 1 / 3, 2 / 3],
            # Clopper-Pearson 95 % for 2/3: 0.0943 to 0.9916; 1/3: 0.0084 to 0.9057
            "ci_low": [0.0943, 0.0943, 0.0084, 0.0943],
            "ci_high": [0.9916, 0.9916, 0.9057, 0.9916],
        }
    )
    # Three responders (P1, P2 course 1, P2 course 2); P2 relapses on day 60 after response.
    relapse = pd.DataFrame(
        {
            "time_days": [0.0, 59.0, 60.0],
            "at_risk": [3, 3, 2],
            "events": [0, 0, 1],
            "censored": [0, 2, 0],
            "survival": [1.0, 1.0, 0.5],
            "ci_low": [1.0, 1.0, 0.006],
            "ci_high": [1.0, 1.0, 0.91],
        }
    )
    safety = pd.DataFrame(
        {
            "term": ["fever"],
            "grade": [1],
            "serious": [False],
            "relatedness": ["possible"],
            "patients": [1],
            "events": [1],
        }
    )
    safety_summary = pd.DataFrame(
        {"item": ["any adverse event", "serious adverse event"], "patients": [1, 0]}
    )
    lung_skin = pd.DataFrame(
        {
            "patient_id": ["P1", "P3"],
            "episode": [1, 1],
            "fvc_pct_baseline": [70.0, 60.0],
            "fvc_pct_last": [80.0, 55.0],
            "fvc_improved": [True, False],
            "progression": [False, True],
        }
    )
    return AnalysisResult(
        episodes=_episodes(),
        baseline=baseline,
        change_from_baseline=_change(),
        scores=pd.DataFrame(),
        response=response,
        relapse=relapse,
        safety=safety,
        safety_summary=safety_summary,
        lung_skin=lung_skin,
        steroids=pd.DataFrame(),
        longitudinal=pd.DataFrame(),
        summary={
            "methods": "Analysed with myotrial.",
            "input_checksum": "",
            "relapse": {"median_days": None},
        },
    )


def make_pilot() -> pd.DataFrame:
    """The published pilot rows for CK and MMT-8 (docs/measures.md §9)."""
    return pd.DataFrame(
        {
            "source": ["Tang2011"] * 4,
            "measure": ["ck", "ck", "mmt8", "mmt8"],
            "unit": ["U/L", "U/L", "points (0-80)", "points (0-80)"],
            "timepoint": ["baseline", "month1", "baseline", "month1"],
            "day": [0, 30, 0, 30],
            "n": [8, 8, 8, 8],
            "mean": [1681.0, 293.0, 45.0, 67.0],
            "sd": [430.0, 89.0, 14.0, 3.0],
        }
    )
