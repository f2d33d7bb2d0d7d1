"""The ``[cdisc]`` table of ``trial.toml``: what a submission says about the trial.

The keys are optional for everything but the CDISC export: a trial is analysed without
them. ``export sdtm`` needs ``country`` (DM.COUNTRY is Required by SDTMIG 3.4) and the
trial summary's sponsor, protocol title and phase (TS parameters SPONSOR, TITLE, TPHASE
are required by the FDA's Technical Conformance Guide); :meth:`CdiscSettings.require`
stops the export naming the missing setting rather than writing nulls. Values with a
CDISC codelist are checked against it when trial.toml is read. Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from myotrial.errors import ConfigError, Problem

DEFAULT_STUDYID = "MYOTRIAL"
PHASES: tuple[str, ...] = (
    "PHASE I TRIAL",
    "PHASE I/II TRIAL",
    "PHASE II TRIAL",
    "PHASE II/III TRIAL",
    "PHASE III TRIAL",
    "PHASE IV TRIAL",
    "NOT APPLICABLE",
)
"""CDISC CT Trial Phase (TPHASE, C66737) submission values."""
BLINDING: dict[str, str] = {
    "open": "OPEN LABEL",
    "assessor": "SINGLE BLIND",
    "double": "DOUBLE BLIND",
}
"""CDISC CT Trial Blinding Schema (TBLIND, C66735) of each ``[blinding] mode``: an
assessor-blinded trial is single blind (one party, the assessor, is unaware)."""
CONTROL_TYPES: tuple[str, ...] = ("NONE", "PLACEBO", "ACTIVE", "DOSE RESPONSE", "HISTORICAL")
"""CDISC CT Control Type (TCNTRL, C66785) submission values."""
RACES: tuple[str, ...] = (
    "AMERICAN INDIAN OR ALASKA NATIVE",
    "ASIAN",
    "BLACK OR AFRICAN AMERICAN",
    "NATIVE HAWAIIAN OR OTHER PACIFIC ISLANDER",
    "WHITE",
    "MULTIPLE",
    "OTHER",
    "NOT REPORTED",
    "UNKNOWN",
)
"""CDISC CT Race (RACE, C74457) submission values: those ``patients.race`` may take."""

_COUNTRY = re.compile(r"[A-Z]{3}")
_TEXT_KEYS = ("studyid", "sponsor", "title", "registry_id")
_CHOICES: dict[str, tuple[str, ...]] = {
    "phase": PHASES,
    "control_type": CONTROL_TYPES,
}
KEYS: tuple[str, ...] = (
    "studyid",
    "country",
    "sponsor",
    "title",
    "phase",
    "control_type",
    "planned_subjects",
    "registry_id",
)
"""Every key of ``[cdisc]``."""

# What each required setting fills, for the message that names it.
REQUIRED_FOR: dict[str, tuple[str, str]] = {
    "country": ("DM.COUNTRY", 'ISO 3166-1 alpha-3 code of the trial country, e.g. country = "CHN"'),
    "sponsor": ("TS SPONSOR", 'the sponsoring organisation, e.g. sponsor = "University Hospital"'),
    "title": ("TS TITLE", "the protocol title"),
    "phase": ("TS TPHASE", f'one of {", ".join(PHASES)}, e.g. phase = "PHASE I/II TRIAL"'),
}


@dataclass(frozen=True)
class CdiscSettings:
    """The ``[cdisc]`` settings, with defaults where SDTM allows one."""

    studyid: str = DEFAULT_STUDYID
    country: str | None = None
    sponsor: str | None = None
    title: str | None = None
    phase: str | None = None
    control_type: str = "NONE"
    planned_subjects: int | None = None
    registry_id: str | None = None

    def require(self, *keys: str, source: str = "trial.toml") -> None:
        """Stop when any of ``keys`` is not set.

        Raises
        ------
        ConfigError
            One problem per missing key, naming ``cdisc.<key>``, what it fills and how
            to write it.
        """
        problems = [
            Problem(
                source,
                None,
                f"cdisc.{key}",
                None,
                f"is required for {REQUIRED_FOR[key][0]} (the CDISC export writes no "
                "null in a Required value)",
                f"add it under [cdisc]: {REQUIRED_FOR[key][1]}",
            )
            for key in keys
            if getattr(self, key) is None
        ]
        if problems:
            raise ConfigError(problems)

    @classmethod
    def from_table(
        cls,
        table: object,
        source: str = "trial.toml",
        problems: list[Problem] | None = None,
    ) -> CdiscSettings:
        """Read ``[cdisc]``; every broken value goes to ``problems`` (or raises).

        Raises
        ------
        ConfigError
            When ``problems`` is not given and a value breaks its rule.
        """
        found: list[Problem] = [] if problems is None else problems
        start = len(found)
        data: Mapping[str, Any] = table if isinstance(table, Mapping) else {}
        if table is not None and not isinstance(table, Mapping):
            found.append(_problem(source, "cdisc", table, "must be a table", "write [cdisc]"))
        values: dict[str, Any] = {}
        for key, value in data.items():
            checked = _check(key, value, source, found)
            if checked is not None:
                values[key] = checked
        if problems is None and len(found) > start:
            raise ConfigError(found)
        return cls(**values)


def _check(key: str, value: object, source: str, problems: list[Problem]) -> object | None:
    name = f"cdisc.{key}"
    if key not in KEYS:
        problems.append(_problem(source, name, value, "is not a [cdisc] setting", _known()))
    elif key == "planned_subjects":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(_problem(source, name, value, "must be a whole number >= 1"))
        else:
            return value
    elif not isinstance(value, str) or not value.strip():
        problems.append(_problem(source, name, value, "must be a non-empty text"))
    elif key == "country" and not _COUNTRY.fullmatch(value):
        problems.append(
            _problem(source, name, value, "must be an ISO 3166-1 alpha-3 code", 'e.g. "CHN"')
        )
    elif key in _CHOICES and value not in _CHOICES[key]:
        allowed = ", ".join(_CHOICES[key])
        problems.append(_problem(source, name, value, f"must be one of {allowed}"))
    elif key in _TEXT_KEYS or key in _CHOICES or key == "country":
        return value
    return None


def _known() -> str:
    return f"settings are {', '.join(KEYS)}"


def _problem(source: str, key: str, value: object, rule: str, hint: str = "") -> Problem:
    return Problem(source, None, key, None if value is None else str(value), rule, hint)
