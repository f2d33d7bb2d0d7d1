"""Every myotrial error gets the HTTP status its class names; none leaks SQL or a trace."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from myotrial.errors import (
    AnalysisError,
    ExportError,
    MyotrialError,
    NotFoundError,
    PdfError,
    StoreError,
)
from tests.server.conftest import token

LEAKY = (
    "cannot read the trial: (psycopg.errors.UndefinedTable) relation missing\n"
    "[SQL: SELECT patients.patient_id FROM patients WHERE patients.site = %(site_1)s]\n"
    "[parameters: {'site_1': 'A'}] postgresql://myotrial:hunter2@db/trial"
)


def _failing(error: MyotrialError) -> object:
    def fail(*_: object, **__: object) -> object:
        raise error

    return fail


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (AnalysisError("no follow-up visit to score"), 422),
        (ExportError("dataset name too long"), 422),
        (PdfError("no PDF engine"), 503),
        (NotFoundError("patient 'X' does not exist"), 404),
        (MyotrialError("cannot be done"), 400),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_a_myotrial_error_is_answered_with_its_status_not_500(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, error: MyotrialError, status: int
) -> None:
    headers = token(client, "admin")
    monkeypatch.setattr(client.app.state.sites.records, "patient_page", _failing(error))  # type: ignore[attr-defined]
    response = client.get("/api/patients", headers=headers)
    assert response.status_code == status
    assert response.json() == {"detail": str(error)}


def test_database_failure_answers_503_without_sql_parameters_or_url(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = token(client, "admin")
    monkeypatch.setattr(client.app.state.sites.records, "patient_page", _failing(StoreError(LEAKY)))  # type: ignore[attr-defined]
    response = client.get("/api/patients", headers=headers)
    assert response.status_code == 503
    for secret in ("SELECT", "site_1", "hunter2", "psycopg", "Traceback"):
        assert secret not in response.text
    assert response.json()["detail"] == StoreError.public_message


def test_database_failure_on_a_page_shows_no_sql_either(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    login = client.get("/login")
    nonce = login.cookies.get("myotrial_login_csrf")
    client.post(
        "/login",
        data={"username": "admin", "password": "correct horse battery", "csrf": nonce},
        follow_redirects=False,
    )
    monkeypatch.setattr(client.app.state.sites.records, "patient_page", _failing(StoreError(LEAKY)))  # type: ignore[attr-defined]
    response = client.get("/patients")
    assert response.status_code == 503
    assert "SELECT" not in response.text and "hunter2" not in response.text


def test_missing_token_answers_401_with_the_bearer_challenge(client: TestClient) -> None:
    response = client.get("/api/patients")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
