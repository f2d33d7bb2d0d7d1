"""The LOINC codes myotrial writes, from the one table it ships (``data/loinc.csv``).

Every LOINC code of every export (FHIR Observation codes, SDTM LBLOINC) comes from this
table, which holds only the codes used: trial column, LOINC number, long common name and
the LOINC version the row was checked against (LOINC, Regenstrief Institute; see
docs/exchange.md). A code is never typed anywhere else, so a wrong code is fixed once.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

LOINC_SYSTEM = "http://loinc.org"
"""The FHIR code system URI of LOINC."""


@dataclass(frozen=True)
class LoincCode:
    """One row of the shipped LOINC table."""

    column: str
    code: str
    long_common_name: str
    version: str


@cache
def loinc_table() -> tuple[LoincCode, ...]:
    """Every row of the shipped LOINC table, in its order."""
    text = resources.files("myotrial.exchange").joinpath("data/loinc.csv").read_text("utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return tuple(
        LoincCode(r["column"], r["loinc_num"], r["long_common_name"], r["loinc_version"])
        for r in rows
    )


def lab_loinc() -> dict[str, tuple[str, str]]:
    """Enzyme column to (LOINC code, long common name)."""
    return {row.column: (row.code, row.long_common_name) for row in loinc_table()}
