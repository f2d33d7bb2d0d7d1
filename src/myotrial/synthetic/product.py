"""A synthetic cell-product record: donors, lots and which lot each infusion used.

Every infusion's cells come from a lot of its tissue source; consecutive infusions of one
source share a lot (``infusions_per_lot``), and the lots of a source are made from its
donors in turn. Released lots meet the ISCT 2006 minimal criteria and the default trial
limits with a margin (``docs/trial-format.md``, section Release specification). One
extra lot fails release (CD105 on 90 % of the cells), is never released and never
infused: what a real product record holds. Whole arrays, no loop per infusion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from myotrial.trialdata import empty_table

DONOR_COLUMNS: tuple[str, ...] = (
    "donor",
    "source",
    "age",
    "sex",
    "screening",
    "screening_date",
)
LOT_COLUMNS: tuple[str, ...] = (
    "lot",
    "donor",
    "passage",
    "manufacture_date",
    "expiry_date",
    "cells_total",
    "viability_pct",
    "cd73_pct",
    "cd90_pct",
    "cd105_pct",
    "cd45_pct",
    "cd34_pct",
    "cd14_pct",
    "cd19_pct",
    "hla_dr_pct",
    "sterility",
    "mycoplasma",
    "endotoxin_eu_per_ml",
    "released",
    "released_by",
    "released_date",
)
FAILED_CD105_PCT = 90.0
"""CD105 of the lot that fails release (ISCT 2006 asks for at least 95 %)."""
MANUFACTURE_LEAD_DAYS = 21
SHELF_LIFE_DAYS = 180


def product_record(
    infusions: pd.DataFrame,
    rng: np.random.Generator,
    infusions_per_lot: int = 3,
    donors_per_source: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Donors and lots for ``infusions``, and the infusions with their lot.

    Parameters
    ----------
    infusions
        Typed infusions with ``source`` and ``infusion_date``.
    rng
        Random generator.
    infusions_per_lot
        Consecutive infusions of one source that share a lot.
    donors_per_source
        Donors per tissue source; a source's lots are made from them in turn.

    Returns
    -------
    (donors, lots, infusions)
        Typed ``donors`` and ``lots`` tables and ``infusions`` with ``lot`` set.
    """
    sources = np.array(sorted(infusions["source"].dropna().unique()), dtype=object)
    donors = _donors(rng, sources, donors_per_source, infusions["infusion_date"].min())
    order = infusions.sort_values("infusion_date", kind="stable")
    rank = order.groupby("source", sort=False).cumcount().to_numpy()
    source_code = pd.Categorical(order["source"], categories=sources).codes
    lot_in_source = rank // infusions_per_lot
    # Number lots source by source, then in order of use.
    per_source = np.zeros(sources.size, dtype=int)
    np.maximum.at(per_source, source_code, lot_in_source + 1)
    offset = np.concatenate([[0], np.cumsum(per_source)[:-1]])
    lot_number = offset[source_code] + lot_in_source
    names = np.char.add("L", np.char.zfill((np.arange(per_source.sum()) + 1).astype(str), 2))
    used = order.assign(lot=names[lot_number].astype(object), _lot=lot_number)
    span = used.groupby("_lot")["infusion_date"].agg(["min", "max"])
    lot_source = np.repeat(np.arange(sources.size), per_source)
    lot_rank = np.concatenate([np.arange(k) for k in per_source]).astype(int)
    donor_index = lot_source * donors_per_source + lot_rank % donors_per_source
    lots = _lots(rng, names, donors["donor"].to_numpy()[donor_index], span)
    lots = pd.concat([lots, _failed_lot(lots, donors)], ignore_index=True)
    infused = used.drop(columns="_lot").loc[infusions.index]
    return _in_format("donors", donors), _in_format("lots", lots), infused


def _in_format(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Every column of the trial format's table, in its order and dtype (missing if not drawn)."""
    empty = empty_table(name)
    columns = {
        c: frame[c].astype(empty[c].dtype) if c in frame else empty[c].reindex(frame.index)
        for c in empty.columns
    }
    return pd.DataFrame(columns, index=frame.index)


def _donors(
    rng: np.random.Generator, sources: np.ndarray, per_source: int, first: pd.Timestamp
) -> pd.DataFrame:
    n = sources.size * per_source
    screened = first - pd.to_timedelta(rng.integers(90, 200, n), unit="D")
    return pd.DataFrame(
        {
            "donor": [f"D{i + 1:02d}" for i in range(n)],
            "source": np.repeat(sources, per_source),
            "age": rng.integers(18, 41, n).astype(float),
            "sex": rng.choice(np.array(["F", "M"], dtype=object), n),
            "screening": np.full(n, "pass", dtype=object),
            "screening_date": pd.DatetimeIndex(screened).normalize(),
        }
    )


def _lots(
    rng: np.random.Generator, names: np.ndarray, donors: np.ndarray, span: pd.DataFrame
) -> pd.DataFrame:
    n = names.size
    made = span["min"].to_numpy() - np.timedelta64(MANUFACTURE_LEAD_DAYS, "D")
    expiry = np.maximum(
        made + np.timedelta64(SHELF_LIFE_DAYS, "D"),
        span["max"].to_numpy() + np.timedelta64(30, "D"),
    )
    frame = pd.DataFrame(
        {
            "lot": names.astype(object),
            "donor": donors.astype(object),
            "passage": rng.integers(2, 5, n).astype(float),
            "manufacture_date": made,
            "expiry_date": expiry,
            "cells_total": np.round(rng.uniform(1.0e8, 3.0e8, n), -6),
            "viability_pct": np.round(rng.uniform(85.0, 97.0, n), 1),
        }
    )
    # ISCT 2006 with a margin: positive markers 96-99.9 %, negative ones 0.1-1.5 %.
    for column in ("cd73_pct", "cd90_pct", "cd105_pct"):
        frame[column] = np.round(rng.uniform(96.0, 99.9, n), 1)
    for column in ("cd45_pct", "cd34_pct", "cd14_pct", "cd19_pct", "hla_dr_pct"):
        frame[column] = np.round(rng.uniform(0.1, 1.5, n), 1)
    frame["sterility"] = "pass"
    frame["mycoplasma"] = "negative"
    frame["endotoxin_eu_per_ml"] = np.round(rng.uniform(0.05, 0.3, n), 2)
    frame["released"] = pd.array(np.ones(n, dtype=bool), dtype="boolean")
    frame["released_by"] = "qp.synthetic"
    frame["released_date"] = made + np.timedelta64(14, "D")
    return frame.reindex(columns=list(LOT_COLUMNS))


def _failed_lot(lots: pd.DataFrame, donors: pd.DataFrame) -> pd.DataFrame:
    """A lot of the last donor with CD105 below the ISCT minimum: tested, never released."""
    failed = lots.iloc[[-1]].copy()
    failed["lot"] = f"L{len(lots) + 1:02d}"
    failed["donor"] = donors["donor"].iloc[-1]
    failed["cd105_pct"] = FAILED_CD105_PCT
    failed["released"] = pd.array([False], dtype="boolean")
    failed["released_by"] = None
    failed["released_date"] = pd.NaT
    return failed
