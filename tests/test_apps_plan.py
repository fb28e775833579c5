"""The Improvement Plan app: set values, click, and check what the store holds (both databases)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from ipywidgets.widgets import widget as ipywidget

from bwcases.apps import ImprovementPlan, PageRequest, RemediationTracker
from bwcases.apps.common import stylesheet
from bwcases.apps.picklist import PickRow
from bwcases.apps.plan import items_by_question, latest_non_compliance
from bwcases.auth.people import Person, Role
from bwcases.core.domain import Status
from bwcases.render.templating import macros
from bwcases.store import Store
from tests.helpers import (
    PDF,
    add_item,
    errors,
    fill,
    open_app,
    plan_public_item,
    plan_values,
    record,
    upload,
)

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


def shown(app: ImprovementPlan) -> str:
    """The chooser as she reads it: its headings, then each row's text and badges, in order."""
    return "\n".join(
        f"{w.button.description} {w.badges.value}" if isinstance(w, PickRow) else w.value
        for w in app.findings.children
    )


def badges(app: ImprovementPlan, key: str) -> list[tuple[str, str]]:
    """A row's badges: (text, colour class)."""
    found = re.findall(
        r'<span class="bw-flag bw-([\w-]+)">([^<]*)</span>', app.rows[key].badges.value
    )
    return [(text, kind) for kind, text in found]


def pick(app: ImprovementPlan, key: str) -> PickRow:
    """Click (tap, or Enter on) a row of the chooser."""
    row = app.rows[key]
    row.button.click()
    return row


def test_the_page_shows_the_tree_with_flags(apps_store: Store) -> None:
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN003")
    text = shown(app)
    assert text.index("<h4>Compensation</h4>") < text.index("<h4>Occupational Safety and Health")
    assert "<h5>Wage Information, Use and Deduction</h5>" in text
    assert "CMP.WI.01: Question CMP.WI.01?" in text
    assert "Persistent" in text and "Publicly disclosed" in text
    assert "Dong Nai Textiles" in app.summary.value and "01/06/2024" in app.summary.value
    assert list(app.rows) == ["finding:CMP.WI.01", "finding:OSH.CH.01", "new"]


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
    assert ("Planned: Pending", "badge-pending") in badges(app, "finding:OSH.CH.01")


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
    assert sokha.findings.children == () and "Saigon" not in sokha.summary.value
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


# -- finding the work: the tree is the chooser ------------------------------------------------


def test_a_finding_picked_in_the_tree_opens_under_it_for_planning(apps_store: Store) -> None:
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN003")
    assert (
        "No plan yet: 2" in app.summary.value and "Non-compliant questions: 2" in app.summary.value
    )
    assert badges(app, "finding:OSH.CH.01") == [("No plan yet", "badge-none")]
    row = pick(app, "finding:OSH.CH.01")
    assert app.form.layout.display is None and app.form in row.children  # right under it
    assert app.chosen == app.choice.value == "finding:OSH.CH.01"  # "Work on" says so too
    assert "bw-plan-open" in row._dom_classes
    # its heading comes under the CP's (h5), not as a page's section (h3): headings in order
    assert "<h6>New plan item for the finding OSH.CH.01</h6>" in app.form.context.value
    fill(
        app,
        issue="Chemicals stored without labels",
        action="Label every container",
        responsible="OSH officer",
        due_date=D(2024, 9, 30),
    )
    app.form.save.click()
    assert "Saved" in app.form.message.value
    assert app.rows["finding:OSH.CH.01"] is row and app.form in row.children  # kept in place
    assert badges(app, "finding:OSH.CH.01") == [("Planned: Pending", "badge-pending")]
    assert "No plan yet: 1" in app.summary.value
    assert row.button.tooltip == "Planned: Pending"  # said on the button, for a screen reader
    pick(app, "finding:OSH.CH.01")  # a second click closes it
    assert app.form.layout.display == "none" and app.form not in row.children
    assert "bw-plan-open" not in row._dom_classes and app.choice.value == ""


def test_badges_are_coloured_by_status_and_verification(apps_store: Store) -> None:
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    assert badges(app, "finding:CMP.MW.01") == [
        ("Planned: In Progress", "badge-in-progress"),
        ("Persistent", "persistent"),
    ]
    assert badges(app, "finding:WT.OT.01") == [("No plan yet", "badge-none")]
    assert "No plan yet: 2" in app.summary.value  # WT.OT.01 and CMP.PL.01
    assert badges(app, "item:2") == [
        ("self-diagnosis", "badge-origin"),
        ("Planned: Pending", "badge-pending"),
    ]
    assert badges(app, "item:3")[1] == ("Planned: Completed", "badge-completed")
    assert "<h4>Other plan items</h4>" in shown(app)
    # each status its own colour, in the apps' style (the tracker's too) and the app's own
    style = stylesheet() + macros("apps/plan.html.j2").style()
    rules = dict(re.findall(r"\.bw-(badge-[\w-]+) \{ (background: #\w{6}; color: #\w{6})", style))
    kinds = ["none", "pending", "in-progress", "completed", "awaiting", "verified", "rejected"]
    colours = {k: tuple(re.findall(r"#\w{6}", rules[f"badge-{k}"])) for k in kinds}
    assert len(set(colours.values())) == len(colours)
    assert all(contrast(*pair) >= 4.5 for pair in colours.values()), colours


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(background: str, text: str) -> float:
    """WCAG's contrast ratio of two colours (#rrggbb)."""
    light, dark = sorted((luminance(background), luminance(text)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_a_completed_public_item_shows_its_verification(apps_store: Store) -> None:
    item_id = plan_public_item(apps_store)
    tracker = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN003")
    tracker.choice.value = str(item_id)
    record(tracker, status="In Progress", note="started")
    record(tracker, status="Completed", note="done", files=(upload("fix.pdf", PDF),))
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN003")
    assert badges(app, "finding:CMP.WI.01")[:2] == [
        ("Planned: Completed", "badge-completed"),
        ("Awaiting verification", "badge-awaiting"),
    ]
    stored = apps_store.plan_item(item_id)
    apps_store.verify_item(
        item_id,
        verified=True,
        note="Seen",
        expected_version=int(stored["version"]),
        actor="Minh Tran",
    )
    app.open_factory("VN003")
    assert ("Verified", "badge-verified") in badges(app, "finding:CMP.WI.01")


def test_picking_another_row_with_unsaved_changes_asks_there(apps_store: Store) -> None:
    lan = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    first = pick(lan, "item:2")
    fill(lan, action="Half-typed acti")
    other = pick(lan, "finding:WT.OT.01")
    ask = lan.keeper.ask
    assert ask.layout.display is None and ask in other.children  # asked where she clicked
    assert lan.form in first.children and lan.chosen == "item:2"  # her text still open
    assert lan.form.fields["action"].control.value == "Half-typed acti"
    ask.stay.click()
    assert ask not in other.children and ask in lan.form.head.children  # back in the form
    pick(lan, "finding:WT.OT.01")
    ask.leave.click()  # go on; the text stays her draft
    assert lan.form in other.children and lan.form not in first.children
    assert lan.chosen == lan.choice.value == "finding:WT.OT.01"
    assert lan.form.fields["action"].control.value == ""
    assert apps_store.draft("Lan Nguyen", "plan_item", "item:2") is not None


def test_work_on_opens_the_form_under_it_and_its_row_takes_it_as_it_is(
    apps_store: Store,
) -> None:
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "item:2"
    assert app.slot.children == (app.form,)
    assert app.form.context.value.startswith("<h3>Plan item #2")  # a section of the page
    row = app.rows["item:2"]
    assert "bw-plan-open" in row._dom_classes  # the tree shows which item is open
    fill(app, notes="typed under Work on")
    pick(app, "item:2")  # the same item: the form moves to its row, nothing asked or lost
    assert app.form in row.children and app.slot.children == ()
    assert app.form.context.value.startswith("<h5>Plan item #2")  # under "Other plan items"
    assert app.keeper.ask.layout.display == "none"
    assert app.form.fields["notes"].control.value == "typed under Work on"


def test_a_new_issue_saved_is_then_its_items_row(apps_store: Store) -> None:
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN003")
    new = pick(app, "new")
    assert app.form in new.children
    assert app.form.fields["compliance_point"].layout.display is None
    fill(
        app,
        compliance_point="Health Services and First Aid",
        issue="No first-aid kit on floor 2",
        action="Buy and hang kits",
        responsible="Nurse",
        due_date=D(2024, 8, 1),
    )
    app.form.save.click()
    assert "Saved" in app.form.message.value
    key = f"item:{app.item_id}"
    assert app.chosen == key and app.form in app.rows[key].children
    assert app.form not in new.children
    assert badges(app, key) == [
        ("self-diagnosis", "badge-origin"),
        ("Planned: Pending", "badge-pending"),
    ]


def test_free_text_in_the_rows_is_shown_as_text(apps_store: Store) -> None:
    hostile = "<img src=x onerror=alert(1)> blocked exit"
    add_item(
        apps_store,
        plan_values("VN003", "Emergency Preparedness", hostile, "Pending", D(2099, 1, 1)),
        actor="Lan Nguyen",
    )
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN003")
    (key,) = [k for k in app.rows if k.startswith("item:")]
    # a button's description is drawn as text by the page, never as HTML
    assert app.rows[key].button.description.endswith(f"Emergency Preparedness: {hostile}")
    assert "<img" not in "".join(
        w.value for w in app.findings.children if not isinstance(w, PickRow)
    )
    assert all("<img" not in row.badges.value for row in app.rows.values())


def test_arabic_rows_keep_latin_ids_apart(apps_store: Store) -> None:
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN003", lang="ar")
    text = app.rows["finding:CMP.WI.01"].button.description
    assert text == "\u2068CMP.WI.01\u2069: \u2068Question CMP.WI.01?\u2069"  # code first
    assert badges(app, "finding:OSH.CH.01")[0][1] == "badge-none"
    assert badges(app, "finding:OSH.CH.01")[0][0] != "No plan yet"  # in Arabic


def test_a_factory_switch_lets_go_of_the_old_rows(apps_store: Store) -> None:
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    old = app.rows["finding:WT.OT.01"]
    pick(app, "finding:WT.OT.01")
    app.picker.factory.value = "VN003"
    assert app.form.layout.display == "none" and app.form in app.slot.children
    assert old.comm is None and old.button.comm is None  # closed: no model piles up
    assert set(app.rows) == {"finding:CMP.WI.01", "finding:OSH.CH.01", "new"}


def test_a_factory_of_44_findings_is_a_row_each(demo_store: Store) -> None:
    who = Person("Hiwot Tesfaye", Role.ADVISOR)
    before = len(ipywidget._instances)
    app = ImprovementPlan(demo_store, PageRequest(who, "ET0002", "en"))
    made = len(ipywidget._instances) - before
    findings = [k for k in app.rows if k.startswith("finding:")]
    linked = items_by_question(app.items, app.latest_quest)
    assert len(findings) == len(app.tree) == 44
    unplanned = len(findings) - len(linked)
    assert f"No plan yet: {unplanned}" in app.summary.value
    assert sum(badges(app, k)[0][1] == "badge-none" for k in findings) == unplanned
    # three models a row (box, button, badges), one a heading: what reaches a slow link
    rows, headings = len(app.rows), len(app.findings.headings)
    print(f"ET0002: {rows} rows, {headings} headings, {made} widget models for the whole page")
    assert made - (3 * rows + headings) < 250  # the page's other widgets, as before
    before = len(ipywidget._instances)
    app.open_factory("ET0002")  # a redraw reuses every row
    assert len(ipywidget._instances) == before
