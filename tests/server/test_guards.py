"""Request guards: security headers, size limits, control characters, strict numbers and
dates, no API browser loaded from a CDN."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from myotrial.server.app import create_app
from myotrial.server.settings import ServerSettings
from tests.server.conftest import PASSWORD, forget_logins, token

HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


@pytest.mark.parametrize(
    ("method", "path", "authenticated"),
    [
        ("get", "/api/patients", True),
        ("get", "/api/patients", False),
        ("get", "/api/patients/Z-99", True),
        ("get", "/login", False),
        ("get", "/patients", False),
        ("get", "/openapi.json", False),
        ("get", "/no-such-page", False),
        ("post", "/api/auth/token", False),
    ],
)
def test_every_answer_carries_the_security_headers(
    client: TestClient, method: str, path: str, authenticated: bool
) -> None:
    headers = token(client, "admin") if authenticated else {}
    response = client.request(method, path, headers=headers)
    for name, value in HEADERS.items():
        assert response.headers[name] == value, name
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy


def test_the_entry_form_script_carries_the_pages_nonce(client: TestClient) -> None:
    login_page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login_page.text)
    assert csrf is not None
    client.post(
        "/login",
        data={"username": "inv_a", "password": PASSWORD, "csrf": csrf.group(1)},
        follow_redirects=False,
    )
    page = client.get("/patients/A-01/visits/new")
    nonce = re.search(r"script-src 'nonce-([^']+)'", page.headers["content-security-policy"])
    assert nonce is not None
    assert f'<script nonce="{nonce.group(1)}">' in page.text


def test_no_api_browser_is_served_from_a_cdn(client: TestClient) -> None:
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/api/auth/token", {"username": "inv_a\x00", "password": PASSWORD}, "body.username"),
        ("/api/queries", {"patient_id": "A-01", "question": "why\x00?"}, "body.question"),
        (
            "/api/patients/A-02/visits",
            {"visit_date": "2025-04-01", "phga": 2, "reason": "entry\x00"},
            "body.reason",
        ),
        (
            "/api/patients/A-02/corrections",
            {"visit_date": "2025-02-03", "field": "mmt8", "value": "5\x002", "reason": "x"},
            "body.value",
        ),
        ("/api/patients/A-02/visits", {"visit_date": "2025-04-01", "ph\x07ga": 2}, "body.ph\x07ga"),
    ],
)
def test_a_control_character_in_any_text_gets_422(
    client: TestClient, path: str, body: dict[str, object], where: str
) -> None:
    headers = token(client, "admin")
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["column"] == where


def test_a_lone_surrogate_in_json_gets_422(client: TestClient) -> None:
    # Valid JSON, but no database text column can store U+D800 on its own.
    response = client.post(
        "/api/queries",
        headers={**token(client, "admin"), "content-type": "application/json"},
        content=b'{"patient_id": "A-01", "question": "lone \\ud800 surrogate"}',
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["column"] == "body.question"


def test_a_control_character_in_the_path_or_query_gets_422(client: TestClient) -> None:
    headers = token(client, "admin")
    assert client.get("/api/patients/A-01%00", headers=headers).status_code == 422
    assert client.get("/api/queries?status=open%00", headers=headers).status_code == 422


def test_a_control_character_in_a_form_gets_422(client: TestClient) -> None:
    response = client.post("/login", data={"username": "a\x00", "password": "x", "csrf": "y"})
    assert response.status_code == 422
    assert "U+0000" in response.text


def test_line_breaks_in_an_answer_are_kept(client: TestClient) -> None:
    opened = client.post(
        "/api/queries",
        headers=token(client, "monitor"),
        json={"patient_id": "A-01", "question": "CK on\n2025-02-09:\r\nplease\tconfirm"},
    )
    assert opened.status_code == 201
    assert opened.json()["question"] == "CK on\n2025-02-09:\r\nplease\tconfirm"


def test_an_oversize_field_gets_422_without_being_echoed(client: TestClient) -> None:
    headers = token(client, "admin")
    reason = "r" * 10_001
    response = client.post(
        "/api/patients/A-02/visits",
        headers=headers,
        json={"visit_date": "2025-04-02", "phga": 2, "reason": reason},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["column"] == "body.reason"
    assert len(response.content) < 1000
    audit = client.get("/api/audit", params={"patient_id": "A-02"}, headers=headers).json()
    assert not [r for r in audit if r["reason"] == reason]


def test_a_long_user_name_is_refused_without_being_echoed(client: TestClient) -> None:
    response = client.post("/api/auth/token", json={"username": "u" * 5000, "password": "x"})
    assert response.status_code == 422
    assert len(response.content) < 1000


def test_a_body_over_one_mebibyte_gets_413(client: TestClient) -> None:
    body = {"username": "u" * (1024 * 1024), "password": "x"}
    assert client.post("/api/auth/token", json=body).status_code == 413


def test_a_chunked_body_over_the_limit_gets_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"username": "'
        for _ in range(17):
            yield b"u" * 65536
        yield b'", "password": "x"}'

    response = client.post(
        "/api/auth/token", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def test_the_body_limit_is_an_option(service_url: str) -> None:
    forget_logins(service_url)
    settings = ServerSettings(
        db_url=service_url, secret="b" * 40, secure_cookies=False, max_body_bytes=2048
    )
    with TestClient(create_app(settings)) as client:
        body = {"username": "inv_a", "password": PASSWORD + " " * 3000}
        assert client.post("/api/auth/token", json=body).status_code == 413
        assert (
            client.post(
                "/api/auth/token", json={"username": "inv_a", "password": PASSWORD}
            ).status_code
            == 200
        )


@pytest.mark.parametrize("number", ["99999999999999999999", str(2**31), "0", "-3"])
@pytest.mark.parametrize("action", ["answer", "close"])
def test_an_out_of_range_query_number_is_refused(
    client: TestClient, number: str, action: str
) -> None:
    response = client.post(
        f"/api/queries/{number}/{action}", headers=token(client, "admin"), json={"answer": "a"}
    )
    assert response.status_code in (404, 422)


def test_an_out_of_range_query_number_on_a_page_is_refused(client: TestClient) -> None:
    response = client.post("/queries/99999999999999999999/close", data={"csrf": "x"})
    assert response.status_code in (404, 422)


@pytest.mark.parametrize("day", ["2025-4-3", "20250403", "2025-04-03T00:00"])
def test_a_visit_date_not_written_yyyy_mm_dd_is_refused(client: TestClient, day: str) -> None:
    response = client.post(
        "/api/patients/A-02/visits",
        headers=token(client, "inv_a"),
        json={"visit_date": day, "phga": 2},
    )
    assert response.status_code == 422
    assert [p["column"] for p in response.json()["detail"]] == ["visit_date"]


@pytest.mark.parametrize("day", ["2025-2-3", "20250203"])
def test_a_correction_date_not_written_yyyy_mm_dd_is_refused(client: TestClient, day: str) -> None:
    response = client.post(
        "/api/patients/A-02/corrections",
        headers=token(client, "inv_a"),
        json={"visit_date": day, "field": "mmt8", "value": "51", "reason": "typo"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize("day", ["2025-2-9", "20250209"])
def test_a_query_date_not_written_yyyy_mm_dd_is_refused(client: TestClient, day: str) -> None:
    response = client.post(
        "/api/queries",
        headers=token(client, "monitor"),
        json={"patient_id": "A-01", "visit_date": day, "question": "?"},
    )
    assert response.status_code == 422


def _unhandled(*_: object, **__: object) -> object:
    raise RuntimeError("an unexpected failure inside a route")


@pytest.mark.parametrize("path", ["/api/patients", "/patients"])
def test_an_unhandled_failure_is_a_500_with_the_security_headers(
    service_url: str, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    forget_logins(service_url)
    settings = ServerSettings(
        db_url=service_url, secret="test-secret-" + "x" * 32, secure_cookies=False
    )
    # raise_server_exceptions=False: the client shows what a browser would receive
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        headers = token(client, "admin")
        client.cookies.set("myotrial_session", headers["Authorization"].split()[1])
        monkeypatch.setattr(client.app.state.sites.records, "patient_page", _unhandled)  # type: ignore[attr-defined]
        response = client.get(path, headers=headers)
    assert response.status_code == 500
    for name, value in HEADERS.items():
        assert response.headers[name] == value, name
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "RuntimeError" not in response.text and "Traceback" not in response.text


def test_a_framework_404_carries_the_security_headers(client: TestClient) -> None:
    response = client.get("/api/no-such-call")
    assert response.status_code == 404
    for name, value in HEADERS.items():
        assert response.headers[name] == value, name
