"""The advisor apps end to end: `bwcases serve` (preheated kernels, sign-in) driven by chromium."""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import pytest

from bwcases.apps.common import PAGES
from bwcases.auth.people import COOKIE_NAME
from bwcases.store import Store
from tests.browser import APP_TIMEOUT_MS, needs_chromium, served, sign_in
from tests.helpers import BACKENDS, PASSWORD, PDF, fill_advisor_case, served_store_url

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]
expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Every app on both stores: the served apps too, not only the store's tests."""
    return str(request.param)


@pytest.fixture(scope="module")
def served_store(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Store, Path]]:
    """`bwcases serve` over a store with the advisor case; yields (base URL, store, log)."""
    folder = tmp_path_factory.mktemp("apps")
    url = served_store_url(backend, folder, "bwcases_test_apps")
    store = fill_advisor_case(Store(url), folder)
    with served(store.url, folder / "voila.log") as base:
        yield base, store, folder / "voila.log"
    store.dispose()


def person_page(browser: Browser, base: str, name: str) -> Page:
    """A browser of its own (own cookies), signed in as `name`."""
    context = browser.new_context(viewport={"width": 1280, "height": 1600}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(APP_TIMEOUT_MS)  # a page waits for its kernel
    sign_in(page, base, name, PASSWORD)
    return page


def open_app(page: Page, base: str, app: str, query: str) -> None:
    page.goto(f"{base}voila/render/{app}.ipynb?{query}", timeout=APP_TIMEOUT_MS)
    page.locator(".bw-app h1").wait_for(timeout=APP_TIMEOUT_MS)


def choose(page: Page, label: str, containing: str) -> None:
    """Pick the option of a labelled dropdown whose text contains `containing`."""
    select = page.get_by_label(label, exact=True)
    select.locator("option", has_text=containing).first.wait_for(state="attached")
    values = select.locator("option").evaluate_all("options => options.map(o => o.value)")
    select.select_option(value=next(v for v in values if containing in v.replace("\xa0", " ")))


def field(page: Page, label: str) -> Any:
    return page.get_by_label(label, exact=True)


def get(url: str, cookie: str = "") -> tuple[int, str | None, str]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    try:
        conn.request(
            "GET", f"{parts.path}?{parts.query}", headers={"Cookie": cookie} if cookie else {}
        )
        resp = conn.getresponse()
        return resp.status, resp.getheader("Location"), resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


@pytest.mark.parametrize("cookie", ["", f"{COOKIE_NAME}=forged-token"])
def test_without_sign_in_no_data(served_store: tuple[str, Store, Path], cookie: str) -> None:
    base, _store, _log = served_store
    for app in ("improvement_plan", "remediation_tracker", "case_timeline"):
        status, location, body = get(f"{base}voila/render/{app}.ipynb?factory=VN001", cookie)
        assert status == 302 and location and location.startswith("/login")
        assert "Saigon" not in body
    status, _, body = get(f"{base}api/kernels/{uuid.uuid4()}", cookie)  # the kernel API too
    assert status == 403 and "Saigon" not in body
    status, _, body = get(f"{base}login?next=%2Fvoila%2Frender%2Fimprovement_plan.ipynb", cookie)
    assert status == 200 and 'name="password"' in body and "Saigon" not in body


def test_the_case_overview_opens_on_a_preheated_kernel(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    base, _store, log = served_store
    page = person_page(browser, base, "Lan Nguyen")
    open_app(page, base, "case_overview", "factory=VN001")
    expect(page.locator(".bw-app")).to_contain_text("Saigon Garments")
    assert re.search(r"Using pre-heated kernel: \S+ for \S*case_overview\.ipynb", log.read_text())
    page.context.close()


def test_every_app_page_is_titled_for_its_app_before_any_script_runs(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    base, _store, _log = served_store
    context = browser.new_context(java_script_enabled=False)  # what the server sends, as is
    page = context.new_page()
    page.set_default_navigation_timeout(APP_TIMEOUT_MS)
    sign_in(page, base, "Lan Nguyen", PASSWORD)
    for notebook, title in PAGES.items():
        page.goto(f"{base}voila/render/{notebook}?factory=VN001")
        assert page.title() == title, notebook  # the script then puts it in her language
    context.close()


def test_create_a_plan_item_and_see_it_after_a_reload(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    base, store, log = served_store
    page = person_page(browser, base, "Lan Nguyen")
    open_app(page, base, "improvement_plan", "factory=VN003")
    page.get_by_text("Non-compliance at the latest assessment").wait_for()
    assert "Using pre-heated kernel" in log.read_text()  # ?factory= reached a preheated kernel
    assert "Dong Nai Textiles" in page.locator(".bw-app").inner_text()
    choose(page, "Work on", "OSH.CH.01")
    # the CAT question is context beside an Issue she writes herself
    expect(page.locator(".bw-question")).to_contain_text("CAT question")
    expect(field(page, "Issue *")).to_have_value("")
    field(page, "Issue *").fill("Chemical containers without labels")
    field(page, "Action *").fill("Label every chemical container")
    field(page, "Responsible person *").fill("OSH officer")
    field(page, "Due date *").fill("2024-09-30")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved.").wait_for()
    items = store.plan_items_frame(factory_ids=["VN003"])
    assert items[["question_id", "action", "updated_by"]].values.tolist() == [
        ["OSH.CH.01", "Label every chemical container", "Lan Nguyen"]
    ]
    page.reload()
    page.get_by_text("Planned: Pending", exact=True).wait_for(timeout=APP_TIMEOUT_MS)
    choose(page, "Work on", "OSH.CH.01")
    expect(field(page, "Action *")).to_have_value("Label every chemical container")
    page.context.close()


def test_bad_input_shows_the_message_and_saves_nothing(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    base, store, _log = served_store
    page = person_page(browser, base, "Lan Nguyen")
    open_app(page, base, "improvement_plan", "factory=VN003")
    choose(page, "Work on", "CMP.WI.01")
    field(page, "Responsible person *").fill("Payroll clerk")
    field(page, "Due date *").fill("2024-05-01")  # before the assessment of 01/06/2024
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Nothing was saved: correct the marked fields.").wait_for()
    assert page.get_by_text(
        "The due date cannot be before the assessment of 01/06/2024."
    ).is_visible()
    assert page.get_by_text("Fill in this field.").first.is_visible()  # the action
    expect(field(page, "Responsible person *")).to_have_value("Payroll clerk")
    items = store.plan_items_frame(factory_ids=["VN003"])
    assert "CMP.WI.01" not in set(items["question_id"].dropna())
    page.context.close()


def test_two_editors_of_different_fields_both_keep_theirs_the_same_field_asks(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    base, store, _log = served_store
    lan = person_page(browser, base, "Lan Nguyen")
    minh = person_page(browser, base, "Minh Tran")
    for page in (lan, minh):
        open_app(page, base, "improvement_plan", "factory=VN001")
        choose(page, "Work on", "CMP.MW.01")
    field(minh, "Notes").fill("Checked with the union")
    minh.get_by_role("button", name="Save").click()
    minh.get_by_text("Saved.").wait_for()
    field(lan, "Action *").fill("Pay the arrears by June")
    lan.get_by_role("button", name="Save").click()
    lan.get_by_text("Minh Tran changed this item meanwhile.", exact=False).wait_for()
    item = store.plan_item(1)
    assert (item["action"], item["notes"]) == ("Pay the arrears by June", "Checked with the union")
    expect(field(lan, "Notes")).to_have_value("Checked with the union")

    # the same field: she is asked about that field only, side by side
    field(minh, "Responsible person *").fill("Chief accountant")
    # her edit reached the kernel, which took down the last save's "Saved.": the one awaited next
    # is this save's (the old one, still there on a loaded machine, let Lan's save go first)
    expect(minh.get_by_text("Saved.")).to_have_count(0)
    minh.get_by_role("button", name="Save").click()
    minh.get_by_text("Saved.").wait_for()
    field(lan, "Responsible person *").fill("Payroll clerk")
    lan.get_by_role("button", name="Save").click()
    panel = lan.locator(".bw-conflict")
    panel.get_by_text("Mine: Payroll clerk").wait_for()
    assert "Stored now: Chief accountant" in panel.inner_text()
    assert store.plan_item(1)["responsible"] == "Chief accountant"  # nothing overwritten
    panel.get_by_text("Mine: Payroll clerk").click()
    lan.get_by_role("button", name="Save with these choices").click()
    lan.get_by_text("Saved.").wait_for()
    item = store.plan_item(1)
    assert (item["responsible"], item["notes"]) == ("Payroll clerk", "Checked with the union")
    lan.context.close()
    minh.context.close()


def test_a_reload_mid_typing_asks_then_offers_the_draft_back(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    base, store, _log = served_store
    page = person_page(browser, base, "Sokha Chan")
    open_app(page, base, "improvement_plan", "factory=KH001")
    choose(page, "Work on", "Cambodian item")
    notes = field(page, "Notes")
    notes.click()  # she touched the page: a browser asks before leaving only then
    notes.fill("Bình chữa cháy ở tầng 2 — kiểm tra lại")
    page.get_by_text("Draft kept at").wait_for()
    asked: list[str] = []

    def on_dialog(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.accept()

    page.on("dialog", on_dialog)
    page.reload()
    open_app(page, base, "improvement_plan", "factory=KH001")
    assert asked == ["beforeunload"]  # leaving with unsaved changes asked first
    choose(page, "Work on", "Cambodian item")
    restore = page.get_by_role("button", name=re.compile("^Restore the draft of"))
    restore.click()
    expect(field(page, "Notes")).to_have_value("Bình chữa cháy ở tầng 2 — kiểm tra lại")
    field(page, "Action *").fill("Refill the extinguishers")
    field(page, "Responsible person *").fill("Safety officer")
    field(page, "Due date *").fill("31/01/2099")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved.").wait_for()
    assert store.draft("Sokha Chan", "plan_item", "item:4") is None
    assert store.plan_item(4)["notes"] == "Bình chữa cháy ở tầng 2 — kiểm tra lại"
    page.reload()  # saved: nothing to ask about
    open_app(page, base, "improvement_plan", "factory=KH001")
    assert asked == ["beforeunload"]
    page.context.close()


def test_a_double_click_records_once(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    base, store, _log = served_store
    page = person_page(browser, base, "Sokha Chan")
    open_app(page, base, "remediation_tracker", "factory=KH001")
    choose(page, "Item", "Cambodian item")
    choose(page, "New status", "In Progress")
    field(page, "Note *").fill("Started on the new roster")
    page.get_by_role("button", name="Record the update").dblclick()
    page.get_by_text("The update was recorded.").wait_for()
    page.wait_for_timeout(1500)  # a second save would have answered by now
    assert not page.get_by_text("Nothing was saved").is_visible()
    updates = store.progress_updates_frame(factory_ids=["KH001"])
    assert updates["note"].tolist().count("Started on the new roster") == 1
    expect(page.get_by_role("button", name="Record the update")).to_be_enabled()
    page.context.close()


def test_completion_without_evidence_is_refused_in_both_forms(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    base, store, _log = served_store
    page = person_page(browser, base, "Lan Nguyen")
    open_app(page, base, "improvement_plan", "factory=VN001")
    choose(page, "Work on", "CMP.MW.01")  # In Progress
    statuses = field(page, "Status").locator("option")
    expect(statuses).to_have_text(["In Progress"])  # completion is not offered here ...
    expect(page.get_by_text("An item is completed in the remediation tracker")).to_be_visible()
    open_app(page, base, "remediation_tracker", "factory=VN001")
    choose(page, "Item", "#1 ")
    choose(page, "New status", "Completed")  # ... and here it needs evidence
    field(page, "Note *").fill("Arrears paid")
    page.get_by_role("button", name="Record the update").click()
    page.get_by_text("A completed item needs at least one evidence file").wait_for()
    assert store.plan_item(1)["status"] == "In Progress"
    page.context.close()


def test_dates_are_day_first_in_an_en_us_browser(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    base, store, _log = served_store
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1600})
    page = context.new_page()
    sign_in(page, base, "Lan Nguyen", PASSWORD)
    open_app(page, base, "improvement_plan", "factory=VN003")
    choose(page, "Work on", "CMP.WI.01")
    field(page, "Issue *").fill("Deductions not shown on payslips")
    field(page, "Action *").fill("Show deductions on the payslip")
    field(page, "Responsible person *").fill("Payroll clerk")
    due = field(page, "Due date *")
    expect(due).to_have_attribute("placeholder", "dd/mm/yyyy")
    due.fill("12/01/2099")  # 12 January, whatever the browser's locale
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved.").wait_for()
    items = store.plan_items_frame(factory_ids=["VN003"])
    saved = items[items["question_id"] == "CMP.WI.01"]
    assert saved["due_date"].astype(str).tolist() == ["2099-01-12"]
    due.fill("01/31/2099")  # month first: a field error that says the format
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Write the date as dd/mm/yyyy, for example 31/01/2027.").wait_for()
    assert page.get_by_role("button", name=re.compile("calendar", re.I)).count() >= 1
    context.close()


def attach(page: Page, *files: Path) -> None:
    """Choose evidence files in the tracker's upload button."""
    with page.expect_file_chooser() as chooser:  # ipywidgets keeps its file input off the page
        page.locator(".bw-evidence-choose").click()
    chooser.value.set_files([str(f) for f in files])
    page.get_by_text(f"Evidence files ({len(files)})").wait_for()


def test_an_update_with_evidence_is_recorded_and_downloaded(
    served_store: tuple[str, Store, Path], browser: Browser, tmp_path: Path
) -> None:
    base, store, _log = served_store
    page = person_page(browser, base, "Lan Nguyen")
    open_app(page, base, "remediation_tracker", "factory=VN001")
    choose(page, "Item", "Exit blocked by boxes")
    choose(page, "New status", "In Progress")
    field(page, "Note *").fill("Boxes moved; photo of the clear exit attached")
    evidence = tmp_path / "exit-cleared.pdf"
    evidence.write_bytes(PDF)
    attach(page, evidence)
    page.get_by_role("button", name="Record the update").click()
    page.get_by_text("The update was recorded.").wait_for()
    files = store.evidence_frame([2])
    assert files[["filename", "media_type", "size"]].values.tolist() == [
        ["exit-cleared.pdf", "application/pdf", len(PDF)]
    ]
    assert store.plan_item(2)["status"] == "In Progress"
    link = page.locator(".bw-evidence-file:visible a", has_text="exit-cleared.pdf")
    with page.expect_download() as download:  # one click, from the server
        link.click()
    assert download.value.suggested_filename == "exit-cleared.pdf"
    assert Path(download.value.path()).read_bytes() == PDF
    assert "Boxes moved" in page.locator(".bw-app").inner_text()  # the item's history
    page.context.close()


def test_a_file_too_large_is_named_and_nothing_is_lost(
    served_store: tuple[str, Store, Path], browser: Browser, tmp_path: Path
) -> None:
    base, store, _log = served_store
    page = person_page(browser, base, "Lan Nguyen")
    open_app(page, base, "remediation_tracker", "factory=VN001")
    choose(page, "Item", "Exit blocked by boxes")
    field(page, "Note *").fill("Ảnh lối thoát đã thông")
    photo = tmp_path / "lối thoát 40MB.jpg"  # a phone photo: 40 MB, over the 10 MB allowed
    photo.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(40 * 1024 * 1024))
    report = tmp_path / "report.html"  # a PDF under another name: kept as what it is
    report.write_bytes(PDF)
    attach(page, photo, report)
    before = len(store.evidence_frame([2]))
    page.get_by_role("button", name="Record the update").click()
    page.get_by_text("lối thoát 40MB.jpg is larger than 10 MB.").wait_for()
    # the photo never left the browser: the connection held, nothing was stored, her note stays
    assert page.evaluate("document.body.dataset.connection") == "connected"
    assert len(store.evidence_frame([2])) == before
    expect(field(page, "Note *")).to_have_value("Ảnh lối thoát đã thông")
    attach(page, report)
    page.get_by_role("button", name="Record the update").click()
    page.get_by_text("The update was recorded. Files stored: report.pdf.").wait_for()
    files = store.evidence_frame([2])
    assert len(files) == before + 1 and "report.pdf" in files["filename"].tolist()
    page.context.close()


def test_another_advisors_factory_shows_nothing(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    base, _store, _log = served_store
    page = person_page(browser, base, "Sokha Chan")
    open_app(
        page, base, "improvement_plan", "factory=VN001&user=Lan+Nguyen"
    )  # the URL cannot make her Lan
    page.get_by_text("Factory VN001 is not in your portfolio.").wait_for()
    text = page.locator(".bw-app").inner_text()
    assert "Signed in as Sokha Chan" in text and "Saigon" not in text
    page.context.close()


def exchange(
    url: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    """(status, headers, body) of a request; a websocket upgrade answers 101 when accepted."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    try:
        conn.request(method, f"{parts.path}?{parts.query}", headers=headers or {})
        resp = conn.getresponse()
        got = {name.lower(): value for name, value in resp.getheaders()}
        body = "" if resp.status == 101 else resp.read().decode("utf-8", "replace")
        return resp.status, got, body
    finally:
        conn.close()


def request(
    url: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """(status, body) of a request."""
    status, _headers, body = exchange(url, method, headers)
    return status, body


def kernel_of(page: Page) -> str:
    """The id of the kernel behind an app's page."""
    found = re.search(r'"kernelId": "([0-9a-f-]{36})"', page.content())
    assert found, "the page names no kernel"
    return found[1]


def upgrade(**headers: str) -> dict[str, str]:
    """The headers of a websocket handshake."""
    key = base64.b64encode(os.urandom(16)).decode()
    ws = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"}
    return {**ws, "Sec-WebSocket-Key": key, **headers}


def cookies(page: Page) -> tuple[str, str]:
    """A signed-in browser's Cookie header and its XSRF token."""
    jar = {c["name"]: c["value"] for c in page.context.cookies()}
    return "; ".join(f"{k}={v}" for k, v in jar.items()), jar.get("_xsrf", "")


def test_a_page_kernel_is_its_readers_only(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    base, _store, _log = served_store
    lan = person_page(browser, base, "Lan Nguyen")
    open_app(lan, base, "improvement_plan", "factory=VN003")
    kernel_id = kernel_of(lan)
    kernel = f"{base}api/kernels/{kernel_id}"
    lan_cookie, lan_xsrf = cookies(lan)
    minh_cookie, minh_xsrf = cookies(person_page(browser, base, "Minh Tran"))
    # another signed-in person who learns the id can neither read, use nor stop the kernel
    assert request(kernel, headers={"Cookie": minh_cookie})[0] == 403
    assert request(f"{kernel}/channels", headers=upgrade(Cookie=minh_cookie))[0] == 403
    stop = f"{base}voila/api/shutdown/{kernel_id}"
    assert request(stop, "POST", {"Cookie": minh_cookie, "X-XSRFToken": minh_xsrf})[0] == 403
    # the request a preheated kernel receives (with its page's cookie) goes to that kernel only
    query = f"{base}voila/query/{kernel_id}"
    assert request(query, headers=upgrade(Origin=base.rstrip("/")))[0] == 403  # a browser
    assert request(query, headers=upgrade())[0] == 403  # the kernel has had it already
    # its reader can
    status, body = request(kernel, headers={"Cookie": lan_cookie})
    assert status == 200 and kernel_id in body
    assert request(f"{kernel}/channels", headers=upgrade(Cookie=lan_cookie))[0] == 101
    assert request(stop, "POST", {"Cookie": lan_cookie, "X-XSRFToken": lan_xsrf})[0] == 204
    assert request(kernel, headers={"Cookie": lan_cookie})[0] == 404  # stopped
    lan.context.close()


def test_leaving_the_page_stops_its_kernel(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    base, _store, _log = served_store
    page = person_page(browser, base, "Lan Nguyen")
    open_app(page, base, "improvement_plan", "factory=VN003")
    kernel_id = kernel_of(page)
    kernel, cookie = f"{base}api/kernels/{kernel_id}", cookies(page)[0]
    assert request(kernel, headers={"Cookie": cookie})[0] == 200
    page.goto(f"{base}voila/render/remediation_tracker.ipynb?factory=VN003")  # she moves on
    deadline = time.monotonic() + 20
    while request(kernel, headers={"Cookie": cookie})[0] != 404:
        assert time.monotonic() < deadline, "the left page's kernel still runs"
        time.sleep(0.2)
    page.context.close()


def test_a_lost_connection_is_said_on_the_page(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    # the server restarted or the kernel stopped: what she types now cannot be saved
    base, _store, _log = served_store
    page = person_page(browser, base, "Lan Nguyen")
    open_app(page, base, "improvement_plan", "factory=VN001")
    lost = page.get_by_text("The connection to the server is lost", exact=False)
    assert lost.count() == 1 and not lost.is_visible()
    kernel_id = kernel_of(page)
    cookie, xsrf = cookies(page)
    stop = f"{base}voila/api/shutdown/{kernel_id}"
    assert request(stop, "POST", {"Cookie": cookie, "X-XSRFToken": xsrf})[0] == 204
    lost.wait_for(state="visible", timeout=20_000)
    page.context.close()


def test_a_page_whose_widgets_never_come_says_so_in_her_language(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    # the page learns its language with its widgets; without them it still speaks hers
    base, _store, _log = served_store
    page = person_page(browser, base, "Lan Nguyen")

    def without_kernel(route: Any) -> None:  # a page that names no kernel to draw from
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace('"kernelId"', '"none"'))

    page.route("**/voila/render/improvement_plan.ipynb*", without_kernel)
    page.goto(f"{base}voila/render/improvement_plan.ipynb?factory=VN001&lang=vi")
    page.get_by_text("Không thể tải trang này.", exact=False).wait_for()
    assert page.locator(".bw-app").count() == 0
    page.context.close()


def test_the_page_fetches_only_from_its_server_and_compressed(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    # a slow or offline connection pays for every outside fetch and every byte; Voilà's own
    # page links two stylesheets from a CDN, and the page script is about a megabyte as it is
    base, _store, _log = served_store
    page = person_page(browser, base, "Lan Nguyen")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.on("websocket", lambda ws: asked.append(ws.url))
    open_app(page, base, "remediation_tracker", "factory=VN001")
    choose(page, "Item", "Exit blocked by boxes")  # the widgets are drawn and answer
    page.get_by_role("button", name="Record the update").wait_for()
    server = urlsplit(base).netloc
    assert asked and all(urlsplit(url).netloc == server for url in asked), asked
    assert "cdn." not in page.content()
    # the page, its script and the widgets' messages travel compressed
    script = next(url for url in asked if "/voila/bwcases/apps.js?v=" in url)
    status, got, _ = exchange(script, headers={"Accept-Encoding": "gzip"})
    assert status == 200 and got["content-encoding"] == "gzip"
    assert "max-age" in got["cache-control"]  # kept: its address changes with its content
    cookie = cookies(page)[0]
    app = f"{base}voila/render/improvement_plan.ipynb?factory=VN001"
    status, got, _ = exchange(app, headers={"Accept-Encoding": "gzip", "Cookie": cookie})
    assert status == 200 and got["content-encoding"] == "gzip"
    channels = f"{base}api/kernels/{kernel_of(page)}/channels"
    deflate = {"Sec-WebSocket-Extensions": "permessage-deflate", "Cookie": cookie}
    status, got, _ = exchange(channels, headers=upgrade(**deflate))
    assert status == 101 and "permessage-deflate" in got["sec-websocket-extensions"]
    page.context.close()


def test_the_arabic_page_reads_right_to_left(
    served_store: tuple[str, Store, Path],
    browser: Browser,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    base, _store, _log = served_store
    page = person_page(browser, base, "Lan Nguyen")
    open_app(page, base, "improvement_plan", "factory=VN001&lang=ar")
    page.get_by_text("عدم الامتثال في آخر تقييم").wait_for()
    choose(page, "العمل على", "CMP.MW.01")
    page.get_by_text("بند الخطة #\u20681\u2069", exact=False).wait_for()  # the ID set apart
    app = page.locator(".bw-app").first
    assert app.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert page.locator("h1", has_text="خطة التحسين").is_visible()
    # the labels stand at the right edge of their fields
    label = page.get_by_text("الشخص المسؤول *", exact=True)
    box, field_box = label.bounding_box(), field(page, "الشخص المسؤول *").bounding_box()
    assert (
        box
        and field_box
        and abs((box["x"] + box["width"]) - (field_box["x"] + field_box["width"])) < 4
    )
    shot = tmp_path_factory.getbasetemp() / "improvement_plan_ar.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"Arabic page: {shot}")
    page.context.close()


def test_a_visit_is_recorded_in_vietnamese(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    base, store, _log = served_store
    page = person_page(browser, base, "Lan Nguyen")
    open_app(page, base, "case_timeline", "factory=VN001&lang=vi")
    field(page, "Chủ đề *").fill("Kiểm tra lối thoát hiểm")
    page.get_by_role("button", name="Lưu").click()
    page.get_by_text("Đã lưu.").wait_for()
    visits = store.visits_frame(factory_ids=["VN001"])
    assert visits[["date", "topics", "updated_by"]].astype(str).values.tolist() == [
        [dt.date.today().isoformat(), "Kiểm tra lối thoát hiểm", "Lan Nguyen"]
    ]
    assert "Kiểm tra lối thoát hiểm" in page.locator(".bw-app").inner_text()
    page.context.close()


def test_the_sign_in_page(served_store: tuple[str, Store, Path]) -> None:
    base, _store, _log = served_store
    parts = urlsplit(base)

    def request(
        method: str, path: str, body: str = "", cookie: str = ""
    ) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        conn.request(method, path, body=body, headers=headers)
        return conn.getresponse()

    page = request("GET", "/login?lang=ar")
    form = page.read().decode()
    assert '<html lang="ar" dir="rtl">' in form and "تسجيل الدخول" in form
    xsrf_cookie = page.getheader("Set-Cookie", "").split(";")[0]
    xsrf = form.split('name="_xsrf" value="', 1)[1].split('"', 1)[0]
    wrong = request(
        "POST",
        "/login",
        urlencode({"_xsrf": xsrf, "username": "Lan <b>Nguyen", "password": "nope"}),
        xsrf_cookie,
    )
    body = wrong.read().decode()
    assert wrong.status == 401 and "Wrong name or password" in body
    assert 'value="Lan &lt;b&gt;Nguyen"' in body  # kept for her, escaped
    right = request(
        "POST",
        "/login",
        urlencode(
            {
                "_xsrf": xsrf,
                "username": "Lan Nguyen",
                "password": PASSWORD,
                "next": "/voila/render/improvement_plan.ipynb",
            }
        ),
        xsrf_cookie,
    )
    assert (
        right.status == 302
        and right.getheader("Location") == "/voila/render/improvement_plan.ipynb"
    )
    # without a page to return to (she opened the sign-in page itself): the first app
    plain = request(
        "POST",
        "/login?lang=vi",
        urlencode({"_xsrf": xsrf, "username": "Lan Nguyen", "password": PASSWORD}),
        xsrf_cookie,
    )
    assert plain.status == 302
    assert plain.getheader("Location") == "/voila/render/improvement_plan.ipynb?lang=vi"
    session = [c for c in right.headers.get_all("Set-Cookie") or [] if c.startswith(COOKIE_NAME)]
    assert session and "HttpOnly" in session[0] and "SameSite=Lax" in session[0]


def test_signing_out_from_an_app_ends_her_session_and_stops_its_kernel(
    served_store: tuple[str, Store, Path], browser: Browser
) -> None:
    base, _store, log = served_store
    page = person_page(browser, base, "Minh Tran")
    open_app(page, base, "case_timeline", "factory=VN001&lang=vi")
    kernel_id = kernel_of(page)
    cookie = cookies(page)[0]
    kernel = f"{base}api/kernels/{kernel_id}"
    assert request(kernel, headers={"Cookie": cookie})[0] == 200
    with page.expect_navigation():
        page.get_by_role("button", name="Đăng xuất").click()  # "Sign out", a POST
    assert urlsplit(page.url).path == "/login" and "lang=vi" in page.url
    page.get_by_label("Tên", exact=True).wait_for()  # the sign-in form, in Vietnamese
    # the old session and the page's kernel are gone: nothing more can be read with them
    assert get(f"{base}voila/render/case_timeline.ipynb?factory=VN001", cookie)[0] == 302
    assert request(kernel, headers={"Cookie": cookie})[0] == 403
    assert f"kernel {kernel_id} stopped: Minh Tran signed out" in log.read_text()
    page.context.close()
