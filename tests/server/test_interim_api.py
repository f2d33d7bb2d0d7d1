"""The interim reports over HTTP: the closed report (results by arm) only for an
unblinded role, the open report pooled."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from myotrial.cli import main
from myotrial.synthetic import make_registry
from tests.server.conftest import BACKENDS, service_client, service_database, token


@pytest.fixture(scope="module", params=BACKENDS)
def interim_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return service_database(request, tmp_path_factory, make_registry(120, seed=3))


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    args = ["design", "--endpoint", "mmt8_change", "--n-per-arm", "60", "--looks", "3"]
    args += ["--sims", "200", "--no-curve", "-o", str(path)]
    assert CliRunner().invoke(main, args).exit_code == 0
    return json.loads(path.read_text())


@pytest.fixture
def client(interim_url: str) -> Iterator[TestClient]:
    with service_client(interim_url) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("user", "status"), [("stat", 200), ("admin", 200), ("monitor", 403), ("inv_a", 403)]
)
def test_only_an_unblinded_role_gets_the_closed_report(
    client: TestClient, plan: dict, user: str, status: int
) -> None:
    body = {"plan": plan, "as_of": "2016-06-30"}
    response = client.post("/api/interim/closed", json=body, headers=token(client, user))
    assert response.status_code == status, response.text
    if status == 200:
        assert "Safety by arm" in response.text and "control" in response.text


@pytest.mark.parametrize(("user", "status"), [("monitor", 200), ("stat", 200), ("inv_a", 403)])
def test_open_report_is_pooled(client: TestClient, plan: dict, user: str, status: int) -> None:
    body = {"plan": plan, "as_of": "2016-06-30"}
    response = client.post("/api/interim/open", json=body, headers=token(client, user))
    assert response.status_code == status, response.text
    if status == 200:
        assert "by arm" not in response.text and "control" not in response.text.lower()


def test_interim_needs_a_login(client: TestClient, plan: dict) -> None:
    assert client.post("/api/interim/closed", json={"plan": plan}).status_code == 401


@pytest.mark.parametrize("as_of", ["2016-6-30", "20160630", "30/06/2016"])
def test_a_data_cut_is_strictly_yyyy_mm_dd(client: TestClient, plan: dict, as_of: str) -> None:
    body = {"plan": plan, "as_of": as_of}
    response = client.post("/api/interim/open", json=body, headers=token(client, "monitor"))
    assert response.status_code == 422, response.text
    assert "YYYY-MM-DD" in response.text and "as_of" in response.text
