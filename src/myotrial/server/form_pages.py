"""The web pages of the clinical forms, corrections, signatures, the schedule and the lock.

Every form shows each problem next to its field, in words (the labels of
:mod:`myotrial.services.labels`), keeps what the user typed, prints each input's unit,
and confirms a saved entry on the patient's page. A soft check turns the form into a
confirm step: the values stay, each unusual one says why, and a ticked box saves them.
Pages work without JavaScript and carry the session's CSRF token like the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from myotrial.errors import InvalidInputError, Problem, UnconfirmedError
from myotrial.server.deps import Sites, attempt_login
from myotrial.server.pages import _caller, _check_csrf, _render
from myotrial.server.problems import split_problems
from myotrial.server.serialise import jsonable

router = APIRouter(include_in_schema=False)

ROW_FORMS: dict[str, tuple[str, str]] = {
    "infusion": ("infusions", "Infusion"),
    "adverse-event": ("adverse_events", "Adverse event"),
    "event": ("events", "Trial event"),
}
"""The address of each row form: its table and its title."""

CORRECTED: tuple[tuple[str, str], ...] = (
    ("visits", "Visit"),
    ("patients", "Patient"),
    ("infusions", "Infusion"),
    ("adverse_events", "Adverse event"),
    ("events", "Trial event"),
)
"""The forms whose values the correction page offers, with their titles."""


def _back(patient_id: str, saved: str) -> RedirectResponse:
    return RedirectResponse(f"/patients/{quote(patient_id, safe='')}?saved={saved}", 303)


async def _form(request: Request) -> dict[str, str]:
    form = {k: str(v) for k, v in (await request.form()).items()}
    _check_csrf(request, form.pop("csrf", ""))
    return form


@router.get("/patients/{patient_id}/forms/{kind}", response_class=HTMLResponse)
def row_form(patient_id: str, kind: str, request: Request, sites: Sites) -> Response:
    caller = _caller(request)
    table, title = _row_form(kind)
    patient = jsonable(sites.records.patient(caller, patient_id))
    return _render(
        request,
        "row_form.html",
        caller,
        patient=patient,
        title=title,
        action=f"/patients/{quote(patient_id, safe='')}/forms/{kind}",
        fields=sites.forms.fields(table),
        values={},
        errors={},
        warnings={},
        others=[],
    )


@router.post("/patients/{patient_id}/forms/{kind}", response_class=HTMLResponse)
async def row_submit(patient_id: str, kind: str, request: Request, sites: Sites) -> Response:
    caller = _caller(request)
    table, title = _row_form(kind)
    form = await _form(request)
    confirm = form.pop("confirm", "") == "1"
    reason = form.pop("reason", "") or "data entry"
    values = {k: v for k, v in form.items() if v.strip() != ""}
    try:
        sites.forms.add_row(caller, patient_id, table, values, reason, confirm)
    except InvalidInputError as exc:
        fields = sites.forms.fields(table)
        errors, warnings, others = split_problems(table, exc.problems, {f["name"] for f in fields})
        patient = jsonable(sites.records.patient(caller, patient_id))
        return _render(
            request,
            "row_form.html",
            caller,
            status_code=422,
            patient=patient,
            title=title,
            action=f"/patients/{quote(patient_id, safe='')}/forms/{kind}",
            fields=fields,
            values={**form, "reason": reason},
            errors=errors,
            warnings=warnings if isinstance(exc, UnconfirmedError) else {},
            others=others,
        )
    return _back(patient_id, kind)


def _row_form(kind: str) -> tuple[str, str]:
    if kind not in ROW_FORMS:
        raise InvalidInputError(
            [Problem("request", None, "form", kind, f"is not one of {', '.join(ROW_FORMS)}")]
        )
    return ROW_FORMS[kind]


@router.get("/patients/{patient_id}/corrections/new", response_class=HTMLResponse)
def correction_form(
    patient_id: str, request: Request, sites: Sites, table: str = "visits"
) -> Response:
    caller = _caller(request)
    return _correction_page(request, sites, caller, patient_id, table, {}, [])


@router.post("/patients/{patient_id}/corrections/new", response_class=HTMLResponse)
async def correction_submit(patient_id: str, request: Request, sites: Sites) -> Response:
    caller = _caller(request)
    form = await _form(request)
    table = form.get("table", "visits")
    key = _row_key(table, form.get("row", ""))
    try:
        sites.entry.correct(
            caller,
            patient_id,
            key.get("visit_date", ""),
            form.get("field", ""),
            form.get("value", ""),
            form.get("reason", ""),
            table=table,
            key=key,
            confirm=form.get("confirm") == "1",
        )
    except InvalidInputError as exc:
        soft = isinstance(exc, UnconfirmedError)
        problems = exc.problems
        return _correction_page(request, sites, caller, patient_id, table, form, problems, soft)
    return _back(patient_id, "correction")


def _correction_page(
    request: Request,
    sites: Sites,
    caller: Any,
    patient_id: str,
    table: str,
    values: dict[str, str],
    problems: Sequence[Problem],
    soft: bool = False,
) -> Response:
    table = table if table in dict(CORRECTED) else "visits"
    patient = jsonable(sites.records.patient(caller, patient_id))
    fields = [f for f in sites.forms.fields(table) if f["name"] not in _key_columns(table)]
    fields = [f for f in fields if f["name"] != "cells_infused"]
    # a problem of the value names the corrected column: it belongs beside "New value"
    chosen = values.get("field", "")
    errors, warnings, others = split_problems(
        table, problems, {chosen, "field", "reason", "row", "visit_date"}
    )
    for found in (errors, warnings):
        if chosen in found and chosen not in ("field", "reason", "row"):
            found["value"] = found.pop(chosen)
    if "visit_date" in errors:
        errors["row"] = errors.pop("visit_date")
    return _render(
        request,
        "correction_form.html",
        caller,
        status_code=422 if problems else 200,
        patient=patient,
        table=table,
        tables=CORRECTED,
        rows=_rows_of(patient, table),
        fields=fields,
        values=values,
        errors=errors,
        warnings=warnings if soft else {},
        others=others,
    )


_KEYS: dict[str, tuple[str, ...]] = {
    "visits": ("visit_date",),
    "patients": (),
    "infusions": ("infusion_date", "lot"),
    "adverse_events": ("onset_date", "term"),
    "events": ("event_date", "type"),
}


def _key_columns(table: str) -> tuple[str, ...]:
    return ("patient_id", *_KEYS.get(table, ()))


def _rows_of(patient: dict[str, Any], table: str) -> list[tuple[str, str]]:
    """The rows a correction may choose, as (key text, words)."""
    if table == "patients":
        return []
    columns = _KEYS[table]
    rows = []
    for row in patient.get(table, []):
        parts = ["" if row.get(c) is None else str(row.get(c)) for c in columns]
        rows.append(("|".join(parts), " · ".join(p for p in parts if p)))
    return rows


def _row_key(table: str, text: str) -> dict[str, str]:
    return dict(zip(_KEYS.get(table, ()), text.split("|"), strict=False)) if text else {}


@router.post("/patients/{patient_id}/sign")
def sign(
    patient_id: str,
    request: Request,
    sites: Sites,
    password: str = Form(""),
    meaning: str = Form("approval"),
    csrf: str = Form(""),
) -> Response:
    caller = _caller(request)
    _check_csrf(request, csrf)

    def password_ok(user: str, word: str) -> bool:
        return attempt_login(request, user, word).user is not None

    sites.casebooks.sign(caller, patient_id, password, meaning, password_ok)
    return _back(patient_id, "signed")


@router.post("/patients/{patient_id}/unlock")
def unlock(
    patient_id: str,
    request: Request,
    sites: Sites,
    reason: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    caller = _caller(request)
    _check_csrf(request, csrf)
    sites.casebooks.unlock(caller, patient_id, reason)
    return _back(patient_id, "unlocked")


@router.post("/patients/{patient_id}/randomise")
def randomise(patient_id: str, request: Request, sites: Sites, csrf: str = Form("")) -> Response:
    caller = _caller(request)
    _check_csrf(request, csrf)
    # the use case of POST /api/patients/{id}/randomise; the page then shows the
    # allocation it stored, the arm only to a role the trial does not blind
    sites.randomisation.randomise(caller, patient_id)
    return _back(patient_id, "randomised")


@router.get("/schedule", response_class=HTMLResponse)
def schedule_page(request: Request, sites: Sites, site: str = "") -> Response:
    caller = _caller(request)
    rows = jsonable(sites.schedules.schedule(caller))
    sites_list = sorted({str(r["site"]) for r in rows}) if caller.sees_all_sites else []
    chosen = site if caller.sees_all_sites else caller.site or ""
    if chosen:
        rows = [r for r in rows if str(r["site"]) == chosen]
    by_status: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_status.setdefault(row["status"], []).append(row)
    return _render(
        request,
        "schedule.html",
        caller,
        by_status=by_status,
        site=chosen,
        sites_list=sites_list,
        today=dt.date.today().isoformat(),
    )


@router.get("/trial", response_class=HTMLResponse)
def trial_page(request: Request, sites: Sites) -> Response:
    caller = _caller(request)
    lock = jsonable(sites.casebooks.trial_state(caller))
    return _render(request, "trial.html", caller, lock=lock)


@router.post("/trial/lock")
def trial_lock(
    request: Request, sites: Sites, reason: str = Form(""), csrf: str = Form("")
) -> Response:
    caller = _caller(request)
    _check_csrf(request, csrf)
    sites.casebooks.lock_trial(caller, reason)
    return RedirectResponse("/trial", status_code=303)


@router.post("/trial/unlock")
def trial_unlock(
    request: Request, sites: Sites, reason: str = Form(""), csrf: str = Form("")
) -> Response:
    caller = _caller(request)
    _check_csrf(request, csrf)
    sites.casebooks.unlock_trial(caller, reason)
    return RedirectResponse("/trial", status_code=303)
