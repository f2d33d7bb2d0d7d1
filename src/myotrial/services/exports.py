"""Exports for those who may not see identified data: the pseudonymised tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from myotrial.exchange.pseudonymised import pseudonymise
from myotrial.services.access import Caller, require
from myotrial.services.blinding import frame_for, sees_arm
from myotrial.services.uow import UnitOfWorkFactory, UseCases

PSEUDONYM_KEY = "pseudonym_key"
"""Name of the kept secret that keys the pseudonyms (never shown or exported)."""


class Exports(UseCases):
    """The export use cases over one store.

    Parameters
    ----------
    uow : callable
        Makes a new unit of work (``TrialStore.unit_of_work``, or a fake in tests).
    pseudonym_key : callable
        Returns the secret pseudonymisation key, kept server-side (at least 32 bytes).
    """

    def __init__(self, uow: UnitOfWorkFactory, pseudonym_key: Callable[[], bytes]) -> None:
        super().__init__(uow)
        self.pseudonym_key = pseudonym_key

    def pseudonymised(self, caller: Caller) -> dict[str, Any]:
        """The trial without codes, sites, calendar dates, lots or free text.

        Returns
        -------
        dict
            See :func:`myotrial.exchange.pseudonymised.pseudonymise`: patients,
            infusions, visits, adverse events and events keyed by pseudonym with study
            days, and the trial's scale settings and ULNs.

        Raises
        ------
        AccessDeniedError
            If the caller may not read the pseudonymised export.
        """
        require(caller.reads_pseudonymised, "this role may not read the pseudonymised export")
        with self.uow() as uow:
            trial = uow.patients.trial()
        export = pseudonymise(trial, self.pseudonym_key())
        if not sees_arm(caller, trial.config):  # [blinding]: no arm for a blinded role
            export["patients"] = frame_for(caller, trial.config, export["patients"])
        return export
