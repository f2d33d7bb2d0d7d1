"""The release specification of a cell-product lot (``trial.toml`` ``[release]``).

The defaults are the minimal criteria of the International Society for Cellular Therapy
for multipotent mesenchymal stromal cells (Dominici M, et al. Cytotherapy 2006;8:315-7):
CD73, CD90 and CD105 on at least 95 % of the cells; CD45, CD34, CD14 or CD11b, CD19 or
CD79a and HLA-DR on at most 2 %. The ISCT sets no limit on viability, sterility,
mycoplasma, endotoxin, passage or dose; those are the trial's, with the defaults below
(viability at least 70 %, sterile, mycoplasma negative, endotoxin at most 0.5 EU/mL,
passage at most 5, no dose range unless the protocol gives one in
``dose_per_kg_min`` and ``dose_per_kg_max``).

Every threshold is configurable. A rule keeps the source ``ISCT 2006`` only while it
keeps the ISCT's value; a trial that changes it owns it (``trial specification``).
Plain dataclasses and the rules of the ``[release]`` values; standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from myotrial.errors import Problem

ISCT_2006 = "ISCT 2006"
"""Source of the ISCT minimal criteria (Dominici et al., Cytotherapy 2006;8:315)."""
TRIAL_SPECIFICATION = "trial specification"
"""Source of a limit the trial sets (or an ISCT limit the trial changed)."""

Bound = Literal["min", "max"]


@dataclass(frozen=True)
class ReleaseLimit:
    """One numeric release limit.

    Attributes
    ----------
    columns : tuple of str
        The ``lots.csv`` column the limit applies to; further names are accepted
        alternatives (ISCT 2006: CD14 *or* CD11b, CD19 *or* CD79a), any of which may be
        given; every one given must keep the limit.
    bound : {"min", "max"}
        ``min``: the value must be at least ``limit``; ``max``: at most ``limit``.
    limit : float
        The limit, inclusive (95 % passes a minimum of 95).
    source : str
        :data:`ISCT_2006` or :data:`TRIAL_SPECIFICATION`.
    """

    columns: tuple[str, ...]
    bound: Bound
    limit: float
    source: str

    @property
    def key(self) -> str:
        """The ``[release]`` key that sets this limit (``cd105_pct_min``)."""
        return f"{self.columns[0]}_{self.bound}"


def _isct(columns: tuple[str, ...], bound: Bound, limit: float) -> ReleaseLimit:
    return ReleaseLimit(columns, bound, limit, ISCT_2006)


def _trial(column: str, bound: Bound, limit: float) -> ReleaseLimit:
    return ReleaseLimit((column,), bound, limit, TRIAL_SPECIFICATION)


DEFAULT_LIMITS: tuple[ReleaseLimit, ...] = (
    # ISCT 2006: positive markers on >= 95 % of the cells.
    _isct(("cd73_pct",), "min", 95.0),
    _isct(("cd90_pct",), "min", 95.0),
    _isct(("cd105_pct",), "min", 95.0),
    # ISCT 2006: haematopoietic and HLA class II markers on <= 2 %.
    _isct(("cd45_pct",), "max", 2.0),
    _isct(("cd34_pct",), "max", 2.0),
    _isct(("cd14_pct", "cd11b_pct"), "max", 2.0),
    _isct(("cd19_pct", "cd79a_pct"), "max", 2.0),
    _isct(("hla_dr_pct",), "max", 2.0),
    # The trial's own limits (not part of the ISCT criteria).
    _trial("viability_pct", "min", 70.0),
    _trial("endotoxin_eu_per_ml", "max", 0.5),
    _trial("passage", "max", 5.0),
)
"""The default numeric limits, in the order messages name them."""

SPECIFICATION_KEYS: tuple[str, ...] = (
    *(limit.key for limit in DEFAULT_LIMITS),
    "dose_per_kg_min",
    "dose_per_kg_max",
)
"""Every key ``[release]`` accepts."""


@dataclass(frozen=True)
class ReleaseSpec:
    """What a lot must show to be infused, and the protocol's dose range.

    Attributes
    ----------
    limits : tuple of ReleaseLimit
        Numeric limits on the lot's release values.
    sterility, mycoplasma : str
        The results a lot must have (``pass``, ``negative``); not configurable.
    dose_per_kg : (float, float) or None
        Inclusive range of ``cells_per_kg`` an infusion may give; ``None``: not checked.
    given : mapping
        The ``[release]`` keys the trial wrote, as written (for storage and round trips).
    """

    limits: tuple[ReleaseLimit, ...] = DEFAULT_LIMITS
    sterility: str = "pass"
    mycoplasma: str = "negative"
    dose_per_kg: tuple[float, float] | None = None
    given: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every ``lots.csv`` column a limit reads."""
        return tuple(c for limit in self.limits for c in limit.columns)

    def to_dict(self) -> dict[str, Any]:
        """The ``[release]`` keys that differ from the defaults (empty for the defaults)."""
        return dict(self.given)


def release_spec(given: Mapping[str, Any]) -> ReleaseSpec:
    """The specification with the checked ``[release]`` values ``given`` applied.

    Parameters
    ----------
    given : mapping
        Keys of :data:`SPECIFICATION_KEYS` with values already checked
        (:func:`myotrial.config.load_config` checks them): a number for each limit, and
        ``dose_per_kg_min`` with ``dose_per_kg_max`` together.
    """
    limits = tuple(
        replace(limit, limit=float(given[limit.key]), source=_source(limit, given[limit.key]))
        if limit.key in given
        else limit
        for limit in DEFAULT_LIMITS
    )
    dosed = "dose_per_kg_min" in given and "dose_per_kg_max" in given
    dose = (float(given["dose_per_kg_min"]), float(given["dose_per_kg_max"])) if dosed else None
    return ReleaseSpec(
        limits=limits,
        dose_per_kg=dose,
        given=dict(given),
    )


def _source(default: ReleaseLimit, value: float) -> str:
    # An ISCT limit stays the ISCT's only at the ISCT's value.
    if default.source == ISCT_2006 and float(value) == default.limit:
        return ISCT_2006
    return TRIAL_SPECIFICATION


_LIMIT_HINTS: dict[str, str] = {
    "passage": "the highest passage a lot may come from, a whole number",
    "endotoxin_eu_per_ml": "endotoxin in EU/mL, at least 0",
}


def parse_release(table: Mapping[str, Any], source: str, problems: list[Problem]) -> ReleaseSpec:
    """The ``[release]`` table of ``trial.toml`` as a specification; problems appended.

    Each limit must be a number in its range (a percentage 0-100, endotoxin >= 0, passage
    a whole number >= 0); ``dose_per_kg_min`` and ``dose_per_kg_max`` come together,
    above 0, the lower first. A key that breaks its rule is left at its default and
    reported in ``problems``.
    """
    given: dict[str, Any] = {}
    columns = {limit.key: limit.columns[0] for limit in DEFAULT_LIMITS}
    for key, value in table.items():
        key = str(key)
        if key not in SPECIFICATION_KEYS:
            problems.append(
                _problem(
                    source,
                    key,
                    value,
                    "is not a release specification key",
                    f"keys are {', '.join(SPECIFICATION_KEYS)} (docs/trial-format.md)",
                )
            )
        elif key.startswith("dose_per_kg"):
            if _number(value) and float(value) > 0:
                given[key] = value
            else:
                problems.append(
                    _problem(source, key, value, "must be a number above 0", "cells per kg")
                )
        elif _limit_value(columns[key], value):
            given[key] = value
        else:
            rule, hint = _limit_rule(columns[key])
            problems.append(_problem(source, key, value, rule, hint))
    _check_dose_range(given, source, problems)
    return release_spec(given)


def _check_dose_range(given: dict[str, Any], source: str, problems: list[Problem]) -> None:
    """The protocol's dose range needs both ends, the lower first; else it is dropped."""
    ends = [given.get("dose_per_kg_min"), given.get("dose_per_kg_max")]
    if ends == [None, None]:
        return
    if None in ends:
        rule, hint = "needs its other end", "give dose_per_kg_min and dose_per_kg_max"
    elif float(ends[0]) > float(ends[1]):  # type: ignore[arg-type]
        rule, hint = "is above dose_per_kg_max", "the lowest dose comes first"
    else:
        return
    key = "dose_per_kg_min" if ends[0] is not None else "dose_per_kg_max"
    problems.append(_problem(source, key, given[key], rule, hint))
    given.pop("dose_per_kg_min", None)
    given.pop("dose_per_kg_max", None)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _limit_value(column: str, value: object) -> bool:
    if not _number(value) or float(value) < 0:  # type: ignore[arg-type]
        return False
    if column == "passage":
        return float(value).is_integer()  # type: ignore[arg-type]
    return column == "endotoxin_eu_per_ml" or float(value) <= 100  # type: ignore[arg-type]


def _limit_rule(column: str) -> tuple[str, str]:
    if column == "passage":
        return "must be a whole number >= 0", _LIMIT_HINTS["passage"]
    if column == "endotoxin_eu_per_ml":
        return "must be a number >= 0", _LIMIT_HINTS["endotoxin_eu_per_ml"]
    return "must be a percentage 0-100", f"the limit on {column}, in percent of the cells"


def _problem(source: str, key: str, value: object, rule: str, hint: str) -> Problem:
    return Problem(
        source, None, f"release.{key}", None if value is None else str(value), rule, hint
    )
