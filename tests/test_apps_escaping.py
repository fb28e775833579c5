"""What people type and what the store holds, shown by the apps: always as text, never markup."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

from bwcases.apps import CaseTimeline, ImprovementPlan, PageRequest, RemediationTracker
from bwcases.apps.common import flag, heading, muted, notice_html
from bwcases.apps.evidence import download_link
from bwcases.apps.overview import case_overview
from bwcases.auth.people import person
from bwcases.store import Store
from tests.helpers import (
    PDF,
    add_item,
    open_app,
    password_hash,
    plan_public_item,
    record,
    upload,
)

HOSTILE = "<script>alert(1)</script> \"'&"
FILE = "<img src=x onerror=alert(1)> \"'&"  # a file's name holds no "/": that is a folder


class Shown(HTMLParser):
    """The tags of a piece of HTML, their attributes, and its text as a browser shows it."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.parts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    @property
    def names(self) -> list[str]:
        return [tag for tag, _attrs in self.tags]

    @property
    def text(self) -> str:
        return "".join(self.parts)


def test_the_apps_pieces_show_text_as_text() -> None:
    for html in (
        notice_html(HOSTILE, "error"),
        flag(HOSTILE, "persistent"),
        heading(HOSTILE, 2),
        muted(HOSTILE),
    ):
        shown = Shown(html)
        assert len(shown.tags) == 1 and shown.text == HOSTILE, html


def test_a_name_with_markup_is_text_in_the_page_header(apps_store: Store) -> None:
    name = f"Lan {HOSTILE}"
    apps_store.add_user(
        name, role="advisor", country="Vietnam", password_hash=password_hash(), actor="test"
    )
    request = PageRequest(person(apps_store.user(name)), "", "en", "/base/", xsrf=HOSTILE)
    app = RemediationTracker(apps_store, request)
    nav = Shown(app.nav.value)
    assert "script" not in nav.names
    assert f"Signed in as {name} (advisor, Vietnam)" in nav.text
    assert ("input", {"type": "hidden", "name": "_xsrf", "value": HOSTILE}) in nav.tags


def test_what_a_visit_says_is_text_on_the_timeline(apps_store: Store) -> None:
    apps_store.update_factories([{"factory_id": "VN003", "factory_name": HOSTILE}], actor="test")
    app = open_app(CaseTimeline, apps_store, "Lan Nguyen", "VN003")
    app.fields["date"].set(dt.date(2024, 5, 14))
    app.fields["kind"].control.value = "advisory visit"
    app.fields["topics"].control.value = f"Exits\n{HOSTILE}"
    app.fields["attendees"].control.value = HOSTILE
    app.save.click()
    summary, timeline = Shown(app.summary.value), Shown(app.timeline.value)
    assert summary.names == ["h2", "p"] and summary.parts[0] == HOSTILE
    assert "script" not in timeline.names and "br" in timeline.names  # its lines kept
    assert f"Advisory visit: Exits{HOSTILE}Attendees: {HOSTILE}" in timeline.text


def test_a_file_name_with_markup_is_text_in_errors_and_links(apps_store: Store) -> None:
    item_id = plan_public_item(apps_store)
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN003")
    app.choice.value = str(item_id)
    record(app, status="In Progress", note="n", files=(upload(f"{FILE}.exe", b"MZ"),))
    error = Shown(app.fields["files"].error.value)
    assert error.names == ["div"] and error.text.startswith(f"{FILE}.exe is not a PDF")
    link = Shown(download_link(f"{FILE}.pdf", "application/pdf", PDF, FILE))
    assert link.names == ["a"] and link.text == FILE
    assert link.tags[0][1]["download"] == f"{FILE}.pdf"


def hostile_item(store: Store) -> int:
    """An overdue item of Dong Nai Textiles whose factory, texts and author hold markup."""
    store.update_factories([{"factory_id": "VN003", "factory_name": HOSTILE}], actor="test")
    values = {
        "factory_id": "VN003",
        "source": "self-diagnosis",
        "compliance_point": "Overtime",
        "issue": HOSTILE,
        "action": HOSTILE,
        "responsible": HOSTILE,
        "due_date": dt.date(2024, 7, 31),
        "status": "Pending",
        "opened_on": dt.date(2024, 5, 1),
    }
    return add_item(store, values, actor=HOSTILE)


def test_a_factory_name_and_an_items_author_are_text_in_the_plan(apps_store: Store) -> None:
    item_id = hostile_item(apps_store)
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN003")
    summary = Shown(app.summary.value)
    # the name, the facts, the assessment, and the counts' line of two badges: no more elements
    assert summary.names == ["h2", "p", "p", "p", "span", "span"]
    assert summary.parts[0] == HOSTILE
    app.choice.value = f"item:{item_id}"
    context = Shown(app.form.context.value)
    assert context.names == ["h3"] and context.text.endswith(f"last changed by {HOSTILE}.")


def test_an_items_texts_and_factory_are_text_in_the_tracker(apps_store: Store) -> None:
    item_id = hostile_item(apps_store)
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN003")
    app.choice.value = str(item_id)
    record(app, status="In Progress", note=HOSTILE)
    summary = Shown(app.summary.value)
    assert summary.names == ["h2", "p"] and summary.parts[0] == HOSTILE
    plan, detail, history = (Shown(w.value) for w in (app.plan, app.detail, app.history))
    for shown in (plan, detail, history):
        assert "script" not in shown.names
    assert f"Overtime{HOSTILE}In Progress" in plan.text  # the issue, between CP and status
    assert f"Issue{HOSTILE}Action{HOSTILE}Responsible person{HOSTILE}Due date" in detail.text
    assert f"Pending → In Progress{HOSTILE}" in history.text  # the update's note
    app.tabs.selected_index = 1
    portfolio = Shown(app.portfolio_view.value)
    assert "script" not in portfolio.names
    assert f"VN003 — {HOSTILE}#{item_id}Overtime{HOSTILE}" in portfolio.text


def test_an_items_texts_and_factory_are_text_in_the_overview(apps_store: Store) -> None:
    hostile_item(apps_store)
    page = Shown(case_overview(apps_store, "VN003").to_html())
    assert "script" not in page.names
    assert f"{HOSTILE}VN003 · Vietnam" in page.text  # the name, then the facts under it
    assert f"Overtime{HOSTILE}{HOSTILE}{HOSTILE}31/07/2024" in page.text
