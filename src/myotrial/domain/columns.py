"""Columns and tables: the vocabulary every table of the trial is described in.

A :class:`Column` says what one column holds (kind, unit or clinical scale, whether it
must be given, its allowed values); a :class:`Table` lists its columns and the natural key
that identifies a row from one import to the next. Plain dataclasses, standard library
only: the readers, the database and the exchange formats are derived from these.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a column's values are typed.

    Text stays text, numbers and integers are floating point (integers must be whole),
    dates are calendar days, booleans are true/false.
    """

    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    DATE = "date"
    BOOL = "bool"


class Scale(StrEnum):
    """A clinical scale whose bounds are a rule of the measure, not of the column.

    The bounds themselves (0-10 cm, Kendall 0-10, HAQ 0-3, enzyme activity >= 0) are
    clinical constants kept in :mod:`myotrial.measures.scales`; some follow the trial
    configuration (VAS unit, population) or the visit (``mmt_max``).
    """

    VAS = "vas"
    MMT_GRADE = "mmt_grade"
    MMT_TOTAL = "mmt_total"
    HAQ_DI = "haq_di"
    HAQ_CATEGORY = "haq_category"
    ENZYME = "enzyme"
    ULN = "uln"
    AGE = "age"


@dataclass(frozen=True)
class Column:
    """One column of a trial table.

    Attributes
    ----------
    name : str
        Column name as written in the header (lower case).
    kind : Kind
        How values are typed.
    unit : str
        Unit of the values (``"kg"``, ``"% predicted"``); empty for none or when the
        unit follows the trial configuration (VAS, enzymes).
    scale : Scale or None
        The clinical scale bounding the values (bounds in :mod:`myotrial.measures`).
    present : bool
        The column must be in the file.
    required : bool
        Every row must give a value.
    minimum, maximum : float or None
        Inclusive plausibility bounds of a column without a clinical scale.
    above_minimum : bool
        The lower bound is exclusive (``> minimum``).
    allowed : tuple of str
        The only values the column may hold (empty: any value of its kind).
    default : str or None
        Value filled in when the cell or the column is empty.
    meaning : str
        Plain words for messages (``"enzyme activity"``).
    """

    name: str
    kind: Kind = Kind.TEXT
    unit: str = ""
    scale: Scale | None = None
    present: bool = False
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    above_minimum: bool = False
    allowed: tuple[str, ...] = ()
    default: str | None = None
    meaning: str = ""


@dataclass(frozen=True)
class Table:
    """A table of the trial: its columns, natural key and how rows repeat.

    Attributes
    ----------
    name : str
        Table name; the trial folder holds it as ``<name>.csv``.
    columns : tuple of Column
        Every column the trial format defines, in the order of the format.
    key : tuple of str
        The natural key: how a row is recognised from one import to the next.
    required_file : bool
        A trial folder must hold this table.
    core : tuple of str
        Columns every parsed table carries; empty for all of ``columns``.
    repeatable : bool
        Two rows may share a natural key (two adverse events with one term on one day).
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required_file: bool = False
    core: tuple[str, ...] = ()
    repeatable: bool = False

    @property
    def file_name(self) -> str:
        """The CSV file name in a trial folder (``visits.csv``)."""
        return f"{self.name}.csv"

    @property
    def column_names(self) -> tuple[str, ...]:
        """The names of :attr:`columns`, in order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column | None:
        """The column called ``name``, or ``None`` if the table does not define it."""
        return next((c for c in self.columns if c.name == name), None)
