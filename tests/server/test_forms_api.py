"""Infusions, adverse events, events, corrections, soft checks and queries through the API.

Each test runs on SQLite and PostgreSQL (the served small trial of conftest.py). The
expected values are hand calculations written beside them, the rules those of
docs/trial-format.md (grades 1-5, event types) and docs/server.md (soft checks).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from myotrial.synthetic import make_pilot
from tests.server.conftest import (
    BACKENDS,
    oldest_first,
    service_client,
    service_database,
    token,
)


def _ae(client: TestClient, who: str, patient: str, **values: object) -> dict:  # type: ignore[type-arg]
    response = client.post(
        f"/api/patients/{patient}/adverse-events", json=values, headers=token(client, who)
    )
    return {"status": response.status_code, **response.json()}


def _fields(answer: dict) -> set[str]:  # type: ignore[type-arg]
    return {p["column"] for p in answer["detail"]}


def test_the_dose_per_kg_is_the_cells_infused_over_the_recorded_weight(
    client: TestClient,
) -> None:
    headers = token(client, "inv_a")
    # A-02 has no recorded weight yet: the dose cannot be computed
    infusion = {"infusion_date": "2025-03-05", "cells_infused": 8.4e7}
    refused = client.post("/api/patients/A-02/infusions", json=infusion, headers=headers)
    assert refused.status_code == 422
    assert _fields(refused.json()) == {"cells_infused"}
    weight = {"table": "patients", "field": "weight_kg", "value": "60", "reason": "source"}
    assert client.post("/api/patients/A-02/corrections", json=weight, headers=headers).is_success
    stored = client.post("/api/patients/A-02/infusions", json=infusion, headers=headers)
    assert stored.status_code == 201, stored.text
    # 8.4e7 cells / 60 kg = 1.4e6 cells/kg
    assert stored.json()["cells_per_kg"] == 1.4e6
    assert stored.json()["weight_kg"] == 60.0
    infusions = client.get("/api/patients/A-02", headers=headers).json()["infusions"]
    assert [i["cells_per_kg"] for i in infusions if i["infusion_date"] == "2025-03-05"] == [1.4e6]


def test_an_adverse_event_breaking_the_rules_lists_every_field_and_writes_nothing(
    client: TestClient,
) -> None:
    before = oldest_first(client, token(client, "admin"), "patient_id=A-01")
    answer = _ae(
        client, "inv_a", "A-01", onset_date="2025-01-20", term="Rash", grade=6, relatedness="maybe"
    )
    assert answer["status"] == 422
    # grade is CTCAE 1-5; relatedness one of five words (docs/trial-format.md)
    assert _fields(answer) == {"grade", "relatedness"}
    early = _ae(client, "inv_a", "A-01", onset_date="2024-12-01", term="Rash", grade=1)
    # A-01 was enrolled on 2025-01-05
    assert (early["status"], _fields(early)) == (422, {"onset_date"})
    after = oldest_first(client, token(client, "admin"), "patient_id=A-01")
    assert len(after) == len(before)


def test_adverse_events_are_numbered_in_the_order_entered(client: TestClient) -> None:
    first = _ae(client, "inv_b", "B-01", onset_date="2025-01-26", term="Fever", grade=1)
    second = _ae(client, "inv_b", "B-01", onset_date="2025-01-27", term="Headache", grade=2)
    assert (first["status"], second["status"]) == (201, 201)
    assert second["sequence"] == first["sequence"] + 1
    # a second headache the same day is a second event: it takes the next number
    repeated = _ae(client, "inv_b", "B-01", onset_date="2025-01-27", term="Headache", grade=2)
    assert (repeated["status"], repeated["sequence"]) == (201, second["sequence"] + 1)


def test_an_event_of_an_unknown_type_is_refused(client: TestClient) -> None:
    headers = token(client, "inv_a")
    body = {"event_date": "2025-03-01", "type": "holiday"}
    answer = client.post("/api/patients/A-01/events", json=body, headers=headers)
    assert answer.status_code == 422
    assert _fields(answer.json()) == {"type"}
    body["type"] = "relapse"
    assert client.post("/api/patients/A-01/events", json=body, headers=headers).status_code == 201


def test_another_sites_investigator_and_a_monitor_cannot_enter(client: TestClient) -> None:
    body = {"event_date": "2025-03-02", "type": "relapse"}
    other = client.post("/api/patients/A-01/events", json=body, headers=token(client, "inv_b"))
    assert other.status_code == 404
    monitor = client.post("/api/patients/A-01/events", json=body, headers=token(client, "monitor"))
    assert monitor.status_code == 403


def test_a_correction_of_an_adverse_event_shows_old_new_reason_and_user(
    client: TestClient,
) -> None:
    assert (
        _ae(client, "inv_a", "A-01", onset_date="2025-01-15", term="Nausea", grade=1)["status"]
        == 201
    )
    body = {
        "table": "adverse_events",
        "key": {"onset_date": "2025-01-15", "term": "Nausea"},
        "field": "grade",
        "value": 2,
        "reason": "source document verification",
    }
    answer = client.post(
        "/api/patients/A-01/corrections", json=body, headers=token(client, "inv_a")
    )
    assert answer.status_code == 200, answer.text
    audit = oldest_first(client, token(client, "monitor"), "patient_id=A-01")
    row = [a for a in audit if a["table"] == "adverse_events" and a["field"] == "grade"][-1]
    assert (row["old_value"], row["new_value"]) == ("1.0", "2.0")
    assert (row["reason"], row["user"]) == ("source document verification", "inv_a")
    assert row["key"] == "A-01|2025-01-15|Nausea"


def test_a_correction_of_a_row_that_does_not_exist_is_not_found(client: TestClient) -> None:
    body = {
        "table": "events",
        "key": {"event_date": "2025-05-01", "type": "death"},
        "field": "note",
        "value": "x",
        "reason": "r",
    }
    answer = client.post(
        "/api/patients/A-01/corrections", json=body, headers=token(client, "inv_a")
    )
    assert answer.status_code == 404


def test_soft_checks_ask_for_confirmation_then_store(client: TestClient) -> None:
    headers = token(client, "inv_a")
    # CK 12000 U/L against the trial's ULN 200 U/L is 60 x ULN, above 50 x
    visit = {"visit_date": "2025-03-20", "ck": 12000}
    asked = client.post("/api/patients/A-01/visits", json=visit, headers=headers)
    assert asked.status_code == 422
    assert asked.json()["confirm_required"] is True
    assert _fields(asked.json()) == {"ck"}
    stored = client.post(
        "/api/patients/A-01/visits", json={**visit, "confirm": True}, headers=headers
    )
    assert stored.status_code == 201
    # 10000 U/L is exactly 50 x ULN: no question asked
    plain = client.post(
        "/api/patients/A-01/visits", json={"visit_date": "2025-03-21", "ck": 10000}, headers=headers
    )
    assert plain.status_code == 201


def test_a_date_after_today_and_a_large_weight_change_ask_for_confirmation(
    client: TestClient,
) -> None:
    headers = token(client, "inv_b")
    future = {"event_date": "2099-01-01", "type": "relapse"}
    asked = client.post("/api/patients/B-01/events", json=future, headers=headers)
    assert (asked.status_code, _fields(asked.json())) == (422, {"event_date"})
    weight = {"table": "patients", "field": "weight_kg", "value": "50", "reason": "scale"}
    assert client.post("/api/patients/B-01/corrections", json=weight, headers=headers).is_success
    # 61 kg is 22 % above 50 kg (more than 20 %); 60 kg is exactly 20 %
    heavier = {**weight, "value": "61"}
    asked = client.post("/api/patients/B-01/corrections", json=heavier, headers=headers)
    assert (asked.status_code, _fields(asked.json())) == (422, {"weight_kg"})
    within = {**weight, "value": "60"}
    assert client.post("/api/patients/B-01/corrections", json=within, headers=headers).is_success


def test_a_query_on_an_unknown_field_is_refused_naming_it(client: TestClient) -> None:
    headers = token(client, "monitor")
    body = {"patient_id": "A-01", "question": "Please check", "field": "ckk"}
    answer = client.post("/api/queries", json=body, headers=headers)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["value"] == "ckk"


def test_a_query_is_in_the_audit_with_who_and_when(client: TestClient) -> None:
    body = {
        "patient_id": "A-01",
        "question": "CK on this date?",
        "field": "ck",
        "visit_date": "2025-01-08",
    }
    raised = client.post("/api/queries", json=body, headers=token(client, "monitor"))
    assert raised.status_code == 201
    number = raised.json()["id"]
    answer = {"answer": "Confirmed against the laboratory report"}
    client.post(f"/api/queries/{number}/answer", json=answer, headers=token(client, "inv_a"))
    audit = oldest_first(client, token(client, "admin"), "patient_id=A-01")
    steps = [a for a in audit if a["table"] == "data_queries" and a["key"] == str(number)]
    assert [(s["action"], s["user"]) for s in steps] == [
        ("query open", "monitor"),
        ("query answer", "inv_a"),
    ]
    assert steps[0]["field"] == "2025-01-08 ck"
    assert all(s["changed_at"] for s in steps)


def test_form_fields_are_labelled_in_words_with_units(client: TestClient) -> None:
    fields = client.get("/api/forms/visits", headers=token(client, "inv_a")).json()
    by_name = {f["name"]: f for f in fields}
    assert by_name["ck"]["label"] == "Creatine kinase (CK)"
    assert by_name["ck"]["unit"] == "U/L"
    assert by_name["phga"]["unit"] == "cm"
    infusion = client.get("/api/forms/infusions", headers=token(client, "inv_a")).json()
    assert infusion[0]["name"] == "cells_infused"
    assert {f["name"]: f["unit"] for f in infusion}["cells_per_kg"] == "cells/kg"


def test_a_serious_adverse_event_raises_an_expedited_alert_for_monitors_and_admins(
    client: TestClient,
) -> None:
    answer = _ae(
        client,
        "inv_a",
        "A-02",
        onset_date="2025-02-10",
        term="Pneumonia",
        grade=3,
        serious=True,
        relatedness="unlikely",
    )
    assert answer["status"] == 201
    number = answer["alert"]
    for role in ("monitor", "admin"):
        alerts = client.get("/api/alerts", headers=token(client, role)).json()
        found = [a for a in alerts if a["id"] == number]
        assert [a["kind"] for a in found] == ["serious_adverse_event"]
        assert "Pneumonia" in found[0]["message"] and found[0]["patient_id"] == "A-02"
    not_serious = _ae(
        client, "inv_a", "A-02", onset_date="2025-02-11", term="Cough", grade=1, serious=False
    )
    assert not_serious["alert"] is None


PILOT_USERS = {"inv_1": ("investigator", "1")}


@pytest.fixture(scope="module", params=BACKENDS)
def pilot_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return service_database(request, tmp_path_factory, make_pilot(), PILOT_USERS)


def test_an_infusion_of_an_unreleased_lot_is_refused_as_at_import(pilot_url: str) -> None:
    with service_client(pilot_url) as pilot:
        headers = token(pilot, "inv_1")
        weight = pilot.get("/api/patients/P01", headers=headers).json()["weight_kg"]
        # 1e6 cells/kg at the recorded weight, inside the protocol's 5e5-2e6 cells/kg
        body = {"infusion_date": "2010-05-01", "lot": "L07", "cells_infused": 1e6 * weight}
        refused = pilot.post("/api/patients/P01/infusions", json=body, headers=headers)
        assert refused.status_code == 422
        problem = refused.json()["detail"][0]
        assert (problem["column"], problem["value"]) == ("lot", "L07")
        assert "not released" in problem["rule"]
        # L06: released 2010-04-19, expires 2010-10-02
        stored = pilot.post(
            "/api/patients/P01/infusions", json={**body, "lot": "L06"}, headers=headers
        )
        assert stored.status_code == 201, stored.text
        assert stored.json()["cells_per_kg"] == pytest.approx(1e6, rel=1e-12)
        # 3e6 cells/kg, above the protocol's 2e6
        high = {"infusion_date": "2010-05-02", "lot": "L06", "cells_infused": 3e6 * weight}
        too_much = pilot.post("/api/patients/P01/infusions", json=high, headers=headers)
        assert too_much.status_code == 422
        assert too_much.json()["detail"][0]["column"] == "cells_per_kg"
