"""Apps that never lose work: drafts, asking before leaving, honest saves, merges, dates, status."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bwcases.apps import CaseTimeline, ImprovementPlan, RemediationTracker, drafts
from bwcases.apps.common import parse_date
from bwcases.apps.drafts import DIRTY
from bwcases.store import Store
from tests.helpers import (
    PDF,
    errors,
    fill,
    open_app,
    plan_public_item,
    record,
    upload,
)

D = dt.date


# -- drafts --------------------------------------------------------------------------------


def test_what_she_types_is_offered_back_on_another_device(apps_store: Store) -> None:
    laptop = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    laptop.choice.value = "item:2"
    fill(laptop, action="Move the boxes to the store room", notes="Ghi chú: lối thoát số 2")
    assert DIRTY in laptop.form._dom_classes  # the page asks before it is left
    # the laptop's tab is gone (reloaded, closed, its kernel stopped); a tablet opens the item
    tablet = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    tablet.choice.value = "item:2"
    offer = tablet.keeper.offer
    assert offer.layout.display is None
    assert offer.restore.description.startswith("Restore the draft of ")
    assert tablet.form.fields["action"].control.value == ""  # nothing restored unasked
    offer.restore.click()
    assert tablet.form.fields["action"].control.value == "Move the boxes to the store room"
    assert tablet.form.fields["notes"].control.value == "Ghi chú: lối thoát số 2"
    fill(tablet, responsible="Warehouse lead", due_date=D(2099, 1, 15))
    tablet.form.save.click()
    assert "Saved" in tablet.form.message.value
    assert apps_store.draft("Lan Nguyen", "plan_item", "item:2") is None  # a save clears it
    assert DIRTY not in tablet.form._dom_classes
    stored = apps_store.plan_item(2)
    assert stored["action"] == "Move the boxes to the store room"


def test_in_a_kernel_a_draft_is_kept_after_a_pause_and_never_outlives_the_save(
    apps_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(drafts, "DRAFT_DELAY", 0.05)

    async def typing_then_saving() -> None:  # a kernel runs the app in an event loop
        app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
        app.choice.value = "item:2"
        fill(app, action="Clear the exit", responsible="Floor", due_date=D(2099, 1, 1))
        assert apps_store.draft("Lan Nguyen", "plan_item", "item:2") is None  # not per key
        await asyncio.sleep(0.3)
        assert apps_store.draft("Lan Nguyen", "plan_item", "item:2") is not None
        assert "Draft kept at" in app.keeper.status.value
        fill(app, notes="last words, typed just before the click")
        app.form.save.click()
        await asyncio.sleep(0.3)  # the pending draft's time comes after the save
        assert apps_store.draft("Lan Nguyen", "plan_item", "item:2") is None
        assert apps_store.plan_item(2)["notes"] == "last words, typed just before the click"

    asyncio.run(typing_then_saving())


def test_a_draft_whose_status_is_no_longer_offered_restores_the_rest(apps_store: Store) -> None:
    laptop = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    laptop.choice.value = "item:2"  # Pending
    fill(laptop, notes="typed on the laptop")  # the draft holds status Pending
    tracker = open_app(RemediationTracker, apps_store, "Minh Tran", "VN001")
    tracker.choice.value = "2"
    record(tracker, status="In Progress", note="Boxes moved")  # Pending is no longer offered
    tablet = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    tablet.choice.value = "item:2"
    tablet.keeper.offer.restore.click()
    assert tablet.form.fields["notes"].control.value == "typed on the laptop"
    assert tablet.form.fields["status"].control.value == "In Progress"
    assert "bw-error" not in tablet.notice.value


def test_drafts_are_personal(apps_store: Store) -> None:
    lan = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    lan.choice.value = "item:2"
    fill(lan, notes="Lan's own thoughts")
    minh = open_app(ImprovementPlan, apps_store, "Minh Tran", "VN001")
    minh.choice.value = "item:2"
    assert minh.keeper.offer.layout.display == "none"


def test_discarding_the_offered_draft_forgets_it(apps_store: Store) -> None:
    lan = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    lan.choice.value = "finding:CMP.MW.01"
    fill(lan, notes="not needed after all")
    again = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    again.choice.value = "finding:CMP.MW.01"
    again.keeper.offer.discard.click()
    assert apps_store.draft("Lan Nguyen", "plan_item", "item:1") is None
    assert again.keeper.offer.layout.display == "none"


def test_switching_item_with_unsaved_changes_asks_first(apps_store: Store) -> None:
    lan = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    lan.choice.value = "item:2"
    fill(lan, action="Half-typed acti")
    lan.choice.value = "finding:CMP.MW.01"  # an arrow key in "Work on" is enough
    assert lan.keeper.ask.layout.display is None
    assert lan.choice.value == "item:2"  # she is still on her item, her text in the form
    assert lan.form.fields["action"].control.value == "Half-typed acti"
    lan.keeper.ask.stay.click()
    assert lan.keeper.ask.layout.display == "none"
    lan.choice.value = "finding:CMP.MW.01"
    lan.keeper.ask.leave.click()  # go on; the text stays her draft
    assert lan.choice.value == "finding:CMP.MW.01"
    assert lan.form.fields["action"].control.value == "Pay the arrears & fix the payroll"
    lan.choice.value = "item:2"
    assert lan.keeper.offer.layout.display is None
    lan.keeper.offer.restore.click()
    assert lan.form.fields["action"].control.value == "Half-typed acti"


def test_close_with_unsaved_changes_asks_and_can_discard(apps_store: Store) -> None:
    lan = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    lan.choice.value = "item:2"
    fill(lan, notes="typed")
    lan.form.cancel.click()
    assert lan.form.layout.display is None and lan.keeper.ask.layout.display is None
    lan.keeper.ask.drop.click()
    assert lan.form.layout.display == "none"
    assert apps_store.draft("Lan Nguyen", "plan_item", "item:2") is None


def test_changing_factory_with_unsaved_changes_asks(apps_store: Store) -> None:
    minh = open_app(ImprovementPlan, apps_store, "Minh Tran", "VN001")
    minh.choice.value = "item:2"
    fill(minh, notes="typed")
    minh.picker.factory.value = "VN003"
    assert minh.keeper.ask.layout.display is None
    assert minh.picker.factory.value == "VN001" and minh.factory_id == "VN001"
    minh.keeper.ask.leave.click()
    assert minh.factory_id == "VN003"


def test_a_progress_update_and_a_visit_are_drafted_too(apps_store: Store) -> None:
    tracker = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    tracker.choice.value = "2"
    tracker.fields["note"].set("Boxes half moved")
    visit = open_app(CaseTimeline, apps_store, "Lan Nguyen", "VN001")
    visit.fields["topics"].set("Exits, fire drill")
    assert apps_store.draft("Lan Nguyen", "progress", "item:2") is not None
    assert apps_store.draft("Lan Nguyen", "visit", "new:VN001") is not None
    again = open_app(CaseTimeline, apps_store, "Lan Nguyen", "VN001")
    again.keeper.offer.restore.click()
    assert again.fields["topics"].control.value == "Exits, fire drill"
    again.fields["kind"].control.value = "PICC meeting"
    again.save.click()
    assert "Saved" in again.message.value
    assert apps_store.draft("Lan Nguyen", "visit", "new:VN001") is None


# -- honest saves ----------------------------------------------------------------------------


def test_a_double_click_records_once_and_says_so(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "2"
    record(app, status="In Progress", note="Exit cleared")
    app.record.click()  # the second click of a double click, handled after the first
    assert "The update was recorded" in app.record_message.value
    assert "bw-error" not in app.record_message.value
    notes = apps_store.progress_updates_frame(factory_ids=["VN001"])["note"].tolist()
    assert notes.count("Exit cleared") == 1
    assert app.record.description == "Record the update" and not app.record.disabled

    plan = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    plan.choice.value = "item:2"
    fill(plan, action="Clear", responsible="Floor", due_date=D(2099, 1, 1))
    plan.form.save.click()
    version = apps_store.plan_item(2)["version"]
    plan.form.save.click()
    assert "Saved" in plan.form.message.value
    assert apps_store.plan_item(2)["version"] == version


def test_the_next_edit_clears_the_last_message(apps_store: Store) -> None:
    plan = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    plan.choice.value = "item:2"
    fill(plan, action="Clear", responsible="Floor", due_date=D(2099, 1, 1))
    plan.form.save.click()
    assert "Saved" in plan.form.message.value
    fill(plan, notes="and one more thing")
    assert plan.form.message.value == ""


def test_verification_is_confirmed_where_she_looks(apps_store: Store) -> None:
    item_id = plan_public_item(apps_store)
    lan = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN003")
    lan.choice.value = str(item_id)
    record(lan, status="In Progress", note="started")
    record(lan, status="Completed", note="itemised", files=(upload("payslip.pdf", PDF),))
    minh = open_app(RemediationTracker, apps_store, "Minh Tran", "VN003")
    minh.choice.value = str(item_id)
    assert "payslip.pdf" in minh.verify_evidence.value  # what she verifies against
    minh.verify.click()
    assert minh.verification.layout.display == "none"
    assert "The fix is verified" in minh.item_message.value  # shown, not in the hidden box
    minh.verify.click()  # a double click
    assert "The fix is verified" in minh.item_message.value


# -- field-level merge -----------------------------------------------------------------------


def test_different_fields_changed_meanwhile_are_both_kept(apps_store: Store) -> None:
    lan = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    minh = open_app(ImprovementPlan, apps_store, "Minh Tran", "VN001")
    lan.choice.value = minh.choice.value = "finding:CMP.MW.01"
    fill(minh, notes="Checked with the union")
    minh.form.save.click()
    fill(lan, action="Pay the arrears by June")
    lan.form.save.click()
    stored = apps_store.plan_item(1)
    assert (stored["action"], stored["notes"]) == (
        "Pay the arrears by June",
        "Checked with the union",
    )
    message = lan.form.message.value
    assert "Minh Tran changed this item meanwhile" in message and "Notes" in message
    assert lan.form.conflict.layout.display == "none"
    assert lan.form.fields["notes"].control.value == "Checked with the union"


def test_the_same_field_changed_by_both_asks_about_that_field_only(apps_store: Store) -> None:
    lan = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    minh = open_app(ImprovementPlan, apps_store, "Minh Tran", "VN001")
    lan.choice.value = minh.choice.value = "finding:CMP.MW.01"
    fill(minh, responsible="Chief accountant", notes="Minh's note")
    minh.form.save.click()
    fill(lan, responsible="Payroll clerk", action="Pay the arrears by June")
    lan.form.save.click()
    panel = lan.form.conflict
    assert panel.layout.display is None
    assert list(panel.choices) == ["responsible"]
    assert apps_store.plan_item(1)["responsible"] == "Chief accountant"  # nothing overwritten
    panel.choices["responsible"].value = "mine"
    panel.mine.click()
    stored = apps_store.plan_item(1)
    assert (stored["responsible"], stored["action"], stored["notes"]) == (
        "Payroll clerk",
        "Pay the arrears by June",
        "Minh's note",
    )
    assert panel.layout.display == "none"


def test_her_own_other_device_is_named_as_such(apps_store: Store) -> None:
    laptop = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    phone = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    laptop.choice.value = phone.choice.value = "item:2"
    fill(phone, action="From the phone", responsible="A", due_date=D(2099, 1, 1))
    phone.form.save.click()
    fill(laptop, action="From the laptop", responsible="B", due_date=D(2099, 1, 2))
    laptop.form.save.click()
    text = laptop.form.conflict.text.value
    assert "You changed this item meanwhile, on another device" in text
    assert "Lan Nguyen changed" not in text


def test_a_progress_update_stands_when_only_texts_changed_meanwhile(apps_store: Store) -> None:
    tracker = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    tracker.choice.value = "2"
    plan = open_app(ImprovementPlan, apps_store, "Minh Tran", "VN001")
    plan.choice.value = "item:2"
    fill(plan, action="Clear", responsible="Floor", due_date=D(2099, 1, 1))
    plan.form.save.click()
    record(tracker, status="In Progress", note="Exit cleared")
    assert "The update was recorded" in tracker.record_message.value
    assert apps_store.plan_item(2)["status"] == "In Progress"


# -- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "date"),
    [
        ("31/01/2027", D(2027, 1, 31)),
        ("1/2/2027", D(2027, 2, 1)),
        ("31.01.2027", D(2027, 1, 31)),
        ("31012027", D(2027, 1, 31)),
        ("2027-01-31", D(2027, 1, 31)),
        (" 31/01/2027 ", D(2027, 1, 31)),
        ("", None),
    ],
)
def test_dates_are_read_day_first(typed: str, date: D | None) -> None:
    assert parse_date(typed) == date


@pytest.mark.parametrize("typed", ["12027", "01/31/2027", "31/02/2027", "tomorrow", "2027/01/31"])
def test_what_is_not_a_date_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_date(typed)


def test_a_wrong_date_is_a_field_error_that_says_the_format(apps_store: Store) -> None:
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "item:2"
    fill(app, action="Clear", responsible="Floor")
    app.form.fields["due_date"].control.value = "01/31/2027"
    app.form.save.click()
    assert "dd/mm/yyyy" in errors(app)["due_date"]
    app.form.fields["due_date"].control.value = "31012099"
    app.form.save.click()
    assert apps_store.plan_item(2)["due_date"] == D(2099, 1, 31)
    assert app.form.fields["due_date"].control.value == "31/01/2099"


# -- one rule for status ---------------------------------------------------------------------


def test_the_plan_form_offers_only_legal_moves_and_never_completion(apps_store: Store) -> None:
    app = open_app(ImprovementPlan, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "finding:CMP.MW.01"  # In Progress
    offered = [v for _label, v in app.form.fields["status"].control.options]
    assert offered == ["In Progress"]
    assert app.form.completing.layout.display is None  # says where completion happens
    app.choice.value = "item:2"  # Pending
    offered = [v for _label, v in app.form.fields["status"].control.options]
    assert offered == ["Pending", "In Progress"]


def test_completion_without_evidence_is_refused(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN001")
    app.choice.value = "1"  # In Progress, no evidence
    offered = [v for _label, v in app.fields["status"].control.options]
    assert offered == ["In Progress", "Completed"]
    assert app.fields["without_evidence"].layout.display == "none"  # not for advisors
    record(app, status="Completed", note="Arrears paid")
    assert "evidence file" in app.fields["files"].error.value
    assert apps_store.plan_item(1)["status"] == "In Progress"
    record(app, status="Completed", note="Arrears paid", files=(upload("bank.pdf", PDF),))
    assert apps_store.plan_item(1)["status"] == "Completed"


def test_staff_may_accept_a_completion_without_evidence_by_saying_why(apps_store: Store) -> None:
    app = open_app(RemediationTracker, apps_store, "Minh Tran", "VN001")
    app.choice.value = "1"
    app.fields["status"].control.value = "Completed"
    assert app.fields["without_evidence"].layout.display is None
    record(app, status="Completed", note="Arrears paid")
    assert "evidence file" in app.fields["files"].error.value
    record(app, note="Arrears paid", without_evidence="Seen on the bank statement at the visit")
    assert apps_store.plan_item(1)["status"] == "Completed"
    updates = apps_store.progress_updates_frame(factory_ids=["VN001"]).query("item_id == 1")
    assert updates["without_evidence"].iloc[-1] == "Seen on the bank statement at the visit"
