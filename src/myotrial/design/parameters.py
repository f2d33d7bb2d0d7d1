"""Named, sourced parameters of the virtual-patient model.

Every number the simulation uses is a :class:`Parameter` with its unit and the source it
came from, so a design result can list its assumptions next to its power. Values marked
"assumption" have no published source for refractory myositis; the design report says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from myotrial.measures.tis import category_thresholds

TANG_2011 = (
    "Tang Y et al. Chin J Rheumatol 2011;15:175-8 (companion to Wang D et al. "
    "Ann Rheum Dis 2011;70:1285-8), 8 patients, mean ± SD"
)
PRODERM = "ProDERM trial, Aggarwal R et al. N Engl J Med 2022;387:1264-78"
MINIMAL_RESPONSE = f"TIS ≥ {category_thresholds('adult')['minimal']:g}"
"""The response of the design: the ACR/EULAR 2016 minimal improvement of adults."""
CK_FIT = "least-squares fit of plateau + (CK0 − plateau)·exp(−k·t) to the CK means of " + TANG_2011


@dataclass(frozen=True)
class Parameter:
    """One model parameter: its value, unit, meaning and where the value comes from."""

    name: str
    value: float
    unit: str
    description: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping of the parameter."""
        return asdict(self)


def _p(name: str, value: float, unit: str, description: str, source: str) -> Parameter:
    return Parameter(name, float(value), unit, description, source)


_DEFAULTS: tuple[Parameter, ...] = (
    # Response (ACR/EULAR 2016 minimal improvement)
    _p(
        "p_control",
        0.44,
        "proportion",
        f"standard-care arm: {MINIMAL_RESPONSE} response",
        f"{PRODERM}: placebo arm, {MINIMAL_RESPONSE} at week 16 (assumed for standard care)",
    ),
    _p(
        "p_treatment",
        0.79,
        "proportion",
        f"MSCT arm: {MINIMAL_RESPONSE} response",
        f"{PRODERM}: IVIG arm, {MINIMAL_RESPONSE} at week 16 (assumed effect of an active add-on)",
    ),
    _p(
        "response_baseline_correlation",
        0.3,
        "correlation",
        "latent correlation between baseline MMT-8 and the response latent",
        "assumption",
    ),
    # MMT-8 (0-80)
    _p(
        "mmt8_baseline_mean",
        45,
        "points (0-80)",
        "baseline MMT-8",
        TANG_2011 + ": baseline 45 ± 14",
    ),
    _p(
        "sd",
        14,
        "points (0-80)",
        "between-patient SD of MMT-8 at each visit",
        TANG_2011 + ": baseline SD 14",
    ),
    _p(
        "mean_control",
        5,
        "points (0-80)",
        "standard-care arm: mean MMT-8 change at week 24",
        "assumption (no published standard-care arm in refractory myositis)",
    ),
    _p(
        "mean_treatment",
        20,
        "points (0-80)",
        "MSCT arm: mean MMT-8 change at week 24",
        TANG_2011 + ": 45 → 67 at month 1, 64 at months 3 and 6",
    ),
    _p("correlation", 0.5, "correlation", "correlation of MMT-8 between visits", "assumption"),
    _p(
        "mmt8_rate",
        1.0,
        "1/week",
        "MSCT arm: rate of approach to the MMT-8 gain",
        TANG_2011 + ": the gain is reached by month 1 and then stable",
    ),
    # CK
    _p("ck0_mean", 1681, "U/L", "baseline CK mean", TANG_2011 + ": baseline 1681 ± 430"),
    _p("ck0_sd", 430, "U/L", "baseline CK SD", TANG_2011 + ": baseline 1681 ± 430"),
    _p("ck_plateau_treatment", 200, "U/L", "MSCT arm: CK plateau", CK_FIT),
    _p("ck_rate_treatment", 0.8, "1/week", "MSCT arm: CK decay rate k", CK_FIT),
    _p("ck_plateau_control", 600, "U/L", "standard-care arm: CK plateau", "assumption"),
    _p("ck_rate_control", 0.1, "1/week", "standard-care arm: CK decay rate k", "assumption"),
    _p(
        "ck_log_sd",
        0.26,
        "log U/L",
        "patient-level SD of log CK around the curve",
        TANG_2011 + ": month 6 175 ± 46 (coefficient of variation 0.26)",
    ),
    _p("ck_week", 24, "weeks", "time of the log-CK endpoint", "docs/design.md: week 24"),
    # Repeated MMT-8 (MMRM) and dropout
    _p(
        "dropout_per_visit",
        0.0,
        "probability",
        "chance of leaving the study at each visit",
        "assumption (0 = complete data)",
    ),
    # Relapse
    _p(
        "relapse_median_control",
        26,
        "weeks",
        "standard-care arm: median time from response to relapse",
        "assumption",
    ),
    _p("hazard_ratio", 0.5, "ratio", "relapse hazard ratio, MSCT vs standard care", "assumption"),
    _p("relapse_followup", 52, "weeks", "follow-up after response", "assumption"),
    _p(
        "visit_interval",
        4,
        "weeks",
        "interval between relapse assessments (0 = continuous time)",
        "assumption: visits every 4 weeks",
    ),
    _p(
        "relapse_p_control",
        1.0,
        "proportion",
        "standard-care arm: share of patients entering relapse follow-up (responders)",
        "assumption: analysis among responders only; 1 = every patient",
    ),
    _p(
        "relapse_p_treatment",
        1.0,
        "proportion",
        "MSCT arm: share of patients entering relapse follow-up (responders)",
        "assumption: analysis among responders only; 1 = every patient",
    ),
)

DEFAULTS: Mapping[str, Parameter] = {p.name: p for p in _DEFAULTS}
"""The default parameters by name."""

MMRM_WEEKS: tuple[float, ...] = (4.0, 8.0, 12.0, 24.0)
"""Visits of the repeated-measures endpoint (docs/design.md: weeks 4, 8, 12, 24)."""


def resolve(
    overrides: Mapping[str, float] | None = None, sources: Mapping[str, str] | None = None
) -> dict[str, Parameter]:
    """The default parameters with some values replaced.

    Parameters
    ----------
    overrides
        New values by parameter name; their source becomes ``"user"`` unless
        ``sources`` names one.
    sources
        Source strings for overridden values (for example a pilot fit).

    Returns
    -------
    dict of str to Parameter

    Raises
    ------
    ValueError
        If a name is not a parameter of the model.
    """
    params = dict(DEFAULTS)
    for name, value in (overrides or {}).items():
        if name not in params:
            raise ValueError(
                f"unknown design parameter {name!r}; expected one of {', '.join(sorted(params))}"
            )
        source = (sources or {}).get(name, "user")
        params[name] = replace(params[name], value=float(value), source=source)
    return params
