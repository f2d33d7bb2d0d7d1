"""The one way every command gets a trial: a folder, a workbook, a REDCap export or a database.

- ``None``: the trial stored at ``db_url``;
- a database URL (``sqlite:///FILE.db``, ``postgresql://...``): the trial stored there;
- a folder holding ``records.csv`` and ``dictionary.csv``: a REDCap export
  (:func:`myotrial.ingest.redcap.read_redcap_export`);
- an ``.xml`` file: a CDISC ODM 1.3.2 file (:func:`myotrial.ingest.odm.read_odm`);
- any other folder, or an ``.xlsx`` workbook: a trial folder
  (:func:`myotrial.ingest.read_trial`).

``format`` overrides the guess (``"folder"``, ``"redcap"`` or ``"odm"``). Every reader
validates what it reads, so an invalid trial raises :class:`~myotrial.errors.InvalidInputError`
before anything is analysed, exported or stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy.engine import make_url

from myotrial.errors import ConfigError, InvalidInputError, Problem
from myotrial.ingest import inspect_trial, read_trial
from myotrial.ingest.redcap import read_redcap_export
from myotrial.store import TrialStore, open_store
from myotrial.trialdata import TABLES, TrialData

FORMATS: tuple[str, ...] = ("auto", "folder", "redcap", "odm")
"""How a path is read: guessed from its content, a trial folder or workbook, REDCap, ODM."""

DATABASE_SCHEMES: tuple[str, ...] = ("sqlite:", "postgresql:", "postgresql+", "postgres:")
"""How a database URL begins (the drivers :func:`myotrial.store.open_store` accepts)."""


def is_database_url(source: Path | str) -> bool:
    """Whether ``source`` names a database rather than a file or folder."""
    return str(source).startswith(DATABASE_SCHEMES)


def is_redcap_export(path: Path | str) -> bool:
    """True when ``path`` is a folder holding a REDCap ``records.csv`` and ``dictionary.csv``."""
    path = Path(path)
    return path.is_dir() and (path / "records.csv").exists() and (path / "dictionary.csv").exists()


def load_trial(
    source: Path | str | None,
    db_url: str | None = None,
    format: str = "auto",
    mapping: Path | str | None = None,
    notes: list[Problem] | None = None,
) -> TrialData:
    """The trial at ``source``, read and validated, or the one stored at ``db_url``.

    Parameters
    ----------
    source : path-like, str or None
        A trial folder, an ``.xlsx`` workbook, a REDCap export folder, an ODM ``.xml``
        file or a database URL; ``None`` for the trial stored at ``db_url``.
    db_url : str, optional
        The database read when ``source`` is ``None``.
    format : {"auto", "folder", "redcap", "odm"}
        How to read a path: guessed from its content (``auto``), or as named.
    mapping : path-like, optional
        REDCap only: mapping file (TOML or CSV) for a project with other names.
    notes : list of Problem, optional
        REDCap only: receives a note per missing-data code read as missing.

    Returns
    -------
    TrialData
        The trial; ``source`` names where it came from (a database URL without its
        password).

    Raises
    ------
    InvalidInputError
        Listing every problem of the input.
    ConfigError
        If the format is unknown, a mapping is given for a non-REDCap input, or neither
        a source nor a database is given.
    StoreError, NotFoundError
        If the database cannot be read or holds no trial.
    """
    kind = source_kind(source, format, mapping)
    if kind == "database":
        return _stored_trial(str(source) if source is not None else db_url)
    assert source is not None
    if kind == "redcap":
        reading = read_redcap_export(source, mapping)
        if notes is not None:
            notes.extend(reading.notes)
        return reading.trial
    if kind == "odm":
        return _read_odm(source)
    return read_trial(source)


def _read_odm(source: Path | str) -> TrialData:
    from myotrial.ingest.odm import read_odm  # lxml: the exchange extra

    return read_odm(source)


def source_kind(
    source: Path | str | None, format: str = "auto", mapping: Path | str | None = None
) -> str:
    """``"database"``, ``"redcap"``, ``"odm"`` (an ``.xml`` file) or ``"folder"`` (a
    trial folder or workbook).

    Raises
    ------
    ConfigError
        If the format is unknown, or a mapping is given for a non-REDCap input.
    """
    if source is None or is_database_url(source):
        return "database"
    if format not in FORMATS:
        raise _option_error("format", format, f"must be one of {', '.join(FORMATS)}")
    if format == "redcap" or (format == "auto" and is_redcap_export(source)):
        return "redcap"
    if mapping is not None:
        raise _option_error("mapping", str(mapping), "applies to REDCap exports only")
    if format == "odm" or (format == "auto" and Path(source).suffix.lower() == ".xml"):
        return "odm"
    return "folder"


@dataclass(frozen=True)
class TrialReading:
    """What :func:`inspect_source` found: the trial as far as it was read, and problems.

    ``trial`` is ``None`` when nothing could be typed (a REDCap export whose columns or
    events do not fit its dictionary); ``notes`` are the REDCap missing-data codes read
    as missing.
    """

    trial: TrialData | None
    problems: list[Problem] = field(default_factory=list)
    notes: tuple[Problem, ...] = ()

    @property
    def rows(self) -> dict[str, int]:
        """Data rows per table of the trial read (none when nothing was read)."""
        if self.trial is None:
            return {}
        return {t: len(self.trial.table(t)) for t in TABLES}


def inspect_source(
    source: Path | str | None,
    db_url: str | None = None,
    format: str = "auto",
    mapping: Path | str | None = None,
) -> TrialReading:
    """Read ``source`` as :func:`load_trial` does, returning its problems instead of raising.

    Every source :func:`load_trial` reads is accepted: a trial folder or workbook (read
    as far as it can be, every problem listed), a REDCap export (every problem of the
    export, or of the trial it makes) and a stored trial (valid by construction).

    Raises
    ------
    ConfigError, StoreError, NotFoundError
        As :func:`load_trial`, for options or a database that cannot be read.
    InvalidInputError
        When ``source`` is neither a folder, a workbook nor a database URL.
    """
    kind = source_kind(source, format, mapping)
    if kind == "database":
        return TrialReading(_stored_trial(str(source) if source is not None else db_url))
    assert source is not None
    if kind == "folder":
        check = inspect_trial(source)
        return TrialReading(check.trial, check.problems)
    try:
        if kind == "odm":
            return TrialReading(_read_odm(source))
        reading = read_redcap_export(source, mapping)
    except InvalidInputError as exc:
        return TrialReading(None, list(exc.problems))
    return TrialReading(reading.trial, [], reading.notes)


def _stored_trial(db_url: str | None) -> TrialData:
    if not db_url:
        raise _option_error("db", None, "is needed when no trial path is given")
    store = open_store(db_url)
    try:
        trial = trial_in(store)
    finally:
        store.close()
    # an analysis or a report names where the trial came from, never a password
    return replace(trial, source=trial.source or make_url(db_url).render_as_string(True))


def trial_in(store: TrialStore) -> TrialData:
    """The trial an open store holds (for use cases that also write to that store).

    Raises
    ------
    NotFoundError
        If no trial has been imported into the store's database.
    """
    return store.load_trial()


def _option_error(option: str, value: str | None, rule: str) -> ConfigError:
    hint = "give a trial folder, an .xlsx workbook, a REDCap export, an ODM file or --db URL"
    return ConfigError([Problem("options", None, option, value, rule, hint)])
