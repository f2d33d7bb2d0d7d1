"""Column specifications of every table of the trial folder.

One :class:`ColumnSpec` per column says its type, whether the column must be present,
whether a value is required, and its range or allowed values; one :class:`TableSpec` per
table adds the unique key and whether the file must exist. The readers parse with these
specifications and :mod:`myotrial.ingest.validate` checks with them, so a rule is written
once. Ranges that depend on the trial configuration (VAS scale, adult age, MMT-8 total)
are resolved by :func:`value_range`.

Sources: the trial-folder contract (``docs/trial-format.md``) and the measures it
carries (IMACS core set; ACR/EULAR 2016; Kendall 0-10 manual muscle testing; HAQ-DI).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from myotrial.config import ENZYMES, TrialConfig
from myotrial.measures.haq import HAQ_CATEGORIES
from myotrial.measures.mmt import MMT_GROUPS

Kind = Literal["text", "number", "integer", "date", "bool"]

# MMT-8 groups (Kendall 0-10) and HAQ-DI categories (0-3) as myotrial.measures defines them.
MMT_LIMB_GROUPS: tuple[str, ...] = MMT_GROUPS[1:]
MMT_MAX_VALUES: tuple[int, ...] = (80, 150)

VAS_COLUMNS: tuple[str, ...] = ("phga", "ptga", "extramuscular")
SEXES: tuple[str, ...] = ("F", "M")
DIAGNOSES: tuple[str, ...] = ("PM", "DM", "ADM", "JDM", "IMNM", "ASS", "OM", "IBM")
SOURCES: tuple[str, ...] = ("BM", "UC", "AT", "other")
DONORS: tuple[str, ...] = ("allogeneic", "autologous")
RELATEDNESS: tuple[str, ...] = ("not related", "unlikely", "possible", "probable", "definite")
EVENT_TYPES: tuple[str, ...] = ("relapse", "withdrawal", "lost_to_follow_up", "death")


@dataclass(frozen=True)
class ColumnSpec:
    """What one column holds and the rules its values keep.

    Attributes
    ----------
    name : str
        Column name as written in the header (lower case).
    kind : {"text", "number", "integer", "date", "bool"}
        Type after parsing: text stays ``object``, numbers and integers become
        ``float64`` (integers must be whole), dates ``datetime64[ns]``, booleans
        pandas ``boolean``.
    present : bool
        The column must be in the file.
    required : bool
        Every row must give a value.
    minimum, maximum : float or None
        Inclusive bounds; ``None`` for no bound.
    above_minimum : bool
        The lower bound is exclusive (``> minimum``).
    allowed : tuple of str
        The only values a text column may hold (empty: any text).
    default : str or None
        Value filled in when the cell or the column is empty.
    scale : str
        A configuration-dependent range: ``"vas"``, ``"age"`` or ``"mmt_total"``.
    meaning : str
        Plain words used in hints (``"enzyme activity"``).
    """

    name: str
    kind: Kind = "text"
    present: bool = False
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    above_minimum: bool = False
    allowed: tuple[str, ...] = ()
    default: str | None = None
    scale: str = ""
    meaning: str = ""


@dataclass(frozen=True)
class TableSpec:
    """A table of the trial folder: its file, columns, unique key and whether it must exist."""

    name: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    required_file: bool = False
    core: tuple[str, ...] = ()

    @property
    def file_name(self) -> str:
        """The CSV file name in a trial folder (``visits.csv``)."""
        return f"{self.name}.csv"

    def column(self, name: str) -> ColumnSpec | None:
        """The specification of column ``name``, or ``None`` if the format does not know it."""
        return _COLUMN_INDEX[self.name].get(name)


def _date(name: str, **kw: object) -> ColumnSpec:
    return ColumnSpec(name, "date", **kw)  # type: ignore[arg-type]


def _flag(name: str, **kw: object) -> ColumnSpec:
    return ColumnSpec(name, "bool", **kw)  # type: ignore[arg-type]


def _patient_ref() -> ColumnSpec:
    return ColumnSpec("patient_id", present=True, required=True, meaning="study code")


_PATIENTS = (
    ColumnSpec("patient_id", present=True, required=True, meaning="study code"),
    ColumnSpec("site", default="1"),
    ColumnSpec("sex", present=True, required=True, allowed=SEXES),
    ColumnSpec("age", "number", scale="age", meaning="years at enrolment"),
    ColumnSpec("diagnosis", present=True, required=True, allowed=DIAGNOSES),
    _date("onset_date"),
    _date("diagnosis_date"),
    _date("enrolment_date", present=True, required=True),
    ColumnSpec("weight_kg", "number", minimum=20, maximum=300, meaning="body weight in kg"),
    ColumnSpec("arm", default="MSCT"),
    _flag("refractory"),
    _flag("severe_systemic"),
    _flag("ild"),
    ColumnSpec("antibody"),
)

_INFUSIONS = (
    _patient_ref(),
    _date("infusion_date", present=True, required=True),
    ColumnSpec("source", allowed=SOURCES),
    ColumnSpec("donor", allowed=DONORS, default="allogeneic"),
    ColumnSpec(
        "cells_per_kg",
        "number",
        minimum=0,
        above_minimum=True,
        maximum=1e8,
        meaning="cells per kg body weight, typically 1e6",
    ),
    ColumnSpec("lot"),
    ColumnSpec("route", default="IV"),
    ColumnSpec("viability_pct", "number", minimum=0, maximum=100, meaning="percent"),
)


def _visit_measures() -> tuple[ColumnSpec, ...]:
    vas = tuple(
        ColumnSpec(c, "number", scale="vas", meaning="visual analogue scale") for c in VAS_COLUMNS
    )
    grade = {"kind": "integer", "minimum": 0, "maximum": 10, "meaning": "Kendall grade 0-10"}
    mmt = [ColumnSpec("mmt8", "number", scale="mmt_total", meaning="MMT-8 total")]
    for group in MMT_GROUPS:
        for suffix in ("", "_r", "_l"):
            mmt.append(ColumnSpec(f"mmt_{group}{suffix}", **grade))  # type: ignore[arg-type]
    mmt.append(ColumnSpec("mmt_max", "integer", allowed=("80", "150"), meaning="MMT-8 scale"))
    haq = [ColumnSpec("haq", "number", minimum=0, maximum=3, meaning="HAQ-DI 0-3")]
    for category in HAQ_CATEGORIES:
        haq.append(
            ColumnSpec(
                f"haq_{category}", "integer", minimum=0, maximum=3, meaning="HAQ category score 0-3"
            )
        )
        haq.append(_flag(f"haq_{category}_aid"))
    labs = []
    for enzyme in ENZYMES:
        labs.append(ColumnSpec(enzyme, "number", minimum=0, meaning="enzyme activity"))
        labs.append(
            ColumnSpec(
                f"{enzyme}_uln",
                "number",
                minimum=0,
                above_minimum=True,
                meaning="upper limit of normal",
            )
        )
    other = (
        ColumnSpec("fvc_pct", "number", minimum=10, maximum=200, meaning="% predicted"),
        ColumnSpec("dlco_pct", "number", minimum=10, maximum=200, meaning="% predicted"),
        ColumnSpec("hrct_score", "number", minimum=0, meaning="HRCT extent score"),
        ColumnSpec("ulcers", "integer", minimum=0, meaning="count of active ulcers"),
        ColumnSpec("cdasi_activity", "number", minimum=0, maximum=100, meaning="CDASI activity"),
        ColumnSpec(
            "prednisone_mg",
            "number",
            minimum=0,
            maximum=2000,
            meaning="mg/day prednisone equivalent",
        ),
    )
    return (*vas, *mmt, *haq, *labs, *other)


_VISITS = (_patient_ref(), _date("visit_date", present=True, required=True), *_visit_measures())

_ADVERSE_EVENTS = (
    _patient_ref(),
    _date("onset_date", present=True, required=True),
    ColumnSpec("term", present=True, required=True),
    ColumnSpec("soc"),
    ColumnSpec("grade", "integer", minimum=1, maximum=5, meaning="CTCAE grade 1-5"),
    _flag("serious"),
    ColumnSpec("relatedness", allowed=RELATEDNESS),
    _flag("infusion_reaction"),
    _date("resolved_date"),
    ColumnSpec("outcome"),
)

_EVENTS = (
    _patient_ref(),
    _date("event_date", present=True, required=True),
    ColumnSpec("type", present=True, required=True, allowed=EVENT_TYPES),
    ColumnSpec("note"),
)

_MEDICATIONS = (
    _patient_ref(),
    ColumnSpec("drug", present=True, required=True),
    ColumnSpec("dose", "number", minimum=0, meaning="dose"),
    ColumnSpec("unit"),
    _date("start_date"),
    _date("stop_date"),
)

TABLE_SPECS: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("patients", _PATIENTS, ("patient_id",), required_file=True),
        TableSpec("infusions", _INFUSIONS, ("patient_id", "infusion_date", "lot")),
        TableSpec(
            "visits",
            _VISITS,
            ("patient_id", "visit_date"),
            required_file=True,
            core=("patient_id", "visit_date"),
        ),
        TableSpec("adverse_events", _ADVERSE_EVENTS, ("patient_id", "onset_date", "term")),
        TableSpec("events", _EVENTS, ("patient_id", "event_date", "type")),
        TableSpec("medications", _MEDICATIONS, ("patient_id", "drug", "start_date")),
    )
}
"""Every table of the trial folder, in the order of :data:`myotrial.trialdata.TABLES`."""

_COLUMN_INDEX: dict[str, dict[str, ColumnSpec]] = {
    spec.name: {c.name: c for c in spec.columns} for spec in TABLE_SPECS.values()
}


def core_columns(table: str) -> tuple[str, ...]:
    """Columns every parsed ``table`` carries, present in the file or not.

    Visits carry only their key plus the measure columns the file gives; the other tables
    carry every column of the format.
    """
    spec = TABLE_SPECS[table]
    return spec.core or tuple(c.name for c in spec.columns)


def known_columns(table: str) -> Iterable[str]:
    """Every column name the format defines for ``table``."""
    return _COLUMN_INDEX[table].keys()


def value_range(spec: ColumnSpec, config: TrialConfig) -> tuple[float | None, float | None]:
    """Inclusive (minimum, maximum) of ``spec`` under ``config``.

    VAS is 0-10 in cm and 0-100 in mm (MEASURES.md §1: a value outside its scale is an
    error, never clipped); age is 18-100 in adult trials and 0-100 otherwise. The MMT-8
    total's upper bound depends on each visit's ``mmt_max`` and is checked per row.
    """
    if spec.scale == "vas":
        return 0.0, 100.0 if config.vas_unit == "mm" else 10.0
    if spec.scale == "age":
        return (18.0 if config.population == "adult" else 0.0), 100.0
    if spec.scale == "mmt_total":
        return 0.0, None
    return spec.minimum, spec.maximum


def range_rule(spec: ColumnSpec, config: TrialConfig) -> str:
    """The rule a value outside the range of ``spec`` breaks, in words.

    ``"is outside 0-10 (cm)"``, ``"is below 0"``, ``"must be above 0 and at most 1e+08"``.
    """
    low, high = value_range(spec, config)
    unit = f" ({config.vas_unit})" if spec.scale == "vas" else ""
    if spec.above_minimum and low is not None:
        upper = f" and at most {_num(high)}" if high is not None else ""
        return f"must be above {_num(low)}{upper}"
    if low is not None and high is not None:
        return f"is outside {_num(low)}-{_num(high)}{unit}"
    if low is not None:
        return f"is below {_num(low)}"
    return f"is above {_num(high)}" if high is not None else "is out of range"


def _num(value: float) -> str:
    return f"{value:g}"
