"""One entered record is checked with the import's rules, value by value.

The reference is the import itself: the entry parsed as a one-row table with
:func:`myotrial.ingest.parse_records`, then, when its own table's rules hold, the
patient's first visit and the entry checked together with
:func:`myotrial.ingest.validate.visit_problems` (docs/trial-format.md). The record path
must report exactly the same problems (column, value, rule and hint) for visits of the
synthetic registry, as entered and with values broken on purpose.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from myotrial.config import TrialConfig
from myotrial.domain.entry import RecordContext
from myotrial.errors import Problem
from myotrial.ingest import parse_records
from myotrial.ingest.record import check_record
from myotrial.ingest.validate import visit_problems
from myotrial.ingest.writer import as_text
from myotrial.synthetic import make_registry
from myotrial.trialdata import TrialData

FORM = "visit form"

# Values broken on purpose, each against a rule of docs/trial-format.md.
BROKEN: tuple[dict[str, str], ...] = (
    {"ck": "-3"},  # enzyme activity cannot be negative
    {"phga": "11"},  # VAS 0-10 cm
    {"phga": "abc"},  # not a number
    {"mmt8": "81"},  # above the 0-80 form
    {"mmt_max": "100"},  # not one of 80, 150
    {"mmt_max": "150"},  # another form than the first visit's
    {"mmt_deltoid": "7.5"},  # a grade is a whole number
    {"mmt_deltoid": "11"},  # Kendall 0-10
    {"haq": "3.5"},  # HAQ-DI 0-3
    {"haq_dressing_aid": "yes"},  # a flag is true or false
    {"visit_date": "2025-2-3"},  # dates are YYYY-MM-DD only
    {"visit_date": "20250323"},
    {"visit_date": "2025-02-30"},
    {"visit_date": "1990-01-01"},  # before enrolment
    {"visit_date": ""},  # required
    {"aldolase": "9", "ldh": "300"},  # several enzymes, no ULN for some
    {"ck_uln": "0"},  # a ULN is above 0
    {"fvc_pct": "5"},  # 10-200 % predicted
    {"ulcers": "1.5"},
    {"no_such_field": "1"},
)
ACCEPTED: tuple[dict[str, str], ...] = (
    {"mmt8": "64.5"},  # a total is a number within its form; no grades to sum here
    {"prednisone_mg": " 12 "},  # blanks around a value are removed
)


def _grades(total: int) -> dict[str, str]:
    """Eight right-side grades summing to ``total`` (0-80 form)."""
    groups = (
        "neck_flexors",
        "deltoid",
        "biceps",
        "wrist_extensors",
        "gluteus_maximus",
        "gluteus_medius",
        "quadriceps",
        "ankle_dorsiflexors",
    )
    grades = [total // 8 + (1 if i < total % 8 else 0) for i in range(8)]
    return {f"mmt_{g}": str(v) for g, v in zip(groups, grades, strict=True)}


def _reference(
    config: TrialConfig, patient: pd.DataFrame, first: pd.DataFrame, values: dict[str, str]
) -> list[Problem]:
    """The problems the import's column-wise rules give for the entry."""
    known = {k: v for k, v in values.items() if k != "no_such_field"}
    unknown = [
        Problem(
            FORM, None, k, v, "is not a visit field", "see the visits table in docs/trial-format.md"
        )
        for k, v in values.items()
        if k == "no_such_field"
    ]
    raw = pd.DataFrame([known], dtype=object, index=[1])
    typed, problems = parse_records("visits", raw, FORM, config)
    if not problems and not unknown:
        day = typed["visit_date"].iloc[0]
        earlier = first[first["visit_date"] != day]
        earlier = earlier.set_axis([0] * len(earlier))
        both = pd.concat([earlier, typed]) if len(earlier) else typed
        problems = [p for p in visit_problems(config, patient, both, FORM) if p.row == 3]
    return unknown + [Problem(p.file, None, p.column, p.value, p.rule, p.hint) for p in problems]


@pytest.fixture(scope="module")
def registry() -> TrialData:
    return make_registry(40, seed=13)


def _entries(registry: TrialData) -> list[tuple[str, dict[str, str]]]:
    """(patient, values): registry visits as written, and with one rule broken each."""
    rng = np.random.default_rng(5)
    text = as_text(registry.visits)
    entries = []
    for index in rng.choice(len(text), size=25, replace=False):
        row = {k: v for k, v in text.iloc[index].items() if v != ""}
        entries.append((row["patient_id"], row))
    for number, broken in enumerate(BROKEN + ACCEPTED):
        patient_id, row = entries[number]
        entries.append((patient_id, {**row, **broken}))
    for number, total in enumerate((40, 64, 64)):
        patient_id, row = entries[number]
        grades = _grades(total)
        entries.append((patient_id, {**row, **grades, "mmt8": "64"}))
    return entries


def test_an_entry_gets_exactly_the_problems_an_import_gives(registry: TrialData) -> None:
    config = registry.config
    checked = 0
    for patient_id, values in _entries(registry):
        patient = registry.patients[registry.patients["patient_id"] == patient_id]
        visits = registry.visits[registry.visits["patient_id"] == patient_id]
        first = visits.sort_values("visit_date").head(1)[["patient_id", "visit_date"]]
        first = first.assign(mmt_max=np.float64(np.nan))
        context = RecordContext(
            patient["enrolment_date"].iloc[0].date(),
            (first["visit_date"].iloc[0].date(), None),
        )
        _, problems = check_record("visits", values, FORM, config, context)
        assert problems == _reference(config, patient, first, values), values
        checked += bool(problems)
    assert checked >= len(BROKEN)  # every broken rule was reported by both paths


def test_the_typed_record_holds_the_values_as_parsed() -> None:
    values = {"patient_id": "P01", "visit_date": "2025-03-01", "phga": " 3.5", "ck": "310"}
    values |= {"haq_dressing_aid": "TRUE", "ptga": ""}
    record, problems = check_record(
        "visits", values, FORM, TrialConfig(uln={"ck": 200.0}), RecordContext()
    )
    assert problems == []
    assert record == {
        "patient_id": "P01",
        "visit_date": dt.date(2025, 3, 1),
        "phga": 3.5,
        "ptga": None,
        "ck": 310.0,
        "haq_dressing_aid": True,
    }


def test_a_visit_before_the_first_keeps_its_own_form() -> None:
    # the entry becomes the patient's first visit: the stored one does not set its form
    values = {"patient_id": "P01", "visit_date": "2025-03-01", "mmt_max": "150"}
    context = RecordContext(dt.date(2025, 1, 1), (dt.date(2025, 4, 1), 80.0))
    assert check_record("visits", values, FORM, TrialConfig(), context)[1] == []
    later = RecordContext(dt.date(2025, 1, 1), (dt.date(2025, 2, 1), 80.0))
    (problem,) = check_record("visits", values, FORM, TrialConfig(), later)[1]
    assert (problem.column, problem.value) == ("mmt_max", "150")
    assert problem.rule == "differs from the patient's MMT-8 form"


def test_an_infusion_is_not_checked_without_the_product_record() -> None:
    with pytest.raises(ValueError, match="infusions"):
        check_record("infusions", {"patient_id": "P01"}, FORM, TrialConfig(), RecordContext())
