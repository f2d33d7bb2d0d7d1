"""The "Cell product" section of the report: lots against the release specification,
the chain of identity from lot to patient, and the lot-aware tables.

:func:`product_section` returns the template variables of ``product.html.j2``, or
``None`` for a trial that records no lots (the section is then left out). Numbers are
rounded here, never in the analysis.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from myotrial.analysis.product_api import ProductAnalysis, analyze_product
from myotrial.analysis.result import AnalysisResult
from myotrial.domain.release import ISCT_2006, ReleaseSpec
from myotrial.product.release import release_failures
from myotrial.product.trace import events_after
from myotrial.report.formatting import (
    MISSING,
    HtmlTable,
    interval,
    is_missing,
    num,
    reported_options,
    scientific,
    text,
)
from myotrial.trialdata import TrialData

OUTCOME_LABELS = {"response": "TIS response (course)", "infusion_reaction": "Infusion reaction"}
MEASURE_WORDS = {"log_ck": "log CK", "mmt8": "MMT-8"}


def product_section(trial: TrialData, result: AnalysisResult) -> dict[str, Any] | None:
    """Template variables of the cell-product section; ``None`` without lots."""
    if trial.lots.empty:
        return None
    product = analyze_product(trial, result)
    level = reported_options(result).level
    spec = trial.config.release
    return {
        "release": release_table(trial.lots, spec),
        "spec_note": specification_note(spec),
        "trace": trace_table(trial),
        "rates": rate_table(product.rates, level),
        "dose": dose_table(product, level),
        "variance": variance_sentences(product.group_model),
    }


def release_table(lots: pd.DataFrame, spec: ReleaseSpec) -> HtmlTable:
    """Each lot's release values against every limit; a failed value is marked."""
    failures = release_failures(lots, spec)
    failed = set(zip(failures["row"], failures["column"], strict=True))
    limits = [lim.columns for lim in spec.limits]
    columns = ["Lot", "Donor", "Released"]
    columns += [
        f"{' or '.join(lim.columns)} ({'≥' if lim.bound == 'min' else '≤'} {lim.limit:g})"
        for lim in spec.limits
    ]
    columns += ["Sterility", "Mycoplasma", "Meets specification"]
    rows = []
    for index, lot in lots.iterrows():  # one row per lot: a handful, not a hot path
        row = [text(lot["lot"]), text(lot.get("donor")), _yes(lot.get("released"))]
        for names in limits:
            shown = [c for c in names if c in lots.columns and not is_missing(lot.get(c))]
            # release values as the certificate gives them, not rounded
            value = " / ".join(f"{float(lot[c]):g}" for c in shown) or MISSING
            bad = any((index, c) in failed for c in names) or (index, " or ".join(names)) in failed
            row.append(f"{value} ✗" if bad else value)
        for column in ("sterility", "mycoplasma"):
            row.append(f"{text(lot.get(column))}{' ✗' if (index, column) in failed else ''}")
        row.append("no" if (failures["row"] == index).any() else "yes")
        rows.append(row)
    numeric = [False, False, False] + [True] * len(limits) + [False, False, False]
    note = "✗: fails the limit. " + "; ".join(failures["lot"] + ": " + failures["reason"])
    return HtmlTable(
        "Lots against the release specification",
        columns,
        rows,
        numeric,
        note=note if len(failures) else "",
        key="release",
    )


def specification_note(spec: ReleaseSpec) -> str:
    """Which limits are the ISCT's and which the trial's, in one sentence."""
    isct = [lim.key for lim in spec.limits if lim.source == ISCT_2006]
    own = [lim.key for lim in spec.limits if lim.source != ISCT_2006]
    dose = (
        f" Protocol dose: {scientific(spec.dose_per_kg[0])} to "
        f"{scientific(spec.dose_per_kg[1])} cells/kg."
        if spec.dose_per_kg
        else ""
    )
    return (
        "ISCT minimal criteria (Dominici et al., Cytotherapy 2006;8:315): "
        f"{', '.join(isct) or 'none'}. The trial's own limits: {', '.join(own)}, "
        f"sterility {spec.sterility}, mycoplasma {spec.mycoplasma}.{dose}"
    )


def trace_table(trial: TrialData) -> HtmlTable:
    """Every infusion by lot: donor, patient, date, dose, adverse events within 7 days."""
    donor = trial.lots.drop_duplicates("lot").set_index("lot")["donor"]
    given = trial.infusions.dropna(subset=["lot"]).sort_values(["lot", "infusion_date"])
    near = events_after(given, trial.adverse_events)
    terms = near.groupby(["patient_id", "infusion_date"])["term"].agg(", ".join)
    rows = [
        [
            text(r.lot),
            text(donor.get(r.lot)),
            text(r.patient_id),
            text(r.infusion_date),
            scientific(r.cells_per_kg) if "cells_per_kg" in given else MISSING,
            str(terms.get((r.patient_id, r.infusion_date), MISSING)),
        ]
        for r in given.itertuples()
    ]
    columns = ["Lot", "Donor", "Patient", "Infusion", "Cells/kg", "Adverse events, days 0-7"]
    return HtmlTable(
        "Chain of identity: lots to patients",
        columns,
        rows,
        [False, False, False, False, True, False],
        key="trace",
    )


def rate_table(rates: pd.DataFrame, level: str = "95 %") -> HtmlTable:
    """Response and infusion reactions by lot and by donor, with exact intervals at ``level``."""
    columns = {
        "Lot or donor": rates["level"] + " " + rates["group"].astype(str),
        "Outcome": rates["outcome"].map(OUTCOME_LABELS).fillna(rates["outcome"]),
        "Events / n": _counts(rates["events"], rates["n"]),
        "Rate": (100 * rates["proportion"]).map(lambda v: f"{num(v, 0)} %"),
        f"{level} CI (exact)": _percent_intervals(rates),
    }
    return HtmlTable(
        "Response and infusion reactions by lot and donor",
        list(columns),
        _rows(columns),
        [False, False, True, True, True],
        key="product-rates",
    )


def dose_table(product: ProductAnalysis, level: str = "95 %") -> HtmlTable:
    """TIS response by the course's dose, with Spearman's correlation in the note."""
    table = product.dose_response
    columns = {
        # a single dose is named by its value, a third by its range
        "Dose group": table["dose_group"].where(
            table["dose_low"] != table["dose_high"], table["dose_low"].map(scientific)
        ),
        "Total cells/kg per course": table["dose_low"].map(scientific)
        + " to "
        + table["dose_high"].map(scientific),
        "Responders / n": _counts(table["responders"], table["n"]),
        f"{level} CI": _percent_intervals(table),
        "Median best TIS": table["median_best_tis"].map(num),
    }
    corr = product.summary.get("dose_correlation", {})
    note = (
        f"Spearman's rho of dose with best TIS: {num(corr['rho'], 2)} "
        f"(p {num(corr['p_value'], 3)}, {corr['n']} courses)."
        if corr.get("rho") is not None
        else ""
    )
    return HtmlTable(
        "TIS response by dose",
        list(columns),
        _rows(columns),
        [False, True, True, True, True],
        note=note,
        key="dose-response",
    )


def _counts(events: pd.Series, n: pd.Series) -> pd.Series:
    return events.astype(int).astype(str) + "/" + n.astype(int).astype(str)


def _percent_intervals(table: pd.DataFrame) -> pd.Series:
    bounds = zip(100 * table["ci_low"], 100 * table["ci_high"], strict=True)
    return pd.Series([f"{interval(low, high, 0)} %" for low, high in bounds], index=table.index)


def _rows(columns: dict[str, pd.Series]) -> list[list[str]]:
    return [list(map(str, row)) for row in zip(*columns.values(), strict=True)]


def variance_sentences(model: pd.DataFrame) -> list[str]:
    """How much of each measure's variation lies between donors (or lots)."""
    sentences = []
    for (measure, grouping), rows in model.groupby(["measure", "grouping"], sort=False):
        values = rows.set_index("term")["estimate"]
        share = values[f"{grouping} share"]
        sentences.append(
            f"{MEASURE_WORDS.get(str(measure), str(measure))}: {num(100 * share, 1)} % of the "
            f"variation lies between {grouping}s ({grouping} variance "
            f"{num(values[f'{grouping} variance'], 3)}, patient "
            f"{num(values['patient variance'], 3)}, residual "
            f"{num(values['residual variance'], 3)}; {int(rows['n_groups'].iloc[0])} {grouping}s,"
            f" {int(rows['n_patients'].iloc[0])} patients)."
        )
    return sentences


def _yes(value: Any) -> str:
    return MISSING if is_missing(value) else ("yes" if bool(value) else "no")
