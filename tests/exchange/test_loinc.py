"""Every LOINC code myotrial writes is in the shipped table and passes LOINC's check digit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from myotrial.domain import ENZYMES
from myotrial.exchange.cdisc.findings import lb
from myotrial.exchange.fhir import fhir_bundle
from myotrial.exchange.loinc import lab_loinc, loinc_table
from myotrial.trialdata import TrialData

SOURCE = Path(__file__).parents[2] / "src" / "myotrial"
LOINC_PATTERN = re.compile(r"^\d{1,7}-\d$")


def loinc_check_digit(number: str) -> int:
    """LOINC's Mod 10 check digit of the part before the hyphen (LOINC Users' Guide).

    Counting positions from the right, the digits at odd positions form a number that is
    doubled; the digits at even positions are written in front of it; the digits of the
    result are added, and the check digit takes the sum up to the next multiple of 10.
    """
    digits = number[::-1]
    odd = "".join(reversed(digits[0::2]))
    even = "".join(reversed(digits[1::2]))
    total = sum(int(d) for d in even + str(2 * int(odd)))
    return (10 - total % 10) % 10


@pytest.mark.parametrize(
    ("number", "check"),
    [
        ("12345", 5),  # the Users' Guide's worked example: 12345-5
        ("2157", 6),  # creatine kinase 2157-6
        ("1762", 4),  # so 1762-0 cannot be a LOINC code
    ],
)
def test_check_digit_by_hand(number: str, check: int) -> None:
    assert loinc_check_digit(number) == check


@pytest.mark.parametrize("row", loinc_table(), ids=lambda r: r.code)
def test_every_shipped_code_passes_the_check_digit(row: object) -> None:
    code = row.code  # type: ignore[attr-defined]
    assert LOINC_PATTERN.match(code)
    number, check = code.split("-")
    assert loinc_check_digit(number) == int(check)


def test_the_table_names_each_enzyme_once_with_its_version() -> None:
    rows = loinc_table()
    assert sorted(r.column for r in rows) == sorted(ENZYMES)
    assert {r.version for r in rows} == {"2.74"}
    assert all(r.long_common_name.endswith("in Serum or Plasma") for r in rows)


def test_aldolase_is_the_serum_activity_code() -> None:
    # LOINC 1761-6: Aldolase [Enzymatic activity/volume] in Serum or Plasma
    assert lab_loinc()["aldolase"] == (
        "1761-6",
        "Aldolase [Enzymatic activity/volume] in Serum or Plasma",
    )


def test_no_loinc_code_is_written_outside_the_table() -> None:
    shipped = {r.code for r in loinc_table()}
    text = "".join(p.read_text("utf-8") for p in SOURCE.rglob("*.py"))
    for code in shipped:
        assert code not in text, code


def test_fhir_and_sdtm_use_only_codes_of_the_table(small_trial: TrialData) -> None:
    shipped = {r.code for r in loinc_table()}
    bundle = fhir_bundle(small_trial)
    used = {
        coding["code"]
        for entry in bundle["entry"]
        for coding in entry["resource"].get("code", {}).get("coding", [])
        if coding.get("system") == "http://loinc.org"
    }
    assert used and used <= shipped
    lab = lb(small_trial).frame
    assert set(lab["LBLOINC"]) <= shipped
    expected = lab["LBTESTCD"].map({"ALDOLASE": "1761-6", "CK": "2157-6"})
    known = expected.notna()
    assert (lab.loc[known, "LBLOINC"] == expected[known]).all()
    assert "1762-0" not in json.dumps(bundle)
