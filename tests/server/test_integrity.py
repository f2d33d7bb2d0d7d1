"""The service survives a dropped database connection and never shows SQL to a caller."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

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


def test_eight_simultaneous_posts_of_one_visit_store_one_and_answer_409_naming_the_key(
    client: TestClient,
) -> None:
    """The same patient and date posted 8 times at once: one 201, seven 409 that name
    the key (before: one 201 and seven 500 from an uncaught unique violation)."""
    headers = token(client, "inv_a")
    start = threading.Barrier(8)
    body = {"visit_date": "2027-03-03", "phga": 3, "ck": 300, "confirm": True}

    def post(_: int) -> tuple[int, str]:
        start.wait()
        answer = client.post("/api/patients/A-01/visits", json=body, headers=headers)
        return answer.status_code, answer.text

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(8)))
    assert sorted(status for status, _ in answers) == [201] + [409] * 7
    assert all("A-01" in text and "2027-03-03" in text for status, text in answers if status == 409)
    visits = client.get("/api/patients/A-01", headers=headers).json()["visits"]
    assert [v["visit_date"] for v in visits].count("2027-03-03") == 1
