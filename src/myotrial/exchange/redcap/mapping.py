"""Mapping files: how a REDCap project's names translate to the shipped dictionary's.

A project built from another dictionary names its fields, events, instruments and choice
codes its own way. A mapping file says, for each name that differs, which myotrial name
it stands for. TOML::

    [fields]                  # project field = myotrial field
    pt_gender = "sex"
    ck_ul = "ck"

    [events]                  # project unique event name = myotrial event name
    screening_arm_1 = "baseline_arm_1"

    [instruments]             # project instrument = myotrial instrument
    ae_log = "adverse_event"

    [choices.sex]             # per myotrial field: project code = myotrial code
    1 = "F"
    2 = "M"

or CSV with the columns ``kind,redcap,myotrial`` where kind is ``field``, ``event``,
``instrument`` or ``choice:<myotrial field>``.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from myotrial.errors import ConfigError, Problem
from myotrial.files import file_problem, read_text

KINDS: tuple[str, ...] = ("fields", "events", "instruments")
CSV_COLUMNS: tuple[str, ...] = ("kind", "redcap", "myotrial")


@dataclass(frozen=True)
class RedcapMapping:
    """Project names (keys) to myotrial names (values), by kind."""

    fields: Mapping[str, str] = field(default_factory=dict)
    events: Mapping[str, str] = field(default_factory=dict)
    instruments: Mapping[str, str] = field(default_factory=dict)
    choices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def field_name(self, name: str) -> str:
        """The myotrial name of project field ``name`` (itself when not mapped)."""
        return self.fields.get(name, name)


def load_mapping(path: Path) -> RedcapMapping:
    """Read a mapping file (``.toml`` or ``.csv``).

    Raises
    ------
    ConfigError
        If the file cannot be read or an entry is malformed.
    """
    text = read_text(path, "give the mapping file's path", encoding="utf-8-sig", error=ConfigError)
    if path.suffix.lower() == ".csv":
        return _from_csv(text, path.name)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        hint = "see the mapping example in docs/exchange.md"
        raise ConfigError([file_problem(path.name, f"is not valid TOML: {exc}", hint)]) from exc
    return _from_toml(data, path.name)


def _from_toml(data: Mapping[str, Any], file: str) -> RedcapMapping:
    problems: list[Problem] = []
    tables: dict[str, dict[str, str]] = {}
    for kind in KINDS:
        tables[kind] = _string_table(data.get(kind, {}), kind, file, problems)
    choices_raw = data.get("choices", {})
    choices: dict[str, dict[str, str]] = {}
    if isinstance(choices_raw, Mapping):
        for name, table in choices_raw.items():
            choices[str(name)] = _string_table(table, f"choices.{name}", file, problems)
    for key in set(data) - {*KINDS, "choices"}:
        problems.append(
            Problem(
                file,
                None,
                key,
                None,
                "is not a mapping table",
                "tables are [fields], [events], [instruments], [choices.X]",
            )
        )
    if problems:
        raise ConfigError(problems)
    return RedcapMapping(tables["fields"], tables["events"], tables["instruments"], choices)


def _string_table(table: object, key: str, file: str, problems: list[Problem]) -> dict[str, str]:
    if not isinstance(table, Mapping):
        problems.append(
            Problem(
                file,
                None,
                key,
                str(table),
                "must be a table",
                f'write [{key}] with lines redcap_name = "myotrial_name"',
            )
        )
        return {}
    out: dict[str, str] = {}
    for name, value in table.items():
        if not isinstance(value, str | int):
            problems.append(
                Problem(
                    file,
                    None,
                    f"{key}.{name}",
                    str(value),
                    "must be a name (text)",
                    'e.g. pt_gender = "sex"',
                )
            )
            continue
        out[str(name)] = str(value)
    return out


def _from_csv(text: str, file: str) -> RedcapMapping:
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
        raise ConfigError(
            [
                Problem(
                    file,
                    1,
                    None,
                    ",".join(reader.fieldnames or ()),
                    "is not the mapping header",
                    "kind,redcap,myotrial",
                )
            ]
        )
    tables: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
    choices: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    for number, row in enumerate(reader, start=2):
        kind, source, target = (row[c].strip() for c in CSV_COLUMNS)
        if kind.startswith("choice:"):
            choices.setdefault(kind.removeprefix("choice:"), {})[source] = target
        elif kind + "s" in tables:
            tables[kind + "s"][source] = target
        else:
            problems.append(
                Problem(
                    file,
                    number,
                    "kind",
                    kind,
                    "is not a mapping kind",
                    "field, event, instrument or choice:<field>",
                )
            )
    if problems:
        raise ConfigError(problems)
    return RedcapMapping(tables["fields"], tables["events"], tables["instruments"], choices)
