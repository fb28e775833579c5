"""The case overview: its figures from the store, and the widget an advisor reads them in."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd
import pytest

from bwcases.apps.common import factory_options
from bwcases.apps.overview import (
    CaseOverview,
    case_overview,
    overview_tables,
    requested_factory,
)
from bwcases.apps.request import PageRequest
from bwcases.auth.people import Person, Role
from bwcases.core.errors import NotFoundError
from bwcases.store import Store
from tests.helpers import SCRIPT_ISSUE, fill_case, open_app

D = dt.date


@pytest.fixture
def case_store(store: Store, tmp_path: Path) -> Store:
    return fill_case(store, tmp_path)


# -- figures ---------------------------------------------------------------------------------


def test_assessments_latest_first_with_cps_counted(case_store: Store) -> None:
    got = overview_tables(case_store, "VN001")["assessments"]
    assert got["quest_id"].tolist() == [1500, 1001, 800]
    assert got["cycle"].tolist() == [3, 2, 1]
    assert got["start_date"].dt.strftime("%d/%m/%Y").tolist() == [
        "20/04/2024",
        "15/03/2023",
        "01/02/2022",
    ]
    assert got["cps_non_compliant"].tolist() == [3, 2, 1]
    assert got["cps_assessed"].tolist() == [5, 4, 1]  # the FGW question never counts


def test_latest_against_previous_per_cp(case_store: Store) -> None:
    got = overview_tables(case_store, "VN001")["compliance"]
    rows = {
        r.compliance_point: (r.cluster, r.previous, r.latest, r.persistent, r.change)
        for r in got.itertuples()
    }
    na = pd.NA
    assert rows == {
        "Gender": ("Discrimination", 0, 0, False, ""),
        "Minimum Wages/Piece Rate Wages": ("Compensation", 1, 1, True, "persistent"),
        "Paid Leave": ("Compensation", na, 1, False, ""),
        # "Systems" in the older assessment counts as Occupational Safety and Health
        "Emergency Preparedness": ("Occupational Safety and Health", 1, 0, False, "resolved"),
        "Overtime": ("Working Time", 0, 1, False, "new"),
    }
    # in the catalogue's order of clusters and CPs
    assert got["compliance_point"].tolist() == [
        "Gender",
        "Minimum Wages/Piece Rate Wages",
        "Paid Leave",
        "Emergency Preparedness",
        "Overtime",
    ]


def test_open_items_only_with_overdue(case_store: Store) -> None:
    got = overview_tables(case_store, "VN001", as_of=D(2025, 1, 1))["open_items"]
    assert got["issue"].tolist() == [SCRIPT_ISSUE, "Exit blocked by boxes"]
    assert got["status"].tolist() == ["In Progress", "Pending"]
    assert got["overdue"].tolist() == [True, False]
    early = overview_tables(case_store, "VN001", as_of=D(2024, 6, 1))["open_items"]
    assert early["overdue"].tolist() == [False, False]


def test_factory_with_one_assessment_has_no_previous(case_store: Store) -> None:
    tables = overview_tables(case_store, "KH001")
    got = tables["compliance"]
    assert got["compliance_point"].tolist() == ["Overtime"]
    assert got["previous"].isna().all() and got["latest"].tolist() == [1]
    assert not got["persistent"].any()
    assert tables["open_items"]["issue"].tolist() == ["Cambodian item"]


def test_unknown_factory_is_named_in_the_error(case_store: Store) -> None:
    with pytest.raises(NotFoundError, match="NOPE"):
        overview_tables(case_store, "NOPE")


def test_factory_without_assessments_or_items(case_store: Store) -> None:
    tables = overview_tables(case_store, "VN002")  # retired: its findings never count
    assert tables["compliance"].empty and tables["open_items"].empty


@pytest.mark.parametrize(
    ("query", "default", "expected"),
    [
        ("token=abc&factory=VN001", "", "VN001"),
        ("factory=%20KH001%20", "", "KH001"),
        ("token=abc", "VN001", "VN001"),
        ("", "", ""),
        ("factory=", "KH001", "KH001"),
        ("factory=" + "X" * 500, "", "X" * 64),
    ],
)
def test_requested_factory(query: str, default: str, expected: str) -> None:
    assert requested_factory(default, query=query) == expected


def test_requested_factory_reads_voilas_query_string(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUERY_STRING", "factory=VN001&token=secret")
    assert requested_factory() == "VN001"


def test_factory_options_filter_and_hide_retired_records(case_store: Store) -> None:
    register = case_store.factories_frame()
    assert factory_options(register) == [
        ("KH001 — Phnom Penh Apparel", "KH001"),
        ("VN001 — Saigon Garments", "VN001"),
    ]
    assert [v for _, v in factory_options(register, country="Vietnam")] == ["VN001"]
    assert [v for _, v in factory_options(register, advisor="Sokha Chan")] == ["KH001"]
    assert [v for _, v in factory_options(register, search="saigon")] == ["VN001"]
    assert factory_options(register, country="Cambodia", search="saigon") == []


# -- the app ---------------------------------------------------------------------------------


def shown_html(widget: widgets.Widget) -> str:
    """The HTML of every HTML widget inside `widget`, as the browser would receive it."""
    parts = []
    if isinstance(widget, widgets.HTML):
        parts.append(widget.value)
    for child in getattr(widget, "children", ()):
        parts.append(shown_html(child))
    return "\n".join(parts)


def shown(widget: widgets.Widget) -> bool:
    return widget.layout.display != "none"


def test_the_analysts_overview_shows_the_chosen_factorys_case(case_store: Store) -> None:
    overview = case_overview(case_store, "")  # outside Voilà, nobody named: every factory
    assert "Saigon Garments" not in shown_html(overview)
    assert "Choose a factory to see its case" in shown_html(overview)

    overview.country.value = "Vietnam"
    assert [v for _, v in overview.factory.options] == ["", "VN001"]
    assert [v for _, v in overview.advisor.options] == ["", "Lan Nguyen"]
    overview.factory.value = "VN001"

    page = shown_html(overview)
    assert "<h2>Saigon Garments</h2>" in page
    assert "advisor Lan Nguyen" in page and "1,250 workers" in page
    assert "<b>3 of 5</b>CPs non-compliant (latest)" in page
    assert "<b>2 of 4</b>CPs non-compliant (previous)" in page
    assert "<b>1</b>persistent CPs" in page
    assert "<b>2</b>open plan items" in page
    assert "Latest (Quest.ID 1500, cycle 3, 20/04/2024)" in page
    assert "Previous (Quest.ID 1001, cycle 2, 15/03/2023)" in page
    assert '<td data-label="Change" class="bw-bad">Persistent</td>' in page
    assert "Gender" not in page  # compliant on both: listed only on request
    assert "1 other CP assessed was compliant on both assessments" in page
    assert "Overtime over the limit" not in page  # completed
    assert "Cambodian item" not in page

    # free text from users is shown, never run
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in page  # markupsafe's escape
    assert "<script" not in page
    assert "Pay the arrears &amp; fix the payroll" in page

    overview.show_all.value = True
    assert "Gender" in shown_html(overview)


def test_the_filters_narrow_and_clear_the_choice(case_store: Store) -> None:
    overview = case_overview(case_store, "VN001")
    assert overview.factory.value == "VN001"
    assert "Saigon Garments" in shown_html(overview)
    assert shown(overview.country) and shown(overview.advisor)  # the whole programme: choices

    overview.country.value = "Cambodia"  # Saigon Garments no longer matches
    assert overview.factory.value == ""
    assert "Saigon Garments" not in shown_html(overview)
    assert [v for _, v in overview.factory.options] == ["", "KH001"]
    assert [v for _, v in overview.advisor.options] == ["", "Sokha Chan"]

    overview.country.value = ""
    overview.search.value = "saigon"
    assert [v for _, v in overview.factory.options] == ["", "VN001"]
    assert "Factories: 1" in overview.count.value  # the apps' one factory picker


def test_filters_are_offered_only_where_the_role_has_a_choice(apps_store: Store) -> None:
    # Lan is the advisor of her own portfolio, in one country: neither filter
    lan = open_app(CaseOverview, apps_store, "Lan Nguyen", "VN001")
    assert not shown(lan.filters) and not shown(lan.country) and not shown(lan.advisor)
    assert sorted(v for _, v in lan.factory.options if v) == ["VN001", "VN003"]
    assert "<h2>Saigon Garments</h2>" in lan.summary.value

    # staff of one country: no Country filter; an Advisor filter once two advisors work there
    minh = open_app(CaseOverview, apps_store, "Minh Tran")
    assert not shown(minh.filters)
    apps_store.update_factories([{"factory_id": "VN003", "advisor": "Hoa Le"}], actor="test")
    minh = open_app(CaseOverview, apps_store, "Minh Tran")
    assert shown(minh.filters) and shown(minh.advisor) and not shown(minh.country)
    assert [v for _, v in minh.advisor.options] == ["", "Hoa Le", "Lan Nguyen"]
    minh.advisor.value = "Hoa Le"
    assert [v for _, v in minh.factory.options if v] == ["VN003"]

    # staff of the whole programme: both
    apps_store.add_user("Ana", role="staff", country=None, password_hash="x", actor="test")
    ana = open_app(CaseOverview, apps_store, "Ana")
    assert shown(ana.country) and shown(ana.advisor)
    assert [v for _, v in ana.country.options] == ["", "Cambodia", "Vietnam"]


def test_the_page_has_the_apps_header(apps_store: Store) -> None:
    app = open_app(CaseOverview, apps_store, "Lan Nguyen", "VN001")
    assert "<h1>Case overview</h1>" in app.heading.value
    nav = app.nav.value
    assert 'href="/voila/render/case_overview.ipynb?factory=VN001&amp;lang=en"' in nav
    assert 'aria-current="page">Case overview</a>' in nav
    for page in ("improvement_plan", "remediation_tracker", "case_timeline"):
        assert f"/voila/render/{page}.ipynb?factory=VN001" in nav  # the factory goes along
    assert "Signed in as Lan Nguyen (advisor, Vietnam)" in nav
    assert "Sign out" in nav and "Change password" in nav
    assert app.language.value == "en" and app.language in app.children[1].children[1].children
    app.factory.value = "VN003"
    assert "factory=VN003" in app.nav.value


def test_on_a_phone_the_header_shows_her_name_and_the_tables_are_cards(
    apps_store: Store,
) -> None:
    app = open_app(CaseOverview, apps_store, "Lan Nguyen", "VN001")
    nav = app.nav.value
    assert nav.startswith('<nav class="bw-nav">')  # a landmark a screen reader jumps to
    # the sentence is read aloud; her name alone is what a phone shows
    assert '<span class="bw-who-signed">Signed in as Lan Nguyen (advisor, Vietnam)</span>' in nav
    assert '<span class="bw-who-name" aria-hidden="true">Lan Nguyen</span>' in nav
    assert {"bw-title", "bw-nav-box"} <= set(app.heading._dom_classes + app.nav._dom_classes)
    assert "bw-language" in app.language._dom_classes
    for table in (app.compliance, app.open_items, app.assessments):
        assert 'class="bw-table bw-cards' in table.value
    assert '<td data-label="Compliance point">' in app.compliance.value
    assert '<td data-label="Quest.ID">' in app.assessments.value
    # a column's name is plain text on its card, even where the header sets a code apart
    app.language.value = "ar"
    labels = re.findall(r'data-label="([^"]*)"', app.compliance.value)
    assert any("Quest.ID 1500" in label for label in labels)
    assert not [label for label in labels if "<" in label or "&lt;" in label]
    # the static copy is styled for a phone too
    assert ".bw-cards td[data-label]" in app.to_html()
    assert ".bw-cards td[data-label]" in app.children[0].value


def test_the_page_speaks_the_chosen_language(apps_store: Store) -> None:
    app = open_app(CaseOverview, apps_store, "Lan Nguyen", "VN001", lang="vi")
    assert "bw-lang-vi" in app._dom_classes  # the page script sets <html lang> from it
    page = shown_html(app)
    assert "<h1>Tổng quan hồ sơ</h1>" in page
    assert "CP không tuân thủ (gần nhất)" in page
    assert "Các mục kế hoạch cải thiện còn mở" in page
    assert "Đăng xuất" in page
    assert "Latest (" not in page and "open plan items" not in page
    assert "Saigon Garments" in page and "Quest.ID 1500" in page  # names stay as stored

    app.language.value = "ar"  # she changes her mind: the same case, now in Arabic
    assert "bw-rtl" in app._dom_classes and "bw-lang-ar" in app._dom_classes
    assert "bw-lang-vi" not in app._dom_classes
    assert app.factory.value == "VN001" and "Saigon Garments" in app.summary.value
    assert "Tổng quan" not in shown_html(app)
    assert 'lang="ar" dir="rtl"' in app.to_html()


def test_nothing_people_read_speaks_of_the_store(apps_store: Store) -> None:
    for factory in ("VN001", "NOPE", ""):
        app = open_app(CaseOverview, apps_store, "Minh Tran", factory)
        page = re.sub(r"<style>.*?</style>", "", shown_html(app), flags=re.DOTALL)
        text = re.sub(r"<[^>]+>", " ", page)
        assert not re.search(r"\bstore\b", text, re.IGNORECASE), text


def test_nobody_signed_in_in_voila_sees_no_factory_data(
    apps_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOILA_PREHEAT", "False")  # a page served by Voilà
    app = case_overview(apps_store, PageRequest(None, "VN001", "vi"))
    assert "Đăng nhập" in app.notice.value
    assert app.body.children == () and app.tables is None
    assert "Saigon" not in shown_html(app)


def test_an_unknown_factory_is_named_safely(case_store: Store) -> None:
    overview = case_overview(case_store, "<b>NOPE</b>")
    page = shown_html(overview)
    assert "&lt;b&gt;NOPE&lt;/b&gt;" in page and "<b>NOPE" not in page
    assert overview.factory.value == ""


def test_a_failure_shows_a_sentence_not_a_traceback(
    case_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    overview = case_overview(case_store, "")

    def broken(*_args: Any, **_kwargs: Any) -> pd.DataFrame:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(case_store, "findings_frame", broken)
    overview.factory.value = "VN001"
    page = shown_html(overview)
    assert "could not be loaded" in page
    assert "connection lost" not in page and "Traceback" not in page


def test_executed_notebooks_keep_a_static_copy(case_store: Store) -> None:
    bundle = case_overview(case_store, "VN001")._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "<h2>Saigon Garments</h2>" in bundle["text/html"]
    assert "<script" not in bundle["text/html"]
    assert 'lang="en" dir="ltr"' in bundle["text/html"]


def test_a_factory_with_one_assessment_compares_nothing(case_store: Store) -> None:
    overview = case_overview(case_store, "KH001")
    page = shown_html(overview)
    assert "<b>1 of 1</b>CPs non-compliant (latest)" in page
    assert "Previous (" not in page and "persistent CPs" not in page
    assert overview.show_all.layout.display == "none"  # nothing compliant to reveal


def test_a_signed_in_person_is_offered_only_her_own_factories(store: Store, tmp_path: Path) -> None:
    fill_case(store, tmp_path)
    lan = Person("Lan Nguyen", Role.ADVISOR)
    view = case_overview(store, PageRequest(person=lan))
    assert list(view.register["factory_id"]) == ["VN001"]
    view = case_overview(store, PageRequest(person=lan, factory_id="KH001"))
    assert view.tables is None and "Phnom Penh" not in shown_html(view)
    assert "not in your portfolio" in view.notice.value
    staff = Person("Dara", Role.STAFF, country="Cambodia")
    assert set(case_overview(store, PageRequest(person=staff)).register["country"]) == {"Cambodia"}
