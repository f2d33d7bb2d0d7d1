"""The report in a real browser (headless Chromium through Playwright)."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_fixtures import make_pilot, make_result, make_trial

from myotrial.report import render_report

pytestmark = pytest.mark.browser

ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_report(make_trial(), make_result(), pilot=make_pilot()), "utf-8")
    return path


@pytest.fixture(scope="module")
def browser(chromium: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
        yield browser
        browser.close()


def _open(browser, report_file: Path, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    messages: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report_file.as_uri(), wait_until="load")
    return page, messages, requests


def test_report_renders_without_console_errors_or_requests(browser, report_file, tmp_path):
    page, messages, requests = _open(browser, report_file, 1280)
    assert [m for m in messages if m.startswith(("error", "pageerror"))] == []
    assert requests == [report_file.as_uri()]
    page.screenshot(path=str(tmp_path / "desktop.png"), full_page=True)
    assert (tmp_path / "desktop.png").stat().st_size > 10_000
    page.close()


def test_every_figure_is_drawn_with_size(browser, report_file):
    page, _, _ = _open(browser, report_file, 1280)
    boxes = page.eval_on_selector_all(
        "figure svg",
        "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])",
    )
    assert len(boxes) == 5
    assert all(w > 200 and h > 100 for w, h in boxes)
    page.close()


def test_tables_are_present_and_visible(browser, report_file):
    page, _, _ = _open(browser, report_file, 1280)
    captions = page.eval_on_selector_all("table caption", "els => els.map(e => e.textContent)")
    assert "Table 1. Baseline characteristics" in captions
    assert "CK (U/L)" in captions
    assert page.locator("#table-measure-ck").is_visible()
    page.close()


def test_phone_width_page_does_not_scroll_sideways(browser, report_file, tmp_path):
    # Wide tables scroll inside their own box; the page itself fits a 375 px phone.
    page, _, _ = _open(browser, report_file, 375)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=str(tmp_path / "phone.png"), full_page=False)
    page.close()


def test_pdf_is_written_beside_the_html(tmp_path, monkeypatch, pdf_engine):
    from myotrial.report import write_report

    monkeypatch.setattr("myotrial.report.sections._pilot", lambda _p: make_pilot())
    written = write_report(make_trial(), make_result(), tmp_path / "report.html", pdf=True)
    assert written == [tmp_path / "report.html", tmp_path / "report.pdf"]
    pdf = written[1].read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert len(pdf) > 20_000  # text, tables and five vector figures
