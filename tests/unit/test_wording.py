"""Grammar and number formatting seen by users: plurals, clean floats, natural order."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from myotrial.analysis.table1 import table1
from myotrial.cli import main
from myotrial.synthetic import make_registry
from myotrial.text import natural_key, plural


@pytest.mark.parametrize(
    ("count", "noun", "text"),
    [(0, "file", "0 files"), (1, "file", "1 file"), (2, "pair", "2 pairs"), (1, "pair", "1 pair")],
)
def test_plural_agrees_with_the_count(count: int, noun: str, text: str) -> None:
    assert plural(count, noun) == text


def test_natural_order_puts_site_2_before_site_10() -> None:
    assert sorted(["10", "2", "11", "1", "A10", "A2"], key=natural_key) == [
        "1", "2", "10", "11", "A2", "A10",
    ]  # fmt: skip


def test_table1_lists_sites_in_natural_order() -> None:
    registry = make_registry(120, seed=4, n_sites=12)
    table = table1(registry.patients, pd.DataFrame({"patient_id": []}), [])
    sites = table.loc[table["characteristic"] == "site", "level"].drop_duplicates()
    present = sorted(registry.patients["site"].unique(), key=int)
    assert list(sites) == present


PAIRS = (
    "phga_0,phga_1,ptga_0,ptga_1,mmt8_0,mmt8_1,haq_0,haq_1,extramuscular_0,extramuscular_1\n"
    "5,3.7,7,4,60,70,1.5,1.0,4,2\n"
)


def test_score_csv_writes_a_clean_number_and_one_pair(tmp_path: Path) -> None:
    # docs/measures.md §2: p = (baseline - follow-up) / 10 x 100 for a VAS; in binary
    # floating point (5 - 3.7) / 10 * 100 is 12.999999999999998, the CSV says 13.
    assert (5 - 3.7) / 10 * 100 == 12.999999999999998
    (tmp_path / "pairs.csv").write_text(PAIRS, encoding="utf-8")
    out = tmp_path / "tis.csv"
    result = CliRunner().invoke(main, ["score", "tis", str(tmp_path / "pairs.csv"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("1 pair, ")
    row = dict(zip(*(line.split(",") for line in out.read_text().splitlines()), strict=True))
    assert row["p_phga"] == "13"
    # HAQ: (1.5 - 1.0) / 3 x 100 = 16.666...; 12 significant digits are kept.
    assert row["p_haq"] == "16.6666666667"
