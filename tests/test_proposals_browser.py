"""A factory's own person proposes progress in the tracker; the advisor, in another browser,
accepts it: in chromium on a phone's width, with axe-core's check of each page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bwcases.store import Store
from tests.browser import APP_TIMEOUT_MS, needs_chromium, served
from tests.helpers import PDF, fill_advisor_case, password_hash, served_store_url
from tests.phone_pages import page_problems, phone_page

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]
expect = pytest.importorskip("playwright.sync_api").expect
RINA = "Rina Akter"
EXIT = "Exit blocked by boxes"


@pytest.fixture(scope="module")
def served_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store, Path]]:
    """`bwcases serve` over the advisor case and Rina of Saigon Garments' own people."""
    folder = tmp_path_factory.mktemp("proposals")
    store = fill_advisor_case(Store(served_store_url("sqlite", folder, "")), folder)
    store.add_user(
        RINA, role="factory", country="Vietnam", factory="VN001", password_hash=password_hash(),
        actor="test",
    )  # fmt: skip
    with served(store.url, folder / "voila.log") as base:
        yield base, store, folder
    store.dispose()


def open_item(page: Page, base: str, item_id: int) -> None:
    page.goto(f"{base}voila/render/remediation_tracker.ipynb?factory=VN001&item={item_id}")
    page.locator(".bw-app h1").wait_for(timeout=APP_TIMEOUT_MS)
    page.locator("#bw-loading").wait_for(state="detached", timeout=APP_TIMEOUT_MS)
    page.get_by_role("heading", name=f"Plan item #{item_id}: Emergency Preparedness").wait_for()


def check(page: Page, state: str, shots: Path) -> list[str]:
    return page_problems(page, state, shots / f"proposals_{state.replace(' ', '_')}.png")


def test_she_proposes_and_the_advisor_accepts_in_another_browser(
    served_store: tuple[str, Store, Path],
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    base, store, folder = served_store
    shots = tmp_path_factory.getbasetemp()
    items = store.plan_items_frame(factory_ids=["VN001"])
    item_id = int(items.loc[items["issue"] == EXIT, "item_id"].iloc[0])

    rina = phone_page(browser, base, RINA)
    open_item(rina, base, item_id)
    rina.get_by_label("New status").select_option(label="In Progress")
    rina.get_by_role("textbox", name="Note *").fill("Boxes moved <today>, see the photo")
    photo = folder / "store room.pdf"
    photo.write_bytes(PDF)
    with rina.expect_file_chooser() as chooser:
        rina.locator(".bw-evidence-choose").click()
    chooser.value.set_files(str(photo))
    rina.locator(".bw-evidence-chosen-file", has_text=photo.name).wait_for()
    propose = rina.get_by_role("button", name="Propose the update")
    propose.click()
    rina.get_by_text("Proposed — waiting for review.").first.wait_for(timeout=APP_TIMEOUT_MS)
    card = rina.locator(".bw-proposal")
    expect(card).to_contain_text("Boxes moved <today>, see the photo")  # text, not markup
    expect(card).to_contain_text("Pending → In Progress")
    expect(rina.get_by_role("button", name="Accept")).to_have_count(0)  # not hers to accept
    problems = check(rina, "factory proposed", shots)
    assert store.plan_item(item_id)["status"] == "Pending"

    lan = phone_page(browser, base, "Lan Nguyen")
    open_item(lan, base, item_id)
    expect(lan.locator(".bw-proposal")).to_contain_text("proposed by Rina Akter")
    # the file she sent, before it is accepted: for the advisor, not for another's portfolio
    href = lan.locator("a.bw-proposal-file", has_text=photo.name).get_attribute("href") or ""
    got = lan.request.get(base + href.lstrip("/"))
    assert (got.status, got.body()) == (200, PDF)
    sokha = phone_page(browser, base, "Sokha Chan")
    assert sokha.request.get(base + href.lstrip("/")).status == 404  # as an unknown ID
    problems += check(lan, "advisor reviews", shots)
    lan.get_by_role("button", name="Accept", exact=True).click()
    lan.get_by_text("was accepted").first.wait_for(timeout=APP_TIMEOUT_MS)
    expect(lan.locator(".bw-tracker-facts")).to_contain_text("In Progress")
    expect(lan.locator("td", has_text="Lan Nguyen (proposed by Rina Akter)").first).to_be_visible()
    problems += check(lan, "advisor accepted", shots)

    after = store.plan_item(item_id)
    assert (after["status"], after["updated_by"]) == (
        "In Progress",
        "Lan Nguyen (proposed by Rina Akter)",
    )
    assert not problems, "\n".join(problems)


def test_the_advisor_reviews_a_proposed_new_item_in_the_plan(
    served_store: tuple[str, Store, Path],
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    base, store, _folder = served_store
    shots = tmp_path_factory.getbasetemp()
    store.propose_item(
        RINA,
        "VN001",
        {"compliance_point": "Overtime", "issue": "Sunday work <b>", "action": "A rota"},
    )
    lan = phone_page(browser, base, "Lan Nguyen")
    lan.goto(f"{base}voila/render/improvement_plan.ipynb?factory=VN001")
    lan.locator(".bw-app h1").wait_for(timeout=APP_TIMEOUT_MS)
    lan.locator("#bw-loading").wait_for(state="detached", timeout=APP_TIMEOUT_MS)
    lan.get_by_role("heading", name="New items proposed").wait_for()
    card = lan.locator(".bw-proposal", has_text="Sunday work <b>")
    expect(card).to_contain_text("proposed by Rina Akter")
    problems = check(lan, "plan new item proposed", shots)
    lan.get_by_role("textbox", name="Comment (to send it back)").fill("Which line? Say who")
    lan.get_by_role("button", name="Send back").click()
    lan.get_by_text("was sent back").first.wait_for(timeout=APP_TIMEOUT_MS)
    expect(card).to_contain_text("Lan Nguyen sent it back: Which line? Say who")
    problems += check(lan, "plan new item sent back", shots)
    assert not problems, "\n".join(problems)
