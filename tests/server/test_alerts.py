"""Alerts for named roles: listed to those roles only, acknowledged once, audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from myotrial.errors import InvalidInputError
from myotrial.services.access import Caller
from myotrial.services.alerts import raise_alert
from myotrial.services.multisite import SiteServices
from myotrial.services.passwords import password_hasher
from tests.server.conduct import CONDUCT_USERS, conduct_trial
from tests.server.conftest import BACKENDS, service_client, service_database, token

INVESTIGATOR = Caller("inv_1", "investigator", "1")


@pytest.fixture(scope="module", params=BACKENDS)
def alert_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return service_database(request, tmp_path_factory, conduct_trial(), CONDUCT_USERS)


@pytest.fixture
def client(alert_url: str) -> Iterator[TestClient]:
    with service_client(alert_url) as test_client:
        yield test_client


def _raise(db_url: str, patient_id: str, roles: tuple[str, ...], message: str) -> int:
    """Raise an alert as a use case does: inside its unit of work, committed with it."""
    sites = SiteServices.open(db_url, password_hasher(light=True))
    try:
        with sites.store.unit_of_work() as uow:
            alert = raise_alert(
                uow,
                kind="serious_adverse_event",
                patient_id=patient_id,
                message=message,
                for_roles=roles,
                caller=INVESTIGATOR,
            )
            uow.commit()
    finally:
        sites.close()
    return int(alert["id"])


def test_an_alert_is_listed_to_the_roles_it_names_only(client: TestClient, alert_url: str) -> None:
    alert_id = _raise(alert_url, "R000001", ("monitor", "admin"), "grade 4 sepsis on day 3")
    for user in ("monitor", "admin"):
        listed = client.get("/api/alerts", headers=token(client, user)).json()
        mine = [a for a in listed if a["id"] == alert_id]
        assert [(a["kind"], a["site"], a["raised_by"]) for a in mine] == [
            ("serious_adverse_event", "1", "inv_1")
        ]
        assert mine[0]["for_roles"] == ["monitor", "admin"]
    for user in ("inv_1", "assessor_1", "stat", "unblinded", "release"):
        listed = client.get("/api/alerts", headers=token(client, user)).json()
        assert alert_id not in [a["id"] for a in listed]


def test_a_site_role_sees_its_own_sites_alerts_only(client: TestClient, alert_url: str) -> None:
    patients = client.get("/api/patients", headers=token(client, "inv_2")).json()
    site_2 = patients[0]["patient_id"]
    alert_id = _raise(alert_url, site_2, ("investigator",), "expedited report due")
    own = client.get("/api/alerts", headers=token(client, "inv_2")).json()
    other = client.get("/api/alerts", headers=token(client, "inv_1")).json()
    assert alert_id in [a["id"] for a in own]
    assert alert_id not in [a["id"] for a in other]


def test_an_alert_is_acknowledged_once_by_its_role_and_audited(
    client: TestClient, alert_url: str
) -> None:
    alert_id = _raise(alert_url, "R000002", ("monitor",), "anaphylaxis during infusion")
    outsider = client.post(f"/api/alerts/{alert_id}/acknowledge", headers=token(client, "inv_1"))
    missing = client.post("/api/alerts/999999/acknowledge", headers=token(client, "inv_1"))
    assert outsider.status_code == missing.status_code == 404
    headers = token(client, "monitor")
    done = client.post(f"/api/alerts/{alert_id}/acknowledge", headers=headers)
    assert done.status_code == 200
    assert done.json()["acknowledged_by"] == "monitor"
    again = client.post(f"/api/alerts/{alert_id}/acknowledge", headers=headers)
    assert again.status_code == 409
    open_alerts = client.get("/api/alerts?open=true", headers=headers).json()
    assert alert_id not in [a["id"] for a in open_alerts]
    audit = client.get("/api/audit?patient_id=R000002", headers=token(client, "admin")).json()
    audit.reverse()  # the API answers newest first
    rows = [(r["table"], r["key"], r["action"], r["user"]) for r in audit if r["table"] == "alerts"]
    assert rows == [
        ("alerts", str(alert_id), "alert", "inv_1"),
        ("alerts", str(alert_id), "acknowledge", "monitor"),
    ]


@pytest.mark.parametrize(
    ("kind", "roles", "message"),
    [
        ("rumour", ("monitor",), "x"),
        ("serious_adverse_event", (), "x"),
        ("serious_adverse_event", ("sponsor",), "x"),
        ("serious_adverse_event", ("monitor",), "  "),
    ],
)
def test_an_alert_needs_a_known_kind_roles_and_a_message(
    alert_url: str, kind: str, roles: tuple[str, ...], message: str
) -> None:
    sites = SiteServices.open(alert_url, password_hasher(light=True))
    try:
        with sites.store.unit_of_work() as uow, pytest.raises(InvalidInputError):
            raise_alert(
                uow,
                kind=kind,
                patient_id="R000001",
                message=message,
                for_roles=roles,
                caller=INVESTIGATOR,
            )
    finally:
        sites.close()
