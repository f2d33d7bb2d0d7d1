"""The trial configuration: what ``trial.toml`` says, with the documented defaults.

Defaults follow the trial-folder contract (``docs/trial-format.md``): a key that is
absent takes the default shown there; upper limits of normal (``[uln]``) have no default
because a laboratory's normal range is never assumed. Reading the file is the edge's job
(:func:`myotrial.config.load_config`); this module holds the configuration itself and
the rules its values keep. Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from myotrial.domain.arms import CONTROL_ARM
from myotrial.domain.cdisc import CdiscSettings
from myotrial.domain.conduct import (
    BlindingSpec,
    EligibilitySpec,
    RandomisationSpec,
    parse_blinding,
    parse_eligibility,
    parse_randomisation,
)
from myotrial.domain.release import ReleaseSpec, parse_release
from myotrial.errors import ConfigError, Problem

ENZYMES: tuple[str, ...] = ("ck", "aldolase", "ldh", "ast", "alt", "ck_mb")
"""The muscle enzymes a visit may record, each with its ``<enzyme>_uln``."""
ENZYME_UNITS: tuple[str, ...] = ("U/L", "ukat/L")
"""Units an enzyme may be declared in (``[units]``); U/L unless declared."""
POPULATIONS: tuple[str, ...] = ("adult", "juvenile")
"""Trial populations; each selects its TIS thresholds (:mod:`myotrial.measures.tis`)."""
VAS_UNITS: tuple[str, ...] = ("cm", "mm")
"""Units a visual analogue scale may be entered in."""
MMT_SCALES: tuple[int, ...] = (80, 150)
"""MMT-8 forms: the total of one side (0-80) or of both sides and the axial groups (0-150)."""


@dataclass(frozen=True)
class Timepoint:
    """A nominal follow-up time point: target study day and the half-width of its window."""

    name: str
    day: int
    window: int


DEFAULT_TIMEPOINTS: tuple[Timepoint, ...] = (
    Timepoint("week1", 7, 3),
    Timepoint("week2", 14, 3),
    Timepoint("month1", 30, 7),
    Timepoint("month3", 90, 14),
    Timepoint("month6", 180, 21),
    Timepoint("month12", 365, 30),
)


@dataclass(frozen=True)
class TrialConfig:
    """Everything ``trial.toml`` says, with the documented defaults filled in."""

    name: str = "Unnamed trial"
    population: str = "adult"
    mmt_max: int = 80
    course_gap_days: int = 28
    vas_unit: str = "cm"
    units: Mapping[str, str] = field(default_factory=dict)
    uln: Mapping[str, float] = field(default_factory=dict)
    timepoints: tuple[Timepoint, ...] = DEFAULT_TIMEPOINTS
    release: ReleaseSpec = field(default_factory=ReleaseSpec)
    primary_timepoint: str | None = None
    control_arm: str = CONTROL_ARM
    eligibility: EligibilitySpec = field(default_factory=EligibilitySpec)
    randomisation: RandomisationSpec = field(default_factory=RandomisationSpec)
    blinding: BlindingSpec = field(default_factory=BlindingSpec)
    written: frozenset[str] = field(default=frozenset(), compare=False)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def primary(self) -> Timepoint | None:
        """The primary time point: ``primary_timepoint``, else the last time point."""
        if not self.timepoints:
            return None
        named = [t for t in self.timepoints if t.name == self.primary_timepoint]
        return named[0] if named else max(self.timepoints, key=lambda t: t.day)

    @property
    def cdisc(self) -> CdiscSettings:
        """The ``[cdisc]`` settings (checked when the configuration was built)."""
        return CdiscSettings.from_table(self.extra.get("cdisc"))

    def unit(self, enzyme: str) -> str:
        """The declared unit of ``enzyme`` (U/L unless ``[units]`` says otherwise)."""
        return self.units.get(enzyme, ENZYME_UNITS[0])

    def to_dict(self) -> dict[str, Any]:
        """A plain mapping in the shape of ``trial.toml``, for storage and round trips."""
        return {
            "trial": {
                "name": self.name,
                "population": self.population,
                "mmt_max": self.mmt_max,
                "course_gap_days": self.course_gap_days,
                "vas_unit": self.vas_unit,
                # written only when set, so a one-arm trial's trial.toml is unchanged
                **({"control_arm": self.control_arm} if self.control_arm != CONTROL_ARM else {}),
                **(
                    {"primary_timepoint": self.primary_timepoint}
                    if self.primary_timepoint is not None
                    else {}
                ),
            },
            "units": dict(self.units),
            "uln": dict(self.uln),
            "timepoints": {t.name: {"day": t.day, "window": t.window} for t in self.timepoints},
            # Only a [release] the trial wrote: a trial on the defaults stores what it did.
            **({"release": self.release.to_dict()} if self.release.to_dict() else {}),
            # the conduct sections the trial wrote or set: a trial on the defaults
            # stores what it did
            **{
                key: getattr(self, key).to_dict()
                for key in CONDUCT_SECTIONS
                if key in self.written or getattr(self, key) != _CONDUCT_DEFAULTS[key]
            },
            **{k: v for k, v in self.extra.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "trial.toml") -> TrialConfig:
        """Build a configuration from parsed TOML, collecting every problem.

        Raises
        ------
        ConfigError
            Listing every key whose value breaks its rule.
        """
        problems: list[Problem] = []
        trial = _table(data, "trial", source, problems)
        population = _choice(trial, "population", "adult", POPULATIONS, source, problems)
        mmt_max = _choice(trial, "mmt_max", 80, MMT_SCALES, source, problems)
        vas_unit = _choice(trial, "vas_unit", "cm", VAS_UNITS, source, problems)
        gap = trial.get("course_gap_days", 28)
        if not isinstance(gap, int) or isinstance(gap, bool) or gap < 1:
            problems.append(
                _problem(
                    source, "trial.course_gap_days", gap, "must be a whole number of days >= 1"
                )
            )
        name = str(trial.get("name", "Unnamed trial"))
        units = _units(_table(data, "units", source, problems), source, problems)
        uln = _uln(_table(data, "uln", source, problems), source, problems)
        timepoints = _timepoints(data, source, problems)
        release = parse_release(_table(data, "release", source, problems), source, problems)
        primary = _primary_timepoint(trial, timepoints, source, problems)
        control_arm = trial.get("control_arm", CONTROL_ARM)
        if not isinstance(control_arm, str) or not control_arm.strip():
            problems.append(
                _problem(source, "trial.control_arm", control_arm, "must be a non-empty text")
            )
        conduct = {
            key: parse(_table(data, key, source, problems), source, problems)
            for key, parse in _CONDUCT_PARSERS.items()
        }
        # [cdisc] stays in extra as written (a round trip keeps it); its values are checked
        CdiscSettings.from_table(data.get("cdisc"), source, problems)
        if problems:
            raise ConfigError(problems)
        known = {"trial", "units", "uln", "timepoints", "release", *CONDUCT_SECTIONS}
        return cls(
            name=name,
            population=str(population),
            mmt_max=int(str(mmt_max)),
            course_gap_days=int(gap),
            vas_unit=str(vas_unit),
            units=units,
            uln=uln,
            timepoints=timepoints,
            release=release,
            primary_timepoint=primary,
            control_arm=str(control_arm),
            written=frozenset(key for key in CONDUCT_SECTIONS if key in data),
            extra={k: v for k, v in data.items() if k not in known},
            **conduct,  # type: ignore[arg-type]
        )


CONDUCT_SECTIONS: tuple[str, ...] = ("eligibility", "randomisation", "blinding")
"""The sections that say how the controlled trial is run (:mod:`myotrial.domain.conduct`)."""
_CONDUCT_DEFAULTS = {
    "eligibility": EligibilitySpec(),
    "randomisation": RandomisationSpec(),
    "blinding": BlindingSpec(),
}
_CONDUCT_PARSERS = {
    "eligibility": parse_eligibility,
    "randomisation": parse_randomisation,
    "blinding": parse_blinding,
}


def _problem(source: str, key: str, value: object, rule: str, hint: str = "") -> Problem:
    return Problem(source, None, key, None if value is None else str(value), rule, hint)


def _table(
    data: Mapping[str, Any], key: str, source: str, problems: list[Problem]
) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        problems.append(_problem(source, key, value, "must be a table", f"write [{key}]"))
        return {}
    return value


def _choice(
    table: Mapping[str, Any],
    key: str,
    default: object,
    allowed: tuple[object, ...],
    source: str,
    problems: list[Problem],
) -> object:
    value = table.get(key, default)
    if value not in allowed:
        problems.append(
            _problem(
                source, f"trial.{key}", value, f"must be one of {', '.join(map(str, allowed))}"
            )
        )
        return default
    return value


def _units(table: Mapping[str, Any], source: str, problems: list[Problem]) -> dict[str, str]:
    units: dict[str, str] = {}
    for enzyme, unit in table.items():
        if enzyme not in ENZYMES:
            problems.append(
                _problem(
                    source,
                    f"units.{enzyme}",
                    unit,
                    "is not a muscle enzyme",
                    f"enzymes are {', '.join(ENZYMES)}",
                )
            )
        elif unit not in ENZYME_UNITS:
            problems.append(_problem(source, f"units.{enzyme}", unit, "must be U/L or ukat/L"))
        else:
            units[enzyme] = str(unit)
    return units


def _uln(table: Mapping[str, Any], source: str, problems: list[Problem]) -> dict[str, float]:
    uln: dict[str, float] = {}
    for enzyme, value in table.items():
        if enzyme not in ENZYMES:
            problems.append(
                _problem(
                    source,
                    f"uln.{enzyme}",
                    value,
                    "is not a muscle enzyme",
                    f"enzymes are {', '.join(ENZYMES)}",
                )
            )
        elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            problems.append(
                _problem(
                    source,
                    f"uln.{enzyme}",
                    value,
                    "must be a number above 0",
                    "the laboratory's upper limit of normal",
                )
            )
        else:
            uln[enzyme] = float(value)
    return uln


def _timepoints(
    data: Mapping[str, Any], source: str, problems: list[Problem]
) -> tuple[Timepoint, ...]:
    table = _table(data, "timepoints", source, problems)
    if not table:
        return DEFAULT_TIMEPOINTS
    points: list[Timepoint] = []
    for name, spec in table.items():
        day = spec.get("day") if isinstance(spec, Mapping) else None
        window = spec.get("window", 0) if isinstance(spec, Mapping) else None
        if not isinstance(day, int) or not isinstance(window, int) or window < 0:
            problems.append(
                _problem(
                    source,
                    f"timepoints.{name}",
                    spec,
                    "must be {{ day = N, window = W }} with whole numbers",
                    "e.g. month1 = { day = 30, window = 7 }",
                )
            )
            continue
        points.append(Timepoint(str(name), day, window))
    return tuple(sorted(points, key=lambda t: t.day))


def _primary_timepoint(
    trial: Mapping[str, Any],
    timepoints: tuple[Timepoint, ...],
    source: str,
    problems: list[Problem],
) -> str | None:
    value = trial.get("primary_timepoint")
    if value is None:
        return None
    names = [t.name for t in timepoints]
    if value not in names:
        problems.append(
            _problem(
                source,
                "trial.primary_timepoint",
                value,
                "must name one of the time points",
                f"time points are {', '.join(names)}",
            )
        )
        return None
    return str(value)
