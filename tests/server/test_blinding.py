"""Blinding: a blinded role never sees an arm, through any route of the service.

Every route of the application (``app.routes``, so routes added later are walked too)
is called by every blinded role, as JSON with a bearer token and as a page with a
session, with path parameters naming a patient whose arm is stored; no answer may hold
an arm's name or an ``arm`` field with a value. An assessor-blinded trial blinds the
outcome assessor; a double-blind one everyone who sees patients but the unblinded
statistician. The one exception is the emergency unblinding, which shows the arm to
the one user who asked (docs/server.md, *Blinding*), tested on its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from myotrial.domain import ARMS
from tests.server.conduct import CONDUCT_TOML, CONDUCT_USERS, conduct_trial, enrolment
from tests.server.conftest import BACKENDS, PASSWORD, service_client, service_database, token

DOUBLE = CONDUCT_TOML.replace('mode = "assessor"', 'mode = "double"')
UNBLIND = "/api/patients/{patient_id}/unblind"
"""The one route that shows the arm to a blinded caller (its own test below)."""
ARM_NAMES = re.compile(r"\b(?:" + "|".join(ARMS) + r")\b")
BODIES: dict[str, dict[str, Any]] = {
    "/api/patients/{patient_id}/visits": {"visit_date": "2026-11-20", "phga": 4, "mmt8": 62},
    "/api/patients/{patient_id}/corrections": {
        "visit_date": "2016-05-20",
        "field": "phga",
        "value": 5,
        "reason": "source check",
    },
    "/api/patients/{patient_id}/consent/withdraw": {"reason": "walk"},
    "/api/queries": {"patient_id": "R000001", "question": "please confirm the CK"},
    "/api/queries/{query_id}/answer": {"answer": "confirmed"},
    "/api/interim/{kind}": {"plan": {"endpoint": "response"}},
}
"""Bodies of the writing routes; any other route is sent ``{}``."""


@pytest.fixture(scope="module", params=BACKENDS)
def double_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = service_database(request, tmp_path_factory, conduct_trial(DOUBLE), CONDUCT_USERS)
    with service_client(url) as client:
        _set_up(client)
    return url


@pytest.fixture(scope="module", params=BACKENDS)
def assessor_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = service_database(request, tmp_path_factory, conduct_trial(), CONDUCT_USERS)
    with service_client(url) as client:
        _set_up(client)
    return url


def _set_up(client: TestClient) -> None:
    """The sealed list, a query, an alert and a randomised patient per walking user."""
    stat = token(client, "unblinded")
    assert (
        client.post("/api/randomisation/setup", headers=stat, json={"seed": 4}).status_code == 201
    )
    admin = token(client, "admin")
    for user in [*CONDUCT_USERS, "enrolled"]:
        form = enrolment(f"W-{user}", site="1")
        assert client.post("/api/patients", headers=admin, json=form).status_code == 201
    done = client.post("/api/patients/W-enrolled/randomise", headers=admin)
    assert done.status_code == 200
    query = {"patient_id": "R000001", "question": "CK?", "field": "ck"}
    assert (
        client.post("/api/queries", headers=token(client, "monitor"), json=query).status_code == 201
    )
    reason = {"reason": "set-up"}
    assert (
        client.post("/api/patients/W-enrolled/unblind", headers=admin, json=reason).status_code
        == 200
    )


def _parameters(user: str) -> dict[str, str]:
    return {
        "patient_id": "R000001",
        "query_id": "1",
        "alert_id": "1",
        "lot": "L1",
        "kind": "closed",
    }


def _path(route: APIRoute, user: str) -> str:
    values = _parameters(user)
    if route.path.endswith("/randomise"):
        values["patient_id"] = f"W-{user}"  # a patient not yet randomised
    return route.path.format(**{name: values.get(name, "1") for name in route.param_convertors})


def _bodies(client: TestClient, user: str, headers: dict[str, str]) -> dict[str, Any]:
    """:data:`BODIES`, with a login, an enrolment and a correction of a stored visit."""
    record = client.get("/api/patients/R000001", headers=token(client, "admin")).json()
    correction = {**BODIES["/api/patients/{patient_id}/corrections"]}
    correction["visit_date"] = record["visits"][0]["visit_date"]
    return {
        **BODIES,
        "/api/auth/token": {"username": user, "password": PASSWORD},
        "/api/patients": enrolment(f"N-{user}", site="1"),
        "/api/patients/{patient_id}/corrections": correction,
    }


def _page_login(client: TestClient, user: str) -> str:
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    answer = client.post(
        "/login",
        data={"username": user, "password": PASSWORD, "csrf": csrf.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = client.get("/patients")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    return found.group(1) if found else ""


def _routes(routes: Iterable[Any]) -> list[APIRoute]:
    """Every route of the application, those of included routers too."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # an included router (FastAPI >= 0.165)
            found += _routes(route.original_router.routes)
    return found


def _arm_fields(value: Any) -> list[Any]:
    """Values of every ``arm`` field inside a JSON answer."""
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == "arm" and v is not None] + [
            a for v in value.values() for a in _arm_fields(v)
        ]
    if isinstance(value, list):
        return [a for v in value for a in _arm_fields(v)]
    return []


def _walk(client: TestClient, user: str) -> list[tuple[str, str, int, str]]:
    """Call every route as ``user``; return (method, path, status, text) of each."""
    csrf = _page_login(client, user)
    headers = token(client, user)
    answers = []
    routes = [r for r in _routes(client.app.routes) if r.path != UNBLIND]
    # a withdrawal stops entry, logging out ends the walk's session: those go last
    routes.sort(key=lambda r: ("logout" in r.path, "withdraw" in r.path))
    bodies = _bodies(client, user, headers)
    assert len(routes) >= 30
    for route in routes:
        for method in sorted(route.methods):
            path = _path(route, user)
            if route.path.startswith("/api"):
                body = bodies.get(route.path, {})
                answer = client.request(
                    method, path, headers=headers, json=body if method == "POST" else None
                )
            else:
                data = {"csrf": csrf, "patient_id": "R000001", "question": "x", "answer": "x"}
                answer = client.request(
                    method, path, data=data if method == "POST" else None, follow_redirects=False
                )
            answers.append((method, path, answer.status_code, answer.text))
    lost = [a[:3] for a in answers if a[2] == 401 and "logout" not in a[1]]
    assert lost == [], "the walk lost its session"
    pages = [a[2] for a in answers if a[:2] == ("GET", "/patients")]
    assert pages in ([200], [403]), "no page session"  # a redirect would be to /login
    return answers


def _leaks(answers: list[tuple[str, str, int, str]]) -> list[str]:
    found = []
    for method, path, status, text in answers:
        assert status < 500, f"{method} {path}: {status} {text[:300]}"
        if ARM_NAMES.search(text):
            found.append(f"{method} {path} ({status}): names an arm")
        try:
            parsed = json.loads(text)
        except ValueError:
            continue
        if _arm_fields(parsed):
            found.append(f"{method} {path} ({status}): has an arm field")
    return found


@pytest.mark.parametrize("user", ["admin", "inv_1", "assessor_1", "monitor", "stat"])
def test_no_route_shows_an_arm_to_a_role_a_double_blind_trial_blinds(
    double_url: str, user: str
) -> None:
    with service_client(double_url) as client:
        assert _leaks(_walk(client, user)) == []


def test_no_route_shows_an_arm_to_the_assessor_of_an_assessor_blinded_trial(
    assessor_url: str,
) -> None:
    with service_client(assessor_url) as client:
        assert _leaks(_walk(client, "assessor_1")) == []


def test_the_walk_finds_the_arms_an_unblinded_role_may_see(assessor_url: str) -> None:
    # the positive control: the same walk, as an investigator of an assessor-blinded
    # trial, meets the arms in the patient list, the patient's page and the audit trail
    with service_client(assessor_url) as client:
        leaks = _leaks(_walk(client, "inv_1"))
    assert any("GET /api/patients/R000001 " in leak for leak in leaks), leaks
    assert any("GET /patients " in leak for leak in leaks)
    assert any("/api/audit" in leak for leak in leaks)


def test_emergency_unblinding_shows_the_arm_to_that_user_only(double_url: str) -> None:
    with service_client(double_url) as client:
        stat = token(client, "unblinded")
        alerts_before = len(client.get("/api/alerts", headers=stat).json())
        headers = token(client, "inv_1")
        no_reason = client.post(
            "/api/patients/R000002/unblind", headers=headers, json={"reason": " "}
        )
        assert no_reason.status_code == 422
        other_site = client.post(
            "/api/patients/R000002/unblind", headers=token(client, "inv_2"), json={"reason": "x"}
        )
        assert other_site.status_code == 404
        assessor = client.post(
            "/api/patients/R000002/unblind",
            headers=token(client, "assessor_1"),
            json={"reason": "x"},
        )
        assert assessor.status_code == 403
        stored = client.get("/api/randomisation/list", headers=stat).json()
        answer = client.post(
            "/api/patients/R000002/unblind",
            headers=headers,
            json={"reason": "anaphylaxis: treating physician must know"},
        )
        assert answer.status_code == 200
        assert answer.json()["arm"] in ARMS
        assert "arm" not in client.get("/api/patients/R000002", headers=headers).json()
        for user in ("inv_1", "monitor", "admin"):
            audit = client.get("/api/audit?patient_id=R000002", headers=token(client, user))
            assert not ARM_NAMES.search(audit.text)
        rows = client.get("/api/audit?patient_id=R000002", headers=headers).json()
        unblinding = [r for r in rows if r["table"] == "unblinding"]
        assert [(r["user"], r["reason"]) for r in unblinding] == [
            ("inv_1", "anaphylaxis: treating physician must know")
        ]
        alerts = client.get("/api/alerts", headers=stat).json()
        assert len(alerts) == alerts_before + 1
        assert (alerts[0]["kind"], alerts[0]["patient_id"]) == ("unblinding", "R000002")
        assert not ARM_NAMES.search(alerts[0]["message"])
        assert client.get("/api/alerts", headers=token(client, "monitor")).json() == []
        assert stored["setup"] is not None
