"""The release and recall of a lot: recorded in the store, audited, kept across imports.

A release (who signed it off, when) and a recall (when, why) are facts the store records
(:func:`update_lot`); an import of a ``lots.csv`` that leaves
those columns empty keeps them (:func:`keep_recorded`), so re-importing the trial folder
never undoes a recall. On PostgreSQL the trial's meta row is locked (``FOR UPDATE``) by
imports and lot updates alike, so a recall and an import of new infusions of the lot are
serialised; SQLite serialises writers itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from myotrial.errors import InvalidInputError, NotFoundError, Problem, StoreError
from myotrial.product.release import infusion_reasons
from myotrial.store import codec
from myotrial.store.columns import kinds
from myotrial.store.diff import TableDiff, diff_table
from myotrial.store.tables import trial_meta
from myotrial.store.unit_of_work import AbstractUnitOfWork
from myotrial.trialdata import TrialData, table_files

RECORDED_COLUMNS: tuple[str, ...] = (
    "released",
    "released_by",
    "released_date",
    "recalled",
    "recalled_date",
    "recall_reason",
)
"""Columns of ``lots`` the store records itself (release and recall)."""

LotCheck = Callable[[pd.Series], None]
"""Raises when the lot (decoded, as imported) may not take the change."""


def lock_trial(connection: sa.Connection) -> None:
    """Lock the trial's meta row until the transaction ends (PostgreSQL; SQLite: no-op)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(trial_meta.c.id).with_for_update())


def keep_recorded(incoming: pd.DataFrame, stored: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Incoming lots (stored form) with the recorded release and recall filled in.

    A recorded value is kept where the incoming row of the same lot leaves it empty; a
    value the incoming row gives wins (and is audited as a change).

    Returns
    -------
    (pandas.DataFrame, bool)
        The lots, and whether any recorded value was filled in.
    """
    if stored.empty or incoming.empty:
        return incoming, False
    recorded = stored.drop_duplicates("lot").set_index("lot")
    out = incoming.copy()
    filled = False
    for column in RECORDED_COLUMNS:  # six columns, each over every lot at once
        kept = out["lot"].map(recorded[column])
        gap = out[column].isna() & kept.notna()
        if gap.any():
            out[column] = out[column].where(~gap, kept)
            filled = True
    return out, filled


def plan_lot_update(
    uow: AbstractUnitOfWork, lot: str, values: Mapping[str, Any], check: LotCheck
) -> tuple[TableDiff, pd.Series]:
    """The rewrite of one lot's recorded columns, and the lot as it was.

    Raises
    ------
    NotFoundError
        If no trial is stored, or it has no such lot.
    """
    meta = uow.trials.read_meta()
    if meta is None:
        raise NotFoundError("the database holds no trial yet (import one first)")
    lock_trial(uow.trials.connection)
    entries = json.loads(meta["layout"])["tables"].get("lots", [])
    stored = uow.trials.read_table("lots")
    row = stored[stored["lot"] == lot]
    if row.empty:
        known = ", ".join(sorted(stored["lot"].dropna().astype(str))[:10]) or "none"
        raise NotFoundError(f"no lot {lot!r} in the database (lots stored: {known})")
    before = codec.decode_table(row, entries).iloc[0] if entries else row.iloc[0]
    check(before)
    incoming = stored.drop(columns="id")
    for column, value in values.items():
        incoming[column] = incoming[column].astype(object)
        incoming.loc[row.index, column] = value
        incoming[column] = codec.to_kind(incoming[column], kinds("lots")[column])
    return diff_table("lots", incoming, stored), before


def with_recorded_lots(
    uow: AbstractUnitOfWork,
    incoming: dict[str, pd.DataFrame],
    layout: Mapping[str, Any],
    trial: TrialData,
    typed: Mapping[str, list[str]],
) -> dict[str, pd.DataFrame]:
    """Incoming tables with the stored release and recall records kept, the infusions
    gated against them (inside the import's transaction, under the trial's lock).

    Raises
    ------
    InvalidInputError
        If an infusion's lot, with its recorded release or recall, may not be infused.
    """
    lock_trial(uow.trials.connection)
    stored = uow.trials.read_table("lots", typed.get("lots", []))
    lots, filled = keep_recorded(incoming["lots"], stored)
    if not filled:
        return incoming
    merged = codec.decode_table(lots, layout["tables"]["lots"])
    reasons = infusion_reasons(trial.infusions, merged, trial.config.release)
    refused = reasons[reasons != ""]
    if len(refused):
        file = table_files(trial.source)["infusions"]
        lot = trial.infusions.loc[refused.index, "lot"]
        raise InvalidInputError(
            [
                Problem(file, int(i) + 2, "lot", str(name), f"fails release: {why}")
                for i, name, why in zip(refused.index, lot, refused, strict=True)
            ]
        )
    return {**incoming, "lots": lots}


def update_lot(
    uow_factory: Callable[[], AbstractUnitOfWork],
    lot: str,
    values: Mapping[str, Any],
    who: tuple[str, str, str],
    check: LotCheck,
) -> pd.Series:
    """Record a release or recall of ``lot``: one audited change of its row.

    Parameters
    ----------
    uow_factory : callable
        Makes the unit of work the change runs in (all-or-nothing).
    lot : str
        The lot code.
    values : mapping
        Columns of :data:`RECORDED_COLUMNS` and their new values.
    who : (str, str, str)
        The user, the reason and the changeset's kind (``release``, ``recall``).
    check : callable
        Called with the lot as stored; raises when the change may not be made.

    Returns
    -------
    pandas.Series
        The lot before the change.

    Raises
    ------
    NotFoundError
        If no trial or no such lot is stored.
    StoreError
        If the database refuses the write.
    """
    user, reason, kind = who
    try:
        with uow_factory() as uow:
            change, before = plan_lot_update(uow, lot, values, check)
            changeset, at = uow.trials.add_changeset(kind, user, reason)
            uow.trials.update_rows("lots", change.updates, change.compared)
            uow.trials.add_audit(change.audit, changeset, user, at, reason)
            uow.commit()
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"the database refused the {kind} of lot {lot!r}: {exc}") from exc
    return before
