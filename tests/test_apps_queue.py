"""The work queue: her portfolio's plan items filtered, sorted, paged, opened and exported."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from openpyxl import load_workbook

from bwcases.apps import PageRequest, RemediationTracker, page_request
from bwcases.apps.queue import PAGE_SIZE, WorkQueueApp
from bwcases.apps.request import item_number
from bwcases.auth.people import person
from bwcases.core.domain import Status
from bwcases.store import QueueFilters, Store
from tests.browser import APP_TIMEOUT_MS, needs_chromium, served, sign_in
from tests.helpers import (
    PASSWORD,
    PDF,
    add_item,
    fill_advisor_case,
    open_app,
    plan_public_item,
    plan_values,
    record,
    served_store_url,
    upload,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

TODAY = dt.date.today()
D = dt.date


def item(factory_id: str, issue: str, due: dt.date | None, **more: Any) -> dict[str, Any]:
    """A self-diagnosis item's values, Pending unless `more` says otherwise."""
    return plan_values(factory_id, "Overtime", issue, Status.PENDING.value, due, **more)


def ids(app: WorkQueueApp) -> list[int]:
    return [int(i) for i in app.queue.items["item_id"]]


def awaiting_and_sent_back(store: Store) -> tuple[int, int]:
    """Two public items Lan completed: one awaits verification, Minh sent the other back."""
    first = plan_public_item(store)
    second = add_item(
        store,
        item(
            "VN003",
            "Deductions not itemised on the night shift's payslips",
            D(2024, 8, 1),
            source="finding",
            quest_id=2600,
            question_id="CMP.WI.01",
            compliance_point="Wage Information, Use and Deduction",
        ),
        actor="Lan Nguyen",
    )
    tracker = open_app(RemediationTracker, store, "Lan Nguyen", "VN003")
    for item_id in (first, second):
        tracker.choice.value = str(item_id)
        record(tracker, status="In Progress", note="started")
        record(tracker, status="Completed", note="done", files=(upload("fix.pdf", PDF),))
    sent_back = store.plan_item(second)
    store.verify_item(
        second,
        verified=False,
        note="Labels still missing",
        expected_version=int(sent_back["version"]),
        actor="Minh Tran",
    )
    return first, second


# -- the store's query ------------------------------------------------------------------------


def test_the_query_keeps_to_the_portfolio(apps_store: Store) -> None:
    lan = apps_store.work_queue(advisor="Lan Nguyen").items
    assert set(lan["factory_id"]) == {"VN001"} and sorted(lan["item_id"]) == [1, 2, 3]
    sokha = apps_store.work_queue(advisor="Sokha Chan").items
    assert sokha["item_id"].tolist() == [4]
    country = apps_store.work_queue(country="Vietnam").items
    assert set(country["factory_id"]) == {"VN001"}
    everyone = apps_store.work_queue(country=None).items
    assert sorted(everyone["item_id"]) == [1, 2, 3, 4]
    row = lan.set_index("item_id").loc[1]
    assert row["cluster"] == "Compensation" and row["advisor"] == "Lan Nguyen"
    assert bool(row["overdue"]) and row["last_update"] == D(2024, 5, 1)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (QueueFilters(), [1, 3, 2]),  # by due date: 30/06/2024, 01/07/2024, 31/01/2099
        (QueueFilters(status="Pending"), [2]),
        (QueueFilters(overdue=True), [1]),  # the completed one is not overdue
        (QueueFilters(due_within=365 * 100), [2]),  # open, due from today on
        (QueueFilters(due_within=7), []),
        (QueueFilters(cluster="Working Time"), [3]),
        (QueueFilters(cluster="Occupational Safety and Health"), [2]),
        (QueueFilters(compliance_point="Emergency Preparedness"), [2]),
        (QueueFilters(responsible="hr MAN"), [1]),
        (QueueFilters(factory_id="KH001"), []),  # not hers, even asked for
        (QueueFilters(sort="status"), [2, 1, 3]),
        (QueueFilters(sort="last_update"), [3, 1, 2]),  # never updated last
    ],
)
def test_the_query_filters_and_sorts(
    apps_store: Store, filters: QueueFilters, expected: list[int]
) -> None:
    queue = apps_store.work_queue(advisor="Lan Nguyen", filters=filters)
    assert queue.items["item_id"].tolist() == expected


def test_counts_are_per_status_whatever_status_is_chosen(apps_store: Store) -> None:
    queue = apps_store.work_queue(advisor="Lan Nguyen", filters=QueueFilters(status="Completed"))
    assert queue.items["item_id"].tolist() == [3]
    assert queue.counts == {"Pending": 1, "In Progress": 1, "Completed": 1}


# -- the app ----------------------------------------------------------------------------------


def test_an_advisor_never_sees_another_advisors_factory(apps_store: Store) -> None:
    lan = open_app(WorkQueueApp, apps_store, "Lan Nguyen")
    assert ids(lan) == [1, 3, 2] and "Cambodian item" not in lan.table.value
    assert lan.filters["advisor"].layout.display == "none"  # one portfolio: no advisor filter
    shown = [w for key, w in lan.filters.items() if key != "advisor"]
    assert all(w.layout.display is None for w in shown)
    offered = {v for _label, v in lan.filters["factory_id"].options}
    assert offered == {"", "VN001", "VN003"}
    sokha = open_app(WorkQueueApp, apps_store, "Sokha Chan")
    assert ids(sokha) == [4] and "Saigon" not in sokha.table.value
    staff = open_app(WorkQueueApp, apps_store, "Minh Tran")
    assert ids(staff) == [1, 3, 2] and staff.filters["advisor"].layout.display is None
    assert "Rows 1–3 of 3" in staff.shown.value


def test_filters_redraw_the_list_and_the_rows_open_the_tracker(apps_store: Store) -> None:
    app = open_app(WorkQueueApp, apps_store, "Lan Nguyen", lang="en")
    app.overdue.value = True
    assert ids(app) == [1]
    html = app.table.value
    link = "/voila/render/remediation_tracker.ipynb?factory=VN001&amp;item=1&amp;lang=en"
    assert f'href="{link}"' in html
    assert "&lt;script&gt;" in html and "<script>" not in html  # the issue is escaped
    assert "Overdue" in html
    app.overdue.value = False
    app.filters["status"].value = "Pending"
    assert ids(app) == [2] and "Rows 1–1 of 1" in app.shown.value
    app.filters["status"].value = ""
    app.filters["responsible"].value = "nobody at all"
    assert ids(app) == [] and "No plan items match these filters." in app.table.value
    app.filters["responsible"].value = ""
    app.filters["sort"].value = "factory"
    assert ids(app) == [1, 3, 2]
    assert "<b>1</b>Pending" in app.counts.value.replace(" ", "")


def test_on_a_phone_the_filters_fold_under_a_button_that_counts_them(apps_store: Store) -> None:
    app = open_app(WorkQueueApp, apps_store, "Lan Nguyen", lang="en")
    # folded at first (the page's style shows them anyway where there is room)
    assert "bw-queue-filters" in app.filter_box._dom_classes
    assert "bw-open" not in app.filter_box._dom_classes
    assert app.toggle.description == "Show filters (0 set)"
    app.toggle.click()
    assert "bw-open" in app.filter_box._dom_classes
    assert app.toggle.description == "Hide filters (0 set)"
    app.overdue.value = True
    app.filters["responsible"].value = "   "  # blank: no filter
    app.filters["sort"].value = "factory"  # an order, not a filter
    assert app.toggle.description == "Hide filters (1 set)"
    app.filters["status"].value = "Pending"
    assert app.toggle.description == "Hide filters (2 set)"
    app.toggle.click()
    assert "bw-open" not in app.filter_box._dom_classes
    assert app.toggle.description == "Show filters (2 set)"
    assert ids(app) == []  # folded, they still apply: no pending item is overdue
    app.language.value = "vi"
    assert app.toggle.description not in ("Show filters (2 set)", "")
    assert "2" in app.toggle.description


def test_each_cell_names_its_column_for_a_phones_cards(apps_store: Store) -> None:
    app = open_app(WorkQueueApp, apps_store, "Lan Nguyen", lang="en")
    html = app.table.value
    assert '<table class="bw-table bw-cards">' in html
    for column in ("Factory", "#", "Compliance point", "Issue", "Due date", "Status"):
        assert html.count(f'<td data-label="{column}">') == 3, column
    app.language.value = "vi"
    assert '<td data-label="Hạn hoàn thành">' in app.table.value


def test_pages_go_past_fifty_without_a_cap(apps_store: Store) -> None:
    for n in range(120):
        add_item(apps_store, item("VN003", f"Item {n:03}", D(2030, 1, 1)), actor="Lan Nguyen")
    app = open_app(WorkQueueApp, apps_store, "Lan Nguyen")
    app.filters["factory_id"].value = "VN003"
    assert len(app.queue.items) == 120
    assert "improvement_plan.ipynb?factory=VN003" in app.nav.value  # her choice, for the others
    assert "Rows 1–50 of 120" in app.shown.value and app.previous.disabled
    assert app.table.value.count("bw-open-item") == PAGE_SIZE
    app.next.click()
    assert "Rows 51–100 of 120" in app.shown.value and not app.previous.disabled
    app.next.click()
    assert "Rows 101–120 of 120" in app.shown.value and app.next.disabled
    assert app.table.value.count("bw-open-item") == 20 and "Item 119" in app.table.value
    app.next.click()  # nothing past the end
    assert "Rows 101–120 of 120" in app.shown.value
    app.previous.click()
    assert "Rows 51–100 of 120" in app.shown.value
    app.filters["status"].value = "Pending"  # a new filter starts on the first page
    assert "Rows 1–50 of 120" in app.shown.value


def test_staffs_verification_queue_and_the_items_sent_back(apps_store: Store) -> None:
    awaiting, sent_back = awaiting_and_sent_back(apps_store)
    staff = open_app(WorkQueueApp, apps_store, "Minh Tran")
    staff.filters["verification"].value = "awaiting"
    assert ids(staff) == [awaiting] and "Awaiting verification" in staff.table.value
    staff.filters["verification"].value = "rejected"
    assert ids(staff) == [sent_back] and "Sent back" in staff.table.value
    staff.filters["advisor"].value = "Lan Nguyen"
    assert ids(staff) == [sent_back]
    sokha = open_app(WorkQueueApp, apps_store, "Sokha Chan")
    sokha.filters["verification"].value = "awaiting"
    assert ids(sokha) == []


def download(app: WorkQueueApp, button: Any) -> tuple[str, bytes]:
    button.click()
    found = re.search(r'download="([^"]+)" href="data:[^;]+;base64,([^"]+)"', app.link.value)
    assert found, app.link.value
    return found.group(1), base64.b64decode(found.group(2))


def test_the_filtered_list_exports_to_xlsx_and_csv(apps_store: Store) -> None:
    add_item(
        apps_store,
        item("VN001", '=HYPERLINK("http://evil.example","x")', D(2030, 1, 1)),
        actor="Lan Nguyen",
    )
    for n in range(60):  # more than a page: the export holds every page
        add_item(apps_store, item("VN003", f"Item {n:03}", D(2031, 1, 1)), actor="Lan Nguyen")
    app = open_app(WorkQueueApp, apps_store, "Lan Nguyen")
    app.filters["status"].value = "Pending"
    name, content = download(app, app.xlsx)
    assert name == f"work-queue-{TODAY.isoformat()}.xlsx"
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == ["Factory ID", "Factory", "Advisor", "Item"]
    assert len(rows) == 1 + 62  # the header, #2, the formula and the 60
    assert {r[11] for r in rows[1:]} == {"Pending"}
    texts = {r[6] for r in rows[1:]}
    assert '\'=HYPERLINK("http://evil.example","x")' in texts  # text, not a formula
    due = next(r[9] for r in rows[1:] if r[3] == 2)
    assert due.date() == D(2099, 1, 31)  # a date, not text

    name, content = download(app, app.csv)
    assert name.endswith(".csv") and content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert table[0] == [h for h in rows[0]] and len(table) == 63
    assert '\'=HYPERLINK("http://evil.example","x")' in {r[6] for r in table}
    assert next(r[9] for r in table[1:] if r[3] == "2") == "31/01/2099"


def test_the_queue_speaks_her_language(apps_store: Store) -> None:
    app = open_app(WorkQueueApp, apps_store, "Lan Nguyen", lang="vi")
    assert app.filters["status"].description != "Status"
    assert app.heading.value and "Work queue" not in app.heading.value
    assert "lang=vi" in app.table.value
    app.language.value = "en"
    assert app.filters["status"].description == "Status" and "Rows 1–3 of 3" in app.shown.value


# -- the tracker opens the item the address names ---------------------------------------------


def tracker(store: Store, user: str, factory_id: str, item_id: int) -> RemediationTracker:
    request = PageRequest(person(store.user(user)), factory_id, "en", item_id=item_id)
    return RemediationTracker(store, request)


def test_the_tracker_opens_the_item_of_the_address(apps_store: Store) -> None:
    app = tracker(apps_store, "Lan Nguyen", "VN001", 2)
    assert app.item["item_id"] == 2 and app.choice.value == "2"
    assert app.item_box.layout.display is None and "Plan item #2" in app.detail.value


@pytest.mark.parametrize(
    ("user", "factory_id", "item_id"),
    [
        ("Lan Nguyen", "VN001", 4),  # Sokha's item, under Lan's factory
        ("Lan Nguyen", "KH001", 4),  # Sokha's factory
        ("Sokha Chan", "VN001", 1),  # Lan's factory
        ("Lan Nguyen", "VN001", 999),  # no such item
    ],
)
def test_an_item_that_is_not_hers_opens_nothing(
    apps_store: Store, user: str, factory_id: str, item_id: int
) -> None:
    app = tracker(apps_store, user, factory_id, item_id)
    assert app.item == {} and app.item_box.layout.display == "none"
    assert app.detail.value == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), (" 7 ", 7), ("12abc", None), ("-3", None), ("", None), ("١٢", None)],
)
def test_an_item_in_the_address_is_digits_only(text: str, expected: int | None) -> None:
    assert item_number(text) == expected


def test_page_request_reads_the_item_from_the_address(
    apps_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    monkeypatch.delenv("HTTP_COOKIE", raising=False)
    monkeypatch.setenv("QUERY_STRING", "factory=VN001&item=12&lang=vi")
    asked = page_request(apps_store)
    assert (asked.factory_id, asked.item_id, asked.lang) == ("VN001", 12, "vi")
    monkeypatch.setenv("QUERY_STRING", "factory=VN001&item=1%20OR%201=1")
    assert page_request(apps_store).item_id is None


# -- in the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served_queue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`bwcases serve` over a SQLite store with the advisor case; yields its base URL."""
    folder = tmp_path_factory.mktemp("queue")
    store = fill_advisor_case(Store(served_store_url("sqlite", folder, "")), folder)
    with served(store.url, folder / "voila.log") as base:
        yield base
    store.dispose()


def queue_page(browser: Browser, base: str, width: int, height: int) -> Page:
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(30_000)
    sign_in(page, base, "Lan Nguyen", PASSWORD)
    page.goto(f"{base}voila/render/work_queue.ipynb?lang=en", timeout=APP_TIMEOUT_MS)
    page.locator(".bw-app h1").wait_for(timeout=APP_TIMEOUT_MS)
    page.get_by_text("Rows 1–3 of 3").wait_for(timeout=APP_TIMEOUT_MS)
    return page


@pytest.mark.browser
@pytest.mark.slow
@needs_chromium
def test_filter_then_a_row_opens_the_item_in_the_tracker(
    served_queue: str, browser: Browser, tmp_path: Path
) -> None:
    pytest.importorskip("playwright.sync_api")
    from tests import axe

    for width, height in ((1280, 900), (390, 844)):
        page = queue_page(browser, served_queue, width, height)
        found = axe.violations(page)
        assert not found, f"at {width} px:\n{axe.report(found)}"
        page.screenshot(path=str(tmp_path / f"queue-{width}.png"), full_page=True)
        page.context.close()

    page = queue_page(browser, served_queue, 1280, 900)
    page.get_by_label("Status", exact=True).select_option(label="Pending")
    page.get_by_text("Rows 1–1 of 1").wait_for()
    found = axe.violations(page)
    assert not found, f"filtered:\n{axe.report(found)}"
    page.get_by_role("link", name="Exit blocked by boxes").click()
    page.locator(".bw-app h1").wait_for(timeout=APP_TIMEOUT_MS)
    page.get_by_role("heading", name=re.compile(r"Plan item #2")).wait_for(timeout=APP_TIMEOUT_MS)
    assert "remediation_tracker.ipynb" in page.url and "item=2" in page.url
    page.context.close()
