"""The lot pages: release status against the specification and trace for monitors,
admins and the release role; the release form for the release role only, with CSRF."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.server.conftest import (
    BACKENDS,
    PASSWORD,
    service_client,
    service_database,
    token,
)
from tests.server.live import live_server
from tests.server.test_product_api import USERS, _unreleased_l06

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module", params=BACKENDS)
def lots_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return service_database(request, tmp_path_factory, _unreleased_l06(), USERS)


@pytest.fixture
def client(lots_url: str) -> Iterator[TestClient]:
    with service_client(lots_url) as test_client:
        yield test_client


def _log_in(client: TestClient | httpx.Client, user: str) -> None:
    found = CSRF.search(client.get("/login").text)
    assert found is not None
    response = client.post(
        "/login",
        data={"username": user, "password": PASSWORD, "csrf": found.group(1)},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/patients"


def _csrf(page: str) -> str:
    found = CSRF.search(page)
    assert found is not None
    return found.group(1)


def _rows(page: str, table: str) -> list[list[str]]:
    body = page.split(f'<table id="{table}">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)
    cells = [re.findall(r"<td>(.*?)</td>", row, re.S) for row in rows]
    return [[re.sub(r"<[^>]+>", "", cell) for cell in row] for row in cells]


@pytest.mark.parametrize("user", ["monitor", "admin", "qp"])
def test_the_lot_page_traces_the_lot_to_donor_and_patients(client: TestClient, user: str) -> None:
    _log_in(client, user)
    page = client.get("/lots/L02")
    assert page.status_code == 200, page.text
    # the pilot: L02 is D01's lot, infused to P07 twice and to P08
    assert [r[0] for r in _rows(page.text, "infusions")] == ["P07", "P07", "P08"]
    assert _rows(page.text, "donor")[0][0] == "D01"
    assert "Released by qp.synthetic on 2009-10-21" in page.text
    assert '<a href="/lots">Lots</a>' in page.text


def test_the_specification_table_shows_each_isct_rule_at_its_limit(client: TestClient) -> None:
    _log_in(client, "monitor")
    rows = {r[0]: r for r in _rows(client.get("/lots/L07").text, "specification")}
    # Dominici et al. 2006: CD105 on at least 95 % of the cells; L07 has 90
    assert rows["cd105_pct"][1:] == [
        "&gt;= 95",
        "90",
        "ISCT 2006",
        "fails: cd105_pct 90 is below 95 (ISCT 2006)",
    ]
    assert rows["cd73_pct"][1] == "&gt;= 95" and rows["cd73_pct"][4] == "meets"
    assert rows["hla_dr_pct"][1] == "&lt;= 2" and rows["hla_dr_pct"][3] == "ISCT 2006"
    assert rows["viability_pct"][1:4:2] == ["&gt;= 70", "trial specification"]
    assert len(rows) == 13  # 11 numeric limits, sterility and mycoplasma


def test_the_lot_list_shows_release_and_specification(client: TestClient) -> None:
    _log_in(client, "admin")
    rows = {r[0]: r for r in _rows(client.get("/lots").text, "lots")}
    assert rows["L07"][3].startswith("fails: cd105_pct 90 is below 95")
    assert rows["L02"][2:4] == ["yes", "meets"]


def test_an_investigator_sees_no_lot(client: TestClient) -> None:
    _log_in(client, "inv_a")
    assert client.get("/lots/L02").status_code == 403
    assert client.get("/lots").status_code == 403
    assert '<a href="/lots">' not in client.get("/patients").text


def test_only_the_release_role_sees_the_release_form(client: TestClient) -> None:
    _log_in(client, "monitor")
    assert 'id="release-form"' not in client.get("/lots/L06").text
    _log_in(client, "qp")
    assert 'id="release-form"' in client.get("/lots/L06").text
    assert 'id="release-form"' not in client.get("/lots/L02").text  # already released


def test_a_monitor_posting_the_release_is_refused(client: TestClient) -> None:
    _log_in(client, "monitor")
    csrf = _csrf(client.get("/lots/L06").text)
    response = client.post("/lots/L06/release", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 403
    lot = client.get("/api/lots/L06", headers=token(client, "admin")).json()["lot"]
    assert lot["released"] != "true"


def test_a_release_without_the_forms_token_is_refused(client: TestClient) -> None:
    _log_in(client, "qp")
    response = client.post("/lots/L06/release", data={"csrf": "forged"}, follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/api/lots/L06", headers=token(client, "qp")).json()["lot"]["released"] != (
        "true"
    )


def test_a_lot_failing_its_specification_is_not_released(client: TestClient) -> None:
    _log_in(client, "qp")
    csrf = _csrf(client.get("/lots/L07").text)
    response = client.post("/lots/L07/release", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 422
    assert "cd105_pct 90 is below 95 (ISCT 2006)" in response.text
    assert 'id="problems"' in response.text


def test_an_already_released_lot_is_not_released_again(client: TestClient) -> None:
    _log_in(client, "qp")
    csrf = _csrf(client.get("/lots/L05").text)
    # L05 is released in the pilot: the form is not offered and a post is refused
    response = client.post("/lots/L05/release", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 422 and "already released" in response.text


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_release_role_users_racing_release_the_lot_once(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # a fresh database per backend: L06 unreleased, two release-role users
    users = {**USERS, "qp2": ("release", None)}
    url = service_database(request, tmp_path_factory, _unreleased_l06(), users, backend)
    with live_server(url) as (base, _):
        clients = [httpx.Client(base_url=base) for _ in ("qp", "qp2")]
        try:
            forms = []
            for http, user in zip(clients, ("qp", "qp2"), strict=True):
                _log_in(http, user)
                forms.append(_csrf(http.get("/lots/L06").text))
            barrier, codes, places = threading.Barrier(2), [0, 0], ["", ""]

            def post(i: int) -> None:
                barrier.wait()
                answer = clients[i].post(
                    "/lots/L06/release", data={"csrf": forms[i]}, follow_redirects=False
                )
                codes[i], places[i] = answer.status_code, answer.headers.get("location", "")

            threads = [threading.Thread(target=post, args=(i,)) for i in (0, 1)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(codes) == [303, 422], codes
            winner = codes.index(303)
            assert places[winner] == "/lots/L06?released=1"
            page = clients[winner].get(places[winner]).text
            assert "Release recorded." in page
            assert f"Released by {('qp', 'qp2')[winner]} on " in page
            assert 'id="release-form"' not in page
            audit = httpx.get(
                f"{base}/api/audit",
                headers={"Authorization": f"Bearer {_bearer(base, 'admin')}"},
            ).json()
            released = [r for r in audit if r["reason"] == "release of lot L06"]
            assert len(released) == 3  # released, released_by, released_date, once
            assert len({r["user"] for r in released}) == 1
        finally:
            for http in clients:
                http.close()


def _bearer(base: str, user: str) -> str:
    answer = httpx.post(f"{base}/api/auth/token", json={"username": user, "password": PASSWORD})
    return str(answer.json()["access_token"])
