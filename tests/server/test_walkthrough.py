"""A site runs the two-arm trial through the service, as docs/server.md walks it.

An investigator enrols a patient with consent, randomises, records the weight, an
infusion, a visit and a serious adverse event, corrects a value; the blinded outcome
assessor enters the visit they assess and never sees the arm. Through the API on SQLite
and PostgreSQL, and in headless Chromium through the pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.server.conduct import CONDUCT_USERS, conduct_trial, enrolment
from tests.server.conftest import (
    BACKENDS,
    PASSWORD,
    oldest_first,
    prepare_service,
    service_client,
    service_database,
    token,
)
from tests.server.live import live_server

SEED = 17
ARMS = ("MSCT", "control")


@pytest.fixture(scope="module", params=BACKENDS)
def trial_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return service_database(request, tmp_path_factory, conduct_trial(), CONDUCT_USERS)


@pytest.fixture
def client(trial_url: str) -> Iterator[TestClient]:
    with service_client(trial_url) as test_client:
        yield test_client


def _no_arm(text: str) -> None:
    """Neither arm's name, nor an ``arm`` key holding a value, appears in ``text``."""
    for arm in ARMS:
        assert f'"{arm}"' not in text and f">{arm}<" not in text and f"arm {arm}" not in text


def _post(client: TestClient, path: str, who: dict[str, str], body: dict[str, Any]) -> Any:
    response = client.post(path, json=body, headers=who)
    assert response.is_success, f"{path}: {response.status_code} {response.text}"
    return response.json()


def test_an_investigator_and_a_blinded_assessor_run_a_patient_through_the_api(
    client: TestClient,
) -> None:
    statistician = token(client, "unblinded")
    if client.get("/api/randomisation/list", headers=statistician).json()["setup"] is None:
        _post(client, "/api/randomisation/setup", statistician, {"seed": SEED})
    investigator, assessor = token(client, "inv_1"), token(client, "assessor_1")
    _post(client, "/api/patients", investigator, enrolment("W-01"))
    allocation = _post(client, "/api/patients/W-01/randomise", investigator, {})
    assert allocation["sequence"] >= 1 and allocation["stratum"] == "site=1, diagnosis=DM"
    weight = {"table": "patients", "field": "weight_kg", "value": "65", "reason": "screening"}
    _post(client, "/api/patients/W-01/corrections", investigator, weight)
    # 6.5e7 cells at 65 kg: 1.0e6 cells/kg
    infusion = {"infusion_date": "2026-11-05", "cells_infused": 6.5e7}
    assert (
        _post(client, "/api/patients/W-01/infusions", investigator, infusion)["cells_per_kg"] == 1e6
    )
    visit = {"visit_date": "2026-11-04", "ptga": 6, "haq": 1.25, "ck": 2400}
    _post(client, "/api/patients/W-01/visits", investigator, visit)
    event = {"onset_date": "2026-11-06", "term": "Fever", "grade": 2, "serious": True}
    adverse = _post(client, "/api/patients/W-01/adverse-events", investigator, event)
    assert adverse["alert"] is not None
    correction = {
        "table": "adverse_events",
        "key": {"onset_date": "2026-11-06", "term": "Fever"},
        "field": "grade",
        "value": 3,
        "reason": "hospitalised: grade 3",
    }
    _post(client, "/api/patients/W-01/corrections", investigator, correction)
    # the assessor's part: MMT-8 and physician global at the same visit
    assessed = {"visit_date": "2026-11-04", "field": "mmt8", "value": 52, "reason": "assessed"}
    _post(client, "/api/patients/W-01/corrections", assessor, assessed)
    phga = {**assessed, "field": "phga", "value": 5}
    _post(client, "/api/patients/W-01/corrections", assessor, phga)
    for path in (
        "/api/patients/W-01",
        "/api/patients",
        "/api/audit?patient_id=W-01",
        "/api/patients/W-01/casebook",
        "/api/schedule?patient_id=W-01",
        "/api/patients/W-01/scores",
    ):
        answer = client.get(path, headers=assessor)
        assert answer.status_code == 200, path
        _no_arm(answer.text)
    audit = oldest_first(client, token(client, "monitor"), "patient_id=W-01")
    grade = [a for a in audit if a["table"] == "adverse_events" and a["field"] == "grade"]
    assert [(a["old_value"], a["new_value"], a["user"]) for a in grade] == [("2.0", "3.0", "inv_1")]
    assert grade[0]["reason"] == "hospitalised: grade 3"
    by_assessor = {a["field"] for a in audit if a["user"] == "assessor_1"}
    assert by_assessor == {"mmt8", "phga"}


@pytest.fixture
def conduct_base(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'walk.db'}"
    prepare_service(url, conduct_trial(), CONDUCT_USERS)
    with live_server(url) as (base, _):
        yield base


def _api_token(base: str, user: str) -> dict[str, str]:
    answer = httpx.post(f"{base}/api/auth/token", json={"username": user, "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.mark.browser
@pytest.mark.slow
def test_the_walk_through_in_headless_chromium(
    conduct_base: str, chromium: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    from tests.server.test_browser import ARGS

    httpx.post(
        f"{conduct_base}/api/randomisation/setup",
        json={"seed": SEED},
        headers=_api_token(conduct_base, "unblinded"),
    ).raise_for_status()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        _page_login(page, conduct_base, "inv_1")
        page.goto(conduct_base + "/patients/new")
        for name, value in (
            ("patient_id", "W-02"),
            ("site", "1"),
            ("sex", "M"),
            ("age", "51"),
            ("diagnosis", "PM"),
            ("weight_kg", "80"),
            ("enrolment_date", "2026-11-02"),
            ("consent_date", "2026-11-01"),
            ("consent_form_version", "2.1"),
        ):
            if page.locator(f"#{name}").count():  # the site is the investigator's own
                page.fill(f"#{name}", value)
        for radio in page.locator("input[type=radio][value=yes]").all():
            group = radio.get_attribute("name") or ""
            answer = "no" if group.startswith("exclusion") else "yes"
            page.check(f"input[name='{group}'][value='{answer}']")
        page.click("button[type=submit]:has-text('Enrol')")
        page.wait_for_url("**/patients/W-02")
        page.click("#randomise-form button:has-text('Randomise')")
        page.wait_for_url("**/patients/W-02?saved=randomised")
        sealed = httpx.get(
            f"{conduct_base}/api/randomisation/list", headers=_api_token(conduct_base, "unblinded")
        ).json()
        position = next(p for p in sealed["list"] if p["patient_id"] == "W-02")
        assert page.inner_text("#stratum") == position["stratum"] == "site=1, diagnosis=PM"
        assert page.inner_text("#sequence") == str(position["sequence"])
        assert page.inner_text("#allocated-arm") == position["arm"]  # the investigator sees it
        assert page.locator("#randomise-form").count() == 0
        page.goto(conduct_base + "/patients/W-02/forms/infusion")
        page.fill("#f-infusion_date", "2026-11-05")
        page.fill("#f-cells_infused", "80000000")
        page.click("button:has-text('Save')")
        page.wait_for_url("**/patients/W-02?saved=infusion")
        assert "The infusion was saved." in page.inner_text("#saved")
        page.goto(conduct_base + "/patients/W-02/visits/new")
        page.fill("#f-visit_date", "2026-11-04")
        page.fill("#f-ck", "20000")  # ULN of the registry's CK: above 50 x asks to confirm
        page.click("button:has-text('Save visit')")
        page.locator("p.warning[data-field='ck']").wait_for(timeout=10_000)
        page.check("#confirm")
        page.click("button:has-text('Confirm and save')")
        page.wait_for_url("**/patients/W-02?saved=visit")
        page.goto(conduct_base + "/patients/W-02/forms/adverse-event")
        page.fill("#f-onset_date", "2026-11-06")
        page.fill("#f-term", "Headache")
        page.fill("#f-grade", "7")
        page.click("button:has-text('Save')")
        error = page.locator("p.error[data-field='grade']")
        assert error.inner_text().startswith("Grade (CTCAE)")
        assert page.input_value("#f-term") == "Headache"
        page.fill("#f-grade", "1")
        page.click("button:has-text('Save')")
        page.wait_for_url("**/patients/W-02?saved=adverse-event")
        assert "Headache" in page.inner_text("#adverse-events")
        page.goto(conduct_base + "/patients/W-02/corrections/new?table=adverse_events")
        page.select_option("#c-field", "grade")
        page.fill("#c-value", "2")
        page.fill("#c-reason", "source check")
        page.click("button:has-text('Save correction')")
        page.wait_for_url("**/patients/W-02?saved=correction")
        page.fill("#s-password", PASSWORD)
        page.click("button:has-text('Sign the casebook')")
        page.wait_for_url("**/patients/W-02?saved=signed")
        assert "signed and locked" in page.inner_text("#casebook-status")
        page.screenshot(path=str(tmp_path / "walk-investigator.png"), full_page=True)
        page.click("button:has-text('Log out')")
        _page_login(page, conduct_base, "assessor_1")
        for path in ("/patients", "/patients/W-02", "/audit?patient_id=W-02", "/schedule"):
            page.goto(conduct_base + path)
            _no_arm(page.content())
        page.screenshot(path=str(tmp_path / "walk-assessor.png"), full_page=True)
        # the refused forms answer 422 on purpose (a soft check, a grade of 7)
        assert [e for e in errors if "status of 422" not in e] == []
        browser.close()


def _page_login(page: Any, base: str, user: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/patients$"))
