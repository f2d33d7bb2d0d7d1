"""Server-rendered web pages (Jinja2): login, patients, enrolment, timeline, visit entry,
audit, queries, and the cell product's lots (release and trace).

Pages work without JavaScript; one small script on the entry form previews validation
messages and the Total Improvement Score as values are typed. Every form carries a CSRF
token bound to the session (double-submit, OWASP); the session cookie is HttpOnly,
SameSite=Strict and Secure.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from myotrial.errors import (
    AccessDeniedError,
    InvalidInputError,
    LoginRequiredError,
    UnconfirmedError,
)
from myotrial.server.api import QueryId
from myotrial.server.charts import timeline_chart_svg
from myotrial.server.deps import (
    SESSION_COOKIE,
    Sites,
    attempt_login,
    end_session,
    page_caller,
    signer,
    start_session,
)
from myotrial.server.forms import entry_groups
from myotrial.server.guards import CSP_NONCE
from myotrial.server.limiter import Outcome
from myotrial.server.problems import SAVED, query_field_label, query_fields, split_problems
from myotrial.server.serialise import jsonable
from myotrial.services.access import Caller
from myotrial.services.casebook import MEANINGS
from myotrial.services.enrolment import Checklist
from myotrial.services.labels import field_label

LOGIN_CSRF_COOKIE = "myotrial_login_csrf"
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)


def _caller(request: Request) -> Caller:
    """The logged-in caller; :class:`LoginRequiredError` (a redirect to /login) if none."""
    caller = page_caller(request)
    if caller is None:
        raise LoginRequiredError("this page needs a session; log in first")
    return caller


def _render(
    request: Request, name: str, caller: Caller | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    token = request.cookies.get(SESSION_COOKIE, "")
    csrf = signer(request).csrf_token(token) if token else ""
    return templates.TemplateResponse(
        request,
        name,
        {"caller": caller, "csrf": csrf, "csp_nonce": _nonce(request), **context},
        status_code=status_code,
    )


def _nonce(request: Request) -> str:
    """The nonce inline scripts must carry (set for every request by the guards)."""
    return str(getattr(request.state, CSP_NONCE, ""))


def _check_csrf(request: Request, submitted: str) -> None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token or not signer(request).csrf_ok(token, submitted):
        raise AccessDeniedError("the form has expired or came from another site; reload it")


def _cookie(response: Response, request: Request, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.secure_cookies,
    )


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    target = "/patients" if page_caller(request) else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, error: str = "") -> Response:
    nonce = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request, "login.html", {"caller": None, "login_csrf": nonce, "error": error}
    )
    _cookie(response, request, LOGIN_CSRF_COOKIE, nonce, 600)
    return response


@router.post("/login")
def login(
    request: Request,
    username: str = Form(...),
    password: str = Form(...),
    csrf: str = Form(""),
) -> Response:
    if not secrets.compare_digest(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf or "-"):
        return RedirectResponse("/login?error=expired", status_code=303)
    result = attempt_login(request, username, password)
    if result.outcome in (Outcome.LOCKED, Outcome.BUSY):
        return RedirectResponse("/login?error=locked", status_code=303)
    if result.user is None:
        return RedirectResponse("/login?error=wrong", status_code=303)
    token = start_session(request, result.user)
    response = RedirectResponse("/patients", status_code=303)
    _cookie(response, request, SESSION_COOKIE, token, signer(request).ttl_seconds)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    _check_csrf(request, csrf)
    end_session(request, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/patients", response_class=HTMLResponse)
def patient_list(
    request: Request,
    sites: Sites,
    search: str | None = None,
    site: str | None = None,
    cursor: str | None = None,
) -> Response:
    caller = _caller(request)
    page = sites.records.patient_page(caller, search, site, cursor)
    return _render(
        request,
        "patients.html",
        caller,
        patients=jsonable(page.rows),
        search=search or "",
        site=site or "",
        next_page=_next_page(request, page.next),
        can_enrol=_may_enrol(caller),
    )


def _next_page(request: Request, cursor: str | None) -> str:
    """The address of the page after this one (empty on the last page)."""
    if cursor is None:
        return ""
    following = request.url.include_query_params(cursor=cursor)
    return f"{following.path}?{following.query}"


def _may_enrol(caller: Caller) -> bool:
    return caller.role == "admin" or bool(caller.site and caller.enrols_at(caller.site))


@router.get("/patients/new", response_class=HTMLResponse)
def enrol_form(request: Request, sites: Sites) -> Response:
    """The enrolment form: the patient, the trial's eligibility checklist, the consent."""
    caller = _caller(request)
    checklist = sites.enrolment.checklist()
    return _render(request, "enrol_form.html", caller, checklist=checklist, values={}, problems=[])


@router.post("/patients/new", response_class=HTMLResponse)
async def enrol_submit(request: Request, sites: Sites) -> Response:
    caller = _caller(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    _check_csrf(request, form.pop("csrf", ""))
    checklist = sites.enrolment.checklist()
    answers = Checklist(
        refractory=_answer(form.get("refractory")),
        classification_met=_answer(form.get("classification_met")),
        exclusions={
            name: _answer(form.get(f"exclusion_{i}")) for i, name in enumerate(checklist.exclusions)
        },
    )
    patient = {k: form.get(k, "") for k in ENROLMENT_FIELDS if form.get(k, "").strip()}
    try:
        sites.enrolment.enrol(
            caller,
            patient,
            answers,
            form.get("consent_date", ""),
            form.get("consent_form_version", ""),
        )
    except InvalidInputError as exc:
        return _render(
            request,
            "enrol_form.html",
            caller,
            status_code=exc.http_status,
            checklist=checklist,
            values=form,
            problems=exc.problems,
        )
    return RedirectResponse(f"/patients/{patient['patient_id']}", status_code=303)


ENROLMENT_FIELDS = ("patient_id", "site", "sex", "age", "diagnosis", "enrolment_date", "weight_kg")
"""The patient fields of the enrolment form (the columns of patients.csv it asks)."""


def _answer(value: str | None) -> bool | None:
    """A yes/no radio button: ``True``, ``False``, or ``None`` when not answered."""
    return {"yes": True, "no": False}.get(value or "")


@router.get("/patients/{patient_id}", response_class=HTMLResponse)
def timeline(
    patient_id: str,
    request: Request,
    sites: Sites,
    saved: str = "",
) -> Response:
    caller = _caller(request)
    patient = jsonable(sites.records.patient(caller, patient_id))
    scores = jsonable(sites.records.scores(caller, patient_id))
    chart = timeline_chart_svg(patient["visits"], patient["infusions"])
    queries = []
    if caller.reads_queries:
        found = sites.queries.queries(caller, None)
        queries = [
            {**q, "field_label": query_field_label(q["field"])}
            for q in jsonable(found)
            if q["patient_id"] == patient_id
        ]
    casebook = jsonable(sites.casebooks.status(caller, patient_id))
    allocation = sites.randomisation.allocation(caller, patient_id)
    return _render(
        request,
        "timeline.html",
        caller,
        patient=patient,
        scores=scores,
        chart=chart,
        can_write=caller.writes_site(patient["site"]),
        can_sign=caller.role == "investigator"
        and caller.writes_site(patient["site"])
        and casebook["status"] != "signed",
        casebook=casebook,
        allocation=allocation,
        # imported with a randomisation_date: randomised before the service held the list
        can_randomise=caller.enrols_at(patient["site"])
        and allocation is None
        and not patient.get("randomisation_date"),
        meanings=list(MEANINGS.items()),
        queries=queries,
        schedule=jsonable(sites.schedules.schedule(caller, patient_id=patient_id)),
        saved=SAVED.get(saved, ""),
    )


@router.get("/patients/{patient_id}/visits/new", response_class=HTMLResponse)
def visit_form(
    patient_id: str,
    request: Request,
    sites: Sites,
) -> Response:
    caller = _caller(request)
    patient = jsonable(sites.records.patient(caller, patient_id))
    fields = sites.forms.fields("visits")
    return _render(
        request,
        "visit_form.html",
        caller,
        patient=patient,
        values={},
        errors={},
        warnings={},
        others=[],
        date_field=next(f for f in fields if f["name"] == "visit_date"),
        groups=entry_groups(fields),
    )


@router.post("/patients/{patient_id}/visits/new", response_class=HTMLResponse)
async def visit_submit(
    patient_id: str,
    request: Request,
    sites: Sites,
) -> Response:
    caller = _caller(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    _check_csrf(request, form.pop("csrf", ""))
    reason = form.pop("reason", "") or "data entry"
    confirm = form.pop("confirm", "") == "1"
    values = {k: v for k, v in form.items() if v.strip() != ""}
    try:
        sites.entry.add_visit(caller, patient_id, values, reason=reason, confirm=confirm)
    except InvalidInputError as exc:
        patient = jsonable(sites.records.patient(caller, patient_id))
        fields = sites.forms.fields("visits")
        errors, warnings, others = split_problems(
            "visits", exc.problems, {f["name"] for f in fields}
        )
        return _render(
            request,
            "visit_form.html",
            caller,
            status_code=422,
            patient=patient,
            values={**form, "reason": reason},
            errors=errors,
            warnings=warnings if isinstance(exc, UnconfirmedError) else {},
            others=others,
            date_field=next(f for f in fields if f["name"] == "visit_date"),
            groups=entry_groups(fields),
        )
    return RedirectResponse(f"/patients/{quote(patient_id, safe='')}?saved=visit", status_code=303)


@router.post("/patients/{patient_id}/visits/preview")
async def visit_preview(
    patient_id: str,
    request: Request,
    sites: Sites,
) -> Response:
    """Validation messages and the TIS of a visit being typed; writes nothing."""
    caller = _caller(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    _check_csrf(request, form.pop("csrf", ""))
    form.pop("reason", None)
    values = {k: v for k, v in form.items() if v.strip() != ""}
    result = jsonable(sites.entry.preview_visit(caller, patient_id, values))
    # each problem in words, beside its field (the labels of every form)
    result["problems"] = [
        {**p, "label": field_label("visits", p["column"]) if p["column"] else ""}
        for p in result["problems"]
    ]
    return JSONResponse(result)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    sites: Sites,
    patient_id: str | None = None,
    user: str | None = None,
    table: str | None = None,
    since: str | None = None,
    until: str | None = None,
    cursor: str | None = None,
) -> Response:
    caller = _caller(request)
    page = sites.records.audit_page(caller, patient_id, user, table, since, until, cursor)
    filters = {"patient_id": patient_id, "user": user, "table": table}
    filters |= {"since": since, "until": until}
    return _render(
        request,
        "audit.html",
        caller,
        rows=jsonable(page.rows),
        patient_id=patient_id,
        filters={k: v or "" for k, v in filters.items()},
        next_page=_next_page(request, page.next),
    )


@router.get("/queries", response_class=HTMLResponse)
def query_page(
    request: Request,
    sites: Sites,
) -> Response:
    caller = _caller(request)
    queries = jsonable(sites.queries.queries(caller, None))
    patients = [p["patient_id"] for p in jsonable(sites.records.patients(caller))]
    return _render(
        request,
        "queries.html",
        caller,
        queries=queries,
        patients=patients,
        fields=query_fields(),
    )


@router.post("/queries")
def query_open(
    request: Request,
    sites: Sites,
    patient_id: str = Form(...),
    question: str = Form(...),
    visit_date: str = Form(""),
    field: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    caller = _caller(request)
    _check_csrf(request, csrf)
    sites.queries.open_query(caller, patient_id, question, visit_date or None, field or None)
    return RedirectResponse("/queries", status_code=303)


@router.post("/queries/{query_id}/answer")
def query_answer(
    query_id: QueryId,
    request: Request,
    sites: Sites,
    answer: str = Form(...),
    csrf: str = Form(""),
) -> Response:
    caller = _caller(request)
    _check_csrf(request, csrf)
    sites.queries.answer_query(caller, query_id, answer)
    return RedirectResponse("/queries", status_code=303)


@router.post("/queries/{query_id}/close")
def query_close(
    query_id: QueryId,
    request: Request,
    sites: Sites,
    csrf: str = Form(""),
) -> Response:
    caller = _caller(request)
    _check_csrf(request, csrf)
    sites.queries.close_query(caller, query_id)
    return RedirectResponse("/queries", status_code=303)


@router.get("/lots", response_class=HTMLResponse)
def lot_list(request: Request, sites: Sites) -> Response:
    """Every lot with its release status (release role, monitors, admins)."""
    caller = _caller(request)
    return _render(request, "lots.html", caller, lots=jsonable(sites.lots.lots(caller)))


@router.get("/lots/{lot}", response_class=HTMLResponse)
def lot_page(lot: str, request: Request, sites: Sites) -> Response:
    """A lot: release status against the specification, donor, infusions, events."""
    caller = _caller(request)
    return _lot_page(request, caller, jsonable(sites.lots.trace(caller, lot)))


@router.post("/lots/{lot}/release", response_class=HTMLResponse)
def lot_release(lot: str, request: Request, sites: Sites, csrf: str = Form("")) -> Response:
    """The release role's sign-off of a lot that meets its specification, audited."""
    caller = _caller(request)
    _check_csrf(request, csrf)
    try:
        sites.lots.release(caller, lot)
    except InvalidInputError as exc:
        found = jsonable(sites.lots.trace(caller, lot))
        return _lot_page(request, caller, found, status_code=422, problems=exc.problems)
    return RedirectResponse(f"/lots/{quote(lot, safe='')}?released=1", status_code=303)


def _lot_page(
    request: Request, caller: Caller, found: dict[str, Any], status_code: int = 200, **extra: Any
) -> HTMLResponse:
    record = found["lot"]
    settled = "true" in (record.get("released"), record.get("recalled"))
    releasable = caller.releases_lots and not settled
    return _render(
        request,
        "lot.html",
        caller,
        status_code=status_code,
        found=found,
        lot=record,
        can_release=releasable,
        released_now=request.query_params.get("released") == "1",
        **{"problems": [], **extra},
    )
