"""Comments and the PICC register in chromium on a phone (390x844): a comment added to a plan
item in the tracker, a member added to the register in the case timeline, a meeting's minutes
downloaded (and refused to someone else's portfolio); axe-core in each state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bwcases.store import Store, Upload
from tests.browser import APP_TIMEOUT_MS, needs_chromium, served
from tests.helpers import PDF, fill_advisor_case, served_store_url
from tests.phone_pages import page_problems, phone_page

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]
expect = pytest.importorskip("playwright.sync_api").expect
HOSTILE = '<img src=x onerror="document.title=1">'
MINUTES = "Biên bản họp PICC.pdf"


@pytest.fixture(scope="module")
def served_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store, int]]:
    """`bwcases serve` over the advisor case with a PICC meeting of VN001 and its minutes;
    yields (base URL, store, the meeting's id)."""
    folder = tmp_path_factory.mktemp("picc")
    store = fill_advisor_case(Store(served_store_url("sqlite", folder, "")), folder)
    meeting = store.add_visit(
        {
            "factory_id": "VN001",
            "date": dt.date(2024, 5, 14),
            "kind": "PICC meeting",
            "topics": "Overtime roster",
            "decisions": "Roster posted weekly",
        },
        "Lan Nguyen",
        minutes=Upload(MINUTES, "application/pdf", PDF),
    )
    with served(store.url, folder / "voila.log") as base:
        yield base, store, meeting
    store.dispose()


def drawn(page: Page, selector: str) -> None:
    page.locator(".bw-app h1").wait_for(timeout=APP_TIMEOUT_MS)
    page.locator("#bw-loading").wait_for(state="detached", timeout=APP_TIMEOUT_MS)
    page.locator(selector).first.wait_for(timeout=APP_TIMEOUT_MS)


def check(page: Page, state: str, shots: Path) -> list[str]:
    return page_problems(page, state, shots / f"picc_phone_{state.replace(' ', '_')}.png")


def test_a_comment_on_a_plan_item(
    served_store: tuple[str, Store, int],
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    base, store, _meeting = served_store
    shots = tmp_path_factory.getbasetemp()
    page = phone_page(browser, base, "Lan Nguyen")
    page.goto(f"{base}voila/render/remediation_tracker.ipynb?factory=VN001&item=1")
    drawn(page, ".bw-comments-box")
    page.get_by_text("No comments yet.").wait_for()
    problems = check(page, "thread empty", shots)

    box = page.get_by_label("Your comment")
    box.fill(f"Payroll checked {HOSTILE}")
    page.get_by_label("Who reads it").select_option(label="Shared: the factory reads it too")
    page.get_by_role("button", name="Add the comment").click()
    page.get_by_text("The comment was added.").wait_for()
    comment = page.locator(".bw-comment")
    expect(comment).to_have_count(1)
    expect(comment).to_contain_text(f"Payroll checked {HOSTILE}")  # as text, not an image
    expect(comment).to_contain_text("Shared with the factory")
    expect(comment.locator("img")).to_have_count(0)
    assert page.title() != "1"
    expect(box).to_have_value("")
    problems += check(page, "comment added", shots)
    stored = store.comment_thread(1, "Lan Nguyen")
    assert stored[["author", "visibility"]].values.tolist() == [["Lan Nguyen", "shared"]]
    page.context.close()
    assert not problems, "\n".join(problems)


def test_a_picc_member_and_a_meeting_s_minutes(
    served_store: tuple[str, Store, int],
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    base, store, meeting = served_store
    shots = tmp_path_factory.getbasetemp()
    page = phone_page(browser, base, "Lan Nguyen")
    page.goto(f"{base}voila/render/case_timeline.ipynb?factory=VN001")
    drawn(page, ".bw-picc")
    page.get_by_text("No PICC member is registered yet.").wait_for()
    problems = check(page, "register empty", shots)

    form = page.locator(".bw-picc")
    form.get_by_label("Name").fill("Mai Pham")
    form.get_by_label("Side").select_option(label="Workers' side")
    form.get_by_label("Gender").select_option(label="Woman")
    form.get_by_label("Role on the committee").fill("secretary")
    form.get_by_label("Elected or appointed").select_option(label="Elected")
    form.get_by_label("Member since").fill("15/01/2024")
    page.get_by_role("button", name="Keep in the register").click()
    page.get_by_text("The member was saved.").wait_for()
    table = page.locator(".bw-picc table")
    expect(table).to_contain_text("Mai Pham")
    expect(table).to_contain_text("15/01/2024")
    expect(page.locator(".bw-picc-counts")).to_contain_text("Women: 1")
    problems += check(page, "member added", shots)
    register = store.picc_register_frame(factory_ids=["VN001"])
    assert register[["name", "side", "gender"]].values.tolist() == [
        ["Mai Pham", "worker", "female"]
    ]

    # the meeting's decisions, and its minutes downloaded by the link
    expect(page.locator(".bw-app")).to_contain_text("Decisions: Roster posted weekly")
    link = page.get_by_role("link", name=f"Minutes: {MINUTES}")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == MINUTES
    assert Path(download.value.path()).read_bytes() == PDF
    page.context.close()

    # a portfolio without the factory is refused the file
    other = phone_page(browser, base, "Sokha Chan")
    answer = other.request.get(f"{base}minutes/{meeting}")
    assert answer.status == 404  # as an unknown ID
    assert other.request.get(f"{base}minutes/999999").status == 404
    other.context.close()
    assert not problems, "\n".join(problems)
