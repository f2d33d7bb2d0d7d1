"""The JSON API: authentication, roles, site isolation, entry, corrections, audit, queries."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.server.conftest import token


def test_unauthenticated_calls_get_401(client: TestClient) -> None:
    for path in ("/api/patients", "/api/patients/A-01", "/api/audit", "/api/queries"):
        assert client.get(path).status_code == 401


def test_login_returns_a_bearer_token(client: TestClient) -> None:
    response = client.post(
        "/api/auth/token", json={"username": "inv_a", "password": "correct horse battery"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["access_token"].count(".") == 2


def test_wrong_password_is_refused(client: TestClient) -> None:
    response = client.post("/api/auth/token", json={"username": "inv_a", "password": "nope"})
    assert response.status_code == 401


def test_failed_logins_are_rate_limited(client: TestClient) -> None:
    for _ in range(5):
        client.post("/api/auth/token", json={"username": "inv_b", "password": "wrong"})
    response = client.post(
        "/api/auth/token", json={"username": "inv_b", "password": "correct horse battery"}
    )
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0


def test_a_forged_token_is_refused(client: TestClient) -> None:
    headers = {"Authorization": "Bearer a.b.c"}
    assert client.get("/api/patients", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("inv_a", ["A-01", "A-02"]),
        ("inv_b", ["B-01"]),
        ("monitor", ["A-01", "A-02", "B-01"]),
        ("admin", ["A-01", "A-02", "B-01"]),
    ],
)
def test_patient_list_shows_only_what_the_caller_may_see(
    client: TestClient, user: str, expected: list[str]
) -> None:
    response = client.get("/api/patients", headers=token(client, user))
    assert sorted(p["patient_id"] for p in response.json()) == expected


def test_statistician_cannot_read_identified_patients(client: TestClient) -> None:
    assert client.get("/api/patients", headers=token(client, "stat")).status_code == 403


def test_statistician_reads_the_pseudonymised_export(client: TestClient) -> None:
    response = client.get("/api/export/pseudonymised", headers=token(client, "stat"))
    assert response.status_code == 200
    ids = {row["patient"] for row in response.json()["visits"]}
    assert len(ids) == 3 and all(i.startswith("P-") for i in ids)
    assert "site" not in response.json()["visits"][0]


def test_another_sites_patient_is_not_found_not_forbidden(client: TestClient) -> None:
    headers = token(client, "inv_a")
    other = client.get("/api/patients/B-01", headers=headers)
    missing = client.get("/api/patients/Z-99", headers=headers)
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"].replace("B-01", "X") == missing.json()["detail"].replace(
        "Z-99", "X"
    )


def test_investigator_enters_a_visit_at_their_site(client: TestClient) -> None:
    headers = token(client, "inv_a")
    response = client.post(
        "/api/patients/A-02/visits",
        headers=headers,
        json={"visit_date": "2025-03-07", "phga": 2.5, "mmt8": 66, "ck": 250, "reason": "month 1"},
    )
    assert response.status_code == 201, response.text
    patient = client.get("/api/patients/A-02", headers=headers).json()
    assert [v["visit_date"] for v in patient["visits"]] == ["2025-02-03", "2025-03-07"]
    audit = client.get("/api/audit", params={"patient_id": "A-02"}, headers=headers).json()
    inserted = [r for r in audit if r["action"] == "insert" and r["user"] == "inv_a"]
    assert inserted and inserted[0]["reason"] == "month 1"


def test_investigator_cannot_write_another_sites_patient(client: TestClient) -> None:
    response = client.post(
        "/api/patients/B-01/visits",
        headers=token(client, "inv_a"),
        json={"visit_date": "2025-03-01", "phga": 2},
    )
    assert response.status_code == 404


def test_monitor_cannot_enter_data(client: TestClient) -> None:
    response = client.post(
        "/api/patients/B-01/visits",
        headers=token(client, "monitor"),
        json={"visit_date": "2025-03-01", "phga": 2},
    )
    assert response.status_code == 403


def test_bad_visit_gets_422_naming_each_field(client: TestClient) -> None:
    response = client.post(
        "/api/patients/A-01/visits",
        headers=token(client, "inv_a"),
        json={"visit_date": "2025-13-40", "phga": 12, "ck": -5},
    )
    assert response.status_code == 422
    columns = {p["column"] for p in response.json()["detail"]}
    assert {"visit_date", "phga", "ck"} <= columns


def test_duplicate_visit_date_gets_409_naming_the_key(client: TestClient) -> None:
    response = client.post(
        "/api/patients/A-01/visits",
        headers=token(client, "inv_a"),
        json={"visit_date": "2025-01-08", "phga": 5},
    )
    assert response.status_code == 409
    [problem] = response.json()["detail"]
    assert (problem["column"], problem["value"]) == ("visit_date", "2025-01-08")
    assert "A-01" in problem["hint"]


def test_correction_is_audited_with_old_new_and_reason(client: TestClient) -> None:
    headers = token(client, "inv_a")
    response = client.post(
        "/api/patients/A-02/corrections",
        headers=headers,
        json={
            "visit_date": "2025-02-03",
            "field": "mmt8",
            "value": "52",
            "reason": "transcription error",
        },
    )
    assert response.status_code == 200, response.text
    audit = client.get("/api/audit", params={"patient_id": "A-02"}, headers=headers).json()
    change = [r for r in audit if r["field"] == "mmt8" and r["action"] == "update"]
    assert len(change) == 1
    assert float(change[0]["old_value"]) == 50.0 and float(change[0]["new_value"]) == 52.0
    assert change[0]["reason"] == "transcription error" and change[0]["user"] == "inv_a"


def test_scores_are_computed_live(client: TestClient) -> None:
    # baseline 2025-01-08 (2 days before the infusion), follow-up 2025-02-09 (day 30).
    # phga 6 -> 3: 30 % -> 17.5; ptga 7 -> 4: 30 % -> 7.5; extramuscular 4 -> 2: 20 % -> 12.5;
    # mmt8 44 -> 60: 16/80 = 20 % -> 20 (MMT edge 20 stays in band 2); haq 1.5 -> 1.0: 16.7 %
    # -> 7.5; CK 1600 -> 300: 81.25 % -> 7.5.  TIS = 72.5, major.
    scores = client.get("/api/patients/A-01/scores", headers=token(client, "inv_a")).json()
    follow_up = [s for s in scores if s["visit_date"] == "2025-02-09"]
    assert follow_up[0]["tis"] == 72.5 and follow_up[0]["category"] == "major"


def test_scores_of_another_sites_patient_are_not_found(client: TestClient) -> None:
    response = client.get("/api/patients/A-01/scores", headers=token(client, "inv_b"))
    assert response.status_code == 404


def test_investigator_audit_is_limited_to_their_site(client: TestClient) -> None:
    rows = client.get("/api/audit", headers=token(client, "inv_b")).json()
    assert rows and {r["patient_id"] for r in rows} == {"B-01"}


def test_query_is_opened_answered_and_closed(client: TestClient) -> None:
    monitor, site_a = token(client, "monitor"), token(client, "inv_a")
    opened = client.post(
        "/api/queries",
        headers=monitor,
        json={
            "patient_id": "A-01",
            "visit_date": "2025-02-09",
            "field": "ck",
            "question": "CK fell from 1600 to 300 in a month: please confirm",
        },
    )
    assert opened.status_code == 201
    query_id = opened.json()["id"]
    assert (
        client.post(
            f"/api/queries/{query_id}/answer", headers=token(client, "inv_b"), json={"answer": "x"}
        ).status_code
        == 404
    )
    answered = client.post(
        f"/api/queries/{query_id}/answer",
        headers=site_a,
        json={"answer": "confirmed against the lab report"},
    )
    assert answered.json()["status"] == "answered"
    closed = client.post(f"/api/queries/{query_id}/close", headers=monitor)
    assert closed.json()["status"] == "closed" and closed.json()["closed_by"] == "monitor"


def test_investigators_cannot_raise_queries(client: TestClient) -> None:
    response = client.post(
        "/api/queries", headers=token(client, "inv_a"), json={"patient_id": "A-01", "question": "?"}
    )
    assert response.status_code == 403


def test_only_admins_manage_users(client: TestClient) -> None:
    body = {
        "username": "inv_c",
        "password": "another long one",
        "role": "investigator",
        "site": "C",
    }
    assert client.post("/api/users", headers=token(client, "monitor"), json=body).status_code == 403
    assert client.post("/api/users", headers=token(client, "admin"), json=body).status_code == 201
    names = [u["username"] for u in client.get("/api/users", headers=token(client, "admin")).json()]
    assert "inv_c" in names
    assert all(
        "password_hash" not in u
        for u in client.get("/api/users", headers=token(client, "admin")).json()
    )


def test_expired_token_is_refused(service_url: str) -> None:
    from myotrial.server.app import create_app
    from myotrial.server.settings import ServerSettings

    settings = ServerSettings(
        db_url=service_url, secret="s" * 40, token_ttl_seconds=-1, secure_cookies=False
    )
    with TestClient(create_app(settings)) as client:
        headers = token(client, "inv_a")
        assert client.get("/api/patients", headers=headers).status_code == 401


def test_a_disabled_user_loses_access_at_once(client: TestClient, service_url: str) -> None:
    from myotrial.services.multisite import SiteServices
    from myotrial.services.passwords import password_hasher

    sites = SiteServices.open(service_url, password_hasher(light=True))
    sites.accounts.add_user(None, "leaver", "correct horse battery", "monitor", None)
    headers = token(client, "leaver")
    assert client.get("/api/patients", headers=headers).status_code == 200
    sites.accounts.disable_user(None, "leaver")
    sites.close()
    assert client.get("/api/patients", headers=headers).status_code == 401
