"""Exports for those who may not see identified data: the pseudonymised tables."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from myotrial.services.access import Caller, require
from myotrial.services.uow import UseCases

PSEUDONYMISED_TABLES: tuple[str, ...] = ("visits", "infusions")


class Exports(UseCases):
    """The export use cases over one store."""

    def pseudonymised(self, caller: Caller) -> dict[str, Any]:
        """Visits and infusions keyed by a keyed-hash pseudonym; no site, no names.

        Returns
        -------
        dict
            ``visits`` and ``infusions``, each a DataFrame whose ``patient_id`` is
            ``P-`` and 12 hexadecimal digits of an HMAC-SHA-256 of the patient code.

        Raises
        ------
        AccessDeniedError
            If the caller may not read the pseudonymised export.
        """
        require(caller.reads_pseudonymised, "this role may not read the pseudonymised export")
        with self.uow() as uow:
            trial = uow.patients.trial()
        key = trial.checksum.encode() or b"myotrial"
        tables: dict[str, Any] = {}
        for name in PSEUDONYMISED_TABLES:
            frame = trial.table(name).copy()
            frame["patient_id"] = frame["patient_id"].map(lambda p: _pseudonym(key, str(p)))
            tables[name] = frame
        return tables


def _pseudonym(key: bytes, patient_id: str) -> str:
    return "P-" + hmac.new(key, patient_id.encode(), hashlib.sha256).hexdigest()[:12]
