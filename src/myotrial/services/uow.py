"""What every use-case class of the multi-site service is built on: a unit-of-work maker.

A web service runs many requests at once, so a use case never keeps a transaction
between calls: each call makes a new unit of work (``TrialStore.unit_of_work`` in
production, a fake in the unit tests) and commits it or lets it roll back.
"""

from __future__ import annotations

from collections.abc import Callable

from myotrial.store.unit_of_work import AbstractUnitOfWork

UnitOfWorkFactory = Callable[[], AbstractUnitOfWork]
"""Makes a new unit of work per use-case call."""


class UseCases:
    """Base of the use-case classes.

    Parameters
    ----------
    uow : callable
        Makes a new unit of work (``TrialStore.unit_of_work``, or a fake in tests).
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow
