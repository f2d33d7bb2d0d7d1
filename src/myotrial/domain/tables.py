"""The tables of a trial and every column they hold (``docs/trial-format.md``).

This is the one description of the trial's data: the trial-folder readers
(:mod:`myotrial.ingest.schema`), the database columns (:mod:`myotrial.store.columns`),
the REDCap project and the CDISC datasets are derived from it, and a test keeps them in
step. Columns bounded by a clinical scale name the scale; its bounds are clinical
constants of :mod:`myotrial.measures.scales`.

Sources: the trial-folder contract and the measures it carries (IMACS core set;
ACR/EULAR 2016; Kendall 0-10 manual muscle testing; HAQ-DI; CTCAE grades).
"""

from __future__ import annotations

from myotrial.domain.arms import TREATED_ARM
from myotrial.domain.cdisc import RACES
from myotrial.domain.columns import Column, Kind, Scale, Table
from myotrial.domain.config import ENZYMES, MMT_SCALES

MMT_GROUPS: tuple[str, ...] = (
    "neck_flexors",
    "deltoid",
    "biceps",
    "wrist_extensors",
    "gluteus_maximus",
    "gluteus_medius",
    "quadriceps",
    "ankle_dorsiflexors",
)
"""The eight MMT-8 muscle groups; grade columns are ``mmt_<group>`` or ``mmt_<group>_r/_l``."""
MMT_LIMB_GROUPS: tuple[str, ...] = MMT_GROUPS[1:]
"""The seven limb groups graded on both sides in the 0-150 form (the neck is axial)."""
MMT_SIDES: tuple[str, ...] = ("r", "l")

HAQ_CATEGORIES: tuple[str, ...] = (
    "dressing",
    "arising",
    "eating",
    "walking",
    "hygiene",
    "reach",
    "grip",
    "activities",
)
"""Category columns are ``haq_<category>`` (0-3) with ``haq_<category>_aid`` (true/false)."""

VAS_COLUMNS: tuple[str, ...] = ("phga", "ptga", "extramuscular")
"""Physician, patient and extramuscular global activity, each a visual analogue scale."""
SEXES: tuple[str, ...] = ("F", "M")
DIAGNOSES: tuple[str, ...] = ("PM", "DM", "ADM", "JDM", "IMNM", "ASS", "OM", "IBM")
SOURCES: tuple[str, ...] = ("BM", "UC", "AT", "other")
DONORS: tuple[str, ...] = ("allogeneic", "autologous")
RELATEDNESS: tuple[str, ...] = ("not related", "unlikely", "possible", "probable", "definite")
EVENT_TYPES: tuple[str, ...] = ("relapse", "withdrawal", "lost_to_follow_up", "death")
SCREENING_RESULTS: tuple[str, ...] = ("pass", "fail")
STERILITY_RESULTS: tuple[str, ...] = ("pass", "fail")
MYCOPLASMA_RESULTS: tuple[str, ...] = ("negative", "positive")
LOT_MARKERS: tuple[str, ...] = (
    "cd73",
    "cd90",
    "cd105",
    "cd45",
    "cd34",
    "cd14",
    "cd11b",
    "cd19",
    "cd79a",
    "hla_dr",
)
"""Surface markers of a lot's release (ISCT 2006); columns are ``<marker>_pct``."""

MEDDRA_LEVELS: tuple[tuple[str, str], ...] = (
    ("llt", "lowest level term"),
    ("pt", "preferred term"),
    ("hlt", "high level term"),
    ("hlgt", "high level group term"),
    ("soc", "primary system organ class"),
)
"""The MedDRA hierarchy an adverse event is coded to, lowest level first; each level has
``meddra_<level>_code`` and ``meddra_<level>`` (the term's name) in adverse_events."""
MEDDRA_COLUMNS: tuple[str, ...] = tuple(
    name for level, _ in MEDDRA_LEVELS for name in (f"meddra_{level}_code", f"meddra_{level}")
)
"""The coded columns of adverse_events, written by ``myotrial code-ae``."""

_TEXT, _NUMBER, _INTEGER, _DATE, _BOOL = Kind.TEXT, Kind.NUMBER, Kind.INTEGER, Kind.DATE, Kind.BOOL


def _patient_ref() -> Column:
    return Column("patient_id", present=True, required=True, meaning="study code")


def _needed(name: str, kind: Kind = _TEXT, **kw: object) -> Column:
    return Column(name, kind, present=True, required=True, **kw)  # type: ignore[arg-type]


_PATIENTS = (
    _patient_ref(),
    Column("site", default="1"),
    _needed("sex", allowed=SEXES),
    Column("age", _NUMBER, unit="years", scale=Scale.AGE, meaning="years at enrolment"),
    _needed("diagnosis", allowed=DIAGNOSES),
    Column("onset_date", _DATE),
    Column("diagnosis_date", _DATE),
    _needed("enrolment_date", _DATE),
    Column("weight_kg", _NUMBER, unit="kg", minimum=20, maximum=300, meaning="body weight in kg"),
    Column("height_cm", _NUMBER, unit="cm", minimum=50, maximum=250, meaning="height in cm"),
    Column("race", allowed=RACES),
    Column("arm", default=TREATED_ARM),
    Column(
        "randomisation_date",
        _DATE,
        meaning="day 0 of the between-arm analyses; required when the trial has two arms",
    ),
    Column("refractory", _BOOL),
    Column("severe_systemic", _BOOL),
    Column("ild", _BOOL),
    Column("antibody"),
)

_INFUSIONS = (
    _patient_ref(),
    _needed("infusion_date", _DATE),
    Column("source", allowed=SOURCES),
    Column("donor", allowed=DONORS, default="allogeneic"),
    Column(
        "cells_per_kg",
        _NUMBER,
        unit="cells/kg",
        minimum=0,
        above_minimum=True,
        maximum=1e8,
        meaning="cells per kg body weight, typically 1e6",
    ),
    Column("lot"),
    Column("route", default="IV"),
    Column("viability_pct", _NUMBER, unit="%", minimum=0, maximum=100, meaning="percent"),
)


def _mmt_columns() -> tuple[Column, ...]:
    total = Column("mmt8", _NUMBER, scale=Scale.MMT_TOTAL, meaning="MMT-8 total")
    names = [f"mmt_{g}" for g in MMT_GROUPS]
    names += [f"mmt_{g}_{side}" for g in MMT_GROUPS for side in MMT_SIDES]
    grades = tuple(
        Column(name, _INTEGER, scale=Scale.MMT_GRADE, meaning="Kendall grade 0-10")
        for name in names
    )
    form = Column("mmt_max", _INTEGER, allowed=tuple(map(str, MMT_SCALES)), meaning="MMT-8 scale")
    return (total, *grades, form)


def _haq_columns() -> tuple[Column, ...]:
    index = Column("haq", _NUMBER, scale=Scale.HAQ_DI, meaning="HAQ-DI 0-3")
    scores = tuple(
        Column(f"haq_{c}", _INTEGER, scale=Scale.HAQ_CATEGORY, meaning="HAQ category score 0-3")
        for c in HAQ_CATEGORIES
    )
    aids = tuple(Column(f"haq_{c}_aid", _BOOL) for c in HAQ_CATEGORIES)
    return (index, *scores, *aids)


def _lab_columns() -> tuple[Column, ...]:
    # Enzymes keep the unit trial.toml declares for them ([units], U/L by default).
    values = tuple(
        Column(e, _NUMBER, scale=Scale.ENZYME, meaning="enzyme activity") for e in ENZYMES
    )
    limits = tuple(
        Column(f"{e}_uln", _NUMBER, scale=Scale.ULN, meaning="upper limit of normal")
        for e in ENZYMES
    )
    return (*values, *limits)


def _organ_columns() -> tuple[Column, ...]:
    predicted = {"kind": _NUMBER, "unit": "% predicted", "minimum": 10, "maximum": 200}
    return (
        Column("fvc_pct", meaning="% predicted", **predicted),  # type: ignore[arg-type]
        Column("dlco_pct", meaning="% predicted", **predicted),  # type: ignore[arg-type]
        Column("hrct_score", _NUMBER, minimum=0, meaning="HRCT extent score"),
        Column("ulcers", _INTEGER, minimum=0, meaning="count of active ulcers"),
        Column("cdasi_activity", _NUMBER, minimum=0, maximum=100, meaning="CDASI activity"),
        Column(
            "prednisone_mg",
            _NUMBER,
            unit="mg/day",
            minimum=0,
            maximum=2000,
            meaning="mg/day prednisone equivalent",
        ),
    )


def _visits() -> tuple[Column, ...]:
    vas = tuple(
        Column(c, _NUMBER, scale=Scale.VAS, meaning="visual analogue scale") for c in VAS_COLUMNS
    )
    key = (_patient_ref(), _needed("visit_date", _DATE))
    return (*key, *vas, *_mmt_columns(), *_haq_columns(), *_lab_columns(), *_organ_columns())


_ADVERSE_EVENTS = (
    _patient_ref(),
    _needed("onset_date", _DATE),
    _needed("term"),
    Column("soc"),
    Column("grade", _INTEGER, minimum=1, maximum=5, meaning="CTCAE grade 1-5"),
    Column("serious", _BOOL),
    Column("relatedness", allowed=RELATEDNESS),
    Column("infusion_reaction", _BOOL),
    Column("resolved_date", _DATE),
    Column("outcome"),
    *(
        column
        for level, name in MEDDRA_LEVELS
        for column in (
            Column(f"meddra_{level}_code", _INTEGER, minimum=1, meaning=f"MedDRA {name} code"),
            Column(f"meddra_{level}", meaning=f"MedDRA {name}"),
        )
    ),
)

_EVENTS = (
    _patient_ref(),
    _needed("event_date", _DATE),
    _needed("type", allowed=EVENT_TYPES),
    Column("note"),
)

_MEDICATIONS = (
    _patient_ref(),
    _needed("drug"),
    Column("dose", _NUMBER, minimum=0, meaning="dose"),
    Column("unit"),
    Column("start_date", _DATE),
    Column("stop_date", _DATE),
)

_DONORS = (
    _needed("donor", meaning="donor code (never a name)"),
    Column("source", allowed=SOURCES),
    Column("age", _NUMBER, unit="years", minimum=0, maximum=100, meaning="donor's age in years"),
    Column("sex", allowed=SEXES),
    Column("screening", allowed=SCREENING_RESULTS),
    Column("screening_date", _DATE),
)


def _lot_columns() -> tuple[Column, ...]:
    percent = {"kind": _NUMBER, "unit": "%", "minimum": 0, "maximum": 100}
    markers = tuple(
        Column(f"{m}_pct", meaning=f"% of cells {m.upper().replace('_', '-')}+", **percent)  # type: ignore[arg-type]
        for m in LOT_MARKERS
    )
    return (
        _needed("lot", meaning="product lot code"),
        _needed("donor", meaning="donor code of donors.csv"),
        Column("passage", _INTEGER, minimum=0, maximum=50, meaning="culture passage"),
        Column("manufacture_date", _DATE),
        Column("expiry_date", _DATE),
        Column(
            "cells_total",
            _NUMBER,
            unit="cells",
            minimum=0,
            above_minimum=True,
            meaning="cells in the lot",
        ),
        Column("viability_pct", meaning="% viable cells", **percent),  # type: ignore[arg-type]
        *markers,
        Column("sterility", allowed=STERILITY_RESULTS),
        Column("mycoplasma", allowed=MYCOPLASMA_RESULTS),
        Column("endotoxin_eu_per_ml", _NUMBER, unit="EU/mL", minimum=0, meaning="endotoxin"),
        Column("released", _BOOL),
        Column("released_by"),
        Column("released_date", _DATE),
        Column("recalled", _BOOL),
        Column("recalled_date", _DATE),
        Column("recall_reason"),
    )


TABLES: tuple[Table, ...] = (
    Table("patients", _PATIENTS, ("patient_id",), required_file=True),
    Table("infusions", _INFUSIONS, ("patient_id", "infusion_date", "lot"), repeatable=True),
    Table(
        "visits",
        _visits(),
        ("patient_id", "visit_date"),
        required_file=True,
        core=("patient_id", "visit_date"),
    ),
    Table(
        "adverse_events",
        _ADVERSE_EVENTS,
        ("patient_id", "onset_date", "term"),
        repeatable=True,
        # the coded columns exist once `myotrial code-ae` has written them, as visits
        # carry only the measures a trial records
        core=tuple(c.name for c in _ADVERSE_EVENTS if c.name not in MEDDRA_COLUMNS),
    ),
    Table("events", _EVENTS, ("patient_id", "event_date", "type"), repeatable=True),
    Table("medications", _MEDICATIONS, ("patient_id", "drug", "start_date"), repeatable=True),
    Table("donors", _DONORS, ("donor",)),
    Table("lots", _lot_columns(), ("lot",)),
)
"""Every table of the trial, in the order of the trial format."""

TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in TABLES)
"""The table names, in order."""

_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    """The table called ``name``.

    Raises
    ------
    KeyError
        If the trial has no such table (the message lists the tables).
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(
            f"unknown table {name!r}; expected one of {', '.join(TABLE_NAMES)}"
        ) from None
