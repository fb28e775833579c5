"""Pages at a phone's width for the browser tests of the factory's own people (proposals,
comments, PICC): a signed-in browser of its own, and what a state of the page gets wrong."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests import axe
from tests.browser import APP_TIMEOUT_MS, OVERFLOW, VIEWPORTS, sign_in
from tests.helpers import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def phone_page(browser: Browser, base: str, name: str) -> Page:
    """A browser of its own (cookies, session) at a phone's width, signed in as `name`."""
    width, height = VIEWPORTS["phone"]
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=True, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(APP_TIMEOUT_MS)  # a page waits for its kernel
    sign_in(page, base, name, PASSWORD)
    return page


def page_problems(page: Page, state: str, shot: Path) -> list[str]:
    """axe-core's serious findings and what overflows the phone's width; a screenshot."""
    page.wait_for_timeout(300)  # the widgets' last changes drawn
    problems = []
    found = axe.violations(page)
    if found:
        problems.append(f"axe, {state}:\n{axe.report(found)}")
    if wide := page.evaluate(OVERFLOW):
        problems.append(f"wider than the window, {state}: {wide}")
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    return problems
