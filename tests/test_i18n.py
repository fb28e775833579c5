"""Every text people read is translated: the catalogues hold every message of the source."""

from __future__ import annotations

import io
import re

import pytest
from babel.messages.mofile import read_mo, write_mo

from bwcases.core.i18n import (
    LANGUAGES,
    TRANSLATED,
    catalogue_path,
    extract,
    is_rtl,
    language,
    missing,
    negotiate,
    read_catalogue,
    translator,
)

PLACEHOLDER = re.compile(r"\{\w*\}")


@pytest.fixture(scope="module")
def source_messages() -> set[str]:
    return {str(m.id) for m in extract() if m.id}


def test_the_source_has_its_messages_marked(source_messages: set[str]) -> None:
    for text in ("Improvement Plan", "Save", "Sign in", "Fill in this field.", "Evidence files"):
        assert text in source_messages
    assert len(source_messages) > 100


@pytest.mark.parametrize("lang", TRANSLATED)
def test_a_catalogue_translates_every_message_of_the_source(lang: str) -> None:
    gaps = missing(lang)
    assert gaps == [], f"{lang} misses {len(gaps)} messages; run `python -m bwcases.core.i18n`"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_a_catalogue_holds_no_stale_messages(lang: str, source_messages: set[str]) -> None:
    held = {str(m.id) for m in read_catalogue(lang) if m.id}
    assert held - source_messages == set()


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_placeholders(lang: str) -> None:
    for message in read_catalogue(lang):
        if message.id and message.string:
            wanted = sorted(PLACEHOLDER.findall(str(message.id)))
            assert sorted(PLACEHOLDER.findall(str(message.string))) == wanted, message.id
            assert message.string != message.id or message.id in {"Status", "PICC meeting"}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_compiled_catalogue_is_up_to_date(lang: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, read_catalogue(lang))
    compiled.seek(0)
    with catalogue_path(lang, ".mo").open("rb") as f:
        stored = read_mo(f)
    fresh = read_mo(compiled)
    assert {m.id: m.string for m in stored} == {m.id: m.string for m in fresh}


def test_texts_come_out_in_the_asked_language() -> None:
    assert translator("vi")("Save") == "Lưu"
    assert translator("id")("Due date") == "Tenggat"
    assert translator("km")("Sign in") == "ចូលគណនី"
    assert translator("ar")("Improvement Plan") == "خطة التحسين"
    assert translator("fr")("Save") == "Save"  # not (yet) translated: English
    # in Arabic each value is set apart, so Latin names and IDs keep their order
    assert translator("ar")("Factories: {n}").format(n=3) == "المصانع: \u20683\u2069"
    assert translator("vi")("Factories: {n}").format(n=3) == "Số nhà máy: 3"


@pytest.mark.parametrize(
    ("asked", "lang"),
    [("vi-VN", "vi"), ("AR", "ar"), ("id_ID", "id"), ("fr", "en"), ("", "en"), (None, "en")],
)
def test_language_codes(asked: str | None, lang: str) -> None:
    assert language(asked) == lang


def test_the_browser_language_is_negotiated() -> None:
    assert negotiate("fr-FR,fr;q=0.9,vi;q=0.8,en;q=0.5") == "vi"
    assert negotiate("km-KH") == "km"
    assert negotiate("de") == "en" and negotiate(None) == "en"


def test_arabic_reads_right_to_left_and_the_others_left_to_right() -> None:
    assert [code for code in LANGUAGES if is_rtl(code)] == ["ar"]
