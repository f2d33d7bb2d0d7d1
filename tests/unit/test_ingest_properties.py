"""Property tests: generated malformed rows are each reported at their row and column.

Hypothesis builds a visits table of valid rows, corrupts a random set of cells with values
that break exactly one rule, writes the trial folder and reads it back. Every corrupted
cell must come back as a problem at its spreadsheet row (index + 2) and column, with the
value as written, and nothing else may be reported.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_cases import valid_tables, write_folder

from myotrial.ingest import inspect_trial

# Values that break one rule of their column and nothing else (enrolment is 2011-01-05).
BAD_VALUES: dict[str, list[str]] = {
    "phga": ["10.5", "-1", "n/a", "5,5"],
    "haq": ["3.25", "-0.125", "high"],
    "mmt8": ["81", "-2", "sixty"],
    "ck": ["-3", "abc", "1.2.3"],
    "fvc_pct": ["5", "250", "?"],
    "ulcers": ["1.5", "-1", "some"],
    "visit_date": ["2011-02-30", "05/01/2011", "2011-01-04", "tomorrow"],
    "patient_id": ["P99"],
}
MEASURES = ("phga", "haq", "mmt8", "ck", "fvc_pct", "ulcers")
FAST = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def visit_rows(draw: st.DrawFn) -> list[dict[str, str]]:
    """Valid visits of patient P01, on distinct days from enrolment onwards."""
    days = draw(st.lists(st.integers(0, 2000), min_size=1, max_size=12, unique=True))
    rows = []
    for day in sorted(days):
        date = f"{_date(day)}"
        rows.append(
            {
                "patient_id": "P01",
                "visit_date": date,
                "phga": draw(st.sampled_from(["", "0", "3.5", "10", "7.25"])),
                "haq": str(draw(st.integers(0, 24)) / 8),
                "mmt8": str(draw(st.integers(0, 80))),
                "ck": str(draw(st.integers(0, 20000))),
                "fvc_pct": draw(st.sampled_from(["", "10", "64.5", "200"])),
                "ulcers": draw(st.sampled_from(["", "0", "3"])),
            }
        )
    return rows


def _date(day: int) -> str:
    import datetime as dt

    return (dt.date(2011, 1, 5) + dt.timedelta(days=day)).isoformat()


def _read(rows: list[dict[str, str]]) -> list[tuple[int | None, str | None, str | None]]:
    tables = valid_tables()
    tables["visits"] = rows
    with tempfile.TemporaryDirectory() as tmp:
        problems = inspect_trial(write_folder(Path(tmp) / "t", tables)).problems
    return [(p.row, p.column, p.value) for p in problems]


@FAST
@given(visit_rows())
def test_valid_rows_give_no_problem(rows: list[dict[str, str]]) -> None:
    assert _read(rows) == []


@FAST
@given(visit_rows(), st.data())
def test_every_bad_cell_is_reported_at_its_row_and_column(
    rows: list[dict[str, str]], data: st.DataObject
) -> None:
    cells = [(i, c) for i in range(len(rows)) for c in BAD_VALUES]
    chosen = data.draw(st.lists(st.sampled_from(cells), min_size=1, max_size=8, unique=True))
    expected = set()
    for index, column in chosen:
        value = data.draw(st.sampled_from(BAD_VALUES[column]))
        if column == "visit_date" and value == "2011-01-04":
            # Before enrolment, on a day no other row uses; an unknown patient has no
            # enrolment date to be before, so such a row gets an impossible date instead.
            unknown = (index, "patient_id") in chosen
            value = "2011-02-30" if unknown else _date(-1 - index)
        rows[index][column] = value
        expected.add((index + 2, column, value))
    assert set(_read(rows)) == expected


@FAST
@given(
    st.lists(
        st.text(
            st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters=',"\n'),
            max_size=20,
        ),
        min_size=3,
        max_size=3,
    )
)
def test_extra_column_text_is_kept_as_written(notes: list[str]) -> None:
    tables = valid_tables()
    for row, note in zip(tables["visits"], notes, strict=True):
        row["nurse_note"] = note
    with tempfile.TemporaryDirectory() as tmp:
        check = inspect_trial(write_folder(Path(tmp) / "t", tables))
    assert check.problems == []
    kept = check.trial.visits["nurse_note"].tolist()
    assert kept == [n.strip(" \t\r\n") or None for n in notes]
