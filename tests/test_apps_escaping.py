"""What people type and what the store holds, shown by the apps: always as text, never markup."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

from bwcases.apps import CaseTimeline, PageRequest, RemediationTracker
from bwcases.apps.common import flag, heading, html_table, muted, notice_html
from bwcases.apps.evidence import download_link
from bwcases.auth.people import person
from bwcases.store import Store
from tests.helpers import PDF, open_app, password_hash, plan_public_item, record, upload

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
        html_table([HOSTILE], [], empty=HOSTILE),
    ):
        shown = Shown(html)
        assert len(shown.tags) == 1 and shown.text == HOSTILE, html
    table = Shown(html_table([HOSTILE, "b"], [["<b>kept</b>", "2"]]))
    assert table.names.count("b") == 1 and "script" not in table.names
    assert table.text == f"{HOSTILE}bkept2"  # cells come as HTML, headers as text


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
