"""Strings in, typed columns out: the parsing step shared by every reader.

Every reader (trial folder, workbook, REDCap, the web form, ``myotrial correct``) first
holds a table as strings, exactly as entered, with ``""`` for an empty cell. This module
turns such a frame into the typed frame of :class:`myotrial.trialdata.TrialData`, one
column at a time (vectorised ``pd.to_numeric`` / ``pd.to_datetime``), and reports every
cell that does not parse. Nothing is guessed: a date is ``YYYY-MM-DD`` or it is a problem,
a number uses a decimal point or it is a problem.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from myotrial.config import TrialConfig
from myotrial.domain.dates import ISO_DATE_PATTERN, parse_iso_date
from myotrial.errors import Problem
from myotrial.ingest.schema import TABLE_SPECS, ColumnSpec, core_columns, known_columns
from myotrial.ingest.validate import sort_problems, table_problems

DATE_FORMAT = "%Y-%m-%d"
BLANKS = " \t\r\n"
"""Characters removed around a value: ASCII space, tab and line ends (never other text)."""
_BOOLEANS = {"true": True, "false": False}


def clean_strings(raw: pd.DataFrame) -> pd.DataFrame:
    """Strings with surrounding blanks removed and ``""`` for every missing cell.

    Column names are stripped too; rows in which every cell is empty are dropped (a blank
    line in a CSV file, trailing formatted rows in a workbook) while the index, and so the
    spreadsheet row number ``index + 2``, of the other rows is kept.
    """
    columns: dict[int, pd.Series] = {}
    for position in range(raw.shape[1]):
        values = raw.iloc[:, position]
        joined = _joined(values)
        if joined is None:  # missing cells or non-text values: make every cell a string
            values = values.astype(object).fillna("").astype(str)
            joined = _joined(values) or ""
        if _has_edge_blanks(joined):
            values = values.str.strip(BLANKS)
        columns[position] = values
    frame = pd.DataFrame(columns, index=raw.index)
    frame.columns = pd.Index([str(c).strip() for c in raw.columns])
    if len(frame.columns):
        filled = np.column_stack([_given(v) for v in columns.values()])
        frame = frame.iloc[np.flatnonzero(filled.any(axis=1))]
    return frame


def _joined(values: pd.Series) -> str | None:
    """All cells joined by NUL in one C-level call; ``None`` if a cell is not a string."""
    if values.dtype != object:
        return None
    try:
        return "\x00" + "\x00".join(values.to_numpy()) + "\x00"
    except TypeError:
        return None


def _has_edge_blanks(joined: str) -> bool:
    """Whether a cell of the joined column starts or ends with a blank (substring scans)."""
    return any(f"\x00{c}" in joined or f"{c}\x00" in joined for c in BLANKS)


def any_value(strings: pd.DataFrame) -> bool:
    """Whether any cell of a string frame is non-empty."""
    return bool(strings.to_numpy(dtype=object).astype(bool).any())


def _given(values: pd.Series) -> np.ndarray:
    """Mask of non-empty strings (an empty string is falsy)."""
    return values.to_numpy(dtype=object).astype(bool)


def parse_table(
    table: str, raw: pd.DataFrame, file: str
) -> tuple[pd.DataFrame, list[Problem], tuple[str, ...]]:
    """Type the string frame ``raw`` of ``table`` column by column.

    Parameters
    ----------
    table : str
        One of :data:`myotrial.trialdata.TABLES`.
    raw : pandas.DataFrame
        The table as strings (``""`` or missing for an empty cell); its index gives the
        spreadsheet row as ``index + 2``.
    file : str
        Name used in problems (``visits.csv``).

    Returns
    -------
    typed : pandas.DataFrame
        Known columns typed (text ``object``, numbers ``float64``, dates
        ``datetime64[ns]``, flags ``boolean``); cells that did not parse are missing.
        Absent optional core columns are added empty (or with their default); absent
        required columns stay absent so that validation reports them once.
    problems : list of Problem
        One per cell that did not parse, and one per repeated column name.
    extra_columns : tuple of str
        Columns the format does not define; kept as text.
    """
    strings = clean_strings(raw)
    problems = _repeated_columns(strings, file) + _unnamed_columns(strings, file)
    strings = strings.loc[:, ~strings.columns.duplicated() & (strings.columns != "")]
    spec = TABLE_SPECS[table]
    known = set(known_columns(table))
    typed: dict[str, pd.Series] = {}
    for name in core_columns(table):
        column = spec.column(name)
        if column is not None and name not in strings.columns and not column.present:
            typed[name] = _parse(column, pd.Series("", index=strings.index, dtype=object))[0]
    extra: list[str] = []
    for name in strings.columns:
        column = spec.column(name)
        if column is None:
            extra.append(name)
            typed[name] = strings[name].where(strings[name] != "", None)
            continue
        values, failed = _parse(column, strings[name])
        typed[name] = values
        problems.extend(_parse_problems(column, strings[name], failed, file))
    order = [c for c in core_columns(table) if c in typed]
    order += [c for c in strings.columns if c in known and c not in order] + extra
    frame = pd.DataFrame({c: typed[c] for c in order}, index=strings.index)
    return frame, problems, tuple(extra)


def parse_records(
    table: str, raw: pd.DataFrame, file: str, config: TrialConfig | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse and check a few rows of one table (web form, REDCap, ``myotrial correct``).

    Parameters
    ----------
    table : str
        One of :data:`myotrial.trialdata.TABLES`.
    raw : pandas.DataFrame
        Rows as strings; the spreadsheet row reported is ``index + 2``.
    file : str
        Name used in problems.
    config : TrialConfig, optional
        Selects configuration-dependent ranges (VAS unit, adult age); defaults apply
        when omitted.

    Returns
    -------
    typed : pandas.DataFrame
        The typed rows (see :func:`parse_table`).
    problems : list of Problem
        Every cell that did not parse and every rule of the table broken (types, ranges,
        allowed values, required values and columns, unique key, date order within a
        row, MMT-8 total against its grades). Rules across tables (unknown patients,
        dates before enrolment) need the whole trial: see
        :func:`myotrial.ingest.validate.validate_trial`.
    """
    typed, problems, _ = parse_table(table, raw, file)
    checked = table_problems(table, typed, file, config or TrialConfig())
    return typed, sort_problems(merge_problems(problems, checked), {table: file})


def merge_problems(first: list[Problem], second: list[Problem]) -> list[Problem]:
    """``first`` plus the problems of ``second`` about a cell ``first`` does not mention.

    A cell that did not parse is missing afterwards; this keeps its parse problem and
    drops a follow-on "value required" for the same cell.
    """
    seen = {(p.file, p.row, p.column) for p in first}
    return first + [p for p in second if (p.file, p.row, p.column) not in seen]


def _parse(column: ColumnSpec, strings: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Typed values of ``strings`` and the mask of non-empty cells that did not parse."""
    given = _given(strings)
    if column.kind in ("number", "integer"):
        numbers = _numbers(strings.to_numpy(dtype=object), given)
        failed = given & ~np.isfinite(numbers)
        numbers[failed] = np.nan
        return pd.Series(numbers, index=strings.index), failed
    if column.kind == "date":
        # strptime's %m and %d take one digit too ("2026-2-3"); the format takes two.
        written = given & strings.str.fullmatch(ISO_DATE_PATTERN).eq(True).to_numpy()
        dates = pd.to_datetime(strings.where(written), format=DATE_FORMAT, errors="coerce")
        dates = dates.astype("datetime64[ns]")
        return dates, given & dates.isna().to_numpy()
    if column.kind == "bool":
        flags = strings.str.lower().map(_BOOLEANS).astype("boolean")
        return flags, given & flags.isna().to_numpy()
    text = np.where(given, strings.to_numpy(dtype=object), np.array(column.default, dtype=object))
    return pd.Series(text, index=strings.index, dtype=object), np.zeros(len(given), bool)


def _numbers(strings: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Floats of the strings; NaN where empty or not a number.

    Fast path: NumPy's C conversion of the whole column. It also accepts ``1_000``, which
    a CSV number never is, so a column holding ``_`` (or any cell NumPy rejects) goes
    through ``pd.to_numeric``, which reports each bad cell as missing.
    """
    if "_" not in "".join(strings[given]):
        try:
            return np.where(given, strings, "nan").astype(np.float64)
        except ValueError:
            pass
    return pd.to_numeric(pd.Series(strings), errors="coerce").to_numpy(dtype=np.float64)


_PARSE_RULES = {
    "number": ("is not a number", "write digits with a decimal point, or leave the cell empty"),
    "integer": ("is not a number", "write a whole number, or leave the cell empty"),
    "date": ("is not a date in YYYY-MM-DD form", "e.g. 2011-03-14; dates are never guessed"),
    "bool": ("is not true or false", "write true or false, or leave the cell empty"),
}


def parse_rule(column: ColumnSpec) -> tuple[str, str]:
    """The rule and hint of a cell of ``column`` that does not parse."""
    rule, hint = _PARSE_RULES[column.kind]
    return rule, f"{column.meaning}: {hint}" if column.meaning else hint


def parse_cell(column: ColumnSpec, text: str) -> tuple[object, bool]:
    """One cell typed as :func:`parse_table` types its column, without pandas.

    The same rules as the column-wise parse: blanks around the value removed, numbers
    with a decimal point only (no ``_``, nothing infinite), dates strictly
    ``YYYY-MM-DD`` within the range the typed tables hold, flags ``true``/``false``.

    Returns
    -------
    value : float, datetime.date, bool, str or None
        The typed value; ``None`` for an empty cell (a text column's default instead)
        or one that did not parse.
    failed : bool
        Whether a non-empty cell did not parse.
    """
    text = text.strip(BLANKS)
    if not text:
        return column.default if column.kind == "text" else None, False
    if column.kind in ("number", "integer"):
        try:
            number = float(text) if "_" not in text else math.nan
        except ValueError:
            number = math.nan
        return (number, False) if math.isfinite(number) else (None, True)
    if column.kind == "date":
        try:
            day = parse_iso_date(text)
        except ValueError:
            return None, True
        return (day, False) if _FIRST_DAY <= day <= _LAST_DAY else (None, True)
    if column.kind == "bool":
        flag = _BOOLEANS.get(text.lower())
        return flag, flag is None
    return text, False


# The days a datetime64[ns] column holds; a date outside does not parse (as to_datetime).
_FIRST_DAY = pd.Timestamp.min.ceil("D").date()
_LAST_DAY = pd.Timestamp.max.floor("D").date()


def _parse_problems(
    column: ColumnSpec, strings: pd.Series, failed: np.ndarray, file: str
) -> list[Problem]:
    if not failed.any():
        return []
    rule, hint = parse_rule(column)
    bad = strings[failed]
    rows = bad.index.to_numpy(dtype=int) + 2
    return [
        Problem(file, int(row), column.name, str(value), rule, hint)
        for row, value in zip(rows, bad, strict=True)
    ]


def _repeated_columns(strings: pd.DataFrame, file: str) -> list[Problem]:
    repeated = strings.columns[strings.columns.duplicated()]
    return [
        Problem(
            file,
            1,
            name,
            name,
            "column name is repeated in the header",
            "keep one column of each name; the first is read",
        )
        for name in dict.fromkeys(repeated)
    ]


def _unnamed_columns(strings: pd.DataFrame, file: str) -> list[Problem]:
    if "" not in strings.columns:
        return []
    unnamed = strings.loc[:, strings.columns == ""]
    if not (unnamed != "").any(axis=None):
        return []  # a trailing comma or an empty formatted column: nothing is lost
    return [
        Problem(
            file,
            1,
            None,
            None,
            "a column holding values has no name",
            "write a column name in the header row",
        )
    ]
