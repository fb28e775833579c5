"""The case timeline: visits and PICC meetings recorded, shown with assessments and plan changes."""

from __future__ import annotations

import datetime as dt

import pytest

from bwcases.apps import CaseTimeline, ImprovementPlan
from bwcases.core.errors import StoreUnreachableError
from bwcases.store import Store
from tests.helpers import fill, open_app

D = dt.date


def test_a_visit_is_recorded_under_the_signed_in_person(apps_store: Store) -> None:
    app = open_app(CaseTimeline, apps_store, "Lan Nguyen", "VN001")
    fields = app.fields
    fields["date"].set(D(2024, 5, 14))
    fields["kind"].control.value = "PICC meeting"
    fields["attendees"].control.value = "HR manager; two worker representatives"
    fields["topics"].control.value = "Overtime plan for the peak season"
    fields["follow_ups"].control.value = "Share the roster by Friday"
    app.save.click()
    assert "Saved" in app.message.value
    visits = apps_store.visits_frame(factory_ids=["VN001"])
    assert visits[["date", "kind", "topics", "updated_by"]].astype(str).values.tolist() == [
        ["2024-05-14", "PICC meeting", "Overtime plan for the peak season", "Lan Nguyen"]
    ]
    assert fields["topics"].control.value == ""  # ready for the next one
    html = app.timeline.value
    assert "Overtime plan for the peak season" in html and "Share the roster by Friday" in html


def test_bad_input_saves_nothing_and_keeps_the_text(apps_store: Store) -> None:
    app = open_app(CaseTimeline, apps_store, "Lan Nguyen", "VN001")
    app.fields["date"].set(dt.date.today() + dt.timedelta(days=1))
    app.fields["attendees"].control.value = "Lan, PICC"
    app.save.click()
    assert "future" in app.fields["date"].error.value
    assert "Fill in this field" in app.fields["topics"].error.value
    assert apps_store.visits_frame(factory_ids=["VN001"]).empty
    assert app.fields["attendees"].control.value == "Lan, PICC"


def test_one_timeline_newest_first(apps_store: Store) -> None:
    plan = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    plan.choice.value = "item:2"
    fill(plan, action="Clear the exit", responsible="Floor manager", status="In Progress")
    plan.form.save.click()
    app = open_app(CaseTimeline, apps_store, "Lan Nguyen", "VN001")
    app.fields["date"].set(D(2024, 5, 14))
    app.fields["topics"].control.value = "Walk-through of the exits"
    app.save.click()
    events = app.events
    kinds = events["kind"].tolist()
    assert {"assessment", "visit", "plan"} <= set(kinds)
    assert events["date"].tolist() == sorted(events["date"], reverse=True)
    text = "\n".join(events["what"])
    assert "Assessment, cycle 3 (Quest.ID 1500): 3 of 5 CPs non-compliant" in text
    assert "Plan item #2 Emergency Preparedness: Pending → In Progress" in text
    assert "Plan item #2 Emergency Preparedness changed: Action: – → Clear the exit" in text
    assert "Advisory visit: Walk-through of the exits" in text
    app.show.value = "visit"
    assert "Walk-through" in app.timeline.value and "Quest.ID 1500" not in app.timeline.value


def test_the_timelines_rows_are_cards_on_a_phone(apps_store: Store) -> None:
    app = open_app(CaseTimeline, apps_store, "Lan Nguyen", "VN001")
    html = app.timeline.value
    assert '<table class="bw-table bw-cards">' in html
    rows = len(app.events)
    assert rows and html.count('<td data-label="What happened">') == rows
    assert html.count('<td data-label="Date">') == rows


def test_read_only_people_see_no_form(apps_store: Store) -> None:
    app = open_app(CaseTimeline, apps_store, "Hoa Le", "VN001")
    assert app.form.layout.display == "none"
    assert not app.record_visit()
    assert "Quest.ID 1500" in app.timeline.value


def test_a_store_that_fails_is_a_sentence_in_her_language_and_a_line_in_the_log(
    apps_store: Store, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    app = open_app(CaseTimeline, apps_store, "Lan Nguyen", "VN001", lang="vi")
    app.fields["date"].set(D(2024, 5, 14))
    app.fields["topics"].control.value = "Kế hoạch tăng ca"

    def unreachable(*_args: object, **_kwargs: object) -> None:
        raise StoreUnreachableError(
            "postgresql+psycopg://bwcases:***@db.internal:5432/cases", "connection refused"
        )

    monkeypatch.setattr(apps_store, "add_visit", unreachable)
    app.save.click()
    shown = app.message.value
    assert "db.internal" not in shown and "bwcases" not in shown  # nothing of the server's make-up
    assert "Không lưu được" in shown  # her language
    assert app.fields["topics"].control.value == "Kế hoạch tăng ca"  # what she typed stays
    logged = capfd.readouterr().err
    assert "db.internal" in logged and "Lan Nguyen on case_timeline.ipynb" in logged
