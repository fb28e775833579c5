"""Comments on plan items: a thread per item, internal (programme staff) or shared (the factory
reads it too); the factory's person never reads an internal one, in the store or in the app."""

from __future__ import annotations

import json

import pytest

from bwcases.core.errors import NotAllowedError, ValidationError
from bwcases.store import Store
from bwcases.store.comments import COMMENT_LIMIT
from tests.helpers import password_hash

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
