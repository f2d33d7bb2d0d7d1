"""The JSON API under ``/api`` (described in OpenAPI at ``/openapi.json``).

Every route is thin: it checks nothing itself beyond authentication, calls one use case
of :class:`myotrial.services.multisite.SiteServices` (which applies the same
validation, scoring and audit rules as the command line) and turns its answer into JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from myotrial.server.deps import (
    ApiCaller,
    BearerToken,
    Sites,
    attempt_login,
    end_session,
    signer,
    start_session,
)
from myotrial.server.limiter import Outcome
from myotrial.server.serialise import jsonable
from myotrial.services.access import PASSWORD_MIN_LENGTH
from myotrial.services.enrolment import Checklist
from myotrial.services.patients import Page
from myotrial.store.pages import DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter(prefix="/api")


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class VisitIn(BaseModel):
    """One visit: ``visit_date`` plus any visit column of the trial format."""

    model_config = ConfigDict(extra="allow")
    visit_date: str = Field(description="ISO date YYYY-MM-DD")
    reason: str = Field(default="data entry", description="why the visit is entered")
    confirm: bool = Field(
        default=False, description="store values a soft check finds unusual, as entered"
    )


class CorrectionIn(BaseModel):
    table: str = Field(default="visits", description="the patient's table holding the value")
    visit_date: str = Field(default="", description="the visit's date (table visits)")
    key: dict[str, str] = Field(
        default_factory=dict,
        description="the rest of the row's natural key (e.g. onset_date and term of an "
        "adverse event; nothing for patients)",
    )
    field: str
    value: str | float | int | bool | None
    reason: str = Field(min_length=1)
    confirm: bool = Field(default=False, description="store a value a soft check finds unusual")


class QueryIn(BaseModel):
    patient_id: str
    question: str = Field(min_length=1)
    visit_date: str | None = None
    field: str | None = None


class AnswerIn(BaseModel):
    answer: str = Field(min_length=1)


class EligibilityIn(BaseModel):
    refractory: bool | None = Field(default=None, description="refractory as the trial defines it")
    classification_met: bool | None = Field(
        default=None, description="meets the trial's classification criteria"
    )
    exclusions: dict[str, bool | None] = Field(
        default_factory=dict, description="each exclusion of [eligibility]: does it apply?"
    )


class EnrolmentIn(BaseModel):
    """A new patient: columns of patients.csv, the eligibility answers and the consent."""

    model_config = ConfigDict(extra="allow")
    patient_id: str = Field(min_length=1, max_length=100, description="the study code")
    sex: str
    age: float | int | str
    diagnosis: str
    site: str | None = Field(default=None, description="admins only: the patient's site")
    enrolment_date: str | None = Field(default=None, description="YYYY-MM-DD (default today)")
    consent_date: str = Field(description="YYYY-MM-DD, on or before enrolment")
    consent_form_version: str
    eligibility: EligibilityIn


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1)


class SetupIn(BaseModel):
    seed: int | None = Field(
        default=None, ge=0, description="seed of the list (default: drawn at random, kept sealed)"
    )
    list_csv: str | None = Field(
        default=None, description="a list written by `myotrial randomise`, as text"
    )
    sha256: str | None = Field(default=None, description="the uploaded list's SHA-256")


class InterimIn(BaseModel):
    plan: dict[str, Any] = Field(description="the design JSON of `myotrial design --looks K`")
    as_of: str | None = Field(default=None, description="data cut, ISO date (default: latest)")
    earlier: list[float] = Field(
        default_factory=list, description="information fractions of the looks already held"
    )


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=1000)
    role: str
    site: str | None = None


MAX_ID = 2**31 - 1
"""The largest row number a database integer column holds; larger numbers name nothing."""

QueryId = Annotated[int, Path(ge=1, le=MAX_ID, description="the query's number")]
AlertId = Annotated[int, Path(ge=1, le=MAX_ID, description="the alert's number")]
LOCKED = "too many failed logins; try again later"
BUSY = "too many logins at once; try again in a moment"


@router.post("/auth/token", response_model=TokenResponse, tags=["auth"])
def login(body: LoginRequest, request: Request) -> Any:
    """Exchange a user name and password for a bearer token (rate-limited)."""
    result = attempt_login(request, body.username, body.password)
    if result.outcome in (Outcome.LOCKED, Outcome.BUSY):
        locked = result.outcome is Outcome.LOCKED
        return JSONResponse(
            {"detail": LOCKED if locked else BUSY},
            status_code=429 if locked else 503,
            headers={"Retry-After": str(result.retry_after)},
        )
    if result.user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "wrong user name or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = start_session(request, result.user)
    return TokenResponse(access_token=token, expires_in=signer(request).ttl_seconds)


@router.post("/auth/logout", status_code=204, tags=["auth"])
def logout(request: Request, token: BearerToken) -> Response:
    """End the session of the bearer token: it is refused from now on."""
    end_session(request, token)
    return Response(status_code=204)


Limit = Annotated[
    int | None,
    Query(ge=1, le=MAX_LIMIT, description=f"rows per page (default {DEFAULT_LIMIT})"),
]
Cursor = Annotated[
    str | None, Query(description="the X-Next-Cursor of the page before; none for the first")
]


def paged(request: Request, response: Response, page: Page) -> list[dict[str, Any]]:
    """The page's rows; its next cursor in ``X-Next-Cursor`` and a ``Link`` (RFC 8288)."""
    if page.next is not None:
        following = request.url.include_query_params(cursor=page.next)
        response.headers["X-Next-Cursor"] = page.next
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    rows: list[dict[str, Any]] = jsonable(page.rows)
    return rows


@router.get("/patients", tags=["patients"])
def list_patients(
    request: Request,
    response: Response,
    caller: ApiCaller,
    sites: Sites,
    search: Annotated[str | None, Query(description="part of the study code")] = None,
    site: Annotated[str | None, Query(description="one site's patients")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> list[dict[str, Any]]:
    """The patients the caller may see (investigators: their own site only), by code,
    a page at a time; ``search`` a part of the code, ``site`` one site."""
    page = sites.records.patient_page(caller, search, site, cursor, limit)
    return paged(request, response, page)


@router.post("/patients", status_code=201, tags=["patients"])
def enrol_patient(body: EnrolmentIn, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """Enrol a patient at the caller's site with the eligibility checklist and consent;
    422 names every reason an answer is refused."""
    patient = body.model_dump(exclude={"eligibility", "consent_date", "consent_form_version"})
    answers = Checklist(**body.eligibility.model_dump())
    found = sites.enrolment.enrol(
        caller, patient, answers, body.consent_date, body.consent_form_version
    )
    return jsonable(found)


@router.get("/patients/{patient_id}/consent", tags=["patients"])
def consent(patient_id: str, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """The patient's consent record (``source`` ``import`` for an imported patient)."""
    return jsonable(sites.enrolment.consent(caller, patient_id))


@router.post("/patients/{patient_id}/consent/withdraw", tags=["patients"])
def withdraw_consent(
    patient_id: str, body: ReasonIn, caller: ApiCaller, sites: Sites
) -> dict[str, Any]:
    """Record the withdrawal of consent, audited; later entries are refused (409)."""
    return jsonable(sites.enrolment.withdraw(caller, patient_id, body.reason))


@router.post("/patients/{patient_id}/randomise", tags=["randomisation"])
def randomise(patient_id: str, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """Allocate the next position of the patient's stratum, once, audited: ``sequence``,
    ``stratum``, and ``arm`` for a role the trial does not blind."""
    return jsonable(sites.randomisation.randomise(caller, patient_id))


@router.post("/patients/{patient_id}/unblind", tags=["randomisation"])
def unblind(patient_id: str, body: ReasonIn, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """Emergency unblinding: the arm, to this caller only; audited and alerted to the
    unblinded statistician."""
    return jsonable(sites.randomisation.unblind(caller, patient_id, body.reason))


@router.post("/randomisation/setup", status_code=201, tags=["randomisation"])
def setup_randomisation(body: SetupIn, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """Make the sealed list from a seed, or check and keep an uploaded one (the unblinded
    statistician, once)."""
    uploaded = None if body.list_csv is None else body.list_csv.encode("utf-8")
    return jsonable(sites.randomisation.setup(caller, body.seed, uploaded, body.sha256))


@router.get("/randomisation/list", tags=["randomisation"])
def sealed_list(caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """The sealed list with its allocations (the unblinded statistician only)."""
    return jsonable(sites.randomisation.sealed_list(caller))


@router.get("/patients/{patient_id}", tags=["patients"])
def get_patient(patient_id: str, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """One patient with visits and infusions (404 also for another site's patient)."""
    return jsonable(sites.records.patient(caller, patient_id))


@router.post("/patients/{patient_id}/visits", status_code=201, tags=["visits"])
def add_visit(patient_id: str, body: VisitIn, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """Enter a visit; 422 lists every problem with the field it concerns."""
    values = body.model_dump(exclude={"reason", "confirm"})
    visit = sites.entry.add_visit(
        caller, patient_id, values, reason=body.reason, confirm=body.confirm
    )
    return jsonable(visit)


@router.post("/patients/{patient_id}/corrections", tags=["visits"])
def correct_value(
    patient_id: str, body: CorrectionIn, caller: ApiCaller, sites: Sites
) -> dict[str, Any]:
    """Change one value of any of the patient's rows, with a reason; the audit trail
    keeps the old value, the new one, the reason and the user."""
    return sites.entry.correct(
        caller,
        patient_id,
        body.visit_date,
        body.field,
        "" if body.value is None else str(body.value),
        body.reason,
        table=body.table,
        key=body.key,
        confirm=body.confirm,
    )


@router.get("/patients/{patient_id}/scores", tags=["scores"])
def patient_scores(patient_id: str, caller: ApiCaller, sites: Sites) -> list[dict[str, Any]]:
    """Total Improvement Score of every visit against its episode baseline, computed now."""
    return jsonable(sites.records.scores(caller, patient_id))


@router.get("/audit", tags=["audit"])
def audit_trail(
    request: Request,
    response: Response,
    caller: ApiCaller,
    sites: Sites,
    patient_id: Annotated[str | None, Query()] = None,
    user: Annotated[str | None, Query(description="rows made by this user")] = None,
    table: Annotated[str | None, Query(description="rows of this table")] = None,
    since: Annotated[str | None, Query(description="changed on or after, YYYY-MM-DD")] = None,
    until: Annotated[str | None, Query(description="changed on or before, YYYY-MM-DD")] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> list[dict[str, Any]]:
    """Who changed what, when, old and new value, and why: newest first, a page at a time."""
    page = sites.records.audit_page(caller, patient_id, user, table, since, until, cursor, limit)
    return paged(request, response, page)


@router.get("/queries", tags=["queries"])
def list_queries(
    caller: ApiCaller,
    sites: Sites,
    status_: Annotated[str | None, Query(alias="status")] = None,
) -> list[dict[str, Any]]:
    """Data queries about the patients the caller may see."""
    return jsonable(sites.queries.queries(caller, status_))


@router.post("/queries", status_code=201, tags=["queries"])
def open_query(body: QueryIn, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """Raise a query about a patient, visit or value (monitors)."""
    query = sites.queries.open_query(
        caller, body.patient_id, body.question, body.visit_date, body.field
    )
    return jsonable(query)


@router.post("/queries/{query_id}/answer", tags=["queries"])
def answer_query(
    query_id: QueryId, body: AnswerIn, caller: ApiCaller, sites: Sites
) -> dict[str, Any]:
    """Answer an open query (the patient's site)."""
    return jsonable(sites.queries.answer_query(caller, query_id, body.answer))


@router.post("/queries/{query_id}/close", tags=["queries"])
def close_query(query_id: QueryId, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """Close a query (monitors)."""
    return jsonable(sites.queries.close_query(caller, query_id))


@router.get("/lots/{lot}", tags=["lots"])
def trace_lot(lot: str, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """A lot's donor, release record, infusions and the adverse events of days 0-7
    (monitors, admins and the release role)."""
    return jsonable(sites.lots.trace(caller, lot))


@router.post("/lots/{lot}/release", tags=["lots"])
def release_lot(lot: str, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """Record the release of a lot, audited (release role; the lot must meet its
    release specification and be neither released nor recalled)."""
    return jsonable(sites.lots.release(caller, lot))


@router.get("/alerts", tags=["alerts"])
def list_alerts(
    caller: ApiCaller, sites: Sites, open_only: Annotated[bool, Query(alias="open")] = False
) -> list[dict[str, Any]]:
    """The alerts for the caller's role, newest first (``?open=true``: unacknowledged)."""
    return jsonable(sites.alerts.alerts(caller, open_only))


@router.post("/alerts/{alert_id}/acknowledge", tags=["alerts"])
def acknowledge_alert(alert_id: AlertId, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """Acknowledge an alert for the caller's role, once, audited."""
    return jsonable(sites.alerts.acknowledge(caller, alert_id))


@router.get("/users", tags=["users"])
def list_users(caller: ApiCaller, sites: Sites) -> list[dict[str, Any]]:
    """Every user (admins)."""
    return jsonable(sites.accounts.users(caller))


@router.post("/users", status_code=201, tags=["users"])
def add_user(body: UserIn, caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """Create a user (admins)."""
    return sites.accounts.add_user(caller, body.username, body.password, body.role, body.site)


@router.get("/export/pseudonymised", tags=["export"])
def pseudonymised(caller: ApiCaller, sites: Sites) -> dict[str, Any]:
    """The trial keyed by secret-keyed pseudonyms, with study days instead of dates.

    Patients (arm, diagnosis), infusions (day, dose), visits (every measure), adverse
    events, events and the trial's ULNs and scales; no site, lot or free text.
    """
    return jsonable(sites.exports.pseudonymised(caller))


@router.post("/interim/{kind}", tags=["interim"], response_class=HTMLResponse)
def interim_report(
    kind: Annotated[str, Path(pattern="^(open|closed)$")],
    body: InterimIn,
    caller: ApiCaller,
    sites: Sites,
) -> HTMLResponse:
    """The data monitoring committee's report of an interim look, as HTML.

    ``open``: pooled across arms (admins, monitors, statisticians); ``closed``: by arm,
    for the unblinded roles only (admins and statisticians).
    """
    page = sites.interim.report(caller, body.plan, kind, body.as_of, body.earlier)
    return HTMLResponse(page)
