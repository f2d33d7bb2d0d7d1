"""The form pages without a browser: errors beside their fields in words, values kept,
units printed, the confirm step of a soft check, the saved message, the schedule page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.server.conftest import PASSWORD


def _login(client: TestClient, user: str) -> None:
    nonce = client.get("/login").cookies.get("myotrial_login_csrf")
    answer = client.post(
        "/login",
        data={"username": user, "password": PASSWORD, "csrf": nonce},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _error_of(html: str, field: str) -> str:
    found = re.search(
        rf'<p class="(?:error|warning)" id="e-{field}" data-field="{field}">([^<]*)<', html
    )
    assert found is not None, f"no message beside {field}"
    return found.group(1)


def test_an_adverse_event_form_shows_each_error_beside_its_field_in_words(
    client: TestClient,
) -> None:
    _login(client, "inv_a")
    form = client.get("/patients/A-01/forms/adverse-event")
    assert form.status_code == 200
    assert "Grade (CTCAE)" in form.text and "Relatedness to the infusion" in form.text
    data = {
        "csrf": _csrf(form.text),
        "onset_date": "2025-02-01",
        "term": "Myalgia",
        "grade": "9",
        "reason": "visit 4",
    }
    answer = client.post("/patients/A-01/forms/adverse-event", data=data)
    assert answer.status_code == 422
    message = _error_of(answer.text, "grade")
    # the label, the value as typed and the rule; never the column key alone
    assert message.startswith("Grade (CTCAE): &#39;9&#39; is outside 1-5")
    assert 'name="grade" value="9"' in answer.text
    assert 'name="term" value="Myalgia"' in answer.text
    assert 'value="visit 4"' in answer.text


def test_the_infusion_form_prints_units_on_its_inputs(client: TestClient) -> None:
    _login(client, "inv_a")
    form = client.get("/patients/A-01/forms/infusion").text
    assert '<span class="unit">cells/kg</span>' in form
    assert '<span class="unit">cells</span>' in form
    visit = client.get("/patients/A-01/visits/new").text
    assert 'Creatine kinase (CK) <span class="unit">(U/L)</span>' in visit
    assert '<span class="unit">cm</span>' in visit


def test_a_soft_check_asks_to_confirm_then_the_page_says_it_was_saved(
    client: TestClient,
) -> None:
    _login(client, "inv_b")
    form = client.get("/patients/B-01/visits/new")
    data = {"csrf": _csrf(form.text), "visit_date": "2025-04-02", "ck": "15000"}
    asked = client.post("/patients/B-01/visits/new", data=data)
    assert asked.status_code == 422
    assert "is 75 x the upper limit of normal" in _error_of(asked.text, "ck")  # 15000 / 200
    assert 'name="confirm" value="1"' in asked.text
    assert 'name="ck" value="15000"' in asked.text
    saved = client.post("/patients/B-01/visits/new", data={**data, "confirm": "1"})
    assert saved.status_code == 200
    assert str(saved.url).endswith("/patients/B-01?saved=visit")
    assert "The visit was saved." in saved.text


def test_a_correction_page_lists_the_rows_and_fields_and_saves(client: TestClient) -> None:
    _login(client, "inv_a")
    form = client.get("/patients/A-01/corrections/new?table=visits")
    assert '<option value="2025-01-08">2025-01-08</option>' in form.text
    assert "Creatine kinase (CK) (U/L)" in form.text
    data = {
        "csrf": _csrf(form.text),
        "table": "visits",
        "row": "2025-01-08",
        "field": "ck",
        "value": "-3",
        "reason": "transcription",
    }
    refused = client.post("/patients/A-01/corrections/new", data=data)
    assert refused.status_code == 422
    assert _error_of(refused.text, "value").startswith("Creatine kinase (CK): &#39;-3&#39;")
    saved = client.post("/patients/A-01/corrections/new", data={**data, "value": "1650"})
    assert "The correction was saved" in saved.text


def test_the_schedule_page_lists_overdue_visits_of_the_site_only(client: TestClient) -> None:
    _login(client, "inv_a")
    page = client.get("/schedule")
    assert page.status_code == 200
    overdue = page.text.split('<table id="overdue">')[1].split("</table>")[0]
    assert "A-01" in overdue and "B-01" not in overdue


def test_the_query_form_offers_patients_and_fields_from_lists(client: TestClient) -> None:
    _login(client, "monitor")
    page = client.get("/queries").text
    assert '<select id="q-patient" name="patient_id"' in page
    assert '<option value="ck">Creatine kinase (CK)</option>' in page
