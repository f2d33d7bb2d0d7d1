"""The service survives a dropped database connection and never shows SQL to a caller."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from myotrial.store import pages, sqlalchemy_url
from tests.server.conftest import token


@pytest.mark.postgres
@pytest.mark.parametrize("service_url", ["postgres"], indirect=True)
def test_the_service_recovers_when_the_server_drops_its_connections(
    client: TestClient, service_url: str
) -> None:
    headers = token(client, "inv_a")
    assert client.get("/api/patients", headers=headers).status_code == 200
    engine = sa.create_engine(sqlalchemy_url(service_url))
    with engine.connect() as connection:
        killed = connection.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    engine.dispose()
    assert killed >= 1
    answers = [client.get("/api/patients", headers=headers).status_code for _ in range(5)]
    assert answers == [200] * 5


def test_a_database_failure_is_answered_503_without_sql_or_parameters(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = token(client, "inv_a")

    def dropped(*_: object) -> None:
        raise sa.exc.OperationalError(
            "SELECT patient_id FROM patients WHERE site = %(site)s",
            {"site": "secret-site-parameter"},
            ConnectionError("server closed the connection unexpectedly"),
        )

    monkeypatch.setattr(pages, "patient_page", dropped)
    response = client.get("/api/patients", headers=headers)
    assert response.status_code == 503
    assert "SELECT" not in response.text
    assert "secret-site-parameter" not in response.text
    assert "Traceback" not in response.text
