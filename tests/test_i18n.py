"""Every text people read is translated: the catalogues hold every message of the source."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo

from bwcases.core import i18n
from bwcases.core.catalogue import CLUSTERS, COMPLIANCE_POINTS, COUNTRIES
from bwcases.core.errors import UsageError
from bwcases.core.i18n import (
    CLUSTER,
    COMPLIANCE_POINT,
    COUNTRY,
    LANGUAGES,
    NAMES,
    QUESTION,
    TRANSLATED,
    catalogue_names,
    catalogue_path,
    domain_name,
    export_questions,
    extract,
    is_rtl,
    language,
    missing,
    missing_names,
    names_template,
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


# -- the domain's names: clusters, CPs, countries and CAT questions --------------------------

EXPORT_HEADER = "Country,Cycle,Factory.Assessed.ID,Factory.Assessed.Name,Quest.ID,"
EXPORT_HEADER += "Assesment.Start.Date,Question.type,Q.Label,Question.ID,CP,Cluster,Finding,Tags"


def write_export(path: Path, labels: list[str]) -> Path:
    """An assessment export (CSV, with the byte-order mark spreadsheets write) asking these."""
    lines = [EXPORT_HEADER]
    for n, label in enumerate(labels):
        lines.append(f'Vietnam,1,VN001,Saigon,1001,01/03/2024,NCQ,"{label}",Q.{n},Gender,D,0,')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def test_the_names_to_translate_come_from_the_catalogue() -> None:
    template = names_template(["Is there a fire exit?"])
    held = {(m.context, str(m.id)) for m in template if m.id}
    for cluster in CLUSTERS:
        assert (CLUSTER, cluster) in held
    for points in COMPLIANCE_POINTS.values():
        assert {(COMPLIANCE_POINT, cp) for cp in points} <= held
    assert {(COUNTRY, country) for country in COUNTRIES} <= held
    assert (CLUSTER, "Systems") in held and (COMPLIANCE_POINT, "Hazardous Work") in held
    assert (QUESTION, "Is there a fire exit?") in held
    # a name may be two kinds at once: each is its own message
    assert (CLUSTER, "Forced Labour") in held and (COMPLIANCE_POINT, "Forced Labour") not in held
    assert set(catalogue_names()) <= held


def test_the_questions_of_an_export_are_read_once_each(tmp_path: Path) -> None:
    asked = ["Is there a fire exit?", "Are wages paid on time?", "Is there a fire exit?", ""]
    assert export_questions(write_export(tmp_path / "a.csv", asked)) == asked[:2]
    plan = tmp_path / "plan.csv"
    plan.write_text("Factory.ID,Compliance.point,Status\nVN001,Gender,Pending\n")
    with pytest.raises(UsageError, match=r"plan\.csv: no column 'Q\.Label'"):
        export_questions(plan)


def test_a_name_of_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="kind 'factory' is not one of"):
        domain_name("factory", "Saigon Garments", "vi")
    assert domain_name(COMPLIANCE_POINT, "Overtime", "en") == "Overtime"
    assert domain_name(COUNTRY, "", "vi") == ""


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_cluster_cp_and_country_is_translated_and_questions_fall_back(lang: str) -> None:
    absent = missing_names(lang)
    assert {kind for kind, _name in absent} == {QUESTION}  # questions may stay English
    asked = [str(m.id) for m in names_template() if m.context == QUESTION]
    assert len(asked) > 200 and {name for _kind, name in absent} == set(asked)
    assert domain_name(QUESTION, asked[0], lang) == asked[0]  # shown in English


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_names_catalogue_holds_no_stale_names_and_is_compiled(lang: str) -> None:
    held = read_catalogue(lang, NAMES)
    named = {(m.context, str(m.id)) for m in held if m.id and m.context != QUESTION}
    assert named == set(catalogue_names())
    compiled = io.BytesIO()
    write_mo(compiled, held)
    compiled.seek(0)
    with catalogue_path(lang, ".mo", NAMES).open("rb") as f:
        stored = read_mo(f)
    fresh = read_mo(compiled)
    assert {(m.context, m.id): m.string for m in stored} == {
        (m.context, m.id): m.string for m in fresh
    }


def test_names_come_out_in_the_asked_language() -> None:
    assert domain_name(CLUSTER, "Forced Labour", "vi") == "Lao động cưỡng bức"
    assert domain_name(COMPLIANCE_POINT, "Overtime Wages", "id") == "Upah Lembur"
    assert domain_name(COUNTRY, "Cambodia", "km") == "កម្ពុជា"
    assert domain_name(COUNTRY, "Vietnam", "ar-JO") == "فيتنام"  # no isolates: a name alone
    assert domain_name(COMPLIANCE_POINT, "Gender", "fr") == "Gender"  # not offered: English
    assert domain_name(COMPLIANCE_POINT, "Forced Labour", "vi") == "Forced Labour"  # a cluster
    assert domain_name(COMPLIANCE_POINT, "Night Work", "vi") == "Night Work"  # not catalogued


def test_the_i18n_command_lists_the_names_each_language_shows_in_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(i18n.LOCALES, tmp_path / "locale")
    monkeypatch.setattr(i18n, "LOCALES", tmp_path / "locale")  # the shipped ones stay as they are
    export = write_export(tmp_path / "export.csv", ["Is there a brand-new question?"])
    try:
        i18n.main(["--questions", str(export)])
        out = capsys.readouterr().out
        for lang in TRANSLATED:
            assert f"{lang}: 62 of " in out
        assert out.count("  question: Is there a brand-new question?") == len(TRANSLATED)
        assert "  cluster: " not in out and "  country: " not in out
        kept = read_catalogue("vi", NAMES).get("Is there a brand-new question?", context=QUESTION)
        assert kept is not None and not kept.string
        i18n.main([])  # without the export, the questions it brought stay
        assert "  question: Is there a brand-new question?" in capsys.readouterr().out
        assert i18n.main(["--questions", str(tmp_path / "none.csv")]) == 2
        assert "none.csv" in capsys.readouterr().err
    finally:
        translator.cache_clear()
        i18n._names.cache_clear()
