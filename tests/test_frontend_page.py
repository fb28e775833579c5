"""The page script's aids that the kernel switches on with classes (bw-date, bw-limit-N,
bw-once, bw-dirty), on a page of plain widgets served by `bwcases serve` in chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import nbformat
import pytest

from bwcases.auth.accounts import hash_password
from bwcases.store import Store
from bwcases.web.limits import START_PAGE
from bwcases.web.serve import start_server, stop_server
from tests.browser import needs_chromium, sign_in
from tests.helpers import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]
expect = pytest.importorskip("playwright.sync_api").expect
APP_TIMEOUT_MS = 90_000  # a cold kernel on a busy test machine

# The kernel's side: each widget tells what it received in `seen`.
WIDGETS = """\
import time
import ipywidgets as widgets
from IPython.display import display

seen, tally = widgets.Label(), widgets.Label()
seen.add_class("seen")
tally.add_class("tally")
date = widgets.Text(description="Due date", continuous_update=False)
date.add_class("bw-date")
note = widgets.Textarea(description="Note")
note.add_class("bw-limit-20")
save = widgets.Button(description="Save")
save.add_class("bw-once")
mute = widgets.Button(description="Mute")  # answers by changing nothing on the button
mute.add_class("bw-once")
khmer = widgets.Button(description="ខ្មែរ")  # the language picker, as the apps have it
links = widgets.HTML(
    '<a id="away" href="?away=1">Away</a> '
    '<form class="bw-signout" method="post" action="/logout"><button>Sign out</button></form>'
)
clicks = []

def on_date(change):
    seen.value = f"date {change['new']}"

def on_note(change):
    seen.value = f"note {len(change['new'])}"
    note.add_class("bw-dirty")

def on_save(button):
    clicks.append(1)
    tally.value = f"{len(clicks)} clicks"
    button.disabled, button.description = True, "Saving…"
    time.sleep(1)
    note.value = ""
    note.remove_class("bw-dirty")
    button.disabled, button.description = False, "Save"
    seen.value = f"saved {len(clicks)}"

def on_mute(button):
    seen.value = "muted"

def on_khmer(button):  # the app marks its language, then puts its labels in it
    box.add_class("bw-lang-km")
    date.description = "ថ្ងៃផុតកំណត់"

date.observe(on_date, names="value")
note.observe(on_note, names="value")
save.on_click(on_save)
mute.on_click(on_mute)
khmer.on_click(on_khmer)
box = widgets.VBox([date, note, save, mute, khmer, links, seen, tally])
display(box)
"""


@pytest.fixture(scope="module")
def served_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The widgets' page served, and a person to sign in; yields the base URL."""
    folder = tmp_path_factory.mktemp("page")
    notebooks = folder / "notebooks"
    notebooks.mkdir()
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WIDGETS)])
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(book, notebooks / START_PAGE)
    store = Store(f"sqlite:///{folder / 'cases.sqlite'}")
    store.add_user(
        "Lan Nguyen",
        role="advisor",
        country="Vietnam",
        password_hash=hash_password(PASSWORD),
        actor="test",
    )
    with (folder / "voila.log").open("wb") as log:
        proc, url = start_server(store.url, notebooks=notebooks, log=log, preheat=False)
        try:
            yield url.split("/voila/", 1)[0] + "/"
        finally:
            stop_server(proc)
            store.dispose()


@pytest.fixture
def page(served_page: str, browser: Browser) -> Iterator[Page]:
    """The widgets' page in Vietnamese, signed in."""
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, served_page, "Lan Nguyen", PASSWORD)
    page.goto(f"{served_page}voila/render/{START_PAGE}?lang=vi")
    page.locator(".bw-once").first.wait_for(timeout=APP_TIMEOUT_MS)
    yield page
    context.close()


def test_a_date_from_the_calendar_is_written_dd_mm_yyyy(page: Page) -> None:
    text = page.get_by_label("Due date", exact=True)
    button = page.get_by_role("button", name="Chọn ngày trên lịch")  # in the page's language
    box = button.bounding_box()
    assert box and box["width"] >= 44 and box["height"] >= 44
    expect(text).to_have_attribute("placeholder", "dd/mm/yyyy")
    text.focus()
    page.keyboard.press("Tab")
    expect(button).to_be_focused()  # reached by keyboard, after the text

    text.fill("5/3/2025")  # typed the programme's way: the calendar opens on that day
    button.click()
    picker = page.locator(".bw-date-input")
    expect(picker).to_have_value("2025-03-05")
    text.fill("31/02/2025")  # no such day: the calendar opens on today
    button.click()
    expect(picker).to_have_value("")

    # a day chosen in the calendar, as the browser reports it
    picker.evaluate(
        """input => {
            input.value = '2025-11-09';
            input.dispatchEvent(new Event('input', { bubbles: true }));
            input.dispatchEvent(new Event('change', { bubbles: true }));
        }"""
    )
    expect(text).to_have_value("09/11/2025")
    expect(page.locator(".seen")).to_have_text("date 09/11/2025")  # the kernel's

    page.get_by_role("button", name="ខ្មែរ").click()  # she changes the page's language
    expect(page.locator(".bw-date-button")).to_have_accessible_name("ជ្រើសរើសកាលបរិច្ឆេទពីប្រតិទិន")


def count_text(page: Page) -> str:
    return page.locator(".bw-count").inner_text().strip("\u2068\u2069")


def test_the_counter_follows_her_typing_and_says_only_the_limits(page: Page) -> None:
    note = page.get_by_label("Note", exact=True)
    counter, told = page.locator(".bw-count"), page.locator(".bw-visually-hidden[aria-live]")
    counter_id = counter.get_attribute("id")
    assert counter_id and counter_id in (note.get_attribute("aria-describedby") or "").split()
    assert count_text(page) == "0 / 20"

    note.press_sequentially("a" * 17)
    assert count_text(page) == "17 / 20" and told.inner_text() == ""
    note.press_sequentially("b")
    assert count_text(page) == "18 / 20"
    expect(told).to_have_text("Còn lại 2 ký tự")  # 90 %
    note.press_sequentially("cc")
    expect(told).to_have_text("Còn lại 2 ký tự")  # nothing new to say
    expect(counter).not_to_have_class("bw-count bw-over")
    note.press_sequentially("d")
    assert count_text(page) == "21 / 20"
    expect(counter).to_have_class("bw-count bw-over")
    expect(told).to_have_text("Tối đa 20 ký tự.")  # the catalogue's own sentence
    expect(note).to_have_value("a" * 17 + "bccd")  # nothing she typed is cut
    expect(page.locator(".seen")).to_have_text("note 21")


def test_a_once_button_sends_one_click_until_the_kernel_answers(page: Page) -> None:
    page.get_by_label("Note", exact=True).fill("to be saved")
    save = page.locator(".bw-once").first  # named Save, then Saving…
    save.dblclick()
    expect(save).to_be_disabled()
    expect(save).to_have_text("Saving…")
    expect(save).to_be_enabled()  # the kernel said it is done
    expect(page.locator(".bw-count")).to_contain_text("0 / 20")  # its value, counted too
    # the kernel takes messages in order: once it has the date, it has had every click
    page.get_by_label("Due date", exact=True).fill("01/01/2025")
    page.get_by_label("Due date", exact=True).press("Enter")
    expect(page.locator(".seen")).to_have_text("date 01/01/2025")
    expect(page.locator(".tally")).to_have_text("1 clicks")
    save.click()
    expect(page.locator(".seen")).to_have_text("saved 2")


def test_a_once_button_the_kernel_leaves_alone_comes_back_after_a_minute(page: Page) -> None:
    page.clock.install()
    mute = page.get_by_role("button", name="Mute", exact=True)
    mute.click()
    expect(page.locator(".seen")).to_have_text("muted")
    expect(mute).to_be_disabled()
    page.clock.run_for(61_000)
    expect(mute).to_be_enabled()


def test_leaving_with_unsaved_work_asks_first(page: Page) -> None:
    dialogs: list[str] = []

    def stay(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.locator("#away").click()  # nothing typed: she leaves without a question
    page.wait_for_url("**away=1**")
    page.locator(".bw-once").first.wait_for(timeout=APP_TIMEOUT_MS)

    note = page.get_by_label("Note", exact=True)
    note.fill("typed, not saved")
    page.locator(".bw-dirty").wait_for(state="attached")  # the kernel marked it
    page.on("dialog", stay)
    for leave in (
        lambda: page.locator("#away").click(),
        lambda: page.get_by_role("button", name="Sign out").click(),
        lambda: page.evaluate("location.reload()"),
    ):
        leave()
        page.wait_for_timeout(500)
        assert dialogs.pop() == "beforeunload"
        expect(note).to_have_value("typed, not saved")
    # she stayed: the page's kernel still answers (pagehide did not stop it)
    note.fill("still here")
    expect(page.locator(".seen")).to_have_text("note 10")
