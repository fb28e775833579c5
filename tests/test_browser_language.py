"""Her language in the served apps, driven by chromium: chosen once, kept for her next pages and
her next sign-in; the domain's names translated; Latin codes set apart in Arabic sentences."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bwcases.store import Store
from tests.browser import APP_TIMEOUT_MS, needs_chromium, served, sign_in
from tests.helpers import PASSWORD, fill_advisor_case, served_store_url

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]
expect = pytest.importorskip("playwright.sync_api").expect
OVERVIEW = "voila/render/case_overview.ipynb?factory=VN001"  # no ?lang=: hers is asked for


@pytest.fixture(scope="module")
def served_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    """`bwcases serve` over an SQLite store with the advisor case; yields (base URL, store)."""
    folder = tmp_path_factory.mktemp("language")
    store = fill_advisor_case(Store(served_store_url("sqlite", folder, "")), folder)
    with served(store.url, folder / "voila.log") as base:
        yield base, store
    store.dispose()


def wait_until_kept(store: Store, name: str, lang: str) -> None:
    """Wait until the page's kernel has stored her choice (it saves once the page switched)."""
    deadline = time.monotonic() + 30
    while store.language_of(name) != lang and time.monotonic() < deadline:
        time.sleep(0.2)
    assert store.language_of(name) == lang


def open_overview(page: Page, base: str, heading: str) -> None:
    page.goto(f"{base}{OVERVIEW}", timeout=APP_TIMEOUT_MS)
    expect(page.locator(".bw-app h1")).to_have_text(heading, timeout=APP_TIMEOUT_MS)


def test_her_language_is_kept_and_arabic_keeps_codes_in_place(
    served_store: tuple[str, Store], browser: Browser, tmp_path: Path
) -> None:
    base, store = served_store
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(APP_TIMEOUT_MS)
    sign_in(page, base, "Lan Nguyen", PASSWORD)
    open_overview(page, base, "Case overview")  # her browser's language: nothing chosen yet

    page.get_by_label("Language", exact=True).select_option(label="Tiếng Việt")
    expect(page.locator(".bw-app h1")).to_have_text("Tổng quan hồ sơ")
    wait_until_kept(store, "Lan Nguyen", "vi")
    page.reload()  # the address has no ?lang=: her choice, not the browser's English
    expect(page.locator(".bw-app h1")).to_have_text("Tổng quan hồ sơ", timeout=APP_TIMEOUT_MS)
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    app = page.locator(".bw-app")
    expect(app).to_contain_text("Sẵn sàng ứng phó khẩn cấp")  # Emergency Preparedness, a CP
    expect(app).to_contain_text("Việt Nam")
    expect(app).not_to_contain_text("Emergency Preparedness")
    page.screenshot(path=tmp_path / "overview-vi.png", full_page=True)

    page.get_by_label("Ngôn ngữ", exact=True).select_option(label="العربية")
    expect(page.locator(".bw-app h1")).to_have_text("نظرة عامة على الحالة")
    wait_until_kept(store, "Lan Nguyen", "ar")
    # signed out and in again, she lands in Arabic on the next page she opens
    page.get_by_role("button", name="تسجيل الخروج").click()
    page.wait_for_url("**/login?lang=ar")
    sign_in(page, base, "Lan Nguyen", PASSWORD)
    open_overview(page, base, "نظرة عامة على الحالة")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    # "آخر تقييم: Quest.ID 1500، …": the code is set apart in the sentence
    latest = page.locator(".bw-app p", has=page.locator("bdi", has_text="Quest.ID 1500")).first
    expect(latest).to_contain_text("Quest.ID 1500")
    facts = page.locator(".bw-app .bw-muted bdi")
    expect(facts.first).to_have_text("VN001")
    # each value is its own bidi isolate, the sentence right to left around it
    assert latest.evaluate("p => getComputedStyle(p).direction") == "rtl"
    assert latest.locator("bdi").first.evaluate("b => getComputedStyle(b).unicodeBidi") == (
        "isolate"
    )
    page.screenshot(path=tmp_path / "overview-ar.png", full_page=True)
    context.close()
