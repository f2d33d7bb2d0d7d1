"""Rounding and wording of numbers for the report (the analysis tables stay full precision)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from myotrial.analysis.options import AnalysisOptions
from myotrial.analysis.result import AnalysisResult

MISSING = "–"

# Visit columns and derived measures in the clinic's words, with their unit.
MEASURE_LABELS: dict[str, str] = {
    "ck": "CK (U/L)",
    "ck_xuln": "CK (× ULN)",
    "ck_mb": "CK-MB (U/L)",
    "aldolase": "Aldolase (U/L)",
    "ldh": "LDH (U/L)",
    "ast": "AST (U/L)",
    "alt": "ALT (U/L)",
    "mmt8": "MMT-8",
    "phga": "Physician global activity (cm)",
    "ptga": "Patient global activity (cm)",
    "extramuscular": "Extramuscular activity (cm)",
    "haq": "HAQ-DI (0-3)",
    "tis": "Total Improvement Score",
    "fvc_pct": "FVC (% predicted)",
    "dlco_pct": "DLCO (% predicted)",
    "hrct_score": "HRCT score",
    "ulcers": "Active skin ulcers",
    "cdasi_activity": "CDASI activity",
    "prednisone_mg": "Prednisone (mg/day)",
}

# The order measures appear in: core set first, then enzymes, organs, steroids.
MEASURE_ORDER: tuple[str, ...] = tuple(MEASURE_LABELS)

CRITERIA_LABELS: dict[str, str] = {
    "tis_minimal": "TIS ≥ minimal",
    "tis_moderate": "TIS ≥ moderate",
    "tis_major": "TIS ≥ major",
    "doi": "IMACS DOI",
}


@dataclass
class HtmlTable:
    """A table ready for the template: header, rows of text, which columns are numbers."""

    caption: str
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)
    note: str = ""
    key: str = ""

    def __post_init__(self) -> None:
        if not self.numeric:
            self.numeric = [False] + [True] * (len(self.columns) - 1)


_TIMEPOINT = re.compile(r"^(day|week|month|year)_?(\d+)$")


def timepoint_label(name: Any) -> str:
    """A time point as people say it: ``month12`` → ``Month 12``."""
    text = str(name)
    match = _TIMEPOINT.match(text)
    if match:
        return f"{match.group(1).capitalize()} {int(match.group(2))}"
    return text[:1].upper() + text[1:].replace("_", " ")


def two_lines(main: str, detail: str) -> str:
    """A cell with a second, smaller line (the template splits on the newline)."""
    return f"{main}\n{detail}"


def is_missing(value: Any) -> bool:
    """True for None, NaN and pandas' missing markers."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def measure_label(measure: str) -> str:
    """The measure as the clinic names it (the column name when unknown)."""
    return MEASURE_LABELS.get(measure, measure.replace("_", " "))


def digits_for(value: float) -> int:
    """Decimals to show for numbers of the size of ``value`` (3 significant figures)."""
    if is_missing(value) or value == 0 or not math.isfinite(value):
        return 1
    magnitude = math.floor(math.log10(abs(value)))
    return int(min(max(2 - magnitude, 0), 3))


def num(value: Any, digits: int | None = None) -> str:
    """A number rounded for reading; ``–`` when missing."""
    if is_missing(value):
        return MISSING
    number = float(value)
    if not math.isfinite(number):
        # e.g. a relative change from a baseline of 0: undefined, not a number to print.
        return MISSING
    places = digits_for(number) if digits is None else digits
    return f"{number:,.{places}f}".replace("-", "−")


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def scientific(value: Any) -> str:
    """A cell dose the way papers print it: ``1.25 × 10⁶``."""
    if is_missing(value):
        return MISSING
    number = float(value)
    if number == 0:
        return "0"
    exponent = math.floor(math.log10(abs(number)))
    mantissa = f"{number / 10**exponent:.3g}"
    return f"{mantissa} × 10{str(exponent).translate(SUPERSCRIPT)}"


def mean_sd(mean: Any, sd: Any, digits: int) -> str:
    """``mean ± SD`` as in the pilot publication."""
    if is_missing(mean):
        return MISSING
    return f"{num(mean, digits)} ± {num(sd, digits)}"


def interval(low: Any, high: Any, digits: int) -> str:
    """A confidence interval as ``low to high`` (a dash would read as a minus sign)."""
    if is_missing(low) or is_missing(high):
        return MISSING
    return f"{num(low, digits)} to {num(high, digits)}"


def p_value(value: Any) -> str:
    """A p-value the way journals print it: 3 decimals, ``< 0.001`` below that."""
    if is_missing(value):
        return MISSING
    p = float(value)
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def percent(part: Any, whole: Any) -> str:
    """``part/whole (xx %)``."""
    if is_missing(whole) or float(whole) == 0:
        return f"{0 if is_missing(part) else int(part)}/0"
    return f"{int(part)}/{int(whole)} ({100 * float(part) / float(whole):.0f} %)"


def text(value: Any) -> str:
    """Any cell as text: numbers rounded, booleans as yes/no, dates ISO."""
    if is_missing(value):
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e9 else num(value)
    return str(value)


def column_label(name: str) -> str:
    """A column name in words: ``fvc_pct_change`` → ``FVC % change``."""
    words = name.replace("_pct", " %").replace("_", " ").strip()
    for short in ("fvc", "dlco", "hrct", "ck", "ae", "sd", "ci", "tis", "doi", "haq", "uln"):
        words = " ".join(w.upper() if w == short else w for w in words.split(" "))
    return words[:1].upper() + words[1:]


def generic_table(frame: pd.DataFrame, caption: str, key: str = "") -> HtmlTable:
    """Any analysis table with readable headers and rounded cells."""
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        for c in frame.columns
    ]
    rows = [[text(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return HtmlTable(caption, [column_label(str(c)) for c in frame.columns], rows, numeric, key=key)


def reported_options(result: AnalysisResult) -> AnalysisOptions:
    """The options the analysis reports in ``summary.json`` (defaults for any absent)."""
    used = result.summary.get("options")
    if not isinstance(used, Mapping):
        return AnalysisOptions()
    names = ("population", "missing", "baseline_window_days", "exact_max_n", "confidence")
    return AnalysisOptions(**{k: used[k] for k in names if k in used})
