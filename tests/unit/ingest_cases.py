"""A small valid trial folder, written from plain strings, for the ingest tests.

Tests change one cell of :func:`valid_tables` and assert the exact problem; the
spreadsheet row of ``rows[i]`` is ``i + 2`` (the header is row 1).
"""

from __future__ import annotations

import csv
from pathlib import Path

Rows = list[dict[str, str]]

TRIAL_TOML = """[trial]
name = "Test trial"
population = "adult"
mmt_max = 80
vas_unit = "cm"

[uln]
ck = 200
"""


def valid_tables() -> dict[str, Rows]:
    """Two patients with an infusion, visits, an adverse event, an event, a medication."""
    return {
        "patients": [
            {
                "patient_id": "P01",
                "site": "1",
                "sex": "F",
                "age": "45",
                "diagnosis": "DM",
                "onset_date": "2009-06-01",
                "diagnosis_date": "2010-01-10",
                "enrolment_date": "2011-01-05",
                "weight_kg": "61.5",
                "arm": "MSCT",
                "refractory": "true",
                "severe_systemic": "false",
                "ild": "true",
                "antibody": "anti-Jo-1",
            },
            {
                "patient_id": "P02",
                "site": "1",
                "sex": "M",
                "age": "52",
                "diagnosis": "PM",
                "onset_date": "",
                "diagnosis_date": "2010-05-02",
                "enrolment_date": "2011-02-01",
                "weight_kg": "80",
                "arm": "MSCT",
                "refractory": "true",
                "severe_systemic": "false",
                "ild": "false",
                "antibody": "",
            },
        ],
        "infusions": [
            {
                "patient_id": "P01",
                "infusion_date": "2011-01-05",
                "source": "BM",
                "donor": "allogeneic",
                "cells_per_kg": "1e6",
                "lot": "L1",
                "route": "IV",
                "viability_pct": "95",
            },
            {
                "patient_id": "P02",
                "infusion_date": "2011-02-02",
                "source": "UC",
                "donor": "allogeneic",
                "cells_per_kg": "1000000",
                "lot": "L2",
                "route": "IV",
                "viability_pct": "92.5",
            },
        ],
        "visits": [
            {
                "patient_id": "P01",
                "visit_date": "2011-01-05",
                "phga": "6",
                "ptga": "7",
                "extramuscular": "3",
                "mmt8": "45",
                "haq": "1.5",
                "ck": "1681",
                "ck_uln": "",
                "fvc_pct": "65",
                "ulcers": "1",
                "prednisone_mg": "30",
            },
            {
                "patient_id": "P01",
                "visit_date": "2011-02-04",
                "phga": "3.5",
                "ptga": "4",
                "extramuscular": "1",
                "mmt8": "67",
                "haq": "0.75",
                "ck": "293",
                "ck_uln": "",
                "fvc_pct": "70",
                "ulcers": "0",
                "prednisone_mg": "20",
            },
            {
                "patient_id": "P02",
                "visit_date": "2011-02-02",
                "phga": "5",
                "ptga": "6",
                "extramuscular": "2",
                "mmt8": "50",
                "haq": "1.25",
                "ck": "2100",
                "ck_uln": "190",
                "fvc_pct": "",
                "ulcers": "",
                "prednisone_mg": "40",
            },
        ],
        "adverse_events": [
            {
                "patient_id": "P01",
                "onset_date": "2011-01-05",
                "term": "fever",
                "soc": "",
                "grade": "1",
                "serious": "false",
                "relatedness": "possible",
                "infusion_reaction": "true",
                "resolved_date": "2011-01-06",
                "outcome": "recovered",
            },
        ],
        "events": [
            {"patient_id": "P02", "event_date": "2011-08-01", "type": "relapse", "note": ""},
        ],
        "medications": [
            {
                "patient_id": "P01",
                "drug": "prednisone",
                "dose": "30",
                "unit": "mg/day",
                "start_date": "2010-01-10",
                "stop_date": "",
            },
        ],
    }


def write_csv(path: Path, rows: Rows, columns: list[str] | None = None) -> None:
    """Write ``rows`` as CSV with ``columns`` (default: the keys of the first row)."""
    names = columns if columns is not None else list(rows[0]) if rows else []
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_folder(
    folder: Path, tables: dict[str, Rows] | None = None, toml: str | None = TRIAL_TOML
) -> Path:
    """Write a trial folder; ``toml=None`` leaves trial.toml out."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (tables if tables is not None else valid_tables()).items():
        write_csv(folder / f"{name}.csv", rows)
    if toml is not None:
        (folder / "trial.toml").write_text(toml, encoding="utf-8")
    return folder


def write_workbook(
    path: Path,
    tables: dict[str, Rows] | None = None,
    settings: list[tuple[str, object]] | None = None,
) -> Path:
    """Write the tables as an .xlsx workbook: numbers as numbers, dates as date cells."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in (tables if tables is not None else valid_tables()).items():
        sheet = book.create_sheet(name)
        columns = list(rows[0])
        sheet.append(columns)
        for row in rows:
            sheet.append([_excel_value(row[c]) for c in columns])
    if settings is not None:
        sheet = book.create_sheet("trial")
        sheet.append(["key", "value"])
        for key, value in settings:
            sheet.append([key, value])
    book.save(path)
    return path


def _excel_value(text: str) -> object:
    """The cell a user typing ``text`` into Excel would get."""
    import datetime

    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return datetime.datetime.strptime(text, "%Y-%m-%d")
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


TRIAL_SETTINGS: list[tuple[str, object]] = [
    ("trial.name", "Test trial"),
    ("trial.population", "adult"),
    ("trial.mmt_max", 80),
    ("trial.vas_unit", "cm"),
    ("uln.ck", 200),
]
