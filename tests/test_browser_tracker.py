"""Finding the work and its evidence in the remediation tracker, in chromium at three widths: the
chooser above the plan, a row that opens its item, the overdue filter, files chosen, taken out,
stored, previewed and downloaded in one click; axe-core in each state."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image

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
)
from tests.helpers import PASSWORD, fill_advisor_case, served_store_url

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]
expect = pytest.importorskip("playwright.sync_api").expect
TOUCH = {"tablet", "phone"}


@pytest.fixture(scope="module")
def served_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store, Path]]:
    """`bwcases serve` over the advisor case; yields (base URL, store, a folder for files)."""
    folder = tmp_path_factory.mktemp("tracker")
    store = fill_advisor_case(Store(served_store_url("sqlite", folder, "")), folder)
    with served(store.url, folder / "voila.log") as base:
        yield base, store, folder
    store.dispose()


def person_page(browser: Browser, base: str, viewport: str) -> Page:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(
        viewport={"width": width, "height": height},
        has_touch=viewport in TOUCH,
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(APP_TIMEOUT_MS)  # a page waits for its kernel
    sign_in(page, base, "Lan Nguyen", PASSWORD)
    return page


def drawn(page: Page) -> None:
    page.locator(".bw-app h1").wait_for(timeout=APP_TIMEOUT_MS)
    page.locator("#bw-loading").wait_for(state="detached", timeout=APP_TIMEOUT_MS)
    page.locator(".bw-tracker-plan").wait_for()


def check(page: Page, viewport: str, state: str, shots: Path) -> list[str]:
    """axe-core's serious findings, and at a finger's width small targets or overflow; a
    screenshot of the page as it is."""
    page.wait_for_timeout(300)  # the widgets' last changes drawn
    problems = []
    found = axe.violations(page)
    if found:
        problems.append(f"axe, {state}:\n{axe.report(found)}")
    if viewport in TOUCH:
        small = page.locator(".bw-evidence-remove, .widget-upload").evaluate_all(
            "els => els.filter((e) => e.offsetParent).map((e) => e.getBoundingClientRect())"
            ".filter((r) => Math.min(r.width, r.height) < 43.5).map((r) => [r.width, r.height])"
        )
        if small:
            problems.append(f"targets under {TARGET_PX} px, {state}: {small}")
    if viewport == "phone" and (wide := page.evaluate(OVERFLOW)):
        problems.append(f"wider than the window, {state}: {wide}")
    slug = "".join(c if c.isalnum() else "_" for c in state)
    shot = shots / f"tracker_{viewport}_{slug}.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    return problems


def pdf_page() -> bytes:
    """A real one-page PDF (its preview is its page)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = io.BytesIO()
    fig = plt.figure(figsize=(8.27, 11.69))
    fig.text(0.1, 0.85, "Biên bản họp PICC", fontsize=40)
    fig.text(0.1, 0.75, "Lối thoát hiểm đã thông", fontsize=28)
    fig.savefig(out, format="pdf")
    plt.close(fig)
    return out.getvalue()


def attach(page: Page, *files: Path) -> None:
    """Choose evidence files in the tracker's file chooser; wait until they are listed."""
    with page.expect_file_chooser() as chooser:
        page.locator(".bw-evidence-choose").click()
    chooser.value.set_files([str(f) for f in files])
    for f in files:
        page.locator(".bw-evidence-chosen-file", has_text=f.name).wait_for()


def listed(page: Page) -> list[str]:
    return [
        t.split("\n")[0].rsplit(" ", 2)[0].strip()
        for t in page.locator(".bw-evidence-chosen-file .bw-evidence-name").all_inner_texts()
    ]


def rows(page: Page) -> list[str]:
    return page.locator(".bw-tracker-plan tbody tr td:first-child").all_inner_texts()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_find_an_item_and_store_its_evidence(
    served_store: tuple[str, Store, Path],
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
    viewport: str,
) -> None:
    base, store, folder = served_store
    shots = tmp_path_factory.getbasetemp()
    page = person_page(browser, base, viewport)
    page.goto(f"{base}voila/render/remediation_tracker.ipynb?factory=VN001")
    drawn(page)
    problems = check(page, viewport, "open", shots)

    # the chooser and the filter are above the plan
    chooser, show = page.get_by_label("Item", exact=True), page.get_by_label("Show", exact=True)
    plan = page.locator(".bw-tracker-plan")
    assert chooser.bounding_box()["y"] < plan.bounding_box()["y"]  # type: ignore[index]
    assert show.bounding_box()["y"] < plan.bounding_box()["y"]  # type: ignore[index]
    assert rows(page) == ["#1", "#2", "#3"]

    # only the overdue items
    show.select_option(label="Overdue items (1)")
    expect(page.locator(".bw-tracker-plan tbody tr")).to_have_count(1)
    assert rows(page) == ["#1"]
    page.get_by_text("2 items are not shown.").wait_for()
    problems += check(page, viewport, "overdue", shots)

    # a click anywhere on a row opens its item (its due date's cell, not its link)
    due = page.locator(".bw-tracker-plan tbody tr").first.locator("td").nth(4)
    due.scroll_into_view_if_needed()
    box = due.bounding_box()
    assert box is not None
    with page.expect_navigation():
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert "item=1" in page.url and "show=overdue" in page.url
    drawn(page)
    expect(page.get_by_label("Item", exact=True)).to_have_value(re.compile(r"^#1 "))
    page.get_by_role("heading", name="Plan item #1: Minimum Wages/Piece Rate Wages").wait_for()
    expect(page.locator(".bw-tracker-current")).to_have_count(1)
    # the page it opened shows the plan as she filtered it
    show = page.get_by_label("Show", exact=True)
    chosen = show.evaluate("s => s.options[s.selectedIndex].text")  # its spaces unbreakable
    assert chosen.replace("\xa0", " ") == "Overdue items (1)"
    assert rows(page) == ["#1"]
    problems += check(page, viewport, "item from its row", shots)
    show.select_option(label="All items (3)")
    expect(page.locator(".bw-tracker-plan tbody tr")).to_have_count(3)

    # the keyboard too: the row's link, then Enter
    link = page.locator(".bw-tracker-plan tbody tr").nth(1).locator("a.bw-tracker-open")
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "item=2" in page.url
    drawn(page)
    expect(page.get_by_label("Item", exact=True)).to_have_value(re.compile(r"^#2 "))

    # evidence: chosen, one taken out, another added, stored
    accented = f"Biên bản PICC ({viewport}).pdf"  # the name a browser saves the download under
    photo, report = folder / f"exit-{viewport}.jpg", folder / accented
    picture = io.BytesIO()
    Image.new("RGB", (1600, 1200), (30, 140, 60)).save(picture, "JPEG")
    photo.write_bytes(picture.getvalue())
    report.write_bytes(pdf_page())
    upload = page.locator(".bw-evidence-choose")
    # the file chooser is a button named for what it takes
    expect(page.get_by_role("button", name=re.compile(r"^Evidence files"))).to_have_count(1)
    attach(page, photo, report)
    assert listed(page) == [photo.name, accented]
    thumb = page.locator(".bw-evidence-chosen-file img").first
    assert (thumb.get_attribute("src") or "").startswith("data:image/jpeg;base64,")
    problems += check(page, viewport, "files chosen", shots)
    page.get_by_role("button", name="Remove").first.click()
    page.locator(".bw-evidence-chosen-file", has_text=photo.name).wait_for(state="detached")
    expect(page.locator(".bw-evidence-chosen-file")).to_have_count(1)  # the page's rows too
    assert listed(page) == [accented]
    expect(upload).to_contain_text("(1)")  # the chooser counts what will be stored
    attach(page, photo)
    assert listed(page) == [accented, photo.name]
    # files not stored yet: a row's link asks before it leaves them
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.locator(".bw-tracker-plan a.bw-tracker-open").first.click()
    page.wait_for_timeout(1000)
    assert asked == ["beforeunload"] and "item=2" in page.url
    assert listed(page) == [accented, photo.name]
    status = page.get_by_label("New status", exact=True)
    status.select_option(label="In Progress")
    page.get_by_label("Note *", exact=True).fill(f"Boxes moved ({viewport})")
    page.get_by_role("button", name="Record the update").click()
    page.get_by_text("The update was recorded.").wait_for()

    # stored: each file with its preview, its update, and a link that downloads it
    cards = page.locator(".bw-evidence-file:visible")  # not those of the hidden staff's box
    card = cards.filter(has_text=photo.name).first
    card.wait_for()
    assert f"Boxes moved ({viewport})" in card.inner_text()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.bw-evidence-file img')]"
        ".filter((i) => i.offsetParent).every((i) => i.complete && i.naturalWidth > 0)"
    )
    problems += check(page, viewport, "files stored", shots)
    with page.expect_download() as download:
        cards.filter(has_text=accented).first.locator("a").click()
    assert download.value.suggested_filename == accented
    assert Path(download.value.path()).read_bytes() == report.read_bytes()
    with page.expect_download() as download:
        card.locator("a").click()
    assert Path(download.value.path()).read_bytes() == photo.read_bytes()
    stored = store.evidence_frame([2])
    assert {photo.name, accented} <= set(stored["filename"])
    page.context.close()
    assert not problems, f"tracker at {viewport}:\n" + "\n".join(problems)
