"""The pseudonymised export over HTTP: keyed by a secret kept in the database only."""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from fastapi.testclient import TestClient

from myotrial.server.app import create_app
from myotrial.server.settings import ServerSettings
from myotrial.services.passwords import password_hasher
from myotrial.store import sqlalchemy_url
from tests.server.conftest import forget_logins, token


def _kept_key(db_url: str) -> str:
    engine = sa.create_engine(sqlalchemy_url(db_url))
    with engine.connect() as connection:
        key = connection.execute(
            sa.text("select value from server_keys where name = 'pseudonym_key'")
        ).scalar_one()
    engine.dispose()
    return str(key)


def _pseudonym(key: str, code: str) -> str:
    return "P-" + hmac.new(key.encode(), code.encode(), hashlib.sha256).hexdigest()[:16]


def test_pseudonyms_are_keyed_by_the_secret_kept_in_the_database(
    client: TestClient, service_url: str
) -> None:
    response = client.get("/api/export/pseudonymised", headers=token(client, "stat"))
    key = _kept_key(service_url)
    assert len(key.encode()) >= 32
    assert {p["patient"] for p in response.json()["patients"]} == {
        _pseudonym(key, code) for code in ("A-01", "A-02", "B-01")
    }
    assert key not in response.text


def test_visit_and_infusion_dates_are_study_days(client: TestClient, service_url: str) -> None:
    export = client.get("/api/export/pseudonymised", headers=token(client, "monitor")).json()
    a01 = _pseudonym(_kept_key(service_url), "A-01")
    # infused 2025-01-10 (day 0); visits 2025-01-08 (day -2) and 2025-02-09 (day 30)
    days = [v["day"] for v in export["visits"] if v["patient"] == a01]
    assert days[:2] == [-2, 30]
    assert [i["day"] for i in export["infusions"] if i["patient"] == a01] == [0]
    assert export["settings"]["uln"] == {"ck": 200.0}
    assert "2025-01-10" not in str(export) and "A-01" not in str(export)


def test_the_pseudonyms_survive_a_restart(service_url: str) -> None:
    forget_logins(service_url)
    settings = ServerSettings(db_url=service_url, secret="p" * 40, secure_cookies=False)
    seen = []
    for _ in range(2):
        with TestClient(create_app(settings, password_hasher(light=True))) as client:
            export = client.get("/api/export/pseudonymised", headers=token(client, "stat"))
            seen.append(sorted(p["patient"] for p in export.json()["patients"]))
    assert seen[0] == seen[1]
