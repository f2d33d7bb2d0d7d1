"""Release of cell-product lots against the specification, and the infusions it gates.

Each rule of :class:`myotrial.domain.release.ReleaseSpec` is one vectorised mask over
the whole lots table; only the lots that break a rule get a reason, worded with the
value, the limit and its source: ``cd105_pct 90 is below 95 (ISCT 2006)``. Limits are
inclusive: 95 % meets a minimum of 95 %, 94.9 % does not. A value that is missing fails
its rule (a lot is released on evidence, not on its absence).

Pure pandas: nothing here reads files or the database; the importer turns the reasons
into problems (:mod:`myotrial.ingest.product_checks`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from myotrial.domain.release import TRIAL_SPECIFICATION, ReleaseLimit, ReleaseSpec

FAILURE_COLUMNS: tuple[str, ...] = ("lot", "row", "column", "value", "limit", "source", "reason")
"""Columns of :func:`release_failures`."""

STATUS_COLUMNS: tuple[str, ...] = (
    "lot",
    "donor",
    "released",
    "meets_specification",
    "recalled",
    "failures",
)
"""Columns of :func:`lot_status`."""


def release_failures(lots: pd.DataFrame, spec: ReleaseSpec) -> pd.DataFrame:
    """Every release rule each lot breaks, one row per lot and rule.

    Parameters
    ----------
    lots : pandas.DataFrame
        The typed lots table (``lot`` and the release columns of ``lots.csv``); absent
        columns count as missing values.
    spec : ReleaseSpec
        The trial's release specification.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`FAILURE_COLUMNS`: the lot, its row label in ``lots``, the
        column, its value as text (empty when missing), the limit (``>= 95``), the source
        (``ISCT 2006`` or ``trial specification``) and the reason in words. Rows follow
        the lots' order, then the rules' order in ``spec``.
    """
    pieces = [p for limit in spec.limits for p in _limit_failures(lots, limit)]
    pieces += _result_failures(lots, "sterility", spec.sterility)
    pieces += _result_failures(lots, "mycoplasma", spec.mycoplasma)
    failures = pd.concat(pieces, ignore_index=True) if pieces else _empty()
    # A stable sort on the lot's row keeps the rules' order within each lot.
    return failures.sort_values("row", kind="stable").reset_index(drop=True)


def lot_status(lots: pd.DataFrame, spec: ReleaseSpec) -> pd.DataFrame:
    """One row per lot: released, meets its specification, recalled, and why not.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`STATUS_COLUMNS`, indexed like ``lots``; ``failures`` joins the
        reasons of :func:`release_failures` with ``"; "`` (empty when the lot passes).
    """
    reasons = release_failures(lots, spec).groupby("row", sort=False)["reason"].agg("; ".join)
    failures = lots.index.to_series().map(reasons).fillna("").astype(object)
    return pd.DataFrame(
        {
            "lot": lots["lot"],
            "donor": _column(lots, "donor"),
            "released": _is_true(lots, "released"),
            "meets_specification": failures == "",
            "recalled": _is_true(lots, "recalled"),
            "failures": failures,
        },
        index=lots.index,
    )


CHECK_COLUMNS: tuple[str, ...] = ("rule", "limit", "value", "source", "meets", "reason")
"""Columns of :func:`specification_checks`."""


def limit_text(limit: ReleaseLimit) -> str:
    """A limit as messages write it: ``>= 95``, ``<= 2``."""
    return f"{'>=' if limit.bound == 'min' else '<='} {_number(limit.limit)}"


def specification_checks(lot: pd.Series, spec: ReleaseSpec) -> pd.DataFrame:
    """Every rule of the specification against one lot: met, or why not.

    The verdicts are those of :func:`release_failures` (the rules are applied once,
    there); this lays them out one row per rule for a reviewer.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`CHECK_COLUMNS`, one row per rule in the order of ``spec``
        (numeric limits, then sterility and mycoplasma): the column (alternatives joined
        by ``or``), the limit, the lot's value as text (empty when missing), the source
        (``ISCT 2006`` or ``trial specification``), whether the lot meets it, and the
        failure's reason (empty when met).
    """
    failures = release_failures(lot.to_frame().T, spec)
    rules = [(limit.columns, limit_text(limit), limit.source) for limit in spec.limits]
    rules += [
        (("sterility",), f"= {spec.sterility}", TRIAL_SPECIFICATION),
        (("mycoplasma",), f"= {spec.mycoplasma}", TRIAL_SPECIFICATION),
    ]
    rows = []
    for columns, limit, source in rules:
        names = " or ".join(columns)
        failed = failures[failures["column"].isin([*columns, names])]
        given = [(c, lot.get(c)) for c in columns if pd.notna(lot.get(c))]
        shown = [_value_text(v) for _, v in given]
        if len(columns) > 1:
            shown = [f"{c} {text}" for (c, _), text in zip(given, shown, strict=True)]
        reason = "; ".join(failed["reason"])
        rows.append((names, limit, ", ".join(shown), source, failed.empty, reason))
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS))


def _value_text(value: object) -> str:
    if isinstance(value, float | np.floating):
        return _number(float(value))
    return str(value)


def infusion_reasons(
    infusions: pd.DataFrame, lots: pd.DataFrame, spec: ReleaseSpec, lots_file: str = "lots.csv"
) -> pd.Series:
    """Why each infusion's lot may not be infused, ``""`` when it may.

    Reasons, each that applies, in this order: the lot is unknown; not released; breaks
    its specification (every failed rule with its limit); was manufactured after the
    infusion date; had expired by it (infusion after ``expiry_date``; the expiry day
    itself is allowed); was released after it; was recalled on or before it.

    Parameters
    ----------
    infusions : pandas.DataFrame
        Typed infusions (``lot``, ``infusion_date``).
    lots : pandas.DataFrame
        The typed lots table.
    spec : ReleaseSpec
        The release specification.
    lots_file : str
        Name of the lots table in messages (``lots.csv``, or a workbook sheet).

    Returns
    -------
    pandas.Series
        Text aligned with ``infusions``; reasons joined with ``"; "``. Rows without a lot
        get ``""`` (a missing lot is the importer's required-value rule).
    """
    known = lots.dropna(subset=["lot"]).drop_duplicates("lot")
    status = lot_status(known, spec).set_index("lot")
    lot = infusions["lot"]
    given = lot.notna().to_numpy()
    found = lot.isin(status.index).to_numpy()
    day = pd.to_datetime(infusions["infusion_date"])
    by_lot = known.set_index("lot")
    parts = [
        _where(given & ~found, f"not in {lots_file}"),
        _where(found & ~_mapped(lot, status["released"]), "not released"),
        pd.Series(lot.map(status["failures"]).fillna("").to_numpy(dtype=object)),
        _date_reason(found, lot, by_lot, day, "manufacture_date"),
        _date_reason(found, lot, by_lot, day, "expiry_date"),
        _date_reason(found, lot, by_lot, day, "released_date"),
        _recall_reasons(lot, by_lot, day, found),
    ]
    return pd.Series(_join(parts), index=infusions.index, dtype=object)


def dose_outside(infusions: pd.DataFrame, spec: ReleaseSpec) -> pd.Series:
    """Infusions whose ``cells_per_kg`` lies outside the protocol's dose range.

    The range is inclusive; a missing dose is not flagged here (whether a dose is
    required is the importer's rule). All false when the protocol gives no range.
    """
    if spec.dose_per_kg is None or "cells_per_kg" not in infusions.columns:
        return pd.Series(False, index=infusions.index)
    low, high = spec.dose_per_kg
    dose = infusions["cells_per_kg"].astype("float64")
    return ((dose < low) | (dose > high)).fillna(False).astype(bool)


def _limit_failures(lots: pd.DataFrame, limit: ReleaseLimit) -> list[pd.DataFrame]:
    values = pd.DataFrame(
        {c: _column(lots, c).astype("float64") for c in limit.columns}, index=lots.index
    )
    given = values.notna()
    bound = limit_text(limit)
    missing = ~given.any(axis=1)
    names = " or ".join(limit.columns)
    pieces = [
        _failures(
            lots, missing, names, None, bound, limit.source, f"{names} is missing, needs {bound}"
        )
    ]
    word = "below" if limit.bound == "min" else "above"
    for column in limit.columns:
        value = values[column]
        bad = value < limit.limit if limit.bound == "min" else value > limit.limit
        text = column + " " + _texts(value[bad]) + f" is {word} {_number(limit.limit)}"
        pieces.append(_failures(lots, bad, column, value, bound, limit.source, text))
    return [p for p in pieces if p is not None]


def _result_failures(lots: pd.DataFrame, column: str, required: str) -> list[pd.DataFrame]:
    value = _column(lots, column)
    missing = value.isna()
    wrong = value.notna() & (value != required)
    rule = f"= {required}"
    pieces = [
        _failures(
            lots,
            missing,
            column,
            None,
            rule,
            TRIAL_SPECIFICATION,
            f"{column} is missing, needs {required}",
        ),
        _failures(
            lots,
            wrong,
            column,
            value,
            rule,
            TRIAL_SPECIFICATION,
            column + " " + _texts(value[wrong]) + f" is not {required}",
        ),
    ]
    return [p for p in pieces if p is not None]


def _failures(
    lots: pd.DataFrame,
    mask: pd.Series,
    column: str,
    value: pd.Series | None,
    limit: str,
    source: str,
    text: str | pd.Series,
) -> pd.DataFrame | None:
    """The failures of one rule; ``None`` when no lot breaks it."""
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return None
    rows = lots.index[mask.to_numpy()]
    shown = "" if value is None else _texts(value[mask])
    return pd.DataFrame(
        {
            "lot": lots.loc[rows, "lot"].to_numpy(dtype=object),
            "row": rows,
            "column": column,
            "value": np.asarray(shown if value is not None else [""] * len(rows), dtype=object),
            "limit": limit,
            "source": source,
            "reason": np.asarray(
                (text if isinstance(text, pd.Series) else pd.Series(text, index=rows))
                + f" ({source})",
                dtype=object,
            ),
        },
        columns=list(FAILURE_COLUMNS),
    )


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FAILURE_COLUMNS})


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _is_true(frame: pd.DataFrame, name: str) -> pd.Series:
    return _column(frame, name).astype("boolean").fillna(False).astype(bool)


def _number(value: float) -> str:
    return f"{value:g}"


def _texts(values: pd.Series) -> pd.Series:
    """Values as written in messages: numbers as ``90`` or ``94.9``, text as it is."""
    if values.dtype.kind == "f":
        return values.map(_number).astype(object)
    return values.astype(str).astype(object)


def _mapped(lot: pd.Series, flags: pd.Series) -> np.ndarray:
    return lot.map(flags).eq(True).to_numpy(dtype=bool)


def _dates(lot: pd.Series, by_lot: pd.DataFrame, column: str) -> pd.Series:
    dates = pd.to_datetime(_column(by_lot, column))
    return pd.Series(lot.map(dates).to_numpy(dtype="datetime64[ns]"), index=lot.index)


_DATE_RULES: dict[str, tuple[str, str]] = {
    # column: (wording, when it applies); the expiry day itself may still be infused.
    "manufacture_date": ("manufactured {}, after the infusion", "after"),
    "expiry_date": ("expired {}, before the infusion", "before"),
    "released_date": ("released {}, after the infusion", "after"),
}


def _date_reason(
    found: np.ndarray, lot: pd.Series, by_lot: pd.DataFrame, day: pd.Series, column: str
) -> pd.Series:
    wording, when = _DATE_RULES[column]
    dates = _dates(lot, by_lot, column)
    bad = dates > day if when == "after" else dates < day
    hit = found & bad.fillna(False).to_numpy(dtype=bool)
    if not hit.any():
        return pd.Series(np.full(len(lot), "", dtype=object))
    before, after = wording.split("{}")
    text = (before + dates.dt.strftime("%Y-%m-%d").fillna("") + after).to_numpy(dtype=object)
    return pd.Series(np.where(hit, text, ""), dtype=object)


def _recall_reasons(
    lot: pd.Series, by_lot: pd.DataFrame, day: pd.Series, found: np.ndarray
) -> pd.Series:
    recalled = _mapped(lot, _is_true(by_lot, "recalled"))
    on = _dates(lot, by_lot, "recalled_date")
    # A recall refuses the infusions from its date on; one without a date, every one.
    hit = found & recalled & (on.isna() | (on <= day)).to_numpy(dtype=bool)
    reason = lot.map(_column(by_lot, "recall_reason")).fillna("").astype(str)
    dated = ("recalled " + on.dt.strftime("%Y-%m-%d")).fillna("recalled")
    text = dated + reason.where(reason == "", ": " + reason)
    return pd.Series(np.where(hit, text.to_numpy(dtype=object), ""), dtype=object)


def _where(mask: np.ndarray, text: str) -> pd.Series:
    return pd.Series(np.where(mask, text, ""), dtype=object)


def _join(parts: list[pd.Series]) -> np.ndarray:
    """Join the non-empty texts of aligned parts with ``"; "``, row by row (vectorised)."""
    joined = np.full(len(parts[0]), "", dtype=object)
    for part in parts:  # one pass per reason, never per row
        text = part.to_numpy(dtype=object)
        sep = np.where((joined != "") & (text != ""), "; ", "")
        joined = joined + sep + text
    return joined
