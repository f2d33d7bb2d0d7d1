"""Small hand-made trials for the analysis tests (every date and value written out)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from myotrial import TrialConfig, TrialData

DAY0 = pd.Timestamp("2024-01-10")


def day(n: int) -> pd.Timestamp:
    """The date ``n`` days after 2024-01-10."""
    return DAY0 + pd.Timedelta(days=n)


def make_trial(
    patients: Sequence[str] = ("P1",),
    infusions: Sequence[tuple[str, int]] = (("P1", 0),),
    visits: Sequence[dict[str, Any]] = (),
    events: Sequence[tuple[str, int, str]] = (),
    adverse_events: Sequence[dict[str, Any]] = (),
    config: TrialConfig | None = None,
    arms: dict[str, str] | None = None,
) -> TrialData:
    """A trial from short lists; visit dicts carry ``patient_id``, ``day`` and values."""
    arms = arms or {}
    patient_frame = pd.DataFrame(
        {
            "patient_id": list(patients),
            "sex": ["F"] * len(patients),
            "age": [40.0 + i for i in range(len(patients))],
            "diagnosis": ["DM"] * len(patients),
            "enrolment_date": [day(-20)] * len(patients),
            "arm": [arms.get(p, "MSCT") for p in patients],
        }
    )
    infusion_frame = pd.DataFrame(
        {
            "patient_id": [p for p, _ in infusions],
            "infusion_date": [day(d) for _, d in infusions],
            "cells_per_kg": [1e6] * len(infusions),
        }
    )
    visit_rows = [
        {
            "patient_id": v["patient_id"],
            "visit_date": day(v["day"]),
            **{k: float(x) for k, x in v.items() if k not in ("patient_id", "day")},
        }
        for v in visits
    ]
    visit_frame = pd.DataFrame(
        visit_rows, columns=None if visit_rows else ["patient_id", "visit_date"]
    )
    event_frame = pd.DataFrame(
        {
            "patient_id": [p for p, _, _ in events],
            "event_date": [day(d) for _, d, _ in events],
            "type": [t for _, _, t in events],
        }
    )
    ae_frame = pd.DataFrame(
        list(adverse_events),
        columns=None
        if adverse_events
        else [
            "patient_id",
            "onset_date",
            "term",
            "grade",
            "serious",
            "relatedness",
            "infusion_reaction",
        ],
    )
    return TrialData(
        config=config or TrialConfig(uln={"ck": 200.0}),
        patients=patient_frame,
        infusions=infusion_frame,
        visits=visit_frame,
        adverse_events=ae_frame,
        events=event_frame,
        medications=pd.DataFrame(columns=["patient_id", "drug"]),
        source="test",
        checksum="0" * 64,
    )
