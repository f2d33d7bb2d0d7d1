"""One record entered on a form: its typed values and what its rules need beyond it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

Record = dict[str, object]
"""A typed record: column name to float, ``datetime.date``, bool, str or ``None``."""


@dataclass(frozen=True)
class RecordContext:
    """What the rules beyond one entered record need, read through indexes.

    Attributes
    ----------
    enrolment_date : datetime.date or None
        The patient's enrolment date (a record may not be dated before it).
    first_visit : tuple of (datetime.date, float or None), optional
        The date and ``mmt_max`` of the patient's earliest stored visit; every visit
        of a patient uses the MMT-8 form of the first (docs/measures.md §2).
    """

    enrolment_date: dt.date | None = None
    first_visit: tuple[dt.date, float | None] | None = None
