"""Use cases of the cell product: trace a lot, record its release, recall it.

The command line (``myotrial lots``) and the web service both call these, so the rules
(who may release, what a release needs, what a recall refuses) are written once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from myotrial.domain.release import ReleaseSpec
from myotrial.errors import AccessDeniedError, InvalidInputError, Problem
from myotrial.ingest.cells import format_value
from myotrial.product.release import lot_status, release_failures, specification_checks
from myotrial.product.trace import LotTrace, trace_lot
from myotrial.services.access import Caller, require
from myotrial.services.loading import trial_in
from myotrial.trialdata import TrialData

if TYPE_CHECKING:
    from myotrial.store import TrialStore


@dataclass(frozen=True)
class RecallSummary:
    """What a recall touched: the patients who received the lot and later infusions."""

    lot: str
    recalled_date: str
    reason: str
    patients: list[str]
    later_infusions: pd.DataFrame


def trace(trial: TrialData, lot: str, caller: Caller | None = None) -> LotTrace:
    """Donor, release record, infusions and adverse events of ``lot``.

    ``caller`` ``None`` is the command line; a web caller needs the release role, or to
    be a monitor or admin.

    Raises
    ------
    NotFoundError
        If the trial has no such lot.
    AccessDeniedError
        If the caller may not trace lots.
    """
    if caller is not None:
        require(caller.traces_lots, "only the release role, monitors and admins may trace lots")
    return trace_lot(
        lot, trial.lots, trial.donors, trial.infusions, trial.adverse_events, trial.config.release
    )


def release(db_url: str, lot: str, user: str, today: dt.date | None = None) -> pd.Series:
    """Record that ``user`` released ``lot`` today, audited (the command line).

    The user must be an active account with the release role; the lot must meet its
    release specification and be neither released nor recalled.

    Returns
    -------
    pandas.Series
        The lot before its release.

    Raises
    ------
    AccessDeniedError
        If ``user`` has no active account with the release role.
    InvalidInputError
        If the lot fails its specification (every failed rule) or is already released
        or recalled.
    """
    from myotrial.store import open_store
    from myotrial.store.accounts import find_user

    store = open_store(db_url)
    try:
        with store.engine.connect() as connection:
            account = find_user(connection, user)
        if account is None or account["role"] != "release":
            raise AccessDeniedError(
                f"only an active account with the release role may release a lot ({user!r} "
                "has none; myotrial user add NAME --role release)"
            )
        return release_in(store, lot, user, today)
    finally:
        store.close()


def release_in(store: TrialStore, lot: str, user: str, today: dt.date | None = None) -> pd.Series:
    """Record the release of ``lot`` by ``user`` in ``store`` (the caller checked the role).

    Raises
    ------
    InvalidInputError
        If the lot fails its specification or is already released or recalled.
    """
    from myotrial.store.product_records import update_lot

    spec = trial_in(store).config.release
    day = pd.Timestamp(today or dt.date.today())
    return update_lot(
        store.unit_of_work,
        lot,
        {"released": True, "released_by": user, "released_date": day},
        (user, f"release of lot {lot}", "release"),
        lambda stored: _check_release(stored, spec),
    )


class LotRecords:
    """The lots in the web service: a trace for monitors, admins and the release role,
    a release for the release role only (``docs/server.md``)."""

    def __init__(self, store: TrialStore) -> None:
        self._store = store

    def lots(self, caller: Caller) -> list[dict[str, object]]:
        """Every lot with its donor, release, specification verdict and recall.

        Raises
        ------
        AccessDeniedError
            If the caller may not trace lots.
        """
        require(caller.traces_lots, "only the release role, monitors and admins may see lots")
        trial = trial_in(self._store)
        status = lot_status(trial.lots, trial.config.release)
        return [
            {**_record(row), "failures": row["failures"]}
            for _, row in status.sort_values("lot").iterrows()
        ]

    def trace(self, caller: Caller, lot: str) -> dict[str, object]:
        """The lot's trace as one record (:func:`trace_record`).

        Raises
        ------
        AccessDeniedError
            If the caller may not trace lots.
        NotFoundError
            If the trial has no such lot.
        """
        trial = trial_in(self._store)
        return trace_record(trace(trial, lot, caller), trial.config.release)

    def release(self, caller: Caller, lot: str) -> dict[str, object]:
        """Release ``lot`` for the caller (release role), audited; the lot's trace after.

        Raises
        ------
        AccessDeniedError
            If the caller has not the release role.
        InvalidInputError
            If the lot fails its specification or is already released or recalled.
        """
        require(caller.releases_lots, "only the release role may release a lot")
        release_in(self._store, lot, caller.username)
        return self.trace(caller, lot)


def trace_record(found: LotTrace, spec: ReleaseSpec) -> dict[str, object]:
    """The whole trace as one record, values as the trial format writes them.

    ``specification`` lists every rule of ``spec`` against the lot
    (:func:`myotrial.product.release.specification_checks`).
    """
    checks = specification_checks(found.lot, spec)
    return {
        "lot": _record(found.lot),
        "donor": None if found.donor is None else _record(found.donor),
        "release_failures": found.failures["reason"].tolist(),
        "specification": checks.to_dict("records"),
        "infusions": [_record(row) for _, row in found.infusions.iterrows()],
        "adverse_events": [_record(row) for _, row in found.adverse_events.iterrows()],
    }


def _record(row: pd.Series) -> dict[str, str | None]:
    # a missing flag (pd.NA) is missing, not the text "<NA>"
    return {str(k): None if v is pd.NA else format_value(v) for k, v in row.items()}


def recall(
    db_url: str, lot: str, reason: str, user: str, today: dt.date | None = None
) -> RecallSummary:
    """Mark ``lot`` recalled today, audited; later imports refuse infusions of it.

    Returns
    -------
    RecallSummary
        The patients who received the lot and its infusions dated after the recall.

    Raises
    ------
    NotFoundError
        If no trial or no such lot is stored.
    InvalidInputError
        If the reason is empty or the lot is already recalled.
    """
    from myotrial.store import open_store
    from myotrial.store.product_records import update_lot
    from myotrial.store.trial_store import require_filled

    require_filled(user, "user", "the name of the person recalling")
    require_filled(reason, "reason", "say why, e.g. --reason 'sterility failure'")
    day = pd.Timestamp(today or dt.date.today())
    store = open_store(db_url)
    try:
        update_lot(
            store.unit_of_work,
            lot,
            {"recalled": True, "recalled_date": day, "recall_reason": reason},
            (user, reason, "recall"),
            _check_recall,
        )
        infusions = trial_in(store).infusions
    finally:
        store.close()
    given = infusions[infusions["lot"] == lot]
    later = given[given["infusion_date"] > day].sort_values("infusion_date")
    return RecallSummary(
        lot,
        day.date().isoformat(),
        reason,
        sorted(given["patient_id"].astype(str).unique()),
        later[["patient_id", "infusion_date", "cells_per_kg"]].reset_index(drop=True),
    )


def _check_release(stored: pd.Series, spec: ReleaseSpec) -> None:
    problems = []
    if _flag(stored.get("recalled")):
        problems.append(_lot_problem(stored, "recalled", "is recalled and cannot be released"))
    if _flag(stored.get("released")):
        problems.append(_lot_problem(stored, "released", "is already released"))
    failures = release_failures(stored.to_frame().T, spec)
    if len(failures):
        rule = "fails its release specification: " + "; ".join(failures["reason"])
        problems.append(_lot_problem(stored, "lot", rule))
    if problems:
        raise InvalidInputError(problems)


def _check_recall(stored: pd.Series) -> None:
    if _flag(stored.get("recalled")):
        day = stored.get("recalled_date")
        when = f" on {pd.Timestamp(day).date().isoformat()}" if pd.notna(day) else ""
        raise InvalidInputError([_lot_problem(stored, "recalled", f"was already recalled{when}")])


def _flag(value: object) -> bool:
    return isinstance(value, bool | np.bool_) and bool(value)


def _lot_problem(stored: pd.Series, column: str, rule: str) -> Problem:
    return Problem("lots", None, column, str(stored["lot"]), rule)
