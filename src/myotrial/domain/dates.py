"""Dates as the trial format writes them: ``YYYY-MM-DD``, nothing else.

A date is never guessed (docs/trial-format.md, "Import rules"): ``2026-2-3``, ``20250323``
and ``2025-03-23T00:00`` are refused, although Python and pandas would read them.
"""

from __future__ import annotations

import datetime as dt
import re

ISO_DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"
"""The only accepted form of a date (four-digit year, two-digit month and day)."""

_ISO_DATE = re.compile(ISO_DATE_PATTERN, re.ASCII)


def parse_iso_date(text: str) -> dt.date:
    """The date written ``YYYY-MM-DD`` in ``text``.

    Raises
    ------
    ValueError
        If ``text`` is not in that form or names no calendar day.
    """
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"{text!r} is not a date in YYYY-MM-DD form")
    return dt.date.fromisoformat(text)
