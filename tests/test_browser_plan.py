"""Finding the work in the Improvement Plan, in chromium at three widths: the factory search
narrows as she types, the findings tree opens a finding's form, badges say each state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bwcases.io.demo import fill_demo
from bwcases.store import Store
from tests import axe
from tests.browser import APP_TIMEOUT_MS, TARGET_PX, VIEWPORTS, needs_chromium, served, sign_in
from tests.helpers import PASSWORD, fill_advisor_case, password_hash, served_store_url

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]
expect = pytest.importorskip("playwright.sync_api").expect
TOUCH = {"tablet", "phone"}
# Sri Lanka's demo factory: 37 non-compliant questions, some planned (two awaiting
# verification), twelve with no plan yet
ADVISOR, FACTORY, NAME = "Nadeesha Perera", "LK0001", "Seethawaka Intimates (Pvt) Ltd."


@pytest.fixture(scope="module")
def served_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    """`bwcases serve` over the demo portfolio (12 factories) and the advisor case."""
    folder = tmp_path_factory.mktemp("plan")
    store = Store(served_store_url("sqlite", folder, ""))
    fill_demo(store, factories=12, seed=7)
    fill_advisor_case(store, folder)
    store.add_user(
        ADVISOR, role="advisor", country="Sri Lanka", password_hash=password_hash(), actor="test"
    )
    with served(store.url, folder / "voila.log") as base:
        yield base, store
    store.dispose()


def person_page(browser: Browser, base: str, viewport: str, name: str) -> Page:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=viewport in TOUCH
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(APP_TIMEOUT_MS)  # a page waits for its kernel
    sign_in(page, base, name, PASSWORD)
    return page


def open_plan(page: Page, base: str, query: str = "") -> None:
    page.goto(f"{base}voila/render/improvement_plan.ipynb?{query}")
    page.locator(".bw-app h1").wait_for(timeout=APP_TIMEOUT_MS)
    page.locator("#bw-loading").wait_for(state="detached", timeout=APP_TIMEOUT_MS)


def press(page: Page, viewport: str, target: Locator) -> None:
    """What a person does to a button: a tap on a touch screen, a click with a mouse."""
    if viewport in TOUCH:
        target.tap()
    else:
        target.click()


def no_serious_violations(page: Page, state: str) -> None:
    page.wait_for_timeout(300)  # the widgets' last changes drawn
    found = axe.violations(page)
    assert not found, f"axe, {state}:\n{axe.report(found)}"


def screenshot(page: Page, folder: Path, name: str) -> None:
    shot = folder / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")


def unplanned_count(page: Page) -> int:
    text = page.locator(".bw-plan-counts .bw-badge-none").inner_text()
    return int(text.rsplit(":", 1)[1])


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_search_narrows_as_she_types_and_opens_a_single_match(
    served_store: tuple[str, Store], browser: Browser, viewport: str
) -> None:
    base, _store = served_store
    page = person_page(browser, base, viewport, "Minh Tran")  # staff: Vietnam's factories
    open_plan(page, base)
    factory = page.get_by_label("Factory", exact=True)
    options = factory.locator("option")
    expect(options).to_have_count(4)  # "Choose…" and three factories
    search = page.get_by_label("Search", exact=True)
    search.press_sequentially("garm", delay=40)  # Saigon Garments, Hung Yen Garment JSC
    expect(options).to_have_count(3)
    expect(page.get_by_text("Factories: 2", exact=True)).to_be_visible()
    expect(page.locator(".bw-app h2")).to_have_count(0)  # two matches: she chooses
    search.fill("")
    search.press_sequentially("hung", delay=40)  # one match, and no Enter
    expect(page.locator(".bw-app h2")).to_have_text("Hung Yen Garment JSC", timeout=20_000)
    expect(options).to_have_count(2)
    expect(page.locator(".bw-plan-row").first).to_be_visible()
    no_serious_violations(page, "a search of one match")
    page.context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_finding_picked_in_the_tree_opens_its_form_under_it(
    served_store: tuple[str, Store],
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
    viewport: str,
) -> None:
    base, store = served_store
    shots = tmp_path_factory.getbasetemp()
    page = person_page(browser, base, viewport, ADVISOR)
    open_plan(page, base, f"factory={FACTORY}")
    expect(page.locator(".bw-app h2")).to_have_text(NAME)
    rows = page.locator(".bw-plan-row")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 37  # a row per non-compliant question, and the others
    # badges: each state its own colour; the unplanned ones counted in the summary
    colours = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.bw-plan-row .bw-flag')]
             .map((b) => [b.className.split(' ').pop(), getComputedStyle(b).backgroundColor]))"""
    )
    statuses = [f"bw-badge-{k}" for k in ("pending", "in-progress", "completed", "awaiting")]
    assert "bw-badge-none" in colours and all(k in colours for k in statuses), colours
    assert len({colours[k] for k in ["bw-badge-none", *statuses]}) == 5  # a colour each
    unplanned = unplanned_count(page)
    assert page.locator(".bw-plan-row .bw-badge-none").count() == unplanned > 0
    if viewport in TOUCH:  # each row a finger's target
        small = [
            box["height"]
            for box in page.locator(".bw-plan-pick").evaluate_all(
                "bs => bs.map((b) => b.getBoundingClientRect().toJSON())"
            )
            if box["height"] < TARGET_PX - 0.5
        ]
        assert not small, small
    if viewport == "phone":
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    no_serious_violations(page, "the tree")
    screenshot(page, shots, f"plan_tree_{viewport}")

    # the first finding with no plan yet: picked, its form opens right under it
    text = rows.filter(has=page.locator(".bw-badge-none")).first.locator(".bw-plan-pick")
    name = text.inner_text().strip()
    question = name.split(":", 1)[0]
    button = page.get_by_role("button", name=name, exact=True)
    row = rows.filter(has=button)  # the same row, whatever its badges say next
    press(page, viewport, button)
    issue = row.get_by_label("Issue *", exact=True)
    expect(issue).to_be_visible()
    assert "bw-plan-open" in (row.get_attribute("class") or "")
    top, form_top = row.bounding_box(), issue.bounding_box()
    assert top and form_top and top["y"] < form_top["y"] < top["y"] + top["height"]
    expect(row.locator(".bw-question")).to_contain_text(question)  # the CAT question, above
    no_serious_violations(page, "a finding's form open in the tree")
    screenshot(page, shots, f"plan_form_{viewport}")
    issue.fill("Chemicals stored without labels")
    row.get_by_label("Action *", exact=True).fill("Label every container")
    row.get_by_label("Responsible person *", exact=True).fill("OSH officer")
    row.get_by_label("Due date *", exact=True).fill("31/01/2099")
    press(page, viewport, row.get_by_role("button", name="Save"))
    row.get_by_text("Saved.").wait_for()
    expect(row.locator(".bw-badge-pending")).to_have_text("Planned: Pending")
    expect(page.locator(".bw-plan-counts .bw-badge-none")).to_have_text(
        f"No plan yet: {unplanned - 1}"
    )
    items = store.plan_items_frame(factory_ids=[FACTORY])
    saved = items[items["question_id"] == question]
    assert saved["issue"].tolist() == ["Chemicals stored without labels"]
    no_serious_violations(page, "saved")
    page.context.close()


def test_the_tree_answers_the_keyboard(
    served_store: tuple[str, Store], browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    base, _store = served_store
    page = person_page(browser, base, "desktop", "Lan Nguyen")
    open_plan(page, base, "factory=VN001")
    button = page.get_by_role("button", name="WT.OT.01: Question WT.OT.01?")
    button.focus()
    page.keyboard.press("Enter")
    action = page.get_by_label("Action *", exact=True)
    expect(action).to_be_visible()
    expect(button).to_be_focused()  # the row stayed as it was: her place is kept
    page.keyboard.press("Tab")  # the next stop is the form, right under the row
    in_form = page.evaluate("() => !!document.activeElement.closest('.bw-plan-row .bw-box')")
    assert in_form
    action.fill("Cap overtime at the legal limit")  # unsaved, then another row
    other = page.get_by_role("button", name="CMP.PL.01: Question CMP.PL.01?")
    other.focus()
    page.keyboard.press("Space")
    ask = page.locator(".bw-plan-row", has=other).locator(".bw-ask")
    expect(ask).to_be_visible()  # asked where she is, not at the top of the other form
    expect(ask.get_by_role("button", name="Back to my changes")).to_be_visible()
    no_serious_violations(page, "asked about unsaved changes")
    screenshot(page, tmp_path_factory.getbasetemp(), "plan_ask_desktop")
    ask.get_by_role("button", name="Back to my changes").click()
    expect(ask).to_be_hidden()
    expect(action).to_have_value("Cap overtime at the legal limit")
    button.focus()
    page.keyboard.press("Enter")  # a second press on the open row closes it
    page.locator(".bw-plan-row", has=button).locator(".bw-ask").get_by_role(
        "button", name="Discard my changes"
    ).click()
    expect(action).to_be_hidden()
    page.context.close()


def test_badges_keep_their_colours_in_arabic(
    served_store: tuple[str, Store], browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    base, _store = served_store
    page = person_page(browser, base, "phone", ADVISOR)
    open_plan(page, base, f"factory={FACTORY}&lang=ar")
    row = page.locator(".bw-plan-row").first
    expect(row).to_be_visible()
    assert page.locator(".bw-app").first.evaluate("e => getComputedStyle(e).direction") == "rtl"
    button = row.locator(".bw-plan-pick")
    assert button.evaluate("b => getComputedStyle(b).textAlign") == "right"  # Latin, at the right
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    no_serious_violations(page, "Arabic")
    screenshot(page, tmp_path_factory.getbasetemp(), "plan_tree_phone_ar")
    page.context.close()
