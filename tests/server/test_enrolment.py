"""Enrolment, eligibility and the consent gate through the API, on SQLite and PostgreSQL.

The rules are those of docs/server.md (*Enrolment and consent*): a site enrols at its
own site with the eligibility checklist of ``[eligibility]``; an ineligible answer is
refused with every reason and nothing is written; after a withdrawal of consent no
clinical data may be entered (409 naming the withdrawal).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.server.conduct import CONDUCT_USERS, conduct_trial, enrolment
from tests.server.conftest import BACKENDS, PASSWORD, service_client, service_database, token


@pytest.fixture(scope="module", params=BACKENDS)
def conduct_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return service_database(request, tmp_path_factory, conduct_trial(), CONDUCT_USERS)


@pytest.fixture
def client(conduct_url: str) -> Iterator[TestClient]:
    with service_client(conduct_url) as test_client:
        yield test_client


def test_investigator_enrols_at_own_site_with_consent(client: TestClient) -> None:
    headers = token(client, "inv_1")
    answer = client.post("/api/patients", headers=headers, json=enrolment("E-101", site="2"))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["patient_id"], body["site"], body["refractory"]) == ("E-101", "1", True)
    assert body["consent"]["consent_date"] == "2026-11-01"
    assert body["consent"]["form_version"] == "2.1"
    stored = client.get("/api/patients/E-101", headers=headers).json()
    assert (stored["sex"], stored["age"], stored["diagnosis"]) == ("F", 48.0, "DM")
    assert stored["enrolment_date"] == "2026-11-02"
    consent = client.get("/api/patients/E-101/consent", headers=headers).json()
    assert consent["source"] == "enrolment"
    assert consent["eligibility"]["exclusions"] == {"active malignancy": False, "pregnancy": False}
    audit = client.get("/api/audit?patient_id=E-101", headers=headers).json()
    assert {(r["table"], r["action"]) for r in audit} == {
        ("patients", "insert"),
        ("consents", "consent"),
    }
    assert {r["user"] for r in audit} == {"inv_1"}


@pytest.mark.parametrize(
    ("change", "column", "rule"),
    [
        ({"refractory": False}, "refractory", "is not refractory as the trial defines it"),
        ({"refractory": None}, "refractory", "must be answered"),
        ({"classification_met": False}, "classification_met", "does not meet the criteria"),
        (
            {"exclusions": {"active malignancy": True, "pregnancy": False}},
            "exclusions.active malignancy",
            "applies",
        ),
        ({"exclusions": {"active malignancy": False}}, "exclusions.pregnancy", "must be answered"),
    ],
)
def test_an_ineligible_answer_is_refused_with_its_reason_and_nothing_is_written(
    client: TestClient, change: dict[str, object], column: str, rule: str
) -> None:
    headers = token(client, "inv_1")
    form = enrolment("E-201")
    form["eligibility"] = {**form["eligibility"], **change}
    answer = client.post("/api/patients", headers=headers, json=form)
    assert answer.status_code == 422
    assert [(p["column"], p["rule"]) for p in answer.json()["detail"]] == [(column, rule)]
    assert client.get("/api/patients/E-201", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"diagnosis": "IBM"}, "diagnosis"),  # a diagnosis of the format the trial does not admit
        ({"age": 80}, "age"),  # age_max = 75
        ({"consent_date": "2026-11-03"}, "consent_date"),  # after enrolment
        ({"consent_date": "20261101"}, "consent_date"),  # dates are strict YYYY-MM-DD
        ({"consent_date": "2026-11-1"}, "consent_date"),
        ({"consent_form_version": "1.0"}, "consent_form_version"),
        ({"sex": "X"}, "sex"),  # the patients.csv rule
        ({"arm": "MSCT"}, "arm"),  # set by randomisation only
    ],
)
def test_enrolment_refuses_what_the_trial_does_not_admit(
    client: TestClient, change: dict[str, object], column: str
) -> None:
    answer = client.post(
        "/api/patients", headers=token(client, "inv_1"), json=enrolment("E-301", **change)
    )
    assert answer.status_code == 422
    assert column in [p["column"] for p in answer.json()["detail"]]


@pytest.mark.parametrize("user", ["monitor", "assessor_1", "stat", "unblinded", "release"])
def test_only_investigators_and_admins_enrol(client: TestClient, user: str) -> None:
    answer = client.post("/api/patients", headers=token(client, user), json=enrolment("E-401"))
    assert answer.status_code in (403, 422)
    assert client.get("/api/patients/E-401", headers=token(client, "admin")).status_code == 404


def test_admin_names_the_site_and_a_taken_code_conflicts(client: TestClient) -> None:
    headers = token(client, "admin")
    assert client.post("/api/patients", headers=headers, json=enrolment("E-501")).status_code == 422
    first = client.post("/api/patients", headers=headers, json=enrolment("E-501", site="2"))
    assert first.status_code == 201 and first.json()["site"] == "2"
    again = client.post("/api/patients", headers=headers, json=enrolment("E-501", site="2"))
    assert again.status_code == 409
    imported = client.post("/api/patients", headers=headers, json=enrolment("R000001", site="1"))
    assert imported.status_code == 409


VISIT = {"visit_date": "2026-11-10", "phga": 5, "mmt8": 60, "ck": 900}


def test_withdrawal_of_consent_stops_entry_and_is_audited(client: TestClient) -> None:
    headers = token(client, "inv_1")
    assert client.post("/api/patients", headers=headers, json=enrolment("E-601")).status_code == 201
    before = client.post("/api/patients/E-601/visits", headers=headers, json=VISIT)
    assert before.status_code == 201, before.text
    withdrawn = client.post(
        "/api/patients/E-601/consent/withdraw", headers=headers, json={"reason": "moved abroad"}
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawal_reason"] == "moved abroad"
    later = client.post(
        "/api/patients/E-601/visits", headers=headers, json={**VISIT, "visit_date": "2026-11-20"}
    )
    assert later.status_code == 409
    assert "withdrew consent" in later.json()["detail"][0]["rule"]
    assert "moved abroad" in later.json()["detail"][0]["rule"]
    fix = {"visit_date": "2026-11-10", "field": "phga", "value": 4, "reason": "source check"}
    assert (
        client.post("/api/patients/E-601/corrections", headers=headers, json=fix).status_code == 409
    )
    again = client.post(
        "/api/patients/E-601/consent/withdraw", headers=headers, json={"reason": "again"}
    )
    assert again.status_code == 409
    audit = client.get("/api/audit?patient_id=E-601", headers=headers).json()
    withdrawal = [r for r in audit if r["action"] == "withdraw consent"]
    assert [(w["user"], w["reason"]) for w in withdrawal] == [("inv_1", "moved abroad")]
    stored = client.get("/api/patients/E-601", headers=headers).json()
    assert [v["visit_date"] for v in stored["visits"]] == ["2026-11-10"]


def test_an_imported_patient_counts_as_consented_on_paper_until_withdrawn(
    client: TestClient,
) -> None:
    headers = token(client, "inv_2")
    listed = client.get("/api/patients", headers=headers).json()
    patient = next(p for p in listed if p["patient_id"].startswith("R"))  # make_registry's
    code = patient["patient_id"]
    consent = client.get(f"/api/patients/{code}/consent", headers=headers).json()
    assert consent["source"] == "import" and consent["withdrawn_at"] is None
    withdrawn = client.post(
        f"/api/patients/{code}/consent/withdraw", headers=headers, json={"reason": "patient's wish"}
    )
    assert withdrawn.status_code == 200
    assert withdrawn.json()["consent_date"] == patient["enrolment_date"]
    visit = client.post(
        f"/api/patients/{code}/visits", headers=headers, json={**VISIT, "visit_date": "2026-11-11"}
    )
    assert visit.status_code == 409


def test_another_site_cannot_withdraw_a_patient(client: TestClient) -> None:
    listed = client.get("/api/patients", headers=token(client, "inv_1")).json()
    code = next(p["patient_id"] for p in listed if p["patient_id"].startswith("R"))
    answer = client.post(
        f"/api/patients/{code}/consent/withdraw",
        headers=token(client, "inv_2"),
        json={"reason": "x"},
    )
    assert answer.status_code == 404


def _page_session(client: TestClient, user: str) -> str:
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    client.post(
        "/login",
        data={"username": user, "password": PASSWORD, "csrf": csrf.group(1)},
        follow_redirects=False,
    )
    form = client.get("/patients/new")
    assert form.status_code == 200
    found = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert found is not None
    return found.group(1)


PAGE_FORM = {
    "patient_id": "P-701",
    "sex": "M",
    "age": "51",
    "diagnosis": "PM",
    "enrolment_date": "2026-11-02",
    "consent_date": "2026-11-01",
    "consent_form_version": "2.0",
    "refractory": "yes",
    "classification_met": "yes",
    "exclusion_0": "no",
    "exclusion_1": "no",
}


def test_the_enrolment_page_asks_the_trials_checklist_and_keeps_what_was_typed(
    client: TestClient,
) -> None:
    csrf = _page_session(client, "inv_1")
    page = client.get("/patients/new").text
    assert "active malignancy" in page and "pregnancy" in page and "EULAR/ACR 2017" in page
    refused = client.post("/patients/new", data={**PAGE_FORM, "csrf": csrf, "exclusion_1": "yes"})
    assert refused.status_code == 422
    assert "exclusions.pregnancy" in refused.text and 'value="P-701"' in refused.text
    done = client.post("/patients/new", data={**PAGE_FORM, "csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/patients/P-701"
    stored = client.get("/api/patients/P-701", headers=token(client, "inv_1")).json()
    assert (stored["site"], stored["diagnosis"], stored["age"]) == ("1", "PM", 51.0)


def test_enrolments_racing_a_trial_lock_are_stored_before_it_or_refused(
    client: TestClient,
) -> None:
    """An enrolment holds the trial's lock table beside other enrolments; a trial lock
    holds it alone, so each new patient is stored before the lock's time or refused."""
    import datetime as dt
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import pandas as pd

    investigator, admin = token(client, "inv_1"), token(client, "admin")
    for round_ in range(3):
        codes = [f"L-{round_}{n}" for n in range(4)]
        start = threading.Barrier(len(codes) + 1)

        def enrol(code: str, start: threading.Barrier = start) -> int:
            body = enrolment(code)
            start.wait()
            return client.post("/api/patients", headers=investigator, json=body).status_code

        def lock(start: threading.Barrier = start) -> str:
            start.wait()
            answer = client.post("/api/trial/lock", json={"reason": "race"}, headers=admin)
            assert answer.status_code == 200, answer.text
            return str(answer.json()["lock"]["locked_at"])

        with ThreadPoolExecutor(len(codes) + 1) as pool:
            locking = pool.submit(lock)
            entered = list(pool.map(enrol, codes))
            locked_at = pd.Timestamp(locking.result())
        locked_at = locked_at if locked_at.tzinfo else locked_at.tz_localize(dt.UTC)
        assert set(entered) <= {201, 409}
        audit = client.get("/api/audit?limit=1000&table=patients", headers=admin).json()
        for code, status in zip(codes, entered, strict=True):
            rows = [a for a in audit if a["patient_id"] == code]
            assert bool(rows) == (status == 201)
            for row in rows:
                at = pd.Timestamp(row["changed_at"])
                assert (at if at.tzinfo else at.tz_localize(dt.UTC)) <= locked_at
        assert client.post("/api/trial/unlock", json={"reason": "next"}, headers=admin).is_success
