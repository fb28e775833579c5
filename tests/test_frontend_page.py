"""The page script's aids that the kernel switches on with classes (bw-date, bw-limit-N,
bw-once, bw-dirty, bw-camera), its upload progress, the language in the address and its colours,
on a page of plain widgets served by `bwcases serve` in chromium."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import nbformat
import pytest

from bwcases.auth.accounts import hash_password
from bwcases.store import Store
from bwcases.web.limits import START_PAGE
from bwcases.web.serve import start_server, stop_server
from tests import axe
from tests.browser import APP_TIMEOUT_MS, needs_chromium, sign_in
from tests.helpers import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]
expect = pytest.importorskip("playwright.sync_api").expect

# The kernel's side: each widget tells what it received in `seen`.
WIDGETS = """\
import os
import time
import ipywidgets as widgets
from IPython.display import display

HOLD = HOLD_PATH  # while it is there the kernel takes its time over files: a slow server

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
evidence = widgets.FileUpload(description="Evidence", accept="image/*,.pdf", multiple=True)
photo = widgets.FileUpload(description="Photo", accept="image/*")
photo.add_class("bw-camera")
no_camera = widgets.Button(description="No camera")
discard = widgets.Button(description="Discard", button_style="danger")
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
    box.remove_class("bw-lang-vi")
    box.add_class("bw-lang-km")
    date.description = "ថ្ងៃផុតកំណត់"

def on_files(change):
    held = time.monotonic() + 120
    while os.path.exists(HOLD) and time.monotonic() < held:
        time.sleep(0.05)
    seen.value = "files " + ", ".join(f"{f['name']} {len(f['content'])}" for f in change["new"])

date.observe(on_date, names="value")
note.observe(on_note, names="value")
save.on_click(on_save)
mute.on_click(on_mute)
khmer.on_click(on_khmer)
evidence.observe(on_files, names="value")
no_camera.on_click(lambda _b: photo.remove_class("bw-camera"))
box = widgets.VBox(
    [widgets.HTML("<h1>Widgets</h1>"), date, note, save, mute, khmer, evidence, photo, no_camera, discard, links, seen, tally]
)
box.add_class("bw-app")  # as an app's page: its language marked on it
box.add_class("bw-lang-vi")
display(box)
"""


@pytest.fixture(scope="module")
def hold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file the page's kernel waits on, while it is there, before it takes files."""
    return tmp_path_factory.mktemp("hold") / "hold"


@pytest.fixture(scope="module")
def served_page(tmp_path_factory: pytest.TempPathFactory, hold: Path) -> Iterator[str]:
    """The widgets' page served, and a person to sign in; yields the base URL."""
    folder = tmp_path_factory.mktemp("page")
    notebooks = folder / "notebooks"
    notebooks.mkdir()
    source = WIDGETS.replace("HOLD_PATH", repr(str(hold)))
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
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


class SlowLink:
    """A TCP relay to the server whose way up (browser to server) carries `rate` bytes a second:
    a slow link, with the backpressure a real one puts on the browser's socket."""

    def __init__(self, port: int, rate: int) -> None:
        self.port, self.rate = port, rate
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.address = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                browser, _ = self.listener.accept()
            except OSError:  # closed
                return
            server = socket.create_connection(("127.0.0.1", self.port))
            threading.Thread(target=self._pump, args=(browser, server, self.rate)).start()
            threading.Thread(target=self._pump, args=(server, browser, 0)).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket, rate: int) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(16 * 1024):
                sink.sendall(data)
                if rate:
                    time.sleep(len(data) / rate)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def slow_page(page: Page) -> Iterator[Page]:
    """The widgets' page over a link that sends 2 MB a second."""
    address = urlsplit(page.url)
    link = SlowLink(address.port or 80, 2 * 1024 * 1024)
    page.goto(page.url.replace(f":{address.port}/", f":{link.address}/"))
    page.locator(".bw-once").first.wait_for(timeout=APP_TIMEOUT_MS)
    yield page
    page.close()  # its connections, and so the relay's threads, end
    link.close()


# Each text the progress showed, as the page drew it (the test reads them after the fact).
RECORD_PROGRESS = """() => {
    window.bwShown = [];
    new MutationObserver(() => {
        const text = document.querySelector('.bw-upload-progress-text')?.textContent;
        if (text && text !== window.bwShown.at(-1)) window.bwShown.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


def shown_percents(shown: list[str], phase: str) -> list[int]:
    return [int(m[1]) for t in shown if (m := re.fullmatch(rf"{phase}… (\d+) %", t))]


def test_files_show_how_far_they_have_got_until_the_kernel_has_them(
    slow_page: Page, hold: Path, tmp_path: Path
) -> None:
    page, size = slow_page, 8 * 1024 * 1024
    picture = tmp_path / "ảnh.jpg"
    picture.write_bytes(os.urandom(size))  # nothing the websocket's compression could shrink
    page.evaluate(RECORD_PROGRESS)
    hold.touch()  # the kernel takes its time over them: the page waits for it
    try:
        with page.expect_file_chooser() as chooser:
            page.locator(".widget-upload", has_text="Evidence").click()
        chooser.value.set_files(str(picture))
        bar = page.locator(".bw-upload-progress progress")
        # all gone from the page, not yet in the kernel's hands: not done
        expect(bar).to_have_attribute("value", "99", timeout=60_000)
        expect(bar).to_have_accessible_name("Đang gửi tệp… 99 %")  # in the page's language
        told = page.locator(".bw-upload-progress [aria-live=polite]")
        expect(told).to_have_text(re.compile(r"^Đang gửi tệp… (7[5-9]|[89]\d) %$"))
        expect(page.locator(".seen")).not_to_contain_text("files")  # the kernel has them not
        found = axe.violations(page)  # the progress bar named, its text readable
        assert not found, axe.report(found)
    finally:
        hold.unlink(missing_ok=True)
    expect(page.locator(".seen")).to_have_text(f"files ảnh.jpg {size}")  # whole
    expect(page.locator(".bw-upload-progress")).to_have_count(0)  # and the progress is gone

    shown: list[str] = page.evaluate("window.bwShown")
    reading, sending = (shown_percents(shown, p) for p in ("Đang đọc tệp", "Đang gửi tệp"))
    assert shown == [f"Đang đọc tệp… {n} %" for n in reading] + [
        f"Đang gửi tệp… {n} %" for n in sending
    ], shown  # read, then sent
    assert reading == sorted(reading) and reading[-1] == 100, shown  # only forward
    assert sending == sorted(sending) and sending[-1] == 99, shown
    assert any(0 < n < 99 for n in sending), shown  # and she was told how far on the way


def test_a_camera_chooser_opens_the_camera_and_a_plain_one_the_files(page: Page) -> None:
    def chooser_of(label: str) -> dict[str, str | None]:
        with page.expect_file_chooser() as chooser:
            page.locator(".widget-upload", has_text=label).click()
        input_ = chooser.value.element
        return {name: input_.get_attribute(name) for name in ("capture", "accept")}

    # on a tablet or a phone: the back camera at once; the accepted files as the app says
    assert chooser_of("Photo") == {"capture": "environment", "accept": "image/*"}
    # a chooser that does not ask for it lets her choose among her files
    assert chooser_of("Evidence") == {"capture": None, "accept": "image/*,.pdf"}
    page.get_by_role("button", name="No camera").click()  # the kernel changes its mind
    page.wait_for_function("() => !document.querySelector('.widget-upload.bw-camera')")
    assert chooser_of("Photo") == {"capture": None, "accept": "image/*"}


def test_her_choice_of_language_replaces_the_one_in_the_address(
    page: Page, served_page: str
) -> None:
    page_url = f"{served_page}voila/render/{START_PAGE}"
    page.goto(f"{page_url}?factory=VN+001&lang=vi#top")
    page.locator(".bw-once").first.wait_for(timeout=APP_TIMEOUT_MS)
    page.evaluate("window.bwSamePage = true")
    pages = page.evaluate("history.length")

    page.get_by_role("button", name="ខ្មែរ").click()
    expect(page.locator("html")).to_have_attribute("lang", "km")
    # a reload opens the page in her choice, not in the link's
    expect(page).to_have_url(f"{page_url}?factory=VN+001&lang=km#top")
    assert page.evaluate("window.bwSamePage")  # not reloaded
    assert page.evaluate("history.length") == pages  # the back button goes where it went

    # an address without a language keeps none: the server keeps her choice
    page.goto(f"{page_url}?factory=VN+001")
    page.locator(".bw-once").first.wait_for(timeout=APP_TIMEOUT_MS)
    page.get_by_role("button", name="ខ្មែរ").click()
    expect(page.locator("html")).to_have_attribute("lang", "km")
    expect(page).to_have_url(f"{page_url}?factory=VN+001")


def luminance(rgb: str) -> float:
    """The relative luminance (WCAG 2) of a CSS rgb() colour."""
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_a_danger_button_reads_at_4_5_to_1(page: Page) -> None:
    discard = page.get_by_role("button", name="Discard")
    for state in ("rest", "pressed"):
        if state == "pressed":
            discard.hover()
            page.mouse.down()
        text, ground = discard.evaluate(
            "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]"
        )
        lighter, darker = sorted((luminance(text), luminance(ground)), reverse=True)
        assert (lighter + 0.05) / (darker + 0.05) >= 4.5, (state, text, ground)
    page.mouse.up()
