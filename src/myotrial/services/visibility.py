"""Which patients a caller may see and change, asked of the store inside a unit of work.

The rules are those of :mod:`myotrial.services.access`; this module applies them to
the patients the database holds. A patient of another site is "not found", never
"forbidden", so that its existence does not leak across sites.
"""

from __future__ import annotations

from myotrial.errors import AccessDeniedError, NotFoundError
from myotrial.services.access import Caller, require
from myotrial.store.unit_of_work import AbstractUnitOfWork


def visible_site(uow: AbstractUnitOfWork, caller: Caller, patient_id: str) -> str:
    """The patient's site.

    Raises
    ------
    NotFoundError
        If there is no such patient or the caller may not see its site.
    """
    site = uow.patients.site_of(patient_id)
    if site is None or not caller.sees_site(site):
        raise NotFoundError(f"patient {patient_id!r} does not exist")
    return site


def writable_site(uow: AbstractUnitOfWork, caller: Caller, patient_id: str) -> str:
    """The patient's site, when the caller may change the patient's data.

    Raises
    ------
    NotFoundError
        If there is no such patient or the caller may not see it.
    AccessDeniedError
        If the caller sees the patient but may not change its data (monitors).
    """
    site = visible_site(uow, caller, patient_id)
    if not caller.writes_site(site):
        raise AccessDeniedError(f"role {caller.role} may not change patient data")
    return site


def visible_ids(uow: AbstractUnitOfWork, caller: Caller) -> list[str] | None:
    """Codes of the patients the caller may see; ``None`` means every patient.

    Raises
    ------
    AccessDeniedError
        If the caller reads pseudonymised data only.
    """
    require(caller.reads_identified, "this role reads pseudonymised exports only")
    if caller.sees_all_sites:
        return None
    return [str(p) for p in uow.patients.list(caller.site_filter)["patient_id"]]


def site_scope(caller: Caller) -> str | None:
    """The one site whose identified data the caller may read; ``None`` means every site.

    Raises
    ------
    AccessDeniedError
        If the caller reads pseudonymised data only.
    """
    require(caller.reads_identified, "this role reads pseudonymised exports only")
    return None if caller.sees_all_sites else caller.site_filter
