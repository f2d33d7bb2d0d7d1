"""The multi-site use cases over one trial store, opened and closed together.

:class:`SiteServices` is what the web service and ``myotrial user`` hold: one store and
the use cases by concern (:mod:`~myotrial.services.accounts`,
:mod:`~myotrial.services.patients`, :mod:`~myotrial.services.entry`,
:mod:`~myotrial.services.queries`, :mod:`~myotrial.services.exports`,
:mod:`~myotrial.services.product`, :mod:`~myotrial.services.enrolment`,
:mod:`~myotrial.services.alerts`, :mod:`~myotrial.services.clinical`,
:mod:`~myotrial.services.casebook`, :mod:`~myotrial.services.schedule`,
:mod:`~myotrial.services.allocation`), each making a
new unit of work per call.
"""

from __future__ import annotations

from dataclasses import dataclass

from myotrial.services.accounts import Accounts
from myotrial.services.alerts import Alerts
from myotrial.services.allocation import Randomisation
from myotrial.services.casebook import Casebooks
from myotrial.services.clinical import ClinicalForms
from myotrial.services.enrolment import Enrolment
from myotrial.services.entry import DataEntry
from myotrial.services.exports import PSEUDONYM_KEY, Exports
from myotrial.services.interim import InterimReports
from myotrial.services.passwords import PasswordHasher
from myotrial.services.patients import PatientRecords
from myotrial.services.product import LotRecords
from myotrial.services.queries import DataQueries
from myotrial.services.schedule import Schedules
from myotrial.store import TrialStore, open_store
from myotrial.store.sessions import kept_secret


@dataclass(frozen=True)
class SiteServices:
    """The use cases of the sites, over ``store``."""

    store: TrialStore
    accounts: Accounts
    records: PatientRecords
    entry: DataEntry
    queries: DataQueries
    exports: Exports
    interim: InterimReports
    lots: LotRecords
    enrolment: Enrolment
    alerts: Alerts
    forms: ClinicalForms
    casebooks: Casebooks
    schedules: Schedules
    randomisation: Randomisation

    @classmethod
    def over(cls, store: TrialStore, hasher: PasswordHasher | None = None) -> SiteServices:
        """The use cases over an open store (closed by :meth:`close`)."""
        uow = store.unit_of_work
        accounts = Accounts(uow, hasher)
        return cls(
            store,
            accounts,
            PatientRecords(uow),
            DataEntry(uow),
            DataQueries(uow),
            Exports(uow, lambda: kept_secret(store.engine, PSEUDONYM_KEY).encode()),
            InterimReports(uow),
            LotRecords(store),
            Enrolment(uow),
            Alerts(uow),
            ClinicalForms(uow),
            Casebooks(uow, lambda user, word: accounts.authenticate(user, word) is not None),
            Schedules(uow),
            Randomisation(uow),
        )

    @classmethod
    def open(
        cls, db_url: str, hasher: PasswordHasher | None = None, connections: int | None = None
    ) -> SiteServices:
        """Open the store at ``db_url`` (migrating it to the newest schema), keeping
        ``connections`` database connections open (one per thread serving at once).

        Raises
        ------
        StoreError
            If the database cannot be opened or is newer than this version.
        """
        return cls.over(open_store(db_url, connections), hasher)

    def close(self) -> None:
        """Release the store's database connections."""
        self.store.close()
