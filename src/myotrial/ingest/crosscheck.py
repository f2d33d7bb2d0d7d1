"""Rules that compare columns: date order, MMT-8 totals, units, and references between tables.

All rules are column operations over whole tables; a problem is made only for a row that
breaks a rule. See :func:`myotrial.ingest.validate.validate_trial` for the entry point.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from myotrial.config import TrialConfig
from myotrial.domain.arms import TREATED_ARM
from myotrial.errors import Problem
from myotrial.ingest.cells import cell_problems, format_value
from myotrial.ingest.product_checks import product_problems
from myotrial.measures.csm import TIS_ENZYMES
from myotrial.measures.mmt import grade_columns, mmt_total
from myotrial.trialdata import TrialData

# (table, earlier column, later column, rule, hint): dates within one row that must keep
# their order. Equal dates are allowed (e.g. diagnosed on the day of enrolment).
_ROW_DATE_ORDER: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "patients",
        "onset_date",
        "enrolment_date",
        "is after the enrolment date",
        "symptom onset comes before enrolment",
    ),
    (
        "patients",
        "diagnosis_date",
        "enrolment_date",
        "is after the enrolment date",
        "diagnosis comes before enrolment",
    ),
    (
        "adverse_events",
        "onset_date",
        "resolved_date",
        "is before the onset date",
        "an adverse event resolves on or after its onset",
    ),
    (
        "medications",
        "start_date",
        "stop_date",
        "is before the start date",
        "a medication stops on or after its start",
    ),
)

# Child tables whose date must be on or after the patient's enrolment date.
_AFTER_ENROLMENT: dict[str, str] = {
    "infusions": "infusion_date",
    "visits": "visit_date",
    "adverse_events": "onset_date",
    "events": "event_date",
}


def row_rule_problems(
    table: str, frame: pd.DataFrame, file: str, config: TrialConfig
) -> list[Problem]:
    """Problems of rules that compare two columns of the same row of ``table``."""
    problems = []
    for name, earlier, later, rule, hint in _ROW_DATE_ORDER:
        if name != table or not {earlier, later} <= set(frame.columns):
            continue
        bad = frame[earlier] > frame[later]
        # The problem sits on the date that depends on the other: onset and diagnosis
        # for patients (enrolment is the anchor), the resolution or stop date otherwise.
        column = earlier if table == "patients" else later
        other = later if column == earlier else earlier
        hints = (
            frame.loc[bad, other]
            .dt.strftime("%Y-%m-%d")
            .map(lambda day, hint=hint, other=other: date_order_hint(hint, other, day))
        )
        problems += cell_problems(frame, bad, column, file, rule, hints)
    if table == "visits":
        problems += mmt_problems(frame, file, config)
        problems += uln_problems(frame, file, config)
        problems += mmt_form_problems(frame, file, config)
    if table == "medications" and {"dose", "unit"} <= set(frame.columns):
        bad = frame["dose"].notna() & frame["unit"].isna()
        problems += cell_problems(frame, bad, "unit", file, DOSE_UNIT_RULE, DOSE_UNIT_HINT)
    return problems


def date_order_hint(hint: str, other: str, day: str) -> str:
    """The hint of a date out of order with ``other`` of the same row (on ``day``)."""
    return f"{hint}; {other} {day}"


DOSE_UNIT_RULE = "a dose needs its unit"
DOSE_UNIT_HINT = "e.g. mg/day; units are never guessed"
MMT_ABOVE_RULE = "is above the MMT-8 maximum"
GRADES_RULE = "disagrees with the sum of its grades"
MMT_FORM_RULE = "differs from the patient's MMT-8 form"
ENROLMENT_RULE = "is before the patient's enrolment date"


def mmt_above_hint(scale: object) -> str:
    """The hint of an MMT-8 total above the maximum ``scale`` of its form."""
    return (
        f"mmt_max {format_value(scale)}: the 0-80 form grades 8 groups on one side, "
        "the 0-150 form both sides"
    )


def grades_hint(total: object) -> str:
    """The hint of an MMT-8 total that is not the sum ``total`` of its grades."""
    return f"the grades sum to {format_value(total)}; correct the total or the grades"


def mmt_form_hint(first: object) -> str:
    """The hint of a visit on another form than the patient's first (``first``)."""
    return (
        f"the patient's first visit uses mmt_max {format_value(first)}; "
        "every visit of a patient uses one MMT-8 form"
    )


def enrolment_hint(enrolled: str) -> str:
    """The hint of a date before the patient's enrolment on ``enrolled`` (YYYY-MM-DD)."""
    return f"enrolled {enrolled}"


def uln_rule(enzyme: str) -> str:
    """The rule of an enzyme measured with others and no upper limit of normal."""
    return f"no upper limit of normal for {enzyme}"


def grades_differ(given: Any, computed: Any) -> Any:
    """Whether a given MMT-8 total is not the sum of its grades; arrays or floats.

    docs/measures.md §1: compared exactly (to rounding), a missing side never differs.
    """
    return ~np.isnan(given) & ~np.isnan(computed) & ~np.isclose(given, computed, rtol=0, atol=1e-9)


def needs_uln(measured: Mapping[str, bool], config: TrialConfig) -> list[str]:
    """The measured enzymes of one visit that need a ULN in the row (docs/measures.md §2).

    ``measured`` says, per enzyme column the visit has, whether it holds a value.
    """
    if sum(measured.values()) < 2:
        return []
    return [e for e, given in measured.items() if given and e not in config.uln]


def mmt_scale(visits: pd.DataFrame, config: TrialConfig) -> pd.Series:
    """Each visit's MMT-8 maximum: its ``mmt_max``, else the trial's default."""
    if "mmt_max" in visits.columns:
        return visits["mmt_max"].astype("float64").fillna(float(config.mmt_max))
    return pd.Series(float(config.mmt_max), index=visits.index)


def mmt_problems(visits: pd.DataFrame, file: str, config: TrialConfig) -> list[Problem]:
    """A total above its scale, and a given total that disagrees with its grades."""
    problems = []
    scale = mmt_scale(visits, config)
    if "mmt8" in visits.columns:
        total = visits["mmt8"].astype("float64")
        above = total > scale
        hint = scale[above].map(mmt_above_hint)
        problems += cell_problems(visits, above, "mmt8", file, MMT_ABOVE_RULE, hint)
    if "mmt8" not in visits.columns or not grade_columns(visits):
        return problems
    # docs/measures.md §1: the total of the visit's form, computed as myotrial.measures does;
    # grades outside 0-10 are reported by their own column rule, not again here.
    computed = pd.Series(mmt_total(visits, scale.to_numpy(), problems=[]), index=visits.index)
    given = visits["mmt8"].to_numpy(dtype=np.float64, na_value=np.nan)
    differs = pd.Series(grades_differ(given, computed.to_numpy()), index=visits.index)
    hint = computed[differs].map(grades_hint)
    return problems + cell_problems(
        visits, differs & ~(visits["mmt8"] > scale), "mmt8", file, GRADES_RULE, hint
    )


def mmt_form_problems(visits: pd.DataFrame, file: str, config: TrialConfig) -> list[Problem]:
    """Visits of one patient on different MMT-8 forms (``mmt_max`` 80 and 150).

    docs/measures.md §2: a follow-up's MMT-8 change is taken against its baseline on the
    same form, so the analysis refuses a pair on two forms. Each visit is held to the
    form of the patient's first visit.
    """
    if "patient_id" not in visits.columns or "visit_date" not in visits.columns:
        return []
    scale = mmt_scale(visits, config)
    order = visits.sort_values(["patient_id", "visit_date"], kind="stable")
    first = scale.loc[order.index].groupby(order["patient_id"].to_numpy()).transform("first")
    first = first.reindex(visits.index)
    differs = visits["patient_id"].notna() & (scale != first)
    hint = first[differs].map(mmt_form_hint)
    return cell_problems(visits, differs, "mmt_max", file, MMT_FORM_RULE, hint)


def uln_problems(visits: pd.DataFrame, file: str, config: TrialConfig) -> list[Problem]:
    """Enzymes that need an upper limit of normal and have none, in the row or ``[uln]``.

    docs/measures.md §2: the TIS scores the most abnormal enzyme relative to its ULN, so
    when a visit has two or more of ck, aldolase, ldh, ast and alt, each of them needs
    a ULN; without one the analysis cannot choose and refuses the trial. The problem
    names the ``<enzyme>_uln`` cell of the visit, with the trial-wide setting as hint.
    """
    present = [e for e in TIS_ENZYMES if e in visits.columns]
    measured = {e: visits[e].notna().to_numpy() for e in present}
    if not present:
        return []
    # needs_uln per row: the enzymes measured there, when two or more are
    several = np.sum(list(measured.values()), axis=0) >= 2
    problems: list[Problem] = []
    for enzyme in needs_uln(dict.fromkeys(present, True), config):
        row_uln = f"{enzyme}_uln"
        given = (
            visits[row_uln].notna().to_numpy()
            if row_uln in visits.columns
            else np.zeros(len(visits), dtype=bool)
        )
        problems += cell_problems(
            visits,
            measured[enzyme] & several & ~given,
            row_uln,
            file,
            uln_rule(enzyme),
            uln_hint(enzyme, file),
        )
    return problems


def uln_hint(enzyme: str, file: str) -> str:
    """How to give the upper limit of normal of ``enzyme`` (a row of ``file`` or once)."""
    where = (
        f"a row uln.{enzyme} in the workbook's trial sheet"
        if " sheet " in file
        else f"{enzyme} = ... under [uln] in trial.toml"
    )
    return f"give {enzyme}_uln in the row, or the laboratory's limit once: {where}"


def cross_table_problems(trial: TrialData, files: Mapping[str, str]) -> list[Problem]:
    """References to unknown patients, dates before enrolment, and release gating."""
    product = product_problems(trial, files)
    patients = trial.patients
    if "patient_id" not in patients.columns:
        return product
    known = patients.dropna(subset=["patient_id"]).drop_duplicates("patient_id")
    enrolment = (
        known.set_index("patient_id")["enrolment_date"]
        if "enrolment_date" in known.columns
        else None
    )
    problems: list[Problem] = []
    for table, date_column in _AFTER_ENROLMENT.items():
        frame = trial.table(table)
        problems += _reference_problems(frame, known["patient_id"], files[table])
        if enrolment is not None and date_column in frame.columns:
            problems += _enrolment_problems(frame, date_column, enrolment, files[table])
    problems += _reference_problems(trial.medications, known["patient_id"], files["medications"])
    problems += randomisation_problems(patients, files["patients"])
    return problems + product


def randomisation_problems(patients: pd.DataFrame, file: str) -> list[Problem]:
    """A trial with more than one arm needs every patient's randomisation date.

    docs/trial-format.md: ``randomisation_date`` is day 0 of the between-arm analyses
    (intention to treat), so it is required as soon as ``arm`` names two arms.
    """
    arm = patients["arm"].fillna(TREATED_ARM) if "arm" in patients else None
    if arm is None or arm.nunique() < 2:
        return []
    dates = patients.get("randomisation_date", pd.Series(pd.NaT, index=patients.index))
    missing = patients.index[pd.isna(dates)]
    return [
        Problem(
            file,
            int(position) + 2,
            "randomisation_date",
            None,
            "is required when the trial has more than one arm",
            "enter the date the patient was randomised (YYYY-MM-DD)",
        )
        for position in np.flatnonzero(patients.index.isin(missing))
    ]


def _reference_problems(frame: pd.DataFrame, known: pd.Series, file: str) -> list[Problem]:
    if "patient_id" not in frame.columns:
        return []
    unknown = frame["patient_id"].notna() & ~frame["patient_id"].isin(known)
    return cell_problems(
        frame,
        unknown,
        "patient_id",
        file,
        "refers to an unknown patient",
        "add the patient to patients or correct the study code",
    )


def _enrolment_problems(
    frame: pd.DataFrame, column: str, enrolment: pd.Series, file: str
) -> list[Problem]:
    enrolled = frame["patient_id"].map(enrolment)
    before = frame[column] < enrolled
    hint = enrolled[before].dt.strftime("%Y-%m-%d").map(enrolment_hint)
    return cell_problems(frame, before, column, file, ENROLMENT_RULE, hint)
