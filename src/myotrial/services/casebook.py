"""Signatures and locks: an investigator signs a patient's casebook; an admin freezes the trial.

An electronic signature records, as 21 CFR 11.50 asks, the printed name of the signer
(their account name), the date and time, and its meaning (:data:`MEANINGS`); the signer
re-enters their password, checked by :mod:`myotrial.services.passwords`. A signed
casebook is locked: every change of the patient's data is refused (409) until an admin
unlocks it with a reason. The first change after the unlocking invalidates the signature,
which must then be renewed. A locked (frozen) trial refuses every change of every
patient until an admin unlocks it with a reason. Each signature, lock, unlocking and
invalidation is audited.

:func:`open_for_change` is the gate every write of a patient's data passes, inside the
transaction that writes: it holds the patient's row, so a signature and a change racing
for one patient run one after the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from myotrial.errors import (
    AccessDeniedError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    Problem,
)
from myotrial.services.access import Caller, require
from myotrial.services.uow import UnitOfWorkFactory, UseCases
from myotrial.services.visibility import visible_site
from myotrial.store.casebook import CasebookHold
from myotrial.store.unit_of_work import AbstractUnitOfWork

MEANINGS: dict[str, str] = {
    "approval": "I approve this casebook: its data are complete and accurate",
    "review": "I have reviewed this casebook",
    "responsibility": "I take responsibility for the data in this casebook",
}
"""The meanings a signature may carry (21 CFR 11.50(a)(3)), by the code a form sends."""

CASEBOOK = "casebook"
"""The ``file`` of the problems of signatures and locks."""

PasswordCheck = Callable[[str, str], bool]
"""Whether a user name and password match an active account."""


def open_for_change(
    uow: AbstractUnitOfWork, patient_id: str, user: str, shared: bool = False
) -> None:
    """Let a change of the patient's data through, or refuse it; call before writing.

    Holds the patient's row until the transaction ends: alone, or with ``shared`` beside
    other shared changes, for a change that only inserts a row whose key the database
    keeps unique (what it reads cannot be changed by its neighbours). When the casebook
    carries a signature an admin has unlocked, the change invalidates it (audited once).

    Raises
    ------
    NotFoundError
        If there is no such patient.
    ConflictError
        If the trial is locked, or the patient's casebook is signed and not unlocked.
    """
    hold = _hold(uow, patient_id, shared)
    if hold.trial_locked:
        # the patient's row is held: a trial lock waits for it, no table hold is needed
        refuse_if_trial_locked(uow, hold=False)
    for signature in hold.signatures:
        if signature["unlocked_at"] is None:
            raise ConflictError([_signed(patient_id, signature)])
        now = dt.datetime.now(dt.UTC)
        values = {"invalidated_by": user, "invalidated_at": now}
        reason = "a change after the casebook was unlocked; the signature must be renewed"
        uow.casebooks.change(signature, values, "invalidate", user, reason)


def _hold(uow: AbstractUnitOfWork, patient_id: str, shared: bool = False) -> CasebookHold:
    """Hold the patient's row; its standing signatures and whether the trial is locked.

    Raises :class:`NotFoundError` when there is no such patient.
    """
    hold = uow.casebooks.hold(patient_id, shared)
    if hold is None:
        raise NotFoundError(f"no patient {patient_id!r} in the trial (check the patient_id)")
    return hold


def refuse_if_trial_locked(uow: AbstractUnitOfWork, hold: bool = True) -> None:
    """Refuse a change while the trial is locked; the gate of a write with no casebook
    yet (enrolment of a new patient). Call before writing, in the writing transaction.

    ``hold`` first holds the trial's locks beside other such writes, so a trial lock
    racing the write waits for it or is seen by it.

    Raises
    ------
    ConflictError
        If the trial is locked, naming who locked it, when and why.
    """
    if hold:
        uow.casebooks.hold_trial()
    lock = uow.casebooks.trial_lock()
    if lock is not None:
        raise ConflictError([_trial_locked(lock)])


def casebook_status(uow: AbstractUnitOfWork, patient_id: str) -> dict[str, Any]:
    """Whether the casebook is signed, locked or needs a new signature, and its history.

    Returns
    -------
    dict
        ``status`` (``unsigned``, ``signed``: locked by a valid signature, ``unlocked``:
        signed, then unlocked by an admin, ``renew``: a later change invalidated the
        last signature), ``trial_locked`` and ``signatures`` (oldest first).
    """
    rows = uow.casebooks.signatures(patient_id)
    status = "unsigned"
    if rows:
        last = rows[-1]
        if last["invalidated_at"] is not None:
            status = "renew"
        elif last["unlocked_at"] is not None:
            status = "unlocked"
        else:
            status = "signed"
    lock = uow.casebooks.trial_lock()
    return {
        "patient_id": patient_id,
        "status": status,
        "trial_locked": lock is not None,
        "trial_lock": lock,
        "signatures": [{**r, "meaning_text": MEANINGS.get(r["meaning"], "")} for r in rows],
    }


class Casebooks(UseCases):
    """Signing and unlocking casebooks, locking and unlocking the trial.

    Parameters
    ----------
    uow : callable
        Makes a new unit of work per call.
    password_ok : callable
        Whether a user name and password match an active account
        (:meth:`myotrial.services.accounts.Accounts.authenticate`).
    """

    def __init__(self, uow: UnitOfWorkFactory, password_ok: PasswordCheck) -> None:
        super().__init__(uow)
        self._password_ok = password_ok

    def status(self, caller: Caller, patient_id: str) -> dict[str, Any]:
        """The casebook's signatures and state (:func:`casebook_status`).

        Raises
        ------
        NotFoundError
            If there is no such patient or the caller may not see it.
        """
        with self.uow() as uow:
            visible_site(uow, caller, patient_id)
            return casebook_status(uow, patient_id)

    def trial_state(self, caller: Caller) -> dict[str, Any] | None:
        """The lock holding the trial now (who, when, why), or ``None`` when it is open.

        Raises
        ------
        AccessDeniedError
            If the caller reads pseudonymised data only.
        """
        require(caller.reads_identified, "this role reads pseudonymised exports only")
        with self.uow() as uow:
            return uow.casebooks.trial_lock()

    def sign(
        self,
        caller: Caller,
        patient_id: str,
        password: str,
        meaning: str,
        password_ok: PasswordCheck | None = None,
    ) -> dict[str, Any]:
        """Sign the patient's casebook for the caller, who re-enters their password.

        ``password_ok`` checks the password instead of the accounts' own check (the web
        service passes its rate-limited login).

        Raises
        ------
        NotFoundError
            If there is no such patient or the caller may not see it.
        AccessDeniedError
            If the caller is not an investigator of the patient's site, or the password
            is wrong (nothing is recorded).
        InvalidInputError
            If ``meaning`` is not one of :data:`MEANINGS`.
        ConflictError
            If the casebook is signed already and not unlocked.
        """
        if meaning not in MEANINGS:
            rule = f"is not one of {', '.join(MEANINGS)}"
            raise InvalidInputError([Problem(CASEBOOK, None, "meaning", meaning, rule)])
        with self.uow() as uow:
            site = visible_site(uow, caller, patient_id)
        require(
            caller.role == "investigator" and caller.writes_site(site),
            "only an investigator of the patient's site signs the casebook",
        )
        # the password is checked after the access rule (a wrong role learns nothing)
        # and outside the signing transaction (checking reads the accounts in its own)
        if not (password_ok or self._password_ok)(caller.username, password):
            raise AccessDeniedError("the password is wrong; the casebook was not signed")
        with self.uow() as uow:
            current = [r for r in _hold(uow, patient_id).signatures if _locks(r)]
            if current:
                raise ConflictError([_signed(patient_id, current[-1])])
            now = dt.datetime.now(dt.UTC)
            values = {
                "patient_id": patient_id,
                "signed_by": caller.username,
                "role": caller.role,
                "meaning": meaning,
                "signed_at": now,
            }
            uow.casebooks.sign(values, MEANINGS[meaning])
            status = casebook_status(uow, patient_id)
            uow.commit()
        return status

    def unlock(self, caller: Caller, patient_id: str, reason: str) -> dict[str, Any]:
        """Unlock a signed casebook (admins), with a reason; the next change invalidates
        its signature.

        Raises
        ------
        AccessDeniedError
            If the caller is not an admin.
        InvalidInputError
            If the reason is empty.
        ConflictError
            If the casebook is not locked by a signature.
        """
        require(caller.role == "admin", "only an admin unlocks a signed casebook")
        _require_reason(reason)
        with self.uow() as uow:
            visible_site(uow, caller, patient_id)
            current = [r for r in _hold(uow, patient_id).signatures if _locks(r)]
            if not current:
                rule = "is not locked by a signature"
                raise ConflictError([Problem(CASEBOOK, None, "patient_id", patient_id, rule)])
            now = dt.datetime.now(dt.UTC)
            values = {"unlocked_by": caller.username, "unlocked_at": now, "unlock_reason": reason}
            uow.casebooks.change(current[-1], values, "unlock", caller.username, reason)
            status = casebook_status(uow, patient_id)
            uow.commit()
        return status

    def lock_trial(self, caller: Caller, reason: str) -> dict[str, Any]:
        """Lock (freeze) the whole trial (admins), with a reason.

        Raises
        ------
        AccessDeniedError
            If the caller is not an admin.
        ConflictError
            If the trial is locked already.
        """
        require(caller.role == "admin", "only an admin locks the trial")
        _require_reason(reason)
        with self.uow() as uow:
            # the trial's locks, then every patient's row: the changes and enrolments in
            # flight commit before the lock (and before its time), every later one waits
            # for it and is refused
            uow.casebooks.hold_trial(locking=True)
            lock = uow.casebooks.trial_lock()
            if lock is not None:
                raise ConflictError([_trial_locked(lock)])
            uow.casebooks.lock(caller.username, dt.datetime.now(dt.UTC), reason)
            lock = uow.casebooks.trial_lock()
            uow.commit()
        return {"locked": True, "lock": lock}

    def unlock_trial(self, caller: Caller, reason: str) -> dict[str, Any]:
        """Unlock the trial (admins), with a reason.

        Raises
        ------
        AccessDeniedError
            If the caller is not an admin.
        ConflictError
            If the trial is not locked.
        """
        require(caller.role == "admin", "only an admin unlocks the trial")
        _require_reason(reason)
        with self.uow() as uow:
            lock = uow.casebooks.trial_lock()
            if lock is None:
                raise ConflictError([Problem(CASEBOOK, None, "trial", None, "is not locked")])
            uow.casebooks.unlock(lock, caller.username, dt.datetime.now(dt.UTC), reason)
            uow.commit()
        return {"locked": False, "lock": None}


def _locks(signature: dict[str, Any]) -> bool:
    return signature["unlocked_at"] is None and signature["invalidated_at"] is None


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise InvalidInputError(
            [Problem(CASEBOOK, None, "reason", None, "a value is required", "say why")]
        )


def _signed(patient_id: str, signature: dict[str, Any]) -> Problem:
    when = signature["signed_at"]
    return Problem(
        CASEBOOK,
        None,
        "patient_id",
        patient_id,
        f"has a signed casebook ({signature['signed_by']}, {when:%Y-%m-%d %H:%M} UTC): "
        "it refuses changes",
        "an admin unlocks it with a reason; the signature must then be renewed",
    )


def _trial_locked(lock: dict[str, Any]) -> Problem:
    return Problem(
        CASEBOOK,
        None,
        "trial",
        None,
        f"is locked since {lock['locked_at']:%Y-%m-%d %H:%M} UTC by {lock['locked_by']} "
        f"({lock['reason']}): it refuses changes",
        "an admin unlocks it with a reason",
    )
