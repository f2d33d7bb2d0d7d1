"""Conformance rules for the SDTM datasets: what a regulator's validator would report.

The open-source CDISC CORE engine needs the CDISC Library to run, so myotrial checks its
datasets itself, with the rules below; docs/exchange.md maps each to the FDA validator
rule it mirrors. Each rule reads the same metadata the writers and define.xml use
(:mod:`myotrial.exchange.cdisc.metadata`, :mod:`myotrial.exchange.cdisc.terminology`).
Every rule is vectorised over a dataset's rows. A finding names the rule, dataset,
variable, record (1 = the first row of the dataset file; empty for a whole dataset or
variable) and what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from myotrial.exchange.cdisc.common import Dataset
from myotrial.exchange.cdisc.metadata import (
    SDTM_VARIABLES,
    dataset_class,
    value_codelist,
    value_level,
    variable,
)
from myotrial.exchange.cdisc.terminology import CODELISTS, Codelist
from myotrial.exchange.cdisc.transport import XPT_LABEL_MAX, XPT_NAME_MAX, XPT_TEXT_MAX

FINDING_COLUMNS: tuple[str, ...] = ("rule", "dataset", "variable", "row", "message")
CONFORMANCE_NAME = "conformance.csv"
# ISO 8601 date or date/time, complete or partial (SDTMIG 3.4 §4.4.2)
ISO_8601 = (
    r"\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?"
    r"(Z|[+-]\d{2}(:\d{2})?)?)?)?)?"
)
DATE = r"\d{4}-\d{2}-\d{2}"
GENERAL = frozenset({"EVENTS", "INTERVENTIONS", "FINDINGS"})


@dataclass(frozen=True)
class Rule:
    """A conformance rule: identifier, what it checks and the rule it mirrors."""

    id: str
    checks: str
    mirrors: str


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("MT0001", "DM and TS are present", "FDA SD1020, SD1115"),
        Rule("MT0002", "every Required variable is present", "FDA SD0056"),
        Rule("MT0003", "no Required variable is null", "FDA SD0002"),
        Rule(
            "MT0004",
            "names at most 8 characters, labels 40, values 200 bytes (XPT v5)",
            "FDA Study Data Technical Conformance Guide (SAS transport v5 limits)",
        ),
        Rule("MT0005", "--DTC values are ISO 8601", "FDA SD0003"),
        Rule("MT0006", "values of a non-extensible codelist are its terms", "FDA CT2001"),
        Rule("MT0007", "values of an extensible codelist are held terms", "FDA CT2002"),
        Rule("MT0008", "--SEQ is unique within each subject", "FDA SD0005"),
        Rule("MT0009", "every USUBJID is in DM", "FDA SD0064"),
        Rule(
            "MT0010",
            "--DY, --STDY and --ENDY agree with the date and DM.RFSTDTC",
            "SDTMIG 3.4 §4.4.4 (study day)",
        ),
    )
}


def _finding(
    rule: str, dataset: str, variable: str, rows: pd.Index | None, message: str | pd.Series
) -> pd.DataFrame:
    """Findings of ``rule``: one per record in ``rows`` (0-based), or one without row."""
    if rows is None:
        return pd.DataFrame(
            [[rule, dataset, variable, pd.NA, message]], columns=list(FINDING_COLUMNS)
        )
    numbers = pd.array(np.asarray(rows, dtype="int64") + 1, dtype="Int64")
    text = message.loc[rows].to_numpy() if isinstance(message, pd.Series) else message
    return pd.DataFrame(
        {
            "rule": rule,
            "dataset": dataset,
            "variable": variable,
            "row": numbers,
            "message": text,
        }
    )


def _blank(values: pd.Series) -> pd.Series:
    """Null for SDTM: missing, or empty text."""
    return values.isna() | values.astype(str).str.strip().eq("")


def required_variables(dataset: str) -> list[str]:
    """The Required variables of ``dataset`` (SDTMIG 3.4 core Req)."""
    klass = dataset_class(dataset).klass
    prefix = dataset[:2]
    if dataset.startswith("SUPP"):
        base = ["STUDYID"]
    elif dataset == "TS":
        base = ["STUDYID", "DOMAIN"]
    else:
        base = ["STUDYID", "DOMAIN", "USUBJID"]
    if dataset == "DM":
        base += ["SUBJID", "SITEID"]
    if klass in GENERAL or dataset == "TS":
        base.append(f"{prefix}SEQ")
    if klass == "FINDINGS":
        base += [f"{prefix}TESTCD", f"{prefix}TEST"]
    group = "SUPP" if dataset.startswith("SUPP") else dataset
    own = [n for n, v in SDTM_VARIABLES.get(group, {}).items() if v.core == "Req"]
    return list(dict.fromkeys([*base, *own]))


def _presence(datasets: dict[str, Dataset]) -> Iterator[pd.DataFrame]:
    for name in ("DM", "TS"):
        if name not in datasets:
            yield _finding("MT0001", name, "", None, f"{name} dataset is missing")
    for d in datasets.values():
        for name in required_variables(d.name):
            if name not in d.frame.columns:
                yield _finding("MT0002", d.name, name, None, f"Required variable {name} is missing")
            else:
                blank = _blank(d.frame[name])
                if blank.any():
                    rows = d.frame.index[blank.to_numpy()]
                    yield _finding(
                        "MT0003", d.name, name, rows, f"Required variable {name} is null"
                    )


def _lengths(datasets: dict[str, Dataset]) -> Iterator[pd.DataFrame]:
    for d in datasets.values():
        if len(d.name) > XPT_NAME_MAX:
            yield _finding("MT0004", d.name, "", None, "dataset name longer than 8 characters")
        for name in d.frame.columns:
            if len(name) > XPT_NAME_MAX:
                yield _finding("MT0004", d.name, name, None, "name longer than 8 characters")
            label = d.labels.get(name, "")
            if len(label) > XPT_LABEL_MAX:
                yield _finding("MT0004", d.name, name, None, f"label of {len(label)} characters")
            values = d.frame[name]
            if values.dtype == object:
                encoded = values.fillna("").astype(str).str.encode("utf-8")
                size = encoded.str.len()  # type: ignore[misc]  # pandas-stubs: bytes .str
                long = size > XPT_TEXT_MAX
                if long.any():
                    message = "value of " + size.astype(str) + " bytes (XPT v5 allows 200)"
                    yield _finding("MT0004", d.name, name, d.frame.index[long], message)


def _dates(datasets: dict[str, Dataset]) -> Iterator[pd.DataFrame]:
    for d in datasets.values():
        for name in (c for c in d.frame.columns if c.endswith("DTC")):
            text = d.frame[name].fillna("").astype(str)
            wrong = text.ne("") & ~text.str.fullmatch(ISO_8601)
            if wrong.any():
                message = "'" + text + "' is not an ISO 8601 date"
                yield _finding("MT0005", d.name, name, d.frame.index[wrong], message)


def _codelist_of(dataset: str, name: str) -> Codelist | None:
    short = variable(dataset, name).codelist
    codelist = CODELISTS.get(short) if short else None
    return codelist if codelist is not None and codelist.terms else None


def _outside(values: pd.Series, codelist: Codelist) -> pd.Series:
    text = values.fillna("").astype(str)
    return text.ne("") & ~text.isin(codelist.values)


def _terms(datasets: dict[str, Dataset]) -> Iterator[pd.DataFrame]:
    for d in datasets.values():
        for name in d.frame.columns:
            checks: list[tuple[pd.Series, Codelist]] = []
            codelist = _codelist_of(d.name, name)
            if codelist is not None:
                checks.append((pd.Series(True, index=d.frame.index), codelist))
            where = value_level(d.name, name)
            if where is not None and where in d.frame.columns:
                for value in d.frame[where].dropna().astype(str).unique():
                    short = value_codelist(d.name, name, value)
                    if short:
                        checks.append((d.frame[where].astype(str).eq(value), CODELISTS[short]))
            for applies, held in checks:
                wrong = applies & _outside(d.frame[name], held)
                if wrong.any():
                    rule = "MT0007" if held.extensible else "MT0006"
                    message = (
                        "'"
                        + d.frame[name].astype(str)
                        + f"' is not in codelist {held.short}"
                        + (f" ({held.code})" if held.code else " (sponsor-defined)")
                    )
                    yield _finding(rule, d.name, name, d.frame.index[wrong], message)


def _sequences(datasets: dict[str, Dataset]) -> Iterator[pd.DataFrame]:
    for d in datasets.values():
        seq = f"{d.name[:2]}SEQ"
        if seq not in d.frame.columns:
            continue
        by = ["TSPARMCD"] if d.name == "TS" else ["USUBJID"]
        duplicated = d.frame.duplicated(subset=[*by, seq], keep="first")
        if duplicated.any():
            message = f"{seq} " + d.frame[seq].astype(str) + " repeats within " + by[0]
            yield _finding("MT0008", d.name, seq, d.frame.index[duplicated], message)


def _subjects(datasets: dict[str, Dataset]) -> Iterator[pd.DataFrame]:
    dm = datasets.get("DM")
    known = set() if dm is None else set(dm.frame["USUBJID"])
    for d in datasets.values():
        if d.name == "DM" or "USUBJID" not in d.frame.columns:
            continue
        missing = ~d.frame["USUBJID"].isin(known)
        if missing.any():
            message = "USUBJID '" + d.frame["USUBJID"].astype(str) + "' is not in DM"
            yield _finding("MT0009", d.name, "USUBJID", d.frame.index[missing], message)


def expected_study_day(dates: pd.Series, starts: pd.Series) -> pd.Series:
    """SDTMIG 3.4 §4.4.4: date - RFSTDTC + 1 on or after RFSTDTC, date - RFSTDTC before."""
    when = pd.to_datetime(dates.where(dates.astype(str).str.fullmatch(DATE)), errors="coerce")
    start = pd.to_datetime(starts.where(starts.astype(str).str.fullmatch(DATE)), errors="coerce")
    days = (when - start).dt.days.astype("float64")
    return days.where(days < 0, days + 1)


def _study_days(datasets: dict[str, Dataset]) -> Iterator[pd.DataFrame]:
    dm = datasets.get("DM")
    if dm is None:
        return
    starts = dm.frame.set_index("USUBJID")["RFSTDTC"]
    for d in datasets.values():
        prefix = d.name[:2]
        for day, date in ((f"{prefix}DY", f"{prefix}DTC"), (f"{prefix}STDY", f"{prefix}STDTC"),
                          (f"{prefix}ENDY", f"{prefix}ENDTC")):  # fmt: skip
            if day not in d.frame.columns or date not in d.frame.columns:
                continue
            expected = expected_study_day(d.frame[date], d.frame["USUBJID"].map(starts))
            given = pd.to_numeric(d.frame[day], errors="coerce")
            wrong = ~((given == expected) | (given.isna() & expected.isna()))
            if wrong.any():
                message = (
                    f"{day} "
                    + given.astype(str)
                    + f" but {date} and RFSTDTC give "
                    + expected.astype(str)
                )
                yield _finding("MT0010", d.name, day, d.frame.index[wrong], message)


CHECKS: tuple[Callable[[dict[str, Dataset]], Iterator[pd.DataFrame]], ...] = (
    _presence,
    _lengths,
    _dates,
    _terms,
    _sequences,
    _subjects,
    _study_days,
)


def check_datasets(datasets: list[Dataset]) -> pd.DataFrame:
    """Every finding of the conformance rules on ``datasets`` (no rows when clean).

    Returns
    -------
    DataFrame
        Columns :data:`FINDING_COLUMNS`; ``row`` is the record number in its dataset
        (1 = first), empty for a finding about a whole dataset or variable.
    """
    by_name = {d.name: replace_index(d) for d in datasets}
    parts = [part for check in CHECKS for part in check(by_name)]
    if not parts:
        return pd.DataFrame(
            {c: pd.Series(dtype="Int64" if c == "row" else object) for c in FINDING_COLUMNS}
        )
    return pd.concat(parts, ignore_index=True)


def replace_index(dataset: Dataset) -> Dataset:
    """The dataset with a 0, 1, 2 ... index (the record order of its file)."""
    from dataclasses import replace

    return replace(dataset, frame=dataset.frame.reset_index(drop=True))
