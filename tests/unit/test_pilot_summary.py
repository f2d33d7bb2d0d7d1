"""The published pilot table ships with the package (docs/measures.md §9)."""

from __future__ import annotations

from myotrial.data import pilot_summary


def test_published_table_is_shipped_with_its_values() -> None:
    table = pilot_summary()
    assert len(table) == 12
    ck = table[table["measure"] == "ck"].set_index("timepoint")
    assert (ck.loc["baseline", "mean"], ck.loc["baseline", "sd"]) == (1681.0, 430.0)
    assert ck.loc["month6", "mean"] == 175.0
    mmt = table[table["measure"] == "mmt8"].set_index("timepoint")
    assert (mmt.loc["month1", "mean"], mmt.loc["month1", "sd"]) == (67.0, 3.0)
    assert list(table["day"][table["measure"] == "ck"]) == [0, 7, 14, 30, 90, 180]
    assert (table["n"] == 8).all()
