"""The Improvement Plan app: set values, click, and check what the store holds (both databases)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bwcases.apps import ImprovementPlan, PageRequest
from bwcases.apps.plan import latest_non_compliance
from bwcases.core.domain import Status
from bwcases.store import Store
from tests.helpers import errors, fill, open_app

D = dt.date


def test_latest_non_compliance_grouped_and_flagged(apps_store: Store) -> None:
    findings = apps_store.findings_frame(factory_ids=["VN003"], ncq_only=True)
    tree, assessed = latest_non_compliance(findings)
    assert assessed is not None
    assert (assessed.quest_id, assessed.start_date, assessed.previous_quest_id) == (
        2600,
        D(2024, 6, 1),
        2001,
    )
    rows = {
        r["question_id"]: (r["cluster"], r["persistent"], r["public_disclosure"])
        for r in tree.to_dict("records")
    }
    assert rows == {
        "CMP.WI.01": ("Compensation", True, True),  # non-compliant at both, publicly disclosed
        "OSH.CH.01": ("Occupational Safety and Health", False, False),  # new at the latest
    }  # FOA.FA.01 was fixed: not a non-compliance of the latest assessment
    assert tree["cluster"].tolist() == ["Compensation", "Occupational Safety and Health"]


def test_the_page_shows_the_tree_with_flags(apps_store: Store) -> None:
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN003")
    html = app.findings.value
    assert html.index("Compensation") < html.index("Occupational Safety and Health")
    assert "Wage Information, Use and Deduction" in html
    assert "Persistent" in html and "Publicly disclosed" in html
    assert "Dong Nai Textiles" in app.summary.value and "01/06/2024" in app.summary.value


def test_an_advisor_plans_a_finding(apps_store: Store) -> None:
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN003")
    app.choice.value = "finding:OSH.CH.01"
    fill(
        app,
        issue="Chemicals stored without labels",
        action="Label every container; train the store keepers",
        root_cause="No chemical register",
        responsible="OSH officer",
        due_date=D(2024, 9, 30),
        priority="High",
        picc_agreed=True,
    )
    app.form.save.click()
    assert "Saved" in app.form.message.value
    items = apps_store.plan_items_frame(factory_ids=["VN003"])
    assert len(items) == 1
    item = items.iloc[0]
    assert (item["quest_id"], item["question_id"], item["source"]) == (2600, "OSH.CH.01", "finding")
    assert item["compliance_point"] == "Chemicals and Hazardous Substances"
    assert item["action"] == "Label every container; train the store keepers"
    assert (item["priority"], bool(item["picc_agreed"]), item["status"]) == (
        "High",
        True,
        "Pending",
    )
    assert item["updated_by"] == "Lan Nguyen"
    history = apps_store.history("plan_items", item["item_id"])
    assert history["actor"].tolist() == ["Lan Nguyen"]  # the signed-in person is the author
    assert "Planned: Pending" in app.findings.value


def test_the_issue_is_her_finding_and_the_cat_question_its_context(apps_store: Store) -> None:
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN003")
    app.choice.value = "finding:OSH.CH.01"
    assert app.form.fields["issue"].control.value == ""  # hers to write, never the question
    context = app.form.context.value
    assert "<dt>CAT question</dt>" in context
    assert '<bdi>OSH.CH.01</bdi>: <span dir="auto">Question OSH.CH.01?</span>' in context
    fill(app, action="Label every container", responsible="OSH officer", due_date=D(2024, 9, 30))
    app.form.save.click()
    assert "Fill in this field." in errors(app)["issue"]  # still required
    assert apps_store.plan_items_frame(factory_ids=["VN003"]).empty
    fill(app, issue="Chemicals stored without labels in the cutting room")
    app.form.save.click()
    items = apps_store.plan_items_frame(factory_ids=["VN003"])
    assert items["issue"].tolist() == ["Chemicals stored without labels in the cutting room"]
    # the saved item still shows the question it answers, beside her finding
    assert "Question OSH.CH.01?" in app.form.context.value
    app.language.value = "vi"
    assert "Câu hỏi CAT" in app.form.context.value


def test_bad_input_shows_the_messages_keeps_the_text_and_saves_nothing(apps_store: Store) -> None:
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN003")
    app.choice.value = "finding:CMP.WI.01"
    fill(app, action="", responsible="Payroll clerk", due_date=D(2024, 5, 1), notes="typed by Lan")
    app.form.save.click()
    got = errors(app)
    assert set(got) == {"issue", "action", "due_date"}
    assert "Fill in this field." in got["action"]
    assert "cannot be before the assessment of 01/06/2024" in got["due_date"]
    assert "Nothing was saved" in app.form.message.value
    assert apps_store.plan_items_frame(factory_ids=["VN003"]).empty
    assert app.form.fields["notes"].control.value == "typed by Lan"  # what she typed stays
    assert app.form.fields["responsible"].control.value == "Payroll clerk"
    fill(
        app,
        issue="Deductions not shown on payslips",
        action="Show deductions on the payslip",
        due_date=D(2024, 7, 1),
    )
    app.form.save.click()
    assert errors(app) == {} and len(apps_store.plan_items_frame(factory_ids=["VN003"])) == 1


def test_status_moves_follow_the_rules(apps_store: Store) -> None:
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "item:2"  # Exit blocked by boxes: Pending
    offered = [value for _label, value in app.form.fields["status"].control.options]
    assert offered == ["Pending", "In Progress"]  # only the moves it may make
    fill(app, action="Clear the exit", responsible="Floor manager", status="In Progress")
    app.form.save.click()
    assert apps_store.plan_item(2)["status"] == "In Progress"

    app.choice.value = "item:3"  # Overtime over the limit: Completed
    assert app.form.fields["reason"].layout.display == "none"
    fill(app, action="Cap overtime", responsible="HR", status="In Progress")
    assert app.form.fields["reason"].layout.display is None  # asked for once she reopens
    app.form.save.click()
    assert "Say why" in errors(app)["reason"]
    assert apps_store.plan_item(3)["status"] == "Completed"
    app.form.fields["reason"].control.value = "Overtime above the limit again in March"
    app.form.save.click()
    item = apps_store.plan_item(3)
    assert (item["status"], item["completed_on"]) == ("In Progress", None)
    updates = apps_store.progress_updates_frame(factory_ids=["VN001"])
    last = updates[updates["item_id"] == 3].iloc[-1]
    assert (last["old_status"], last["new_status"], last["author"]) == (
        "Completed",
        "In Progress",
        "Lan Nguyen",
    )
    assert last["note"] == "Overtime above the limit again in March"


def test_a_conflict_shows_both_versions_and_never_overwrites_silently(apps_store: Store) -> None:
    lan = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    minh = open_app(ImprovementPlan, apps_store, "Minh Tran", "VN001")
    lan.choice.value = minh.choice.value = "finding:CMP.MW.01"
    fill(minh, responsible="Chief accountant")
    minh.form.save.click()
    assert "Saved" in minh.form.message.value

    fill(lan, responsible="Payroll clerk", action="Pay the arrears by June")
    lan.form.save.click()
    assert "you both changed the fields below" in lan.form.message.value
    panel = lan.form.conflict
    assert panel.layout.display is None
    assert "Minh Tran changed this item" in panel.text.value
    labels = [label for label, _value in panel.choices["responsible"].options]
    assert labels == ["Stored now: Chief accountant", "Mine: Payroll clerk"]
    stored = apps_store.plan_item(1)
    assert stored["responsible"] == "Chief accountant"  # Minh's change stands ...
    assert stored["action"] == "Pay the arrears & fix the payroll"
    # ... and what Lan typed stays in her form
    assert lan.form.fields["action"].control.value == "Pay the arrears by June"

    panel.mine.click()  # she looked at both and keeps hers
    assert "Saved" in lan.form.message.value
    stored = apps_store.plan_item(1)
    assert (stored["action"], stored["responsible"]) == ("Pay the arrears by June", "Payroll clerk")
    assert stored["version"] == 3 and stored["updated_by"] == "Lan Nguyen"
    assert panel.layout.display == "none"


def test_taking_the_stored_version_loads_it(apps_store: Store) -> None:
    lan = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    minh = open_app(ImprovementPlan, apps_store, "Minh Tran", "VN001")
    lan.choice.value = minh.choice.value = "item:2"
    fill(minh, action="Clear the exit", responsible="Warehouse lead")
    minh.form.save.click()
    fill(lan, action="Clear the exit", responsible="Security")
    lan.form.save.click()
    lan.form.conflict.theirs.click()
    assert lan.form.fields["responsible"].control.value == "Warehouse lead"
    assert lan.version == 2
    assert apps_store.plan_item(2)["responsible"] == "Warehouse lead"


def test_a_self_diagnosis_issue_needs_its_compliance_point(apps_store: Store) -> None:
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN003")
    app.choice.value = "new"
    assert app.form.fields["compliance_point"].layout.display is None
    fill(
        app,
        issue="No first-aid kit on floor 2",
        action="Buy and hang kits",
        responsible="Nurse",
        due_date=D(2024, 8, 1),
    )
    app.form.save.click()
    assert "compliance_point" in errors(app)
    fill(app, compliance_point="Health Services and First Aid")
    app.form.save.click()
    items = apps_store.plan_items_frame(factory_ids=["VN003"])
    assert items[["source", "compliance_point"]].values.tolist() == [
        ["self-diagnosis", "Health Services and First Aid"]
    ]
    assert items["quest_id"].isna().all()


def test_each_person_sees_her_portfolio_only(apps_store: Store) -> None:
    lan = open_app(ImprovementPlan, apps_store, "Lan Nguyen")
    assert sorted(v for _, v in lan.picker.factory.options if v) == ["VN001", "VN003"]
    staff = open_app(ImprovementPlan, apps_store, "Minh Tran")
    assert sorted(v for _, v in staff.picker.factory.options if v) == ["VN001", "VN003"]
    sokha = open_app(ImprovementPlan, apps_store, "Sokha Chan", "VN001")  # not hers
    assert "not in your portfolio" in sokha.notice.value
    assert sokha.findings.value == "" and "Saigon" not in sokha.summary.value
    sokha.picker.search.value = "saigon"
    assert [v for _, v in sokha.picker.factory.options if v] == []


def test_read_only_people_cannot_save(apps_store: Store) -> None:
    app = open_app(ImprovementPlan, apps_store, "Hoa Le", "VN001")
    app.choice.value = "item:2"
    assert app.form.save.layout.display == "none"
    assert app.form.fields["action"].control.disabled
    assert not app.save(expected_version=app.version)
    assert apps_store.plan_item(2)["version"] == 1


def test_nobody_signed_in_sees_no_factory_data(apps_store: Store) -> None:
    app = ImprovementPlan(apps_store, PageRequest(None, "VN001", "en"))
    assert "Sign in to see factory data" in app.notice.value
    assert app.body.children == ()
    assert app.picker.register.empty and app.picker.factory.options == (("…", ""),)


def test_free_text_is_escaped_in_the_conflict_panel(apps_store: Store) -> None:
    lan = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    minh = open_app(ImprovementPlan, apps_store, "Minh Tran", "VN001")
    lan.choice.value = minh.choice.value = "finding:CMP.MW.01"
    assert "<script>" not in lan.form.context.value
    fill(minh, notes="<img src=x onerror=alert(1)>")
    minh.form.save.click()
    fill(lan, notes="<b>mine</b>")
    lan.form.save.click()
    panel = lan.form.conflict
    assert "<img" not in panel.text.value and "<b>" not in panel.text.value
    # the versions are the radio buttons' labels: text, never HTML, in the page
    labels = [label for label, _value in panel.choices["notes"].options]
    assert labels == ["Stored now: <img src=x onerror=alert(1)>", "Mine: <b>mine</b>"]


def test_arabic_is_laid_out_right_to_left(apps_store: Store) -> None:
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001", lang="ar")
    assert "bw-rtl" in app._dom_classes
    assert "خطة التحسين" in app.heading.value
    app.language.value = "en"
    assert "bw-rtl" not in app._dom_classes and "Improvement Plan" in app.heading.value
    assert app.picker.factory.value == "VN001"  # the language changes, the work stays
    assert Status.PENDING.value in [v for _, v in app.form.fields["status"].control.options]


def test_a_store_that_fails_shows_a_sentence_not_a_traceback(
    apps_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_scope: Any) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(apps_store, "factories_frame", broken)
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    assert "This page could not be loaded" in app.notice.value
    assert "Traceback" not in app.notice.value and "refused" not in app.notice.value
    assert app.body.children == ()
