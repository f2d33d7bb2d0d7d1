"""The JSON API of the clinical forms, the visit schedule, signatures and locks.

Thin like :mod:`myotrial.server.api`: each route calls one use case
(:mod:`myotrial.services.clinical`, :mod:`myotrial.services.schedule`,
:mod:`myotrial.services.casebook`) and returns its answer. A soft check refuses a row
with 422 and the values to confirm; sending it again with ``"confirm": true`` stores it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from myotrial.server.deps import ApiCaller, Sites, attempt_login
from myotrial.server.serialise import jsonable

router = APIRouter(prefix="/api")

FORM_TABLES = "^(patients|infusions|visits|adverse_events|events|medications)$"


class RowIn(BaseModel):
    """One row of a form: any column of its table, a reason and the confirm flag."""

    model_config = ConfigDict(extra="allow")
    reason: str = Field(default="data entry", description="why the row is entered")
    confirm: bool = Field(
        default=False, description="store values a soft check finds unusual, as entered"
    )


class InfusionIn(RowIn):
    infusion_date: str = Field(description="ISO date YYYY-MM-DD")
    lot: str | None = Field(default=None, description="the product lot (must be released)")
    cells_infused: float | None = Field(
        default=None, description="cells given; the dose per kg uses the recorded weight"
    )


class AdverseEventIn(RowIn):
    onset_date: str = Field(description="ISO date YYYY-MM-DD")
    term: str = Field(min_length=1)
    grade: int | None = Field(default=None, description="CTCAE grade 1-5")
    serious: bool | None = None
    relatedness: str | None = Field(
        default=None, description="not related, unlikely, possible, probable or definite"
    )


class EventIn(RowIn):
    event_date: str = Field(description="ISO date YYYY-MM-DD")
    type: str = Field(description="relapse, withdrawal, lost_to_follow_up or death")


class SignIn(BaseModel):
    password: str = Field(min_length=1, max_length=1000, description="re-entered to sign")
    meaning: str = Field(default="approval", description="approval, review or responsibility")


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1)


def _values(body: RowIn) -> dict[str, Any]:
    values = body.model_dump(exclude={"reason", "confirm"})
    return {k: v for k, v in values.items() if v is not None}


@router.get("/forms/{table}", tags=["forms"])
def form_fields(
    table: Annotated[str, Path(pattern=FORM_TABLES)], caller: ApiCaller, sites: Sites
) -> list[dict[str, Any]]:
    """The fields of a form: name, label, unit, kind, whether required, choices."""
    return sites.forms.fields(table)


@router.post("/patients/{patient_id}/infusions", status_code=201, tags=["forms"])
def add_infusion(
    patient_id: str, body: InfusionIn, caller: ApiCaller, sites: Sites
) -> dict[str, Any]:
    """Record an infusion; the dose in cells/kg from the cells infused and the weight."""
    row = sites.forms.add_infusion(caller, patient_id, _values(body), body.reason, body.confirm)
    return jsonable(row)


@router.post("/patients/{patient_id}/adverse-events", status_code=201, tags=["forms"])
def add_adverse_event(
    patient_id: str, body: AdverseEventIn, caller: ApiCaller, sites: Sites
) -> dict[str, Any]:
    """Record an adverse event; a serious one raises an expedited alert."""
    row = sites.forms.add_adverse_event(
        caller, patient_id, _values(body), body.reason, body.confirm
    )
    return jsonable(row)


@router.post("/patients/{patient_id}/events", status_code=201, tags=["forms"])
def add_event(patient_id: str, body: EventIn, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """Record a relapse, a withdrawal, a loss to follow-up or a death."""
    row = sites.forms.add_event(caller, patient_id, _values(body), body.reason, body.confirm)
    return jsonable(row)


@router.get("/schedule", tags=["schedule"])
def schedule(
    caller: ApiCaller,
    sites: Sites,
    status_: Annotated[str | None, Query(alias="status", description="due, overdue, ...")] = None,
    patient_id: Annotated[str | None, Query()] = None,
) -> list[dict[str, Any]]:
    """Scheduled visits of the caller's patients, from the trial's time points."""
    return jsonable(sites.schedules.schedule(caller, status_, patient_id))


@router.get("/patients/{patient_id}/casebook", tags=["signatures"])
def casebook(patient_id: str, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """The casebook's signatures and whether it is signed, unlocked or to be renewed."""
    return jsonable(sites.casebooks.status(caller, patient_id))


@router.post("/patients/{patient_id}/sign", tags=["signatures"])
def sign(
    patient_id: str, body: SignIn, request: Request, caller: ApiCaller, sites: Sites
) -> dict[str, Any]:
    """Sign the casebook (an investigator of its site, password re-entered)."""

    # the re-entered password counts as a login attempt: the limits of logins apply
    def password_ok(user: str, password: str) -> bool:
        return attempt_login(request, user, password).user is not None

    status = sites.casebooks.sign(caller, patient_id, body.password, body.meaning, password_ok)
    return jsonable(status)


@router.post("/patients/{patient_id}/unlock", tags=["signatures"])
def unlock(patient_id: str, body: ReasonIn, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """Unlock a signed casebook (admins), with a reason."""
    return jsonable(sites.casebooks.unlock(caller, patient_id, body.reason))


@router.post("/trial/lock", tags=["signatures"])
def lock_trial(body: ReasonIn, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """Lock (freeze) the trial (admins), with a reason: every change is refused."""
    return jsonable(sites.casebooks.lock_trial(caller, body.reason))


@router.post("/trial/unlock", tags=["signatures"])
def unlock_trial(body: ReasonIn, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """Unlock the trial (admins), with a reason."""
    return jsonable(sites.casebooks.unlock_trial(caller, body.reason))
