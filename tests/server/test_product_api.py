"""The lot pages of the API: trace for monitors, admins and the release role; release
for the release role only, audited; every other caller refused."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from myotrial.synthetic import make_pilot
from myotrial.trialdata import TrialData
from tests.server.conftest import BACKENDS, service_client, service_database, token

USERS = {
    "admin": ("admin", None),
    "inv_a": ("investigator", "1"),
    "monitor": ("monitor", None),
    "qp": ("release", None),
}


def _unreleased_l06() -> TrialData:
    """The pilot with lot L06 not yet released (and its infusions not yet given)."""
    pilot = make_pilot()
    lots = pilot.lots.copy()
    lots.loc[lots["lot"] == "L06", ["released", "released_by", "released_date"]] = [
        False,
        None,
        pd.NaT,
    ]
    infusions = pilot.infusions[pilot.infusions["lot"] != "L06"]
    return pilot.with_tables(lots=lots, infusions=infusions)


@pytest.fixture(scope="module", params=BACKENDS)
def lots_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return service_database(request, tmp_path_factory, _unreleased_l06(), USERS)


@pytest.fixture
def client(lots_url: str) -> Iterator[TestClient]:
    with service_client(lots_url) as test_client:
        yield test_client


@pytest.mark.parametrize("user", ["monitor", "admin", "qp"])
def test_monitors_admins_and_the_release_role_trace_a_lot(client: TestClient, user: str) -> None:
    response = client.get("/api/lots/L02", headers=token(client, user))
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["donor"]["donor"] == "D01"
    assert [i["patient_id"] for i in found["infusions"]] == ["P07", "P07", "P08"]


def test_an_investigator_may_not_trace_a_lot(client: TestClient) -> None:
    assert client.get("/api/lots/L02", headers=token(client, "inv_a")).status_code == 403


def test_an_unknown_lot_is_not_found(client: TestClient) -> None:
    assert client.get("/api/lots/L99", headers=token(client, "monitor")).status_code == 404


@pytest.mark.parametrize("user", ["monitor", "admin", "inv_a"])
def test_only_the_release_role_releases(client: TestClient, user: str) -> None:
    response = client.post("/api/lots/L06/release", headers=token(client, user))
    assert response.status_code == 403


def test_a_lot_failing_its_specification_is_not_released(client: TestClient) -> None:
    response = client.post("/api/lots/L07/release", headers=token(client, "qp"))
    assert response.status_code == 422
    assert "cd105_pct 90 is below 95 (ISCT 2006)" in response.text


def test_the_release_role_releases_a_lot_audited(client: TestClient) -> None:
    headers = token(client, "qp")
    response = client.post("/api/lots/L06/release", headers=headers)
    assert response.status_code == 200, response.text
    assert (response.json()["lot"]["released"], response.json()["lot"]["released_by"]) == (
        "true",
        "qp",
    )
    again = client.post("/api/lots/L06/release", headers=headers)
    assert again.status_code == 422 and "already released" in again.text
    audit = client.get("/api/audit", headers=token(client, "admin")).json()
    released = [row for row in audit if row["reason"] == "release of lot L06"]
    assert {row["field"] for row in released} == {"released", "released_by", "released_date"}
    assert {row["user"] for row in released} == {"qp"}
