"""How a controlled trial is run: who may enter it, how it allocates, who is blinded.

Three sections of ``trial.toml`` (docs/trial-format.md):

- ``[eligibility]``: the trial's definition of refractory disease, the classification
  criteria a patient must meet, the exclusions asked at enrolment, the diagnoses and
  ages admitted and the consent form versions in use;
- ``[randomisation]``: the scheme (stratified permuted blocks, or Pocock-Simon
  minimisation with a random element), its stratification factors with their levels,
  the allocation ratio, the block sizes and the length of each stratum's list;
- ``[blinding]``: open, assessor-blinded or double-blind, and which roles are blinded.

Plain dataclasses and the rules of their values; standard library only. Whether a
blinded role names a real role is asked of the access rules when the trial is used
(:mod:`myotrial.services.blinding`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from myotrial.errors import Problem

SCHEMES: tuple[str, ...] = ("blocks", "minimisation")
"""Allocation schemes: stratified permuted blocks, Pocock-Simon minimisation."""
BLINDING_MODES: tuple[str, ...] = ("open", "assessor", "double")
"""Open label, blinded outcome assessor, double blind (placebo infusions)."""
DOUBLE_BLIND_ROLES: tuple[str, ...] = (
    "admin",
    "investigator",
    "assessor",
    "monitor",
    "statistician",
)
"""Roles a double-blind trial blinds unless it names others: all who see patients, but
the unblinded statistician."""
MINIMISATION_PROBABILITY = 0.8
"""Chance of the arm that minimises imbalance (Pocock & Simon, Biometrics 1975;31:103)."""


@dataclass(frozen=True)
class EligibilitySpec:
    """The checklist of ``[eligibility]``: what enrolment asks and what it admits."""

    refractory_definition: str = (
        "inadequate response to glucocorticoids and at least one other immunosuppressant"
    )
    classification: str = "EULAR/ACR 2017"
    exclusions: tuple[str, ...] = ()
    diagnoses: tuple[str, ...] = ()
    age_min: float | None = None
    age_max: float | None = None
    consent_versions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The section as ``trial.toml`` writes it (set keys only)."""
        out: dict[str, Any] = {
            "refractory_definition": self.refractory_definition,
            "classification": self.classification,
            "exclusions": list(self.exclusions),
        }
        for key in ("diagnoses", "consent_versions"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        for key in ("age_min", "age_max"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class RandomisationSpec:
    """``[randomisation]``: the scheme, its factors and the allocation ratio.

    ``strata`` maps each stratification factor (a column of patients) to its levels,
    in order; a stratum is one level of every factor. Minimisation balances the same
    factors, one at a time.
    """

    scheme: str = "blocks"
    strata: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ratio: tuple[int, int] = (1, 1)
    block_sizes: tuple[int, ...] = (2, 4)
    n_per_stratum: int = 100
    probability: float = MINIMISATION_PROBABILITY

    @property
    def factors(self) -> tuple[str, ...]:
        """The stratification factors, in order."""
        return tuple(name for name, _ in self.strata)

    @property
    def levels(self) -> dict[str, list[str]]:
        """Factor → levels."""
        return {name: list(levels) for name, levels in self.strata}

    def to_dict(self) -> dict[str, Any]:
        """The section as ``trial.toml`` writes it."""
        return {
            "scheme": self.scheme,
            # the order of the factors is kept apart: a stored mapping may be re-sorted
            "factors": list(self.factors),
            "strata": self.levels,
            "ratio": f"{self.ratio[0]}:{self.ratio[1]}",
            "block_sizes": list(self.block_sizes),
            "n_per_stratum": self.n_per_stratum,
            "probability": self.probability,
        }


@dataclass(frozen=True)
class BlindingSpec:
    """``[blinding]``: the mode and the roles that never see the arm."""

    mode: str = "open"
    blinded_roles: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The section as ``trial.toml`` writes it."""
        return {"mode": self.mode, "blinded_roles": list(self.blinded_roles)}


def stratum_key(factors: Sequence[str], values: Sequence[object]) -> str:
    """The name of a stratum: ``site=A, diagnosis=DM`` (``all`` without factors)."""
    if not factors:
        return "all"
    return ", ".join(f"{f}={v}" for f, v in zip(factors, values, strict=True))


def parse_eligibility(
    table: Mapping[str, Any], source: str, problems: list[Problem]
) -> EligibilitySpec:
    """The ``[eligibility]`` table as a checklist; problems appended."""
    known = {
        "refractory_definition",
        "classification",
        "exclusions",
        "diagnoses",
        "age_min",
        "age_max",
        "consent_versions",
    }
    _unknown_keys(table, known, "eligibility", source, problems)
    defaults = EligibilitySpec()
    texts = {
        key: _text(table, key, getattr(defaults, key), "eligibility", source, problems)
        for key in ("refractory_definition", "classification")
    }
    lists = {
        key: _texts(table, key, "eligibility", source, problems)
        for key in ("exclusions", "diagnoses", "consent_versions")
    }
    ages = {key: _age(table, key, source, problems) for key in ("age_min", "age_max")}
    if None not in ages.values() and float(ages["age_min"] or 0) > float(ages["age_max"] or 0):
        problems.append(
            _problem(source, "eligibility.age_min", ages["age_min"], "must not exceed age_max")
        )
    return EligibilitySpec(**texts, **lists, **ages)  # type: ignore[arg-type]


def parse_randomisation(
    table: Mapping[str, Any], source: str, problems: list[Problem]
) -> RandomisationSpec:
    """The ``[randomisation]`` table; problems appended, bad keys left at their default."""
    known = {"scheme", "factors", "strata", "ratio", "block_sizes", "n_per_stratum", "probability"}
    _unknown_keys(table, known, "randomisation", source, problems)
    defaults = RandomisationSpec()
    scheme = table.get("scheme", defaults.scheme)
    if scheme not in SCHEMES:
        rule = f"must be one of {', '.join(SCHEMES)}"
        problems.append(_problem(source, "randomisation.scheme", scheme, rule))
        scheme = defaults.scheme
    ratio = _ratio(table.get("ratio", "1:1"), source, problems)
    sizes = _block_sizes(table.get("block_sizes", [2, 4]), ratio, source, problems)
    n = table.get("n_per_stratum", defaults.n_per_stratum)
    if not _whole(n) or int(n) < 1:
        problems.append(_problem(source, "randomisation.n_per_stratum", n, "must be at least 1"))
        n = defaults.n_per_stratum
    p = table.get("probability", defaults.probability)
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0.5 <= p <= 1:
        rule = "must be a number from 0.5 to 1"
        hint = "the chance of the arm that minimises imbalance (default 0.8)"
        problems.append(_problem(source, "randomisation.probability", p, rule, hint))
        p = defaults.probability
    strata = _ordered(_strata(table.get("strata", {}), source, problems), table, source, problems)
    return RandomisationSpec(str(scheme), strata, ratio, sizes, int(n), float(p))


def parse_blinding(table: Mapping[str, Any], source: str, problems: list[Problem]) -> BlindingSpec:
    """The ``[blinding]`` table; the roles default by mode (open: none; assessor: the
    assessor; double: :data:`DOUBLE_BLIND_ROLES`)."""
    _unknown_keys(table, {"mode", "blinded_roles"}, "blinding", source, problems)
    mode = table.get("mode", "open")
    if mode not in BLINDING_MODES:
        rule = f"must be one of {', '.join(BLINDING_MODES)}"
        problems.append(_problem(source, "blinding.mode", mode, rule))
        return BlindingSpec()
    defaults = {"open": (), "assessor": ("assessor",), "double": DOUBLE_BLIND_ROLES}
    if "blinded_roles" not in table:
        return BlindingSpec(str(mode), defaults[str(mode)])
    roles = tuple(_texts(table, "blinded_roles", "blinding", source, problems))
    if mode == "open" and roles:
        rule = "must be empty in an open trial"
        problems.append(_problem(source, "blinding.blinded_roles", ", ".join(roles), rule))
    if mode != "open" and "assessor" not in roles:
        rule = "must include assessor: an outcome assessor is blinded unless the trial is open"
        problems.append(_problem(source, "blinding.blinded_roles", ", ".join(roles), rule))
    return BlindingSpec(str(mode), roles)


def _problem(source: str, key: str, value: object, rule: str, hint: str = "") -> Problem:
    return Problem(source, None, key, None if value is None else str(value), rule, hint)


def _unknown_keys(
    table: Mapping[str, Any], known: set[str], section: str, source: str, problems: list[Problem]
) -> None:
    for key in table:
        if key not in known:
            hint = f"keys are {', '.join(sorted(known))} (docs/trial-format.md)"
            problems.append(_problem(source, f"{section}.{key}", None, "is not a known key", hint))


def _text(
    table: Mapping[str, Any],
    key: str,
    default: str,
    section: str,
    source: str,
    problems: list[Problem],
) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value.strip():
        problems.append(_problem(source, f"{section}.{key}", value, "must be a non-empty text"))
        return default
    return value


def _texts(
    table: Mapping[str, Any], key: str, section: str, source: str, problems: list[Problem]
) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(
            _problem(source, f"{section}.{key}", value, "must be a list of non-empty texts")
        )
        return ()
    if len(set(value)) != len(value):
        problems.append(_problem(source, f"{section}.{key}", value, "names an item twice"))
    return tuple(value)


def _age(table: Mapping[str, Any], key: str, source: str, problems: list[Problem]) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 120:
        problems.append(_problem(source, f"eligibility.{key}", value, "must be years, 0-120"))
        return None
    return float(value)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ratio(value: object, source: str, problems: list[Problem]) -> tuple[int, int]:
    parts = value.split(":") if isinstance(value, str) else []
    if len(parts) != 2 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        rule = "must look like 1:1 or 2:1 (treated arm : control arm)"
        problems.append(_problem(source, "randomisation.ratio", value, rule))
        return (1, 1)
    return int(parts[0]), int(parts[1])


def _block_sizes(
    value: object, ratio: tuple[int, int], source: str, problems: list[Problem]
) -> tuple[int, ...]:
    unit = sum(ratio)
    if (
        not isinstance(value, list)
        or not value
        or not all(_whole(v) and v > 0 and v % unit == 0 for v in value)
    ):
        rule = f"must be a list of positive multiples of {unit} (the ratio summed)"
        problems.append(_problem(source, "randomisation.block_sizes", value, rule))
        return tuple(s * unit for s in (1, 2))
    return tuple(int(v) for v in value)


def _ordered(
    strata: tuple[tuple[str, tuple[str, ...]], ...],
    table: Mapping[str, Any],
    source: str,
    problems: list[Problem],
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The strata in the order of ``factors`` when given (else as written)."""
    if "factors" not in table:
        return strata
    order = _texts(table, "factors", "randomisation", source, problems)
    levels = dict(strata)
    if sorted(order) != sorted(levels):
        rule = "must name the factors of randomisation.strata, each once"
        problems.append(_problem(source, "randomisation.factors", ", ".join(order), rule))
        return strata
    return tuple((name, levels[name]) for name in order)


def _strata(
    value: object, source: str, problems: list[Problem]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, Mapping):
        rule = "must be a table of factor = [levels]"
        problems.append(_problem(source, "randomisation.strata", value, rule, 'site = ["A", "B"]'))
        return ()
    strata: list[tuple[str, tuple[str, ...]]] = []
    for factor, levels in value.items():
        found = _texts(value, factor, "randomisation.strata", source, problems)
        if levels and found:
            strata.append((str(factor), found))
        elif not found and isinstance(levels, list) and not levels:
            rule = "needs at least one level"
            problems.append(_problem(source, f"randomisation.strata.{factor}", None, rule))
    return tuple(strata)
