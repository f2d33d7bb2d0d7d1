"""Adverse events, investigator events and background medication for synthetic trials.

Every builder takes column arrays (one entry per row to create) and returns column arrays,
so the pilot and the 10,000-patient registry share the same code without a patient loop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from myotrial.synthetic.frames import Columns

DateArray = NDArray[np.datetime64]

# Mild, transient reactions seen within a day or two of an MSC infusion.
INFUSION_REACTIONS = pd.DataFrame(
    {
        "term": ["Fever", "Chills", "Headache", "Urticaria", "Fatigue"],
        "soc": [
            "General disorders and administration site conditions",
            "General disorders and administration site conditions",
            "Nervous system disorders",
            "Skin and subcutaneous tissue disorders",
            "General disorders and administration site conditions",
        ],
        "grade": [1.0, 1.0, 1.0, 2.0, 1.0],
        "relatedness": ["probable", "probable", "possible", "probable", "possible"],
        "weight": [0.35, 0.2, 0.2, 0.1, 0.15],
    }
)
# Events expected in immunosuppressed myositis patients whatever the cell therapy.
UNRELATED_EVENTS = pd.DataFrame(
    {
        "term": [
            "Upper respiratory tract infection",
            "Herpes zoster",
            "Diarrhoea",
            "Hyperglycaemia",
            "Urinary tract infection",
        ],
        "soc": [
            "Infections and infestations",
            "Infections and infestations",
            "Gastrointestinal disorders",
            "Metabolism and nutrition disorders",
            "Infections and infestations",
        ],
        "grade": [2.0, 2.0, 1.0, 1.0, 2.0],
        "relatedness": ["unlikely", "unlikely", "not related", "not related", "unlikely"],
        "weight": [0.35, 0.15, 0.2, 0.15, 0.15],
    }
)

# Causes of death in refractory myositis: respiratory failure from interstitial lung
# disease, infection under immunosuppression, cardiac involvement.
FATAL_EVENTS = pd.DataFrame(
    {
        "term": ["Respiratory failure", "Pneumonia", "Sepsis", "Myocarditis"],
        "soc": [
            "Respiratory, thoracic and mediastinal disorders",
            "Infections and infestations",
            "Infections and infestations",
            "Cardiac disorders",
        ],
        "grade": [5.0, 5.0, 5.0, 5.0],
        "relatedness": ["not related", "unlikely", "unlikely", "not related"],
        "weight": [0.0, 0.45, 0.3, 0.25],
    }
)


def infusion_reactions(
    rng: np.random.Generator, patient_id: NDArray[np.str_], infusion_date: DateArray
) -> Columns:
    """One grade 1-2 infusion reaction per given infusion, resolved within 1-2 days."""
    return _events(rng, INFUSION_REACTIONS, patient_id, infusion_date, (1, 3), True)


def unrelated_events(
    rng: np.random.Generator, patient_id: NDArray[np.str_], onset_date: DateArray
) -> Columns:
    """One adverse event unrelated to the infusion per given onset, resolved in 1-3 weeks."""
    return _events(rng, UNRELATED_EVENTS, patient_id, onset_date, (7, 22), False)


def _events(
    rng: np.random.Generator,
    catalogue: pd.DataFrame,
    patient_id: NDArray[np.str_],
    onset: DateArray,
    resolve_days: tuple[int, int],
    reaction: bool,
) -> Columns:
    n = len(patient_id)
    weights = catalogue["weight"].to_numpy()
    pick = rng.choice(len(catalogue), size=n, p=weights / weights.sum())
    chosen = catalogue.iloc[pick]
    resolved = onset + rng.integers(*resolve_days, size=n).astype("timedelta64[D]")
    return {
        "patient_id": patient_id,
        "onset_date": onset,
        "term": chosen["term"].to_numpy(),
        "soc": chosen["soc"].to_numpy(),
        "grade": chosen["grade"].to_numpy(),
        "serious": np.zeros(n, dtype=bool),
        "relatedness": chosen["relatedness"].to_numpy(),
        "infusion_reaction": np.full(n, reaction),
        "resolved_date": resolved,
        "outcome": np.full(n, "recovered", dtype=object),
    }


def fatal_events(
    rng: np.random.Generator,
    patient_id: NDArray[np.str_],
    death_date: DateArray,
    ild: NDArray[np.bool_],
) -> Columns:
    """One grade 5 (CTCAE: death), serious adverse event per death, dated on the death.

    With interstitial lung disease the cause is respiratory failure; otherwise an
    infection or myocarditis.
    """
    columns = _events(rng, FATAL_EVENTS, patient_id, death_date, (0, 1), False)
    respiratory = FATAL_EVENTS.iloc[0]
    for key in ("term", "soc", "relatedness"):
        columns[key] = np.where(ild, respiratory[key], columns[key]).astype(object)
    n = len(patient_id)
    columns["serious"] = np.ones(n, dtype=bool)
    columns["resolved_date"] = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    columns["outcome"] = np.full(n, "fatal", dtype=object)
    return columns


def background_medication(
    rng: np.random.Generator,
    patient_id: NDArray[np.str_],
    enrolment: DateArray,
    diagnosis: NDArray[np.str_],
    ild: NDArray[np.bool_],
) -> Columns:
    """Immunosuppressants the patients were on before entry and kept during follow-up.

    Methotrexate for most, hydroxychloroquine for some with DM, cyclophosphamide for
    those with ILD; a few stop methotrexate after the first half year.
    """
    n = len(patient_id)
    on_mtx = rng.random(n) < 0.6
    on_hcq = (diagnosis == "DM") & (rng.random(n) < 0.5)
    mtx = _rows(
        patient_id, on_mtx, "methotrexate", rng.choice(np.array([10.0, 12.5, 15.0]), n), "mg/week"
    )
    hcq = _rows(patient_id, on_hcq, "hydroxychloroquine", np.full(n, 200.0), "mg/day")
    cyc = _rows(patient_id, ild, "cyclophosphamide", np.full(n, 500.0), "mg/month")
    columns = {k: np.concatenate([mtx[k], hcq[k], cyc[k]]) for k in mtx}
    rows = np.concatenate([np.flatnonzero(on_mtx), np.flatnonzero(on_hcq), np.flatnonzero(ild)])
    started = enrolment[rows] - rng.integers(60, 900, size=rows.size).astype("timedelta64[D]")
    stopped = enrolment[rows] + rng.integers(150, 240, size=rows.size).astype("timedelta64[D]")
    stops = (columns["drug"] == "methotrexate") & (rng.random(rows.size) < 0.25)
    columns["start_date"] = started
    columns["stop_date"] = np.where(stops, stopped, np.datetime64("NaT"))
    return columns


def _rows(
    patient_id: NDArray[np.str_],
    mask: NDArray[np.bool_],
    drug: str,
    dose: NDArray[np.float64],
    unit: str,
) -> dict[str, NDArray[np.generic]]:
    k = int(mask.sum())
    return {
        "patient_id": patient_id[mask],
        "drug": np.full(k, drug, dtype=object),
        "dose": dose[mask],
        "unit": np.full(k, unit, dtype=object),
    }
