"""The apps' accessibility in chromium: axe-core, the page's language, targets and widths."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bwcases.apps.common import PAGES
from bwcases.core.i18n import translator
from bwcases.store import Store
from tests import axe
from tests.browser import (
    APP_TIMEOUT_MS,
    OVERFLOW,
    TARGET_PX,
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
pytest.importorskip("playwright.sync_api")
SHOTS = {"tablet", "phone"}  # the viewports whose screenshots a person looks at


@pytest.fixture(scope="module")
def served_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`bwcases serve` over a SQLite store with the advisor case; yields (base URL, folder)."""
    folder = tmp_path_factory.mktemp("a11y")
    store = fill_advisor_case(Store(served_store_url("sqlite", folder, "")), folder)
    with served(store.url, folder / "voila.log") as base:
        yield base, folder
    store.dispose()


def person_page(
    browser: Browser, base: str, size: tuple[int, int], name: str = "Lan Nguyen"
) -> Page:
    width, height = size
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(APP_TIMEOUT_MS)  # a page waits for its kernel
    sign_in(page, base, name, PASSWORD)
    return page


def open_app(page: Page, base: str, app: str, query: str) -> None:
    page.goto(f"{base}voila/render/{app}.ipynb?{query}")
    page.locator(".bw-app").first.wait_for(timeout=APP_TIMEOUT_MS)
    page.locator("#bw-loading").wait_for(state="detached", timeout=APP_TIMEOUT_MS)


def choose(page: Page, label: str, containing: str) -> None:
    """Pick the option of a labelled dropdown whose text contains `containing`."""
    select = page.get_by_label(label, exact=True)
    select.locator("option", has_text=containing).first.wait_for(state="attached")
    values = select.locator("option").evaluate_all("options => options.map(o => o.value)")
    select.select_option(value=next(v for v in values if containing in v.replace("\xa0", " ")))


def plan_states(page: Page) -> Iterator[str]:
    yield "open"
    choose(page, "Work on", "CMP.WI.01")
    page.get_by_label("Action *", exact=True).wait_for()
    yield "item's form"
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Nothing was saved: correct the marked fields.").wait_for()
    yield "errors"


def tracker_states(page: Page) -> Iterator[str]:
    yield "open"
    choose(page, "Item", "#1 ")
    page.get_by_label("Note *", exact=True).wait_for()
    yield "item's form"
    page.get_by_role("button", name="Record the update").click()
    page.locator(".bw-field-error").first.wait_for()
    yield "errors"
    page.get_by_role("tab", name="Overdue and persistent items").click()
    yield "second tab"


def timeline_states(page: Page) -> Iterator[str]:
    yield "open"
    page.get_by_role("button", name="Save").click()
    page.locator(".bw-field-error").first.wait_for()
    yield "errors"


def overview_states(page: Page) -> Iterator[str]:
    page.locator(".bw-table").first.wait_for()
    yield "open"
    page.get_by_label("Show compliant CPs too").check()
    yield "compliant CPs shown"


APPS: dict[str, tuple[str, Callable[[Page], Iterator[str]]]] = {
    "improvement_plan": ("factory=VN003", plan_states),
    "remediation_tracker": ("factory=VN001", tracker_states),
    "case_timeline": ("factory=VN001", timeline_states),
    "case_overview": ("factory=VN001", overview_states),
}


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("app", APPS)
def test_no_violation_in_any_state_at_any_width(
    served_store: tuple[str, Path],
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
    app: str,
    viewport: str,
) -> None:
    base, _folder = served_store
    page = person_page(browser, base, VIEWPORTS[viewport])
    query, states = APPS[app]
    open_app(page, base, app, query)
    problems = []
    for state in states(page):
        page.wait_for_timeout(300)  # the widgets' last changes drawn
        found = axe.violations(page)
        if found:
            problems.append(f"axe, {state}:\n{axe.report(found)}")
        if viewport == "tablet" and (small := small_targets(page)):
            problems.append(f"targets under {TARGET_PX} px, {state}: {small}")
        if viewport == "phone" and (wide := page.evaluate(OVERFLOW)):
            problems.append(f"wider than the window, {state}: {wide}")
        if viewport in SHOTS:
            slug = "".join(c if c.isalnum() else "_" for c in state)
            shot = tmp_path_factory.getbasetemp() / f"{app}_{viewport}_{slug}.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
    page.context.close()
    assert not problems, f"{app} at {viewport}:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_each_page_says_its_language_direction_and_name(
    served_store: tuple[str, Path], browser: Browser, lang: str
) -> None:
    base, _folder = served_store
    page = person_page(browser, base, VIEWPORTS["desktop"])
    _ = translator(lang)
    seen = {}
    for app, (query, _states) in APPS.items():
        open_app(page, base, app, f"{query}&lang={lang}")
        # the language the app speaks, as its class tells the page script
        marked = page.locator(".bw-app").first.evaluate(
            "e => (e.className.match(/\\bbw-lang-([\\w-]+)/) || [null, ''])[1]"
        )
        html = page.locator("html")
        seen[app] = (
            html.get_attribute("lang"),
            html.get_attribute("dir"),
            page.title(),
            page.locator("main").count(),
        )
        assert marked == lang, app
        dir_ = "rtl" if lang == "ar" else "ltr"
        assert seen[app] == (lang, dir_, _(PAGES[f"{app}.ipynb"]), 1), app
        found = axe.violations(page)
        assert not found, f"{app} in {lang}:\n{axe.report(found)}"
    page.context.close()


def test_field_errors_are_tied_to_their_fields_and_focus_shows(
    served_store: tuple[str, Path], browser: Browser
) -> None:
    base, _folder = served_store
    page = person_page(browser, base, VIEWPORTS["desktop"])
    open_app(page, base, "improvement_plan", "factory=VN003")
    states = plan_states(page)
    next(states), next(states)
    action = page.get_by_label("Action *", exact=True)
    assert action.get_attribute("required") is not None
    assert action.get_attribute("aria-invalid") in (None, "false")
    page.get_by_label("Responsible person *", exact=True).fill("Payroll clerk")
    next(states)  # a bad save
    assert action.get_attribute("aria-invalid") == "true"
    told = (action.get_attribute("aria-describedby") or "").split()
    messages = [page.locator(f"#{id_}").inner_text() for id_ in told]
    assert "Fill in this field." in messages
    # a field without an error is not said to have one
    responsible = page.get_by_label("Responsible person *", exact=True)
    assert responsible.get_attribute("aria-invalid") in (None, "false")
    # the keyboard's focus is seen: a ring of at least 2 px
    action.focus()
    page.keyboard.press("Tab")
    ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert ring[0] != "none" and ring[1] >= 2, ring
    page.context.close()


def test_the_trackers_second_tab_shows_only_its_panel(
    served_store: tuple[str, Path], browser: Browser
) -> None:
    base, _folder = served_store
    page = person_page(browser, base, VIEWPORTS["desktop"])
    open_app(page, base, "remediation_tracker", "factory=VN001")
    plan = page.get_by_label("Item", exact=True)
    assert plan.is_visible()
    page.get_by_role("tab", name="Overdue and persistent items").click()
    page.wait_for_timeout(300)
    assert not plan.is_visible()
    # the tab widget's panels (beside its tab bar): the boxes of those shown
    shown = page.locator(".jupyter-widget-tab").first.evaluate(
        "tab => [...[...tab.children].find((c) => !c.matches('.lm-TabBar')).children]"
        ".map((c) => c.getBoundingClientRect()).filter((r) => r.height).map((r) => r.y)"
    )
    assert len(shown) == 1 and shown[0] < 900, shown  # the list on screen, not below
    page.context.close()
