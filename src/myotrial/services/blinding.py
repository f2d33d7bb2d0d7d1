"""Blinding: who may see a patient's arm, and what every answer hides from the others.

The trial's ``[blinding]`` (docs/trial-format.md) names the blinded roles: none in an
open trial, the outcome assessor in an assessor-blinded one, everyone who sees patients
in a double-blind one; the unblinded statistician, who holds the sealed list, never.
A blinded caller never sees the arm: every use case that answers with patient rows,
audit rows, scores, exports or reports passes them through this module first, and
results by arm need a role that is both allowed them
(:attr:`~myotrial.services.access.Caller.reads_unblinded`) and not blinded.

The only exception is an emergency unblinding (:mod:`myotrial.services.allocation`):
the answer to that one request shows the arm to the one user who asked, and is audited
and alerted.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from myotrial.config import TrialConfig
from myotrial.domain.conduct import BlindingSpec
from myotrial.errors import AccessDeniedError, ConfigError
from myotrial.services.access import Caller, blinded_role_problems

ARM_FIELDS: tuple[str, ...] = ("arm",)
"""Fields that hold or name the arm (of patients, of the pseudonymised export)."""
BLINDED = "(blinded)"
"""What a blinded caller sees in place of an arm in the audit trail."""


def trial_blinding(config: TrialConfig) -> BlindingSpec:
    """The trial's blinding, its roles checked against the access rules.

    Raises
    ------
    ConfigError
        If a blinded role is not a role, or is the unblinded statistician.
    """
    problems = blinded_role_problems(config.blinding.blinded_roles)
    if problems:
        raise ConfigError(problems)
    return config.blinding


def sees_arm(caller: Caller, config: TrialConfig) -> bool:
    """Whether the caller may see patients' arms in this trial."""
    return caller.role not in trial_blinding(config).blinded_roles


def require_unblinded(caller: Caller, config: TrialConfig, what: str) -> None:
    """Refuse a result by arm (or any report) to a blinded caller.

    Raises
    ------
    AccessDeniedError
        If the trial blinds the caller's role.
    """
    if not sees_arm(caller, config):
        raise AccessDeniedError(f"{what} needs an unblinded role; role {caller.role} is blinded")


def reads_results_by_arm(caller: Caller, config: TrialConfig) -> bool:
    """Whether the caller may read results by arm: an unblinded role the trial does
    not blind."""
    return caller.reads_unblinded and sees_arm(caller, config)


def rows_for(
    caller: Caller, config: TrialConfig, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``rows`` (patients, scores, export rows) without the arm for a blinded caller."""
    if sees_arm(caller, config):
        return rows
    return [{k: v for k, v in row.items() if k not in ARM_FIELDS} for row in rows]


def frame_for(caller: Caller, config: TrialConfig, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the arm columns for a blinded caller."""
    if sees_arm(caller, config):
        return frame
    return frame.drop(columns=[c for c in ARM_FIELDS if c in frame.columns])


def audit_for(caller: Caller, config: TrialConfig, frame: pd.DataFrame) -> pd.DataFrame:
    """Audit rows with every arm replaced by :data:`BLINDED` for a blinded caller.

    The arm stands in the field ``arm`` of an update, and inside the JSON of an
    inserted or deleted patients row.
    """
    if frame.empty or sees_arm(caller, config):
        return frame
    frame = frame.copy()
    arm_rows = frame["field"].isin(ARM_FIELDS)
    for column in ("old_value", "new_value"):
        frame[column] = frame[column].astype(object)
        frame.loc[arm_rows & frame[column].notna(), column] = BLINDED
        whole = ~arm_rows & frame["field"].isna() & frame[column].notna()
        frame.loc[whole, column] = frame.loc[whole, column].map(_blind_record)
    return frame


def audit_rows_for(
    caller: Caller, config: TrialConfig, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Audit rows as dicts (a page of the trail), blinded as :func:`audit_for` does."""
    if not rows or sees_arm(caller, config):
        return rows
    return [_blind_row(row) for row in rows]


def _blind_row(row: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for column in ("old_value", "new_value"):
        value = row.get(column)
        if value is None:
            continue
        values[column] = (
            BLINDED
            if row.get("field") in ARM_FIELDS
            else (_blind_record(value) if row.get("field") is None else value)
        )
    return {**row, **values}


def _blind_record(text: object) -> object:
    """A record's JSON with its arm blinded (text that is not a record unchanged)."""
    try:
        record = json.loads(str(text))
    except ValueError:
        return text
    if not isinstance(record, dict) or not set(ARM_FIELDS) & set(record):
        return text
    return json.dumps({k: BLINDED if k in ARM_FIELDS else v for k, v in record.items()})
