"""``myotrial user enable|password|role|disable``: audited, and ending sessions at once."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient

from myotrial.cli import main
from myotrial.store import open_store
from tests.server.conftest import PASSWORD, token

NEW_PASSWORD = "a brand new passphrase"


def _user(db_url: str, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["user", *args, "--db", db_url], input=stdin)


@pytest.fixture
def account(service_url: str, request: pytest.FixtureRequest) -> str:
    """A fresh monitor account, named after the test."""
    name = "u_" + request.node.name.split("[")[0][-40:]
    result = _user(
        service_url, "add", name, "--role", "monitor", "--password-stdin", stdin=PASSWORD
    )
    assert result.exit_code == 0, result.output
    return name


def _account_audit(db_url: str, name: str) -> list[tuple[str, str, str | None, str | None]]:
    store = open_store(db_url)
    try:
        audit = store.audit()
    finally:
        store.close()
    rows = audit[(audit["table"] == "users") & (audit["key"] == name)]
    return [
        (r.action, r.field, r.old_value, r.new_value)  # type: ignore[misc]
        for r in rows.itertuples()
    ]


def test_disabling_ends_sessions_that_enabling_does_not_revive(
    client: TestClient, service_url: str, account: str
) -> None:
    headers = token(client, account)
    assert _user(service_url, "disable", account).exit_code == 0
    assert client.get("/api/patients", headers=headers).status_code == 401
    result = _user(service_url, "enable", account)
    assert result.exit_code == 0 and f"enabled user {account}" in result.output
    assert client.get("/api/patients", headers=headers).status_code == 401
    assert client.get("/api/patients", headers=token(client, account)).status_code == 200
    assert _account_audit(service_url, account) == [
        ("add", "role", None, "monitor"),
        ("disable", "active", "true", "false"),
        ("enable", "active", "false", "true"),
    ]


def test_a_new_password_ends_sessions_and_replaces_the_old_one(
    client: TestClient, service_url: str, account: str
) -> None:
    headers = token(client, account)
    result = _user(service_url, "password", account, "--password-stdin", stdin=NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert "1 session ended" in result.output
    assert client.get("/api/patients", headers=headers).status_code == 401
    body = {"username": account, "password": PASSWORD}
    assert client.post("/api/auth/token", json=body).status_code == 401
    body["password"] = NEW_PASSWORD
    assert client.post("/api/auth/token", json=body).status_code == 200
    assert _account_audit(service_url, account)[-1] == ("password", "password", None, None)


def test_a_new_role_ends_sessions_and_applies_at_the_next_login(
    client: TestClient, service_url: str, account: str
) -> None:
    headers = token(client, account)
    assert len(client.get("/api/patients", headers=headers).json()) == 3
    result = _user(service_url, "role", account, "--role", "investigator", "--site", "B")
    assert result.exit_code == 0, result.output
    assert f"{account} is now investigator, site B" in result.output
    assert client.get("/api/patients", headers=headers).status_code == 401
    patients = client.get("/api/patients", headers=token(client, account)).json()
    assert [p["patient_id"] for p in patients] == ["B-01"]
    assert _account_audit(service_url, account)[-2:] == [
        ("role", "role", "monitor", "investigator"),
        ("role", "site", None, "B"),
    ]


def test_a_short_new_password_is_refused_with_exit_2(service_url: str, account: str) -> None:
    result = _user(service_url, "password", account, "--password-stdin", stdin="short")
    assert result.exit_code == 2
    assert "at least 8 characters" in result.output


def test_an_investigator_without_a_site_is_refused(service_url: str, account: str) -> None:
    result = _user(service_url, "role", account, "--role", "investigator")
    assert result.exit_code == 2
    assert "required for an investigator" in result.output


@pytest.mark.parametrize(
    "args",
    [("enable", "ghost"), ("role", "ghost", "--role", "monitor"), ("disable", "ghost")],
)
def test_changing_an_unknown_user_says_so(service_url: str, args: tuple[str, ...]) -> None:
    result = _user(service_url, *args)
    assert result.exit_code == 1
    assert "user 'ghost' does not exist" in result.output
