"""Nothing about another site leaks through an answer: its queries look like none."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.server.conftest import token


@pytest.fixture
def b_query(client: TestClient) -> int:
    """A query the monitor opened about site B's patient."""
    opened = client.post(
        "/api/queries",
        headers=token(client, "monitor"),
        json={"patient_id": "B-01", "question": "please confirm the CK"},
    )
    assert opened.status_code == 201
    return int(opened.json()["id"])


@pytest.mark.parametrize("action", ["answer", "close"])
def test_another_sites_query_answers_like_a_missing_one(
    client: TestClient, b_query: int, action: str
) -> None:
    headers = token(client, "inv_a")
    other = client.post(f"/api/queries/{b_query}/{action}", headers=headers, json={"answer": "x"})
    missing = client.post(f"/api/queries/999999/{action}", headers=headers, json={"answer": "x"})
    assert other.status_code == missing.status_code
    assert "B-01" not in other.text
    assert other.json()["detail"].replace(str(b_query), "N") == missing.json()["detail"].replace(
        "999999", "N"
    )


def test_another_sites_query_is_not_listed(client: TestClient, b_query: int) -> None:
    listed = client.get("/api/queries", headers=token(client, "inv_a")).json()
    assert b_query not in [q["id"] for q in listed]
    assert "B-01" not in str(listed)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/patients/{p}"),
        ("get", "/api/patients/{p}/scores"),
        ("get", "/api/audit?patient_id={p}"),
    ],
)
def test_another_sites_patient_answers_like_a_missing_one(
    client: TestClient, method: str, path: str
) -> None:
    headers = token(client, "inv_a")
    other = client.request(method, path.format(p="B-01"), headers=headers)
    missing = client.request(method, path.format(p="Z-99"), headers=headers)
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"].replace("B-01", "X") == missing.json()["detail"].replace(
        "Z-99", "X"
    )
