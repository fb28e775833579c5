"""The apps on a phone (390×844) and a tablet (768×1024) in chromium: a compact header, targets
for a finger, nothing wider than the window, the work queue's rows as cards under folded filters,
the timeline's and the overview's tables as cards; axe-core in each state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bwcases.apps.common import PAGES
from bwcases.store import Store
from tests import axe
from tests.browser import (
    APP_TIMEOUT_MS,
    OVERFLOW,
    VIEWPORTS,
    needs_chromium,
    served,
    sign_in,
    small_targets,
)
from tests.helpers import PASSWORD, fill_advisor_case, served_store_url

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]
expect = pytest.importorskip("playwright.sync_api").expect
SIZES = {k: VIEWPORTS[k] for k in ("tablet", "phone")}  # the touch screens
HEADER_SHARE = 0.2  # of a phone's screen, at most, for the header
# the header's targets: the apps' links, her links, the sign-out button, the language
HEADER_TARGETS = ".bw-header a, .bw-header button, .bw-header select"
APPS = {page.removesuffix(".ipynb"): "factory=VN001" for page in PAGES}


@pytest.fixture(scope="module")
def served_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`bwcases serve` over the advisor case; yields (base URL, a folder for screenshots)."""
    folder = tmp_path_factory.mktemp("phones")
    store = fill_advisor_case(Store(served_store_url("sqlite", folder, "")), folder)
    with served(store.url, folder / "voila.log") as base:
        yield base, folder
    store.dispose()


def person_page(browser: Browser, base: str, viewport: str) -> Page:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(APP_TIMEOUT_MS)  # a page waits for its kernel
    sign_in(page, base, "Lan Nguyen", PASSWORD)
    return page


def open_app(page: Page, base: str, app: str, query: str) -> None:
    page.goto(f"{base}voila/render/{app}.ipynb?{query}")
    page.locator(".bw-app h1").wait_for(timeout=APP_TIMEOUT_MS)
    page.locator("#bw-loading").wait_for(state="detached", timeout=APP_TIMEOUT_MS)
    page.locator(".bw-who").wait_for()


def check(page: Page, viewport: str, state: str, shots: Path) -> list[str]:
    """axe-core's findings, targets under 44 px and what is wider than the window; a
    screenshot of the page as it is."""
    page.wait_for_timeout(300)  # the widgets' last changes drawn
    problems = []
    found = axe.violations(page)
    if found:
        problems.append(f"axe, {state}:\n{axe.report(found)}")
    if small := small_targets(page) + small_targets(page, HEADER_TARGETS):
        problems.append(f"targets under 44 px, {state}: {small}")
    if wide := page.evaluate(OVERFLOW):
        problems.append(f"wider than the window, {state}: {wide}")
    slug = "".join(c if c.isalnum() else "_" for c in state)
    shot = shots / f"{viewport}_{slug}.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    return problems


def cards(page: Page, table: str) -> list[str]:
    """The tables (`table` a selector) whose rows are not drawn as cards: a row's cells one
    under another, each named by its column, the row no wider than the window."""
    return page.locator(table).evaluate_all(
        """tables => tables.filter((t) => t.getClientRects().length).flatMap((t) => {
          const row = t.querySelector('tbody tr');
          const cells = [...row.querySelectorAll('td')].filter((td) => td.textContent.trim());
          const named = cells.every((td) =>
              getComputedStyle(td, '::before').content.includes(td.dataset.label));
          const stacked = cells.every((td, i) => i === 0 ||
              td.getBoundingClientRect().top >= cells[i - 1].getBoundingClientRect().bottom - 1);
          const narrow = row.getBoundingClientRect().right <= window.innerWidth;
          return named && stacked && narrow && getComputedStyle(row).display === 'block'
              ? [] : [`${t.className}: named ${named}, stacked ${stacked}, narrow ${narrow}`];
        })"""
    )


def table_rows(page: Page, table: str) -> list[str]:
    """How the rows of the tables on show are drawn (table-row on a tablet)."""
    return page.locator(f"{table} tbody tr").evaluate_all(
        "rows => rows.filter((r) => r.getClientRects().length)"
        ".map((r) => getComputedStyle(r).display)"
    )


@pytest.mark.parametrize("viewport", SIZES)
@pytest.mark.parametrize("app", APPS)
def test_the_header_is_compact_and_every_link_a_fingers_target(
    served_store: tuple[str, Path], browser: Browser, app: str, viewport: str
) -> None:
    base, folder = served_store
    page = person_page(browser, base, viewport)
    open_app(page, base, app, APPS[app])
    problems = check(page, viewport, f"{app} header", folder)
    header = page.locator(".bw-header").bounding_box()
    assert header is not None
    height = VIEWPORTS[viewport][1]
    if viewport == "phone":
        assert header["height"] <= HEADER_SHARE * height, header
        # her name shows; the sentence saying so is still read aloud
        expect(page.locator(".bw-who-name")).to_have_text("Lan Nguyen")
        expect(page.locator(".bw-who-signed")).to_have_text(
            "Signed in as Lan Nguyen (advisor, Vietnam)"
        )
    else:
        expect(page.locator(".bw-who-signed")).to_be_visible()
        expect(page.locator(".bw-who-name")).to_be_hidden()
    # every app one tap away, this one marked; the language named for a screen reader
    nav = page.get_by_role("navigation")
    for label in PAGES.values():
        expect(nav.get_by_role("link", name=label, exact=True)).to_have_count(1)
    expect(nav.locator("a[aria-current=page]")).to_have_text(PAGES[f"{app}.ipynb"])
    expect(page.get_by_label("Language", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.context.close()
    assert not problems, f"{app} at {viewport}:\n" + "\n".join(problems)


@pytest.mark.parametrize("viewport", SIZES)
def test_the_queue_is_cards_under_filters_that_fold_on_a_phone(
    served_store: tuple[str, Path], browser: Browser, viewport: str
) -> None:
    base, folder = served_store
    page = person_page(browser, base, viewport)
    open_app(page, base, "work_queue", "lang=en")
    page.get_by_text("Rows 1–3 of 3").wait_for(timeout=APP_TIMEOUT_MS)
    problems = check(page, viewport, "queue", folder)
    status = page.get_by_label("Status", exact=True)
    toggle = page.locator(".bw-queue-toggle")
    if viewport == "tablet":  # room enough: the filters show, the rows are a table's
        expect(status).to_be_visible()
        expect(toggle).to_be_hidden()
        assert set(table_rows(page, ".bw-cards")) == {"table-row"}
        page.context.close()
        assert not problems, "\n".join(problems)
        return

    # folded: a button says so, and how many are set
    expect(status).to_be_hidden()
    expect(toggle).to_have_text("Show filters (0 set)")
    assert cards(page, ".bw-cards") == []
    first = page.locator(".bw-cards tbody tr").first
    expect(first.locator("a.bw-open-item")).to_be_visible()

    # unfolded from the keyboard; one filter set, said on the button
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_text("Hide filters (0 set)")
    expect(status).to_be_visible()
    problems += check(page, viewport, "queue filters open", folder)
    status.select_option(label="Pending")
    expect(toggle).to_have_text("Hide filters (1 set)")
    problems += check(page, viewport, "queue filtered", folder)
    assert cards(page, ".bw-cards") == []

    # folded again: the filter still applies
    toggle.click()
    expect(toggle).to_have_text("Show filters (1 set)")
    expect(status).to_be_hidden()
    problems += check(page, viewport, "queue filters folded", folder)
    page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("viewport", SIZES)
def test_the_timeline_and_the_overview_fit_the_window(
    served_store: tuple[str, Path], browser: Browser, viewport: str
) -> None:
    base, folder = served_store
    page = person_page(browser, base, viewport)
    open_app(page, base, "case_timeline", "factory=VN001")
    page.locator(".bw-cards").first.wait_for()
    problems = check(page, viewport, "timeline", folder)
    drawn = cards(page, ".bw-cards") if viewport == "phone" else []
    open_app(page, base, "case_overview", "factory=VN001")
    page.locator(".bw-cards").first.wait_for()
    problems += check(page, viewport, "overview", folder)
    page.get_by_label("Show compliant CPs too").check()
    problems += check(page, viewport, "overview all CPs", folder)
    if viewport == "phone":
        assert drawn == [], "timeline"
        assert cards(page, ".bw-cards") == [], "overview"
    else:
        assert set(table_rows(page, ".bw-cards")) == {"table-row"}
    page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["ar", "km", "vi"])
def test_the_compact_header_in_longer_and_right_to_left_languages(
    served_store: tuple[str, Path], browser: Browser, lang: str
) -> None:
    base, folder = served_store
    page = person_page(browser, base, "phone")
    open_app(page, base, "remediation_tracker", f"factory=VN001&lang={lang}")
    problems = check(page, "phone", f"tracker header {lang}", folder)
    header = page.locator(".bw-header").bounding_box()
    assert header is not None and header["height"] <= HEADER_SHARE * VIEWPORTS["phone"][1]
    # the language picker on the heading's line, inside the window
    heading, picker = page.locator(".bw-header h1"), page.locator(".bw-header select")
    top, box = heading.bounding_box(), picker.bounding_box()
    assert top is not None and box is not None
    assert box["y"] < top["y"] + top["height"] and box["x"] >= 0
    assert box["x"] + box["width"] <= VIEWPORTS["phone"][0]
    expect(page.locator(".bw-who-name")).to_have_text("Lan Nguyen")
    page.context.close()
    assert not problems, "\n".join(problems)
