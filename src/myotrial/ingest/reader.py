"""Reading a trial folder (CSV files + ``trial.toml``) or one ``.xlsx`` workbook.

Every table is read as strings first, exactly as entered, then typed column by column
(:mod:`myotrial.ingest.parse`) and validated (:mod:`myotrial.ingest.validate`). Problems
are collected across files, never stopping at the first: :func:`inspect_trial` returns
them, :func:`read_trial` raises them all at once.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from myotrial.config import TrialConfig, parse_config
from myotrial.errors import ConfigError, InvalidInputError, Problem
from myotrial.files import file_problem, unreadable
from myotrial.ingest.crosscheck import cross_table_problems
from myotrial.ingest.parse import any_value, merge_problems, parse_table
from myotrial.ingest.raw import RawTable, empty_table
from myotrial.ingest.schema import TABLE_SPECS
from myotrial.ingest.validate import sort_problems, table_files, table_problems
from myotrial.ingest.workbook import read_workbook
from myotrial.trialdata import TABLES, TrialData

CONFIG_FILE = "trial.toml"


@dataclass(frozen=True)
class TrialCheck:
    """What :func:`inspect_trial` found: the trial as far as it could be read, and problems.

    Cells that did not parse are missing in ``trial``; ``problems`` says where they are.
    """

    trial: TrialData
    problems: list[Problem] = field(default_factory=list)

    @property
    def rows(self) -> dict[str, int]:
        """Data rows per table."""
        return {t: len(self.trial.table(t)) for t in TABLES}


def read_trial(path: str | Path) -> TrialData:
    """Read and validate a trial folder or ``.xlsx`` workbook.

    Parameters
    ----------
    path : str or pathlib.Path
        A folder holding ``patients.csv``, ``visits.csv`` (both required), the optional
        ``infusions.csv``, ``adverse_events.csv``, ``events.csv``, ``medications.csv`` and
        ``trial.toml``; or an ``.xlsx`` workbook with sheets of the same names and a
        ``trial`` sheet (see ``docs/trial-format.md``).

    Returns
    -------
    TrialData
        Typed tables; ``source`` is the path given and ``checksum`` the SHA-256 of the
        input (file names and bytes); ``extra_columns`` lists columns the format does not
        define, kept as text.

    Raises
    ------
    InvalidInputError
        Listing every problem found (file, spreadsheet row, column, value, rule, hint).
    """
    check = inspect_trial(path)
    if check.problems:
        raise InvalidInputError(check.problems)
    return check.trial


def inspect_trial(path: str | Path) -> TrialCheck:
    """Read and validate like :func:`read_trial`, returning the problems instead of raising.

    Raises
    ------
    InvalidInputError
        Only when ``path`` is neither a folder nor an ``.xlsx`` workbook.
    """
    path = Path(path)
    if path.is_dir():
        config, tables, config_problems, digest = _read_folder(path)
    elif path.is_file() and path.suffix.lower() == ".xlsx":
        config, tables, config_problems, digest = read_workbook(path)
    else:
        rule = "does not exist" if not path.exists() else "is not a folder or an .xlsx workbook"
        raise InvalidInputError(
            [Problem(path.name, None, None, None, rule, "give a trial folder or an .xlsx workbook")]
        )
    return assemble(tables, config, str(path), digest, config_problems)


def assemble(
    tables: list[RawTable],
    config: TrialConfig,
    source: str,
    checksum: str,
    problems: list[Problem],
) -> TrialCheck:
    """Type the string tables, build the trial and validate it, collecting every problem."""
    typed: dict[str, pd.DataFrame] = {}
    extra: dict[str, tuple[str, ...]] = {}
    files = {t.name: t.file for t in tables}
    readable = {t.name for t in tables if t.strings is not None}
    for table in tables:
        strings = table.strings if table.strings is not None else empty_table(table.name)
        frame, parse_problems, extra_names = parse_table(table.name, strings, table.file)
        typed[table.name], problems = frame, problems + parse_problems
        if extra_names:
            extra[table.name] = extra_names
    trial = TrialData(config=config, source=source, checksum=checksum, extra_columns=extra, **typed)
    checked = [
        p for t in TABLES if t in readable for p in table_problems(t, typed[t], files[t], config)
    ]
    # Without the patients table every reference would look unknown: skip those rules.
    if "patients" in readable:
        checked += cross_table_problems(trial, files)
    return TrialCheck(trial, sort_problems(merge_problems(problems, checked), files))


def _read_folder(
    folder: Path,
) -> tuple[TrialConfig, list[RawTable], list[Problem], str]:
    digest = hashlib.sha256()
    problems: list[Problem] = []
    config = _read_config(folder / CONFIG_FILE, digest, problems)
    tables = []
    listing = {p.name.lower(): p.name for p in folder.iterdir()}
    for name in TABLES:
        spec = TABLE_SPECS[name]
        path = folder / spec.file_name
        if path.exists():
            strings = _read_csv(path, digest, problems, spec.required_file)
            tables.append(RawTable(name, spec.file_name, strings))
            continue
        found = listing.get(spec.file_name)
        if found is not None or spec.required_file:
            # A file under another case (Visits.csv) would otherwise be ignored silently.
            hint = (
                f"found {found}: file names are lower case"
                if found
                else f"every trial folder has {spec.file_name}"
            )
            rule = "required file is missing" if spec.required_file else "file is missing"
            problems.append(file_problem(spec.file_name, rule, hint))
            tables.append(RawTable(name, spec.file_name, None))
        else:
            tables.append(RawTable(name, spec.file_name, empty_table(name)))
    return config, tables, problems, digest.hexdigest()


def _read_config(path: Path, digest: hashlib._Hash, problems: list[Problem]) -> TrialConfig:
    if not path.exists():
        return TrialConfig()
    data = _read_bytes(path, digest, problems)
    if data is None:
        return TrialConfig()
    try:
        return parse_config(data.decode("utf-8"), source=path.name)
    except UnicodeDecodeError as exc:
        problems.append(
            file_problem(path.name, f"is not UTF-8 text ({exc})", "save the file as UTF-8")
        )
    except ConfigError as exc:
        problems.extend(exc.problems)
    return TrialConfig()


def _read_bytes(path: Path, digest: hashlib._Hash, problems: list[Problem]) -> bytes | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(unreadable(path.name, exc, "check the file exists and may be read"))
        return None
    # File name and length frame the bytes, so moving bytes between files changes the sum.
    digest.update(f"{path.name}\0{len(data)}\0".encode())
    digest.update(data)
    return data


def _read_csv(
    path: Path, digest: hashlib._Hash, problems: list[Problem], required: bool
) -> pd.DataFrame | None:
    data = _read_bytes(path, digest, problems)
    if data is None:
        return None
    name = path.name
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(
            file_problem(
                name, f"is not UTF-8 text ({exc.reason} at byte {exc.start})", "save as CSV UTF-8"
            )
        )
        return None
    if not text.strip():
        problems.append(
            file_problem(name, "is empty (no header row)", "the first row names the columns")
        )
        return None
    strings = _csv_strings(text, name, problems)
    if strings is not None and required and not any_value(strings):
        problems.append(
            file_problem(name, "has no data rows", "a trial needs at least one row here")
        )
    return strings


def _csv_strings(text: str, name: str, problems: list[Problem]) -> pd.DataFrame | None:
    try:
        # header=None keeps repeated column names as written; the first row is the header.
        body = pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        problems.append(
            file_problem(
                name, f"is not valid CSV: {exc}", "every row needs as many commas as the header"
            )
        )
        return None
    header = [str(h) for h in body.iloc[0]]
    if len(header) == 1 and ";" in header[0]:
        # Spreadsheets set to a decimal comma save "CSV" with semicolons: say so plainly
        # instead of reporting every required column as missing.
        problems.append(
            Problem(
                name,
                1,
                None,
                header[0],
                "is separated by semicolons, not commas",
                "save as CSV UTF-8 (comma delimited)",
            )
        )
        return None
    strings = body.iloc[1:].reset_index(drop=True)
    strings.columns = pd.Index(header)
    return strings


def checksum_of(path: str | Path) -> str:
    """The SHA-256 :func:`read_trial` records for ``path`` (without reading the tables)."""
    path = Path(path)
    digest = hashlib.sha256()
    files = (
        [path]
        if path.is_file()
        else [path / CONFIG_FILE] + [path / TABLE_SPECS[t].file_name for t in TABLES]
    )
    for file in files:
        if file.exists():
            _read_bytes(file, digest, [])
    return digest.hexdigest()


__all__ = [
    "TrialCheck",
    "assemble",
    "checksum_of",
    "empty_table",
    "inspect_trial",
    "read_trial",
    "table_files",
]
