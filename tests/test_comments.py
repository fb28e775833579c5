"""Comments on plan items: a thread per item, internal (programme staff) or shared (the factory
reads it too); the factory's person never reads an internal one, in the store or in the app."""

from __future__ import annotations

import json
import re

import pytest

from bwcases.apps import RemediationTracker
from bwcases.core.errors import NotAllowedError, ValidationError
from bwcases.store import Store
from bwcases.store.comments import COMMENT_LIMIT
from tests.helpers import open_app, password_hash

HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


@pytest.fixture
def factory_store(apps_store: Store) -> Store:
    """The advisor case with Ngoc Bui, who works for Saigon Garments (VN001)."""
    apps_store.add_user(
        "Ngoc Bui",
        role="factory",
        country="Vietnam",
        factory="VN001",
        password_hash=password_hash(),
        actor="test",
    )
    return apps_store


def test_a_factory_person_never_reads_an_internal_comment(factory_store: Store) -> None:
    store = factory_store
    store.add_comment(1, "Arrears paid in June?", visibility="internal", actor="Lan Nguyen")
    shared = store.add_comment(1, "Please send the payroll", visibility="shared", actor="Minh Tran")
    store.add_comment(1, "Payroll attached", visibility="shared", actor="Ngoc Bui")
    staff = store.comment_thread(1, "Lan Nguyen")
    assert staff[["author", "visibility", "text"]].values.tolist() == [
        ["Lan Nguyen", "internal", "Arrears paid in June?"],
        ["Minh Tran", "shared", "Please send the payroll"],
        ["Ngoc Bui", "shared", "Payroll attached"],
    ]
    hers = store.comment_thread(1, "Ngoc Bui")
    assert hers["text"].tolist() == ["Please send the payroll", "Payroll attached"]
    assert store.comment_thread(1, "nobody known")["visibility"].unique().tolist() == ["shared"]
    trail = store.history("comments", shared)
    assert trail["actor"].tolist() == ["Minh Tran"]
    assert json.loads(trail["after"][0])["visibility"] == "shared"


def test_a_factory_person_writes_shared_comments_on_her_factory_only(factory_store: Store) -> None:
    with pytest.raises(ValidationError) as caught:
        factory_store.add_comment(1, "Internal?", visibility="internal", actor="Ngoc Bui")
    assert "shared" in caught.value.fields["visibility"]
    cambodian = int(factory_store.plan_items_frame(factory_ids=["KH001"])["item_id"][0])
    with pytest.raises(NotAllowedError, match="not for KH001"):
        factory_store.add_comment(cambodian, "Hello", visibility="shared", actor="Ngoc Bui")
    with pytest.raises(NotAllowedError, match="not for KH001"):
        factory_store.comment_thread(cambodian, "Ngoc Bui")
    with pytest.raises(NotAllowedError, match="reads only"):
        factory_store.add_comment(1, "Hello", visibility="shared", actor="Hoa Le")
    assert factory_store.comment_thread(1, "Lan Nguyen").empty


@pytest.mark.parametrize(
    ("text", "visibility", "field", "said"),
    [
        ("   ", "internal", "text", "cannot be empty"),
        ("x" * (COMMENT_LIMIT + 1), "internal", "text", f"more than the {COMMENT_LIMIT}"),
        ("Fine", "public", "visibility", "'public' is not internal or shared"),
    ],
)
def test_bad_comments_are_refused_by_field(
    apps_store: Store, text: str, visibility: str, field: str, said: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        apps_store.add_comment(1, text, visibility=visibility, actor="Lan Nguyen")
    assert said in caught.value.fields[field]
    assert apps_store.comment_thread(1, "Lan Nguyen").empty


def test_a_comment_keeps_its_text_trimmed(apps_store: Store) -> None:
    apps_store.add_comment(1, f"  {HOSTILE}\n", visibility="internal", actor="Lan Nguyen")
    assert apps_store.comment_thread(1, "Lan Nguyen")["text"].tolist() == [HOSTILE]


# -- the thread in the remediation tracker ----------------------------------------------------


def tracker_on(store: Store, user: str, item: int = 1) -> RemediationTracker:
    app = open_app(RemediationTracker, store, user, "VN001")
    app.choice.value = str(item)
    return app


def test_the_tracker_item_shows_its_thread_and_adds_internal_by_default(
    factory_store: Store,
) -> None:
    app = tracker_on(factory_store, "Lan Nguyen")
    thread = app.comments
    assert "No comments yet." in thread.thread.value
    assert thread.visibility.value == "internal"
    thread.text.set("Check the June payroll first")
    thread.add.click()
    assert "The comment was added." in thread.message.value
    assert "Check the June payroll first" in thread.thread.value
    assert "Internal" in thread.thread.value and "Lan Nguyen" in thread.thread.value
    assert re.search(r"\d\d/\d\d/\d{4} at \d\d:\d\d UTC", thread.thread.value)
    thread.visibility.value = "shared"
    thread.text.set("Please send the June payroll")
    thread.add.click()
    stored = factory_store.comment_thread(1, "Lan Nguyen")
    assert stored["visibility"].tolist() == ["internal", "shared"]
    assert thread.text.control.value == ""


def test_the_factory_person_reads_and_writes_shared_only(factory_store: Store) -> None:
    factory_store.add_comment(1, "Internal worry", visibility="internal", actor="Lan Nguyen")
    factory_store.add_comment(1, "Send the payroll", visibility="shared", actor="Lan Nguyen")
    assert "Internal worry" in tracker_on(factory_store, "Lan Nguyen").comments.thread.value
    thread = tracker_on(factory_store, "Ngoc Bui").comments
    assert "Internal worry" not in thread.thread.value
    assert "Send the payroll" in thread.thread.value
    assert thread.visibility.layout.display == "none"  # no choice to make
    assert thread.form.layout.display is None
    thread.visibility.value = "internal"  # even were the hidden choice changed
    thread.text.set("Payroll attached")
    thread.add.click()
    assert factory_store.comment_thread(1, "Lan Nguyen")["visibility"].tolist() == [
        "internal",
        "shared",
        "shared",
    ]


def test_a_reader_reads_the_thread_without_a_form(factory_store: Store) -> None:
    factory_store.add_comment(1, "Noted", visibility="internal", actor="Lan Nguyen")
    app = tracker_on(factory_store, "Hoa Le")
    assert "Noted" in app.comments.thread.value
    assert app.comments.form.layout.display == "none"


def test_hostile_text_is_shown_as_text(factory_store: Store) -> None:
    app = tracker_on(factory_store, "Lan Nguyen")
    app.comments.text.set(HOSTILE)
    app.comments.add.click()
    shown = app.comments.thread.value
    assert "<script>" not in shown and "<img" not in shown
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in shown


def test_an_empty_comment_is_named_and_nothing_saved(factory_store: Store) -> None:
    app = tracker_on(factory_store, "Lan Nguyen")
    app.comments.text.set("   ")
    app.comments.add.click()
    assert "Fill in this field." in app.comments.text.error.value
    assert factory_store.comment_thread(1, "Lan Nguyen").empty


def test_programme_people_read_and_comment_in_their_portfolio_only(apps_store: Store) -> None:
    cambodian = int(apps_store.plan_items_frame(factory_ids=["KH001"])["item_id"][0])
    apps_store.add_comment(cambodian, "Arrears unpaid", visibility="internal", actor="Sokha Chan")
    # Vietnam's advisor, staff and reader: not a Cambodian factory's internal thread
    for outsider in ("Lan Nguyen", "Minh Tran", "Hoa Le"):
        with pytest.raises(NotAllowedError, match="KH001"):
            apps_store.comment_thread(cambodian, outsider)
    for outsider in ("Lan Nguyen", "Minh Tran"):
        with pytest.raises(NotAllowedError, match="KH001"):
            apps_store.add_comment(cambodian, "Mine", visibility="internal", actor=outsider)
    assert apps_store.comment_thread(cambodian, "Sokha Chan")["text"].tolist() == ["Arrears unpaid"]
    assert apps_store.comment_thread(1, "Minh Tran").empty  # her country's: read
