"""How myotrial writes counts, numbers and names for people: one rule each.

Used by the command line, the report and the CSV writers, so "1 file", a value of
``26.0`` and the order of sites ``1, 2, 10`` read the same everywhere.
"""

from __future__ import annotations

import re


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``"1 file"``, ``"2 files"``; ``plural_form`` for irregular nouns (``"analyses"``)."""
    word = noun if count == 1 else (plural_form or noun + "s")
    return f"{count} {word}"


#: How the CSV tables write a number: 12 significant digits, the shortest form.
#: Every computed value is kept at full precision until written; at the edge, a sum such
#: as 8 + 18 = 25.999999999999996 (binary floating point, error ~1e-15) is written 26.
#: 12 digits keep six more than any measure is entered with (at most 6 significant
#: digits), so nothing a reader could use is lost, and "%.12g" formats in C, per column.
CSV_FLOAT_FORMAT = "%.12g"

_DIGITS = re.compile(r"(\d+)")


def natural_key(text: object) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders numbers inside names by value: ``1, 2, 10, 11``, ``A2 < A10``."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.casefold())
        for part in _DIGITS.split(str(text))
        if part
    )
