"""Read a REDCap export into a :class:`~myotrial.trialdata.TrialData`.

An export folder holds ``records.csv`` (REDCap's "CSV / Microsoft Excel (raw data)"
export, or the ``records.csv`` myotrial writes) and ``dictionary.csv`` (the project's data
dictionary); optionally ``events.csv`` (REDCap's event export; the events a record may
name), ``trial.toml`` (the trial settings REDCap has no place for). Longitudinal
projects (``redcap_event_name``), repeating instruments (``redcap_repeat_instrument``,
``redcap_repeat_instance``) and checkbox columns (``field___code``) are understood.
REDCap's missing-data codes (NI, UNK, NA, ASKU, NASK, NAV ...) are read as missing and
reported in :attr:`RedcapImport.notes`.

Every problem is collected before anything is returned: an unknown event, a column the
dictionary does not define, a checkbox code the field lacks, a date not in the declared
order, a value in the wrong instrument; each names the file, row, column, rule and a hint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from myotrial.config import TrialConfig, load_config
from myotrial.errors import InvalidInputError, Problem
from myotrial.exchange.redcap.dictionary import FORM_TABLES, read_dictionary
from myotrial.exchange.redcap.events import trial_events
from myotrial.exchange.redcap.mapping import RedcapMapping, load_mapping
from myotrial.exchange.redcap.product import FOLDER
from myotrial.files import READ_ERRORS, reading
from myotrial.ingest.parse import merge_problems
from myotrial.ingest.redcap_checks import conform, records_problems
from myotrial.ingest.redcap_fields import RECORDS, ReadField, cell_problems, resolve_fields
from myotrial.ingest.redcap_product import PRODUCT_RECORDS, has_product_project, read_product
from myotrial.ingest.redcap_tables import Assembled, assemble_tables, typed_columns
from myotrial.trialdata import TrialData

# REDCap's default missing-data codes (Project Setup > Additional customizations).
MISSING_DATA_CODES: dict[str, str] = {
    "NI": "no information",
    "INV": "invalid",
    "UNK": "unknown",
    "NASK": "not asked",
    "ASKU": "asked but unknown",
    "NAV": "temporarily unavailable",
    "MSK": "masked",
    "NA": "not applicable",
    "NAVU": "not available",
    "NP": "not present",
    "QS": "sufficient quantity",
    "QI": "insufficient quantity",
    "TRC": "trace",
    "UNC": "unencoded",
    "DER": "derived",
    "PINF": "positive infinity",
    "NINF": "negative infinity",
    "OTH": "other",
}
KEYS: tuple[str, ...] = (
    "record_id",
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
)
SYSTEM_COLUMNS: frozenset[str] = frozenset(
    {*KEYS, "redcap_data_access_group", "redcap_survey_identifier"}
)


@dataclass(frozen=True)
class RedcapImport:
    """A REDCap export read: the trial, and notes on cells read as missing."""

    trial: TrialData
    notes: tuple[Problem, ...]


def read_redcap(folder: Path | str, mapping: Path | str | RedcapMapping | None = None) -> TrialData:
    """Read a REDCap export folder as a trial (see :func:`read_redcap_export`)."""
    return read_redcap_export(folder, mapping).trial


def read_redcap_export(
    folder: Path | str, mapping: Path | str | RedcapMapping | None = None
) -> RedcapImport:
    """Read, type and check a REDCap export folder.

    Parameters
    ----------
    folder
        Folder with ``records.csv`` and ``dictionary.csv`` (and optionally ``events.csv``,
        ``trial.toml``).
    mapping
        A mapping file (TOML or CSV, see :mod:`myotrial.exchange.redcap.mapping`) or a
        :class:`RedcapMapping`, for projects whose names differ from the shipped ones.

    Returns
    -------
    RedcapImport
        The trial and the notes on missing-data codes read as missing.

    Raises
    ------
    InvalidInputError
        Listing every problem in the export, or every rule of the trial format broken.
    """
    folder = Path(folder)
    if not isinstance(mapping, RedcapMapping):
        mapping = load_mapping(Path(mapping)) if mapping is not None else RedcapMapping()
    project = read_dictionary(folder / "dictionary.csv")
    fields, problems = resolve_fields(project, mapping)
    records = _renamed(_read_records(folder / RECORDS), project[0].name, mapping)
    config = load_config(folder / "trial.toml")
    defined = {mapping.field_name(f.name) for f in project}
    problems += _column_problems(records, fields, defined)
    problems += _event_problems(records, _known_events(folder, mapping, config))
    problems += _instrument_problems(records)
    if problems:
        raise InvalidInputError(problems)
    records, notes = _blank_missing_codes(records, fields)
    trial, found = _build_trial(folder, config, records, fields)
    product = None
    if has_product_project(folder):
        product = read_product(folder, _read_records(folder / PRODUCT_RECORDS))
        trial = trial.with_tables(**{t: conform(t, f) for t, f in product.tables.items()})
        found = replace(found, problems=found.problems + product.problems)
    checked = records_problems(trial, found.source_rows, fields, product)
    problems = merge_problems(found.problems, checked)
    if problems:
        raise InvalidInputError(problems)
    return RedcapImport(trial=trial, notes=tuple(notes))


def _build_trial(
    folder: Path, config: TrialConfig, records: pd.DataFrame, fields: dict[str, ReadField]
) -> tuple[TrialData, Assembled]:
    """The trial in the shape read_trial gives, and where each of its rows came from."""
    typed, type_problems = typed_columns(records, fields)
    assembled = assemble_tables(records, typed, fields)
    tables = {name: conform(name, frame) for name, frame in assembled.tables.items()}
    trial = TrialData(
        config=config,
        **tables,
        source=str(folder),
        checksum=_checksum(folder),
        extra_columns=assembled.extras,
    )
    problems = type_problems + assembled.problems
    return trial, replace(assembled, problems=problems)


def _read_records(path: Path) -> pd.DataFrame:
    failures = (*READ_ERRORS, pd.errors.ParserError, pd.errors.EmptyDataError)
    hint = "export records as CSV (raw data) from REDCap"
    with reading(path.name, hint, form=" as CSV", catch=failures):
        records = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return records.apply(lambda column: column.str.strip())


def _renamed(records: pd.DataFrame, id_field: str, mapping: RedcapMapping) -> pd.DataFrame:
    """Project names to myotrial names: columns, checkbox codes, events, instruments."""
    # REDCap: the first field of the dictionary is the record ID.
    renames: dict[str, str] = {id_field: "record_id"}
    for column in records.columns:
        base, sep, code = column.partition("___")
        if sep:
            name = mapping.field_name(base)
            renames[column] = f"{name}___{mapping.choices.get(name, {}).get(code, code)}"
        elif column != id_field:
            renames[column] = mapping.field_name(column)
    records = records.rename(columns=renames)
    for column in KEYS[1:]:
        if column not in records.columns:
            records[column] = ""
    records["redcap_event_name"] = records["redcap_event_name"].replace(dict(mapping.events))
    records["redcap_repeat_instrument"] = records["redcap_repeat_instrument"].replace(
        dict(mapping.instruments)
    )
    for name, codes in mapping.choices.items():
        if name in records.columns:
            records[name] = records[name].replace(dict(codes))
    return records


def _column_problems(
    records: pd.DataFrame, fields: dict[str, ReadField], defined: set[str]
) -> list[Problem]:
    """Columns the dictionary does not define (``defined``: every project field name)."""
    forms = set(FORM_TABLES) | {f.form for f in fields.values()}
    problems: list[Problem] = []
    for column in records.columns:
        if column in SYSTEM_COLUMNS or column in fields or column in defined:
            continue
        if column.endswith("_complete") and column.removesuffix("_complete") in forms:
            continue  # REDCap's form status column
        problem = _column_problem(column, fields)
        if problem is not None:
            problems.append(problem)
    return problems


def _column_problem(column: str, fields: dict[str, ReadField]) -> Problem | None:
    """The problem with one records column that names no field directly, if any."""
    base, sep, code = column.partition("___")
    field = fields.get(base) if sep else None
    if field is None:
        return Problem(
            RECORDS,
            1,
            column,
            None,
            "is not a field of the data dictionary",
            "export records and dictionary from the same project, "
            "or map the name in the mapping file's [fields]",
        )
    if field.checkbox is None:
        return Problem(
            RECORDS,
            1,
            column,
            None,
            f"uses checkbox syntax but {base} is a {field.kind} field",
            "only checkbox fields export as field___code",
        )
    if code not in field.codes and code.upper() not in MISSING_DATA_CODES:
        return Problem(
            RECORDS,
            1,
            column,
            code,
            f"is not a choice code of checkbox field {base}",
            f"codes: {', '.join(field.codes)}",
        )
    return None


def _known_events(folder: Path, mapping: RedcapMapping, config: TrialConfig) -> set[str]:
    path = folder / "events.csv"
    if path.exists():
        events = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "unique_event_name" in events.columns:
            names = events["unique_event_name"].str.strip()
            return set(names.replace(dict(mapping.events)))
    return {e.unique_name for e in trial_events(config)}


def _event_problems(records: pd.DataFrame, known: set[str]) -> list[Problem]:
    events = records["redcap_event_name"]
    if not events.ne("").any():
        return []  # a classic (not longitudinal) project
    bad = ~events.isin(known)
    return cell_problems(
        events,
        bad,
        "redcap_event_name",
        "is not an event of the project",
        f"events: {', '.join(sorted(known))}; map others in [events]",
    )


def _instrument_problems(records: pd.DataFrame) -> list[Problem]:
    instruments = records["redcap_repeat_instrument"]
    bad = instruments.ne("") & ~instruments.isin(list(FORM_TABLES))
    instance = records["redcap_repeat_instance"]
    no_instance = instruments.ne("") & ~instance.str.fullmatch(r"[1-9][0-9]*")
    return cell_problems(
        instruments,
        bad,
        "redcap_repeat_instrument",
        "is not a repeating instrument myotrial knows",
        f"one of {', '.join(FORM_TABLES)}; map others in [instruments]",
    ) + cell_problems(
        instance,
        no_instance,
        "redcap_repeat_instance",
        "is not a repeat instance number",
        "a whole number from 1",
    )


def _blank_missing_codes(
    records: pd.DataFrame, fields: dict[str, ReadField]
) -> tuple[pd.DataFrame, list[Problem]]:
    """Missing-data codes become empty cells, each one noted."""
    records = records.copy()
    notes: list[Problem] = []
    for column in records.columns:
        field = fields.get(column)
        if column in SYSTEM_COLUMNS or field is None:
            continue
        values = records[column]
        coded = values.isin(list(MISSING_DATA_CODES)) & ~values.isin(field.codes)
        for index in values.index[coded]:
            code = values[index]
            notes.append(
                Problem(
                    RECORDS,
                    int(index) + 2,
                    column,
                    code,
                    f"is REDCap's missing-data code for '{MISSING_DATA_CODES[code]}'",
                    "read as missing",
                )
            )
        records.loc[coded, column] = ""
    return records, notes


def _checksum(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in ("dictionary.csv", RECORDS, f"{FOLDER}/dictionary.csv", PRODUCT_RECORDS):
        if name in ("dictionary.csv", RECORDS) or (folder / name).exists():
            digest.update((folder / name).read_bytes())
    return digest.hexdigest()
