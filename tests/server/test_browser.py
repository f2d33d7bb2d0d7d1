"""The web pages in headless Chromium: log in, enter a visit (with live validation and
TIS), see it on the timeline, and read the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.server.conftest import PASSWORD, prepare_service
from tests.server.live import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page(tmp_path: Path, chromium: str) -> Iterator[Page]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.errors = errors  # type: ignore[attr-defined]
        yield page
        browser.close()


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    url = prepare_service(f"sqlite:///{tmp_path / 'web.db'}")
    with live_server(url) as (base, _):
        yield base


def _login(page: Page, base_url: str, user: str) -> None:
    page.goto(base_url + "/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_login_shows_only_the_sites_patients(page: Page, base_url: str) -> None:
    _login(page, base_url, "inv_b")
    page.wait_for_url("**/patients")
    rows = page.locator("tbody tr").all_inner_texts()
    assert len(rows) == 1 and rows[0].startswith("B-01")
    assert page.errors == []


def test_wrong_password_shows_a_message(page: Page, base_url: str) -> None:
    page.goto(base_url + "/login")
    page.fill("#username", "inv_a")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert "Wrong user name or password" in page.inner_text("main")


def test_entry_form_validates_and_scores_as_values_are_typed(
    page: Page, base_url: str, tmp_path: Path
) -> None:
    _login(page, base_url, "inv_a")
    page.goto(base_url + "/patients/A-01/visits/new")
    page.fill("#f-visit_date", "2025-02-20")
    page.fill("#f-phga", "12")
    # the problem appears beside its field, in words
    problem = page.locator('p.error[data-field="phga"]')
    problem.wait_for(timeout=10_000)
    assert "12" in problem.inner_text()
    assert problem.inner_text().startswith("Physician global activity (VAS)")
    # phga 6 -> 3, ptga 7 -> 4, extramuscular 4 -> 2, mmt8 44 -> 60, haq 1.5 -> 1.0,
    # CK 1600 -> 300: 17.5 + 7.5 + 12.5 + 20 + 7.5 + 7.5 = 72.5 (hand calculation)
    for field, value in (
        ("phga", "3"),
        ("ptga", "4"),
        ("extramuscular", "2"),
        ("mmt8", "60"),
        ("haq", "1.0"),
        ("ck", "300"),
    ):
        page.fill(f"#f-{field}", value)
    tis = page.locator("#tis")
    # A locator wait, not wait_for_function: the page's Content-Security-Policy forbids
    # evaluating strings as script, which is what wait_for_function does.
    tis.filter(has_text="72.5").wait_for(timeout=10_000)
    assert "major" in tis.inner_text()
    page.click("button:has-text('Save visit')")
    page.wait_for_url("**/patients/A-01?saved=visit")
    assert "The visit was saved." in page.inner_text("#saved")
    assert "2025-02-20" in page.inner_text("#visits")
    chart = page.locator("#chart svg")
    box = chart.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    page.screenshot(path=str(tmp_path / "timeline.png"), full_page=True)
    page.goto(base_url + "/audit?patient_id=A-01")
    assert "inv_a" in page.inner_text("#audit")
    assert page.errors == []


def test_a_form_without_its_csrf_token_is_refused(page: Page, base_url: str) -> None:
    _login(page, base_url, "inv_a")
    status = page.evaluate(
        """async () => {
             const body = new URLSearchParams({visit_date: '2025-03-01', phga: '2'});
             const r = await fetch('/patients/A-01/visits/new', {method: 'POST', body});
             return r.status; }"""
    )
    assert status == 403
