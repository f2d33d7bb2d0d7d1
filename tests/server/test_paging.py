"""The audit trail and the patient list, a page at a time, filtered, as each role may see.

docs/server.md: ``limit`` (default 100, at most 1000), a keyset cursor in
``X-Next-Cursor`` (and a ``Link`` with ``rel="next"``), newest audit row first; the
patient list by study code, searched by part of the code and filtered by site.
Site isolation and role visibility are those of services/access.py.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from myotrial.store import sqlalchemy_url
from myotrial.store.pages import AuditFilter, PatientFilter, audit_query, patient_query
from tests.server.conftest import PASSWORD, token


def _all_pages(client: TestClient, path: str, user: str, **params: Any) -> list[list[dict]]:
    """Every page of ``path``, following the next cursor."""
    headers = token(client, user)
    pages = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            assert "Link" not in response.headers
            return pages
        assert response.headers["Link"].endswith('; rel="next"')


def test_the_patient_list_pages_by_study_code(client: TestClient) -> None:
    pages = _all_pages(client, "/api/patients", "admin", limit=1)
    # small_trial: at site A, B-01 at site B (tests/server/conftest.py)
    assert [[p["patient_id"] for p in page] for page in pages] == [["A-01"], ["A-02"], ["B-01"]]
    assert pages[0][0]["n_visits"] >= 2  # A-01 has two imported visits at least


@pytest.mark.parametrize(
    ("user", "params", "expected"),
    [
        ("admin", {"search": "a-0"}, ["A-01", "A-02"]),  # any case, a part of the code
        ("admin", {"search": "01"}, ["A-01", "B-01"]),
        ("admin", {"site": "B"}, ["B-01"]),
        ("monitor", {"search": "b", "site": "B"}, ["B-01"]),
        ("admin", {"search": "%"}, []),  # LIKE's wildcards are matched literally
        ("inv_a", {}, ["A-01", "A-02"]),
        ("inv_a", {"site": "B"}, []),  # another site: empty, as a site without patients
        ("inv_a", {"search": "B-01"}, []),
    ],
)
def test_the_patient_list_is_searched_within_what_the_caller_may_see(
    client: TestClient, user: str, params: dict[str, str], expected: list[str]
) -> None:
    response = client.get("/api/patients", params=params, headers=token(client, user))
    assert response.status_code == 200, response.text
    assert [p["patient_id"] for p in response.json()] == expected


@pytest.mark.parametrize("limit", ["0", "1001", "x"])
def test_a_limit_outside_one_to_a_thousand_is_refused(client: TestClient, limit: str) -> None:
    headers = token(client, "admin")
    for path in ("/api/patients", "/api/audit"):
        response = client.get(path, params={"limit": limit}, headers=headers)
        assert response.status_code == 422, (path, response.text)


def test_audit_pages_walk_back_from_the_newest_row_without_gaps(client: TestClient) -> None:
    whole = client.get("/api/audit", params={"limit": 1000}, headers=token(client, "admin"))
    rows = whole.json()
    assert len(rows) > 10 and "X-Next-Cursor" not in whole.headers
    ids = [r["id"] for r in rows]
    assert ids == sorted(ids, reverse=True)  # newest first
    pages = _all_pages(client, "/api/audit", "admin", limit=7)
    assert all(len(page) == 7 for page in pages[:-1]) and 1 <= len(pages[-1]) <= 7
    assert [r["id"] for page in pages for r in page] == ids


def test_a_default_page_holds_a_hundred_rows(client: TestClient) -> None:
    headers = token(client, "admin")
    everything = client.get("/api/audit", params={"limit": 1000}, headers=headers).json()
    first = client.get("/api/audit", headers=headers)
    assert len(first.json()) == min(100, len(everything))
    assert ("X-Next-Cursor" in first.headers) == (len(everything) > 100)


def test_audit_filters_by_user_table_and_date_range(client: TestClient) -> None:
    headers = token(client, "admin")
    everything = client.get("/api/audit", params={"limit": 1000}, headers=headers).json()

    def rows(**params: str) -> list[dict[str, Any]]:
        response = client.get("/api/audit", params={"limit": 1000, **params}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    by_setup = rows(user="setup")
    assert by_setup == [r for r in everything if r["user"] == "setup"] and by_setup
    accounts = rows(table="users")
    assert accounts == [r for r in everything if r["table"] == "users"] and accounts
    today = dt.datetime.now(dt.UTC).date()
    assert rows(since=today.isoformat(), until=today.isoformat()) == everything
    assert rows(since=(today + dt.timedelta(days=1)).isoformat()) == []
    assert rows(until=(today - dt.timedelta(days=1)).isoformat()) == []
    assert rows(patient_id="A-02", table="visits") == [
        r for r in everything if r["patient_id"] == "A-02" and r["table"] == "visits"
    ]


@pytest.mark.parametrize("day", ["2025-2-3", "20250323", "2025-02-30"])
def test_an_audit_date_is_strictly_yyyy_mm_dd(client: TestClient, day: str) -> None:
    response = client.get("/api/audit", params={"since": day}, headers=token(client, "admin"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["column"] == "since"


def test_a_cursor_that_no_page_gave_is_refused(client: TestClient) -> None:
    headers = token(client, "admin")
    for cursor in ("-1", "abc", "99999999999999999999"):
        response = client.get("/api/audit", params={"cursor": cursor}, headers=headers)
        assert response.status_code == 422, cursor


def test_an_investigators_audit_pages_hold_their_sites_patients_only(client: TestClient) -> None:
    pages = _all_pages(client, "/api/audit", "inv_b", limit=2)
    rows = [r for page in pages for r in page]
    assert rows and {r["patient_id"] for r in rows} == {"B-01"}
    # account changes belong to no patient: an investigator never sees them
    assert not [r for r in rows if r["table"] == "users"]
    other = client.get("/api/audit", params={"patient_id": "A-01"}, headers=token(client, "inv_b"))
    assert other.status_code == 404


@pytest.mark.parametrize("path", ["/api/audit", "/api/patients"])
def test_the_statistician_reads_neither_list(client: TestClient, path: str) -> None:
    assert client.get(path, headers=token(client, "stat")).status_code == 403


def _log_in(client: TestClient, user: str) -> None:
    login = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert csrf is not None
    answer = client.post(
        "/login",
        data={"username": user, "password": PASSWORD, "csrf": csrf.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_the_pages_filter_and_link_to_the_next_page(client: TestClient) -> None:
    _log_in(client, "admin")
    patients = client.get("/patients", params={"search": "b-"})
    assert "B-01" in patients.text and "A-01" not in patients.text
    audit = client.get("/audit", params={"table": "users"})
    assert audit.status_code == 200
    assert 'id="audit"' in audit.text and "<td>visits</td>" not in audit.text
    everything = client.get("/api/audit", params={"limit": 1000}, headers=token(client, "admin"))
    full = client.get("/audit")
    assert ('id="next-page"' in full.text) == (len(everything.json()) > 100)


def _plan(db_url: str, query: sa.Select[Any]) -> str:
    """PostgreSQL's plan of ``query`` with sequential scans priced out (index use)."""
    engine = sa.create_engine(sqlalchemy_url(db_url))
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as connection:
        connection.exec_driver_sql("SET enable_seqscan = off")
        lines = connection.exec_driver_sql(f"EXPLAIN {sql}").scalars().all()
    engine.dispose()
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("where", "index"),
    [
        (AuditFilter(), "audit_trail_pkey"),
        (AuditFilter(before=10), "audit_trail_pkey"),
        (AuditFilter(patient_id="A-01"), "ix_audit_trail_patient_id"),
        (AuditFilter(user="setup", before=5), "audit_trail_pkey"),
        (AuditFilter(table="visits"), "audit_trail_pkey"),
        (AuditFilter(since=dt.date(2025, 1, 1), until=dt.date(2025, 2, 1)), "audit_trail_pkey"),
        (AuditFilter(site="A", since=dt.date(2000, 1, 1)), "on audit_trail"),
    ],
)
def test_audit_pages_read_through_indexes(service_url: str, where: AuditFilter, index: str) -> None:
    if not service_url.startswith("postgresql"):
        pytest.skip("EXPLAIN of PostgreSQL's plans")
    query = audit_query(where)
    if where.site is not None:
        query = query.params(site_patients=["A-01", "A-02"])
    plan = _plan(service_url, query)
    assert "Seq Scan on audit_trail" not in plan, plan
    assert index in plan and "Index" in plan, plan


def test_a_patient_page_reads_through_the_keys(service_url: str) -> None:
    if not service_url.startswith("postgresql"):
        pytest.skip("EXPLAIN of PostgreSQL's plans")
    plan = _plan(service_url, patient_query(PatientFilter(after="A-01", site="A")))
    assert "Seq Scan on visits" not in plan and "uq_visits_key" in plan, plan
    assert "Seq Scan on patients" not in plan, plan
