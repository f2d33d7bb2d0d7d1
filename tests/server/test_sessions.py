"""Sessions: logging out ends a token, secrets are long and shared by every process."""

from __future__ import annotations

import re
from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from myotrial.cli import main
from myotrial.errors import ConfigError
from myotrial.server.app import create_app
from myotrial.server.settings import ServerSettings
from myotrial.services.passwords import password_hasher
from tests.server.conftest import PASSWORD, forget_logins, token

LIGHT = password_hasher(light=True)


def _page_login(client: TestClient, user: str) -> str:
    """Log in through the form; return the session cookie."""
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    response = client.post(
        "/login",
        data={"username": user, "password": PASSWORD, "csrf": csrf.group(1)},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/patients"
    return str(client.cookies["myotrial_session"])


def test_logging_out_ends_the_bearer_token(client: TestClient) -> None:
    headers = token(client, "inv_a")
    assert client.get("/api/patients", headers=headers).status_code == 200
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/patients", headers=headers).status_code == 401


def test_logging_out_ends_the_session_cookie(client: TestClient) -> None:
    cookie = _page_login(client, "inv_a")
    page = client.get("/patients")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert page.status_code == 200 and csrf is not None
    client.post("/logout", data={"csrf": csrf.group(1)}, follow_redirects=False)
    client.cookies.set("myotrial_session", cookie)  # the old cookie, kept by an attacker
    assert client.get("/patients", follow_redirects=False).headers["location"] == "/login"
    bearer = {"Authorization": f"Bearer {cookie}"}
    assert client.get("/api/patients", headers=bearer).status_code == 401


def test_logging_out_leaves_other_sessions_alone(client: TestClient) -> None:
    first, second = token(client, "inv_a"), token(client, "inv_a")
    client.post("/api/auth/logout", headers=first)
    assert client.get("/api/patients", headers=second).status_code == 200


@pytest.mark.parametrize("secret", ["abc", "x" * 31])
def test_a_secret_under_32_bytes_is_refused(secret: str) -> None:
    with pytest.raises(ConfigError, match="at least 32"):
        ServerSettings(db_url="sqlite://", secret=secret)


def test_serve_refuses_a_short_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server started with a 3-byte secret")

    monkeypatch.setattr(uvicorn, "run", never)
    result = CliRunner().invoke(
        main, ["serve", "--db", f"sqlite:///{tmp_path / 't.db'}"], env={"MYOTRIAL_SECRET": "abc"}
    )
    assert result.exit_code == 2
    assert "MYOTRIAL_SECRET" in result.output and "at least 32" in result.output


def test_a_token_forged_with_a_guessed_secret_is_refused(client: TestClient) -> None:
    forged = jwt.encode(
        {"sub": "admin", "role": "admin", "sid": "x", "iat": 0, "exp": 2**40}, "abc", "HS256"
    )
    response = client.get("/api/users", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_without_a_secret_every_process_and_restart_accepts_the_same_tokens(
    service_url: str,
) -> None:
    forget_logins(service_url)
    settings = ServerSettings(db_url=service_url, secure_cookies=False)
    with TestClient(create_app(settings, LIGHT)) as first:
        headers = token(first, "monitor")
        with TestClient(create_app(settings, LIGHT)) as second:
            assert second.get("/api/patients", headers=headers).status_code == 200
    with TestClient(create_app(settings, LIGHT)) as restarted:
        assert restarted.get("/api/patients", headers=headers).status_code == 200
