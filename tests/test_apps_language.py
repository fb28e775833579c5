"""The apps in every reader's language: her choice kept, the domain's names translated, and
names and codes set apart inside right-to-left sentences."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from bwcases.apps import CaseTimeline, ImprovementPlan, RemediationTracker
from bwcases.apps.overview import CaseOverview, case_overview
from bwcases.apps.queue import WorkQueueApp
from bwcases.core.i18n import COMPLIANCE_POINT, domain_name
from bwcases.store import Store
from tests.helpers import fill, fill_advisor_case, open_app, record
from tests.test_apps_queue import download


@pytest.fixture
def people(store: Store, tmp_path: Path) -> Store:
    return fill_advisor_case(store, tmp_path)


# -- her choice, kept -----------------------------------------------------------------------


def test_the_language_she_picks_is_kept_for_her_next_page(people: Store) -> None:
    app = open_app(CaseTimeline, people, "Lan Nguyen", "VN001")
    app.language.value = "vi"
    assert people.language_of("Lan Nguyen") == "vi"
    assert "Dòng thời gian hồ sơ" in app.heading.value  # the page switched first
    app.language.value = "ar"
    assert people.language_of("Lan Nguyen") == "ar" and people.language_of("Minh Tran") is None


def test_an_analyst_s_notebook_keeps_no_language(people: Store) -> None:
    app = case_overview(people, "VN001")  # nobody signed in: an analyst's overview
    app.language.value = "km"
    assert "bw-lang-km" in app._dom_classes
    assert people.users_frame()["name"].map(people.language_of).isna().all()


# -- names and codes set apart in right-to-left sentences -----------------------------------


def test_codes_and_names_in_an_arabic_overview_are_set_apart(people: Store) -> None:
    app = open_app(CaseOverview, people, "Lan Nguyen", "VN001", lang="ar")
    summary, compliance = app.summary.value, app.compliance.value
    assert "<bdi>Quest.ID 1500</bdi>" in summary  # "Latest assessment: Quest.ID 1500, …"
    assert "<bdi>VN001</bdi> · " in summary  # each fact apart from the next
    assert "<bdi>Lan Nguyen</bdi>" in summary  # "advisor {name}"
    assert compliance.count("<bdi>Quest.ID ") == 2  # the headers Previous (…) and Latest (…)
    english = open_app(CaseOverview, people, "Lan Nguyen", "VN001")
    assert "<bdi>" not in english.summary.value + english.compliance.value
    assert "Latest assessment: Quest.ID 1500, cycle 3, 20/04/2024" in english.summary.value


def test_a_set_apart_name_is_still_text(people: Store) -> None:
    people.update_factories([{"factory_id": "VN003", "advisor": "<i>Evil</i> & co"}], actor="t")
    app = open_app(CaseOverview, people, "Minh Tran", "VN003", lang="ar")
    assert "<bdi>&lt;i&gt;Evil&lt;/i&gt; &amp; co</bdi>" in app.summary.value
    assert "<i>" not in app.summary.value


def test_what_she_typed_keeps_its_direction_in_an_arabic_timeline(people: Store) -> None:
    app = open_app(CaseTimeline, people, "Lan Nguyen", "VN001", lang="ar")
    app.fields["date"].set(dt.date(2024, 5, 14))
    app.fields["kind"].control.value = "advisory visit"
    app.fields["topics"].control.value = "Exits checked: CMP.OW.03.\nBoxes moved."
    app.save.click()
    what = next(w for w in app.events["what"] if "Exits" in w)
    # each line of her text isolated after the translated label: the full stop stays at its end
    assert what.endswith(": \u2068Exits checked: CMP.OW.03.\u2069\n\u2068Boxes moved.\u2069")
    assert "<bdi>VN001</bdi>" in app.summary.value


def test_a_status_move_points_the_way_an_arabic_reader_reads(people: Store) -> None:
    plan = open_app(ImprovementPlan, people, "Lan Nguyen", "VN001")
    plan.choice.value = "item:2"
    fill(plan, action="Clear the exit", responsible="Floor manager", status="In Progress")
    plan.form.save.click()
    arabic = open_app(CaseTimeline, people, "Lan Nguyen", "VN001", lang="ar")
    moves = [w for w in arabic.events["what"] if "قيد الانتظار" in w]  # from "Pending"
    assert moves and all("قيد الانتظار ← قيد التنفيذ" in w for w in moves)
    english = open_app(CaseTimeline, people, "Lan Nguyen", "VN001")
    assert "Pending → In Progress" in "\n".join(english.events["what"])


# -- the domain's names in her language -----------------------------------------------------


def test_the_overview_names_clusters_cps_and_countries_in_her_language(people: Store) -> None:
    app = open_app(CaseOverview, people, "Lan Nguyen", "VN001", lang="vi")
    app.show_all.value = True
    page = app.summary.value + app.compliance.value + app.open_items.value
    for english, vietnamese in [
        ("Vietnam", "Việt Nam"),
        ("Working Time", "Thời giờ làm việc"),
        ("Emergency Preparedness", "Sẵn sàng ứng phó khẩn cấp"),
        ("Gender", "Giới tính"),
    ]:
        assert vietnamese in page and f">{english}<" not in page
    assert "tư vấn, Việt Nam)" in app.nav.value  # "Signed in as … (advisor, Vietnam)"


def test_the_plan_names_clusters_cps_and_the_country_in_her_language(people: Store) -> None:
    app = open_app(ImprovementPlan, people, "Lan Nguyen", "VN001", lang="vi")
    tree = "\n".join(
        w.button.description if hasattr(w, "button") else w.value for w in app.findings.children
    )
    options = " ".join(label for label, _value in app.choice.options)
    cp = domain_name(COMPLIANCE_POINT, "Minimum Wages/Piece Rate Wages", "vi")
    for english, vietnamese in [("Compensation", "Lương thưởng"), ("Minimum Wages", cp)]:
        assert vietnamese in tree and english not in tree, english
    assert f"{cp} › CMP.MW.01" in options
    assert "Việt Nam" in app.summary.value


def test_the_tracker_names_cps_in_her_language_and_its_arrows_point_her_way(
    people: Store,
) -> None:
    app = open_app(RemediationTracker, people, "Lan Nguyen", "VN001", lang="vi")
    cp = domain_name(COMPLIANCE_POINT, "Emergency Preparedness", "vi")
    options = " ".join(label for label, _value in app.choice.options)
    assert (
        cp in app.plan.value and cp in options and ">Emergency Preparedness<" not in app.plan.value
    )
    item = next(v for label, v in app.choice.options if cp in label)
    app.choice.value = item
    assert cp in app.detail.value
    arabic = open_app(RemediationTracker, people, "Lan Nguyen", "VN001", lang="ar")
    arabic.choice.value = item
    record(arabic, status="In Progress", note="Boxes moved")
    assert " ← " in arabic.history.value and " → " not in arabic.history.value


def test_the_queue_names_cps_in_her_language_on_the_page_and_in_exports(people: Store) -> None:
    app = open_app(WorkQueueApp, people, "Lan Nguyen", lang="id")
    cp = domain_name(COMPLIANCE_POINT, "Emergency Preparedness", "id")
    assert cp == "Kesiapsiagaan Darurat" and cp in app.table.value
    offered = dict(app.filters["compliance_point"].options)
    assert offered[cp] == "Emergency Preparedness"  # the filter still asks for the stored name
    app.filters["compliance_point"].value = "Emergency Preparedness"
    _name, content = download(app, app.csv)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert [r[5] for r in rows[1:]] == [cp]
    arabic = open_app(WorkQueueApp, people, "Lan Nguyen", lang="ar")
    clusters = dict(arabic.filters["cluster"].options)
    assert clusters["\u2068وقت العمل\u2069"] == "Working Time"


def test_the_timeline_names_cps_in_her_language(people: Store) -> None:
    app = open_app(CaseTimeline, people, "Lan Nguyen", "VN001", lang="km")
    text = "\n".join(app.events["what"])
    assert "ការត្រៀមលក្ខណៈសម្រាប់គ្រាអាសន្ន" in text and "Emergency Preparedness" not in text
    assert "វៀតណាម" in app.summary.value
