"""Proposals of a factory's own people: made, listed, accepted with both names, sent back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd
import pytest

from bwcases.apps import ImprovementPlan, RemediationTracker
from bwcases.apps.common import Field
from bwcases.apps.queue import WorkQueueApp
from bwcases.auth.people import Person, Role
from bwcases.core.domain import ProposalState, Status
from bwcases.core.errors import (
    AlreadyReviewedError,
    ConflictError,
    NotAllowedError,
    ProposalConflictError,
    ValidationError,
)
from bwcases.store import Store, Upload
from tests.helpers import (
    PDF,
    D,
    fill,
    fill_advisor_case,
    open_app,
    password_hash,
    record,
    twice_at_once,
    upload,
)

RINA = "Rina Akter"  # a PICC member of Saigon Garments (VN001)


@pytest.fixture
def case(store: Store, tmp_path: Path) -> Store:
    """Saigon Garments' case with its advisor, staff, and Rina of the factory's own people."""
    fill_advisor_case(store, tmp_path)
    store.add_user(
        RINA,
        role="factory",
        country="Vietnam",
        factory="VN001",
        password_hash=password_hash(),
        actor="test",
    )
    store.add_user(
        "Kim Pha",
        role="factory",
        country="Cambodia",
        factory="KH001",
        password_hash=password_hash(),
        actor="test",
    )
    return store


def _item(store: Store, issue: str) -> dict:
    df = store.plan_items_frame(factory_ids=["VN001"])
    return store.plan_item(int(df.loc[df["issue"] == issue, "item_id"].iloc[0]))


EXIT = "Exit blocked by boxes"


def test_an_accepted_change_becomes_the_item_with_both_names_audited(case: Store) -> None:
    item = _item(case, EXIT)
    pid = case.propose_item(
        RINA,
        "VN001",
        {"action": "Clear the exits every morning", "due_date": D(2099, 3, 1), "issue": EXIT},
        item_id=item["item_id"],
        base_version=item["version"],
    )
    # nothing changes until it is reviewed; the unchanged issue is not part of the proposal
    assert case.plan_item(item["item_id"])["version"] == item["version"]
    pending = case.proposals_to_review(advisor="Lan Nguyen")
    assert list(pending["proposal_id"]) == [pid]
    assert pending.iloc[0]["values"]["fields"] == {
        "action": "Clear the exits every morning",
        "due_date": D(2099, 3, 1),
    }
    assert case.proposals_to_review(advisor="Sokha Chan").empty

    item_id, version = case.accept_proposal(pid, reviewer="Lan Nguyen")
    after = case.plan_item(item_id)
    assert (after["action"], after["due_date"], version) == (
        "Clear the exits every morning",
        D(2099, 3, 1),
        item["version"] + 1,
    )
    last = case.history("plan_items", item_id).iloc[-1]
    assert last["actor"] == "Lan Nguyen (proposed by Rina Akter)"
    assert json.loads(last["after"])["action"] == "Clear the exits every morning"
    reviewed = case.proposal(pid)
    assert (reviewed["state"], reviewed["reviewed_by"]) == ("accepted", "Lan Nguyen")
    assert case.proposals_to_review(advisor="Lan Nguyen").empty


def test_a_stale_proposal_merges_with_what_changed_meanwhile(case: Store) -> None:
    item = _item(case, EXIT)
    pid = case.propose_item(
        RINA,
        "VN001",
        {"action": "Clear the exits", "responsible": "Floor manager"},
        item_id=item["item_id"],
        base_version=item["version"],
    )
    # meanwhile the advisor changes another field, and one she proposed too
    case.save_plan_item(
        item["item_id"],
        {"root_cause": "No storage room", "responsible": "Compliance officer"},
        expected_version=item["version"],
        actor="Lan Nguyen",
    )
    with pytest.raises(ProposalConflictError) as caught:
        case.accept_proposal(pid, reviewer="Lan Nguyen")
    assert set(caught.value.fields) == {"responsible"}
    assert "Compliance officer" in caught.value.fields["responsible"]
    assert case.proposal(pid)["state"] == "pending"  # nothing written, still to review

    case.accept_proposal(pid, reviewer="Lan Nguyen", overwrite=True)
    after = case.plan_item(item["item_id"])
    assert (after["action"], after["root_cause"], after["responsible"]) == (
        "Clear the exits",
        "No storage room",
        "Floor manager",
    )


def test_a_field_changed_meanwhile_that_she_left_alone_is_kept(case: Store) -> None:
    item = _item(case, EXIT)
    pid = case.propose_item(
        RINA, "VN001", {"action": "Clear"}, item_id=item["item_id"], base_version=item["version"]
    )
    case.save_plan_item(
        item["item_id"], {"action": "Clear"}, expected_version=item["version"], actor="Lan Nguyen"
    )
    case.accept_proposal(pid, reviewer="Lan Nguyen")  # the same value both ways: no conflict
    assert case.plan_item(item["item_id"])["action"] == "Clear"


def test_a_proposal_against_a_stale_item_is_refused_when_made(case: Store) -> None:
    item = _item(case, EXIT)
    case.save_plan_item(
        item["item_id"], {"notes": "x"}, expected_version=item["version"], actor="Lan Nguyen"
    )
    with pytest.raises(ConflictError):
        case.propose_item(
            RINA, "VN001", {"action": "A"}, item_id=item["item_id"], base_version=item["version"]
        )


def test_a_proposal_is_reviewed_once(case: Store) -> None:
    item = _item(case, EXIT)
    pid = case.propose_item(
        RINA, "VN001", {"action": "A"}, item_id=item["item_id"], base_version=item["version"]
    )
    case.accept_proposal(pid, reviewer="Lan Nguyen")
    with pytest.raises(AlreadyReviewedError, match="accepted by Lan Nguyen"):
        case.accept_proposal(pid, reviewer="Minh Tran")
    with pytest.raises(AlreadyReviewedError):
        case.send_back_proposal(pid, reviewer="Lan Nguyen", comment="no")
    assert case.plan_item(item["item_id"])["version"] == item["version"] + 1
    assert case.proposal(pid)["reviewed_by"] == "Lan Nguyen"


def test_a_new_item_proposed_and_accepted(case: Store) -> None:
    pid = case.propose_item(
        RINA,
        "VN001",
        {"compliance_point": "Overtime", "issue": "Sunday work <b>", "due_date": D(2099, 5, 1)},
    )
    row = case.proposal(pid)
    assert row["compliance_point"] == "Overtime" and pd.isna(row["item_id"])
    item_id, _ = case.accept_proposal(pid, reviewer="Minh Tran")
    item = case.plan_item(item_id)
    assert (item["factory_id"], item["issue"], item["status"], item["source"]) == (
        "VN001",
        "Sunday work <b>",
        "Pending",
        "self-diagnosis",
    )
    assert case.history("plan_items", item_id).iloc[0]["actor"] == (
        "Minh Tran (proposed by Rina Akter)"
    )


def test_progress_with_evidence_arrives_on_the_update(case: Store) -> None:
    item = _item(case, EXIT)
    case.save_plan_item(
        item["item_id"],
        {"status": "In Progress"},
        expected_version=item["version"],
        actor="Lan Nguyen",
    )
    item = case.plan_item(item["item_id"])
    pid = case.propose_progress(
        RINA,
        item["item_id"],
        status=Status.COMPLETED,
        note="Boxes moved to the new store room",
        base_version=item["version"],
        date=D(2099, 1, 20),
        files=[Upload("photo.pdf", "application/pdf", PDF)],
    )
    assert case.proposal(pid)["files"] == ["photo.pdf"]
    assert case.evidence_frame([item["item_id"]]).empty  # not yet the item's
    case.accept_proposal(pid, reviewer="Lan Nguyen")
    after = case.plan_item(item["item_id"])
    assert (after["status"], after["completed_on"]) == ("Completed", D(2099, 1, 20))
    updates = case.progress_updates_frame(factory_ids=["VN001"])
    last = updates[updates["item_id"] == item["item_id"]].iloc[-1]
    assert (last["item_id"], last["note"], last["author"]) == (
        item["item_id"],
        "Boxes moved to the new store room",
        "Lan Nguyen (proposed by Rina Akter)",
    )
    files = case.evidence_frame([item["item_id"]])
    assert list(files["filename"]) == ["photo.pdf"]
    assert int(files["update_id"].iloc[0]) == int(last["id"])


def test_a_completion_without_evidence_is_refused_when_proposed(case: Store) -> None:
    item = _item(case, "Overtime over the limit")  # completed: reopen needs a reason
    with pytest.raises(ValidationError) as caught:
        case.propose_progress(
            RINA, item["item_id"], status=Status.IN_PROGRESS, note=" ", base_version=item["version"]
        )
    assert "reason" in caught.value.fields["status"]


def test_sent_back_with_a_comment_she_reads(case: Store) -> None:
    item = _item(case, EXIT)
    pid = case.propose_item(
        RINA, "VN001", {"action": "A"}, item_id=item["item_id"], base_version=item["version"]
    )
    with pytest.raises(ValidationError, match="comment"):
        case.send_back_proposal(pid, reviewer="Lan Nguyen", comment="  ")
    case.send_back_proposal(pid, reviewer="Lan Nguyen", comment="Say <who> clears them")
    mine = case.proposals_frame(proposed_by=RINA)
    assert list(mine["state"]) == [ProposalState.SENT_BACK.value]
    assert mine.iloc[0]["review_comment"] == "Say <who> clears them"
    assert case.plan_item(item["item_id"])["action"] == item["action"]


def test_someone_elses_factory_is_refused(case: Store) -> None:
    item = _item(case, EXIT)
    with pytest.raises(NotAllowedError, match="works for factory KH001"):
        case.propose_item(
            "Kim Pha", "VN001", {"action": "A"}, item_id=item["item_id"], base_version=1
        )
    with pytest.raises(NotAllowedError, match="works for factory KH001"):
        case.propose_progress(
            "Kim Pha", item["item_id"], status=Status.IN_PROGRESS, note="x", base_version=1
        )
    with pytest.raises(NotAllowedError, match="only they propose"):
        case.propose_item("Lan Nguyen", "VN001", {"compliance_point": "Overtime"})
    kh = case.plan_items_frame(factory_ids=["KH001"]).iloc[0]
    with pytest.raises(NotAllowedError, match="not factory VN001's"):
        case.propose_item(
            RINA, "VN001", {"action": "A"}, item_id=int(kh["item_id"]), base_version=1
        )
    pid = case.propose_item(
        RINA, "VN001", {"action": "A"}, item_id=item["item_id"], base_version=item["version"]
    )
    for reviewer in ("Sokha Chan", "Hoa Le", RINA):
        with pytest.raises(NotAllowedError, match="may not review factory VN001"):
            case.accept_proposal(pid, reviewer=reviewer)
    assert case.proposal(pid)["state"] == "pending"


def test_bad_values_are_named_by_field(case: Store) -> None:
    with pytest.raises(ValidationError) as caught:
        case.propose_item(
            RINA,
            "VN001",
            {"compliance_point": "Overtime", "priority": "Urgent", "issue": "x" * 6000},
        )
    assert set(caught.value.fields) == {"priority", "issue"}
    with pytest.raises(ValidationError, match="compliance_point"):
        case.propose_item(RINA, "VN001", {"issue": "no CP"})


# -- the apps ---------------------------------------------------------------------------------


def _buttons(app: RemediationTracker) -> dict[str, Any]:
    """The review buttons of the open item's first proposal, by their text."""
    box = next(c for c in app.proposals.children if isinstance(c, widgets.VBox))
    actions = next(c for c in box.children if isinstance(c, widgets.HBox))
    note = next(c for c in box.children if isinstance(c, Field))
    return {**{b.description: b for b in actions.children}, "note": note}


def test_a_factory_person_sees_only_her_factory(case: Store) -> None:
    app = open_app(RemediationTracker, case, RINA)
    assert list(app.portfolio()["factory_id"]) == ["VN001"]
    assert case.work_queue(**app.person.scope()).items["factory_id"].unique().tolist() == ["VN001"]
    other = open_app(RemediationTracker, case, RINA, "KH001")
    assert other.factory_id != "KH001"
    assert "(factory" in app.nav.value


def test_her_update_in_the_tracker_is_a_proposal_the_advisor_accepts(case: Store) -> None:
    item = _item(case, EXIT)
    app = open_app(RemediationTracker, case, RINA, "VN001")
    app.choice.value = str(item["item_id"])
    assert app.record.description == "Propose the update"
    record(
        app, status="In Progress", note="Boxes <moved> to the store", files=(upload("a.pdf", PDF),)
    )
    assert "Proposed — waiting for review" in app.record_message.value
    assert case.plan_item(item["item_id"])["status"] == "Pending"  # not yet
    shown = _html(app.proposals)
    assert "Boxes &lt;moved&gt; to the store" in shown and "<moved>" not in shown
    assert "Proposed — waiting for review" in shown
    pid = int(case.proposals_frame(item_ids=[item["item_id"]])["proposal_id"].iloc[0])
    sha = Upload("a.pdf", "application/pdf", PDF).sha256
    assert f'href="/proposal-evidence/{pid}/{sha}">a.pdf</a>' in shown
    assert case.proposal_attachment(pid, sha)["factory_id"] == "VN001"
    assert not any(isinstance(c, widgets.VBox) for c in app.proposals.children)  # no review

    lan = open_app(RemediationTracker, case, "Lan Nguyen", "VN001")
    lan.choice.value = str(item["item_id"])
    buttons = _buttons(lan)
    buttons["Accept"].click()
    assert "was accepted" in lan.proposals.message.value
    assert lan.item["status"] == "In Progress"
    assert "Lan Nguyen (proposed by Rina Akter)" in lan.history.value
    assert list(case.evidence_frame([item["item_id"]])["filename"]) == ["a.pdf"]
    buttons["Accept"].click()  # a second click on the stale panel: said, not done twice
    assert case.plan_item(item["item_id"])["version"] == lan.item["version"]


def test_sent_back_she_reads_the_comment(case: Store) -> None:
    item = _item(case, EXIT)
    case.propose_progress(
        RINA, item["item_id"], status=Status.IN_PROGRESS, note="Started", base_version=1
    )
    lan = open_app(RemediationTracker, case, "Lan Nguyen", "VN001")
    lan.choice.value = str(item["item_id"])
    buttons = _buttons(lan)
    buttons["Send back"].click()
    assert "Say why" in buttons["note"].error.value
    buttons["note"].control.value = "Which <b>boxes</b>? Add a photo"
    buttons["Send back"].click()
    assert "was sent back" in lan.proposals.message.value
    rina = open_app(RemediationTracker, case, RINA, "VN001")
    rina.choice.value = str(item["item_id"])
    shown = _html(rina.proposals)
    assert "Lan Nguyen sent it back:" in shown
    assert "Which &lt;b&gt;boxes&lt;/b&gt;? Add a photo" in shown


def _html(panel: widgets.Widget) -> str:
    out = []
    for child in panel.children:
        if isinstance(child, widgets.HTML):
            out.append(child.value)
        elif isinstance(child, widgets.Box):
            out.append(_html(child))
    return "".join(out)


def test_what_one_person_may_not_see_hides_nothing_else(case: Store) -> None:
    # widgets sharing one layout (common.shared_layout) hide together: the comment thread's
    # choice hidden from her hid the progress form; its note to her hid the advisor's page
    item = _item(case, EXIT)
    rina = open_app(RemediationTracker, case, RINA, "VN001")
    rina.choice.value = str(item["item_id"])
    assert all(
        f.layout.display != "none" for k, f in rina.fields.items() if k != "without_evidence"
    )
    lan = open_app(RemediationTracker, case, "Lan Nguyen", "VN001")
    lan.choice.value = str(item["item_id"])
    for widget in (lan.summary, lan.plan, lan.detail, lan.history, lan.fields["note"]):
        assert widget.layout.display != "none"


def test_in_the_plan_her_changes_and_new_items_are_proposals(case: Store) -> None:
    item = _item(case, EXIT)
    app = open_app(ImprovementPlan, case, RINA, "VN001")
    wages = case.plan_items_frame(factory_ids=["VN001"]).iloc[0]
    app.choice.value = app.choice_of(int(wages["item_id"]))
    assert app.form.save.description == "Propose"
    assert app.form.fields["status"].control.disabled  # moved by progress, in the tracker
    app.form.save.click()
    assert "nothing to propose" in app.form.message.value
    app.choice.value = f"item:{item['item_id']}"
    fill(app, action="Clear the exits <daily>", responsible="Floor manager")
    app.form.save.click()
    assert "Proposed — waiting for review" in app.form.message.value
    assert case.plan_item(item["item_id"])["action"] == item["action"]
    shown = _html(app.item_proposals)
    assert "Clear the exits &lt;daily&gt;" in shown
    # each field she changed, in the form's order, with what it was
    assert shown.index("Action") < shown.index("Responsible person")
    assert "Before: <bdi>–</bdi>" in shown

    app.choice.value = "new"
    fill(
        app,
        compliance_point="Overtime",
        issue="Sunday work",
        action="Rota",
        responsible="HR",
        due_date=D(2099, 2, 1),
    )
    app.form.save.click()
    assert "Proposed — waiting for review" in app.notice.value
    assert "Sunday work" in _html(app.new_items)
    assert len(case.plan_items_frame(factory_ids=["VN001"])) == 3  # no item yet

    lan = open_app(ImprovementPlan, case, "Lan Nguyen", "VN001")
    assert "Sunday work" in _html(lan.new_items)
    next(
        b
        for box in lan.new_items.children
        if isinstance(box, widgets.VBox)
        for row in box.children
        if isinstance(row, widgets.HBox)
        for b in row.children
        if b.description == "Accept"
    ).click()
    assert "was accepted" in lan.new_items.message.value
    items = case.plan_items_frame(factory_ids=["VN001"])
    assert "Sunday work" in set(items["issue"])


def test_the_work_queue_lists_proposals_to_review(case: Store) -> None:
    item = _item(case, EXIT)
    case.propose_progress(
        RINA, item["item_id"], status=Status.IN_PROGRESS, note="Started", base_version=1
    )
    case.propose_item(RINA, "VN001", {"compliance_point": "Overtime", "issue": "Sunday <work>"})
    lan = open_app(WorkQueueApp, case, "Lan Nguyen")
    shown = lan.to_review.value
    assert "Proposals to review (2)" in shown
    assert f"remediation_tracker.ipynb?factory=VN001&amp;item={item['item_id']}" in shown
    assert "improvement_plan.ipynb?factory=VN001" in shown and "New item" in shown
    assert "Rina Akter" in shown
    staff = open_app(WorkQueueApp, case, "Minh Tran")
    assert "Proposals to review (2)" in staff.to_review.value
    for name in ("Sokha Chan", "Hoa Le", RINA):  # not theirs to review
        assert open_app(WorkQueueApp, case, name).to_review.value == ""
    rina = open_app(WorkQueueApp, case, RINA)
    assert set(rina.queue.items["factory_id"]) == {"VN001"}
    assert "advisor" not in [k for k, f in rina.filters.items() if f.layout.display != "none"]


def test_two_reviews_at_once_apply_one(case: Store) -> None:
    item = _item(case, EXIT)
    pid = case.propose_progress(
        RINA, item["item_id"], status=Status.IN_PROGRESS, note="Started", base_version=1
    )
    outcomes = twice_at_once(case, lambda s: s.accept_proposal(pid, reviewer="Lan Nguyen"))
    done = [o for o in outcomes if isinstance(o, tuple)]
    refused = [o for o in outcomes if isinstance(o, AlreadyReviewedError)]
    assert (len(done), len(refused)) == (1, 1), outcomes
    updates = case.progress_updates_frame(factory_ids=["VN001"])
    assert (updates["note"] == "Started").sum() == 1


def test_a_factory_person_without_a_factory_sees_none() -> None:
    nobody = Person("X", Role.FACTORY, "Vietnam", None)
    assert nobody.scope() == {"factory_id": ""}
    assert not nobody.can_edit and nobody.can_propose
    assert not Person("Y", Role.ADVISOR).can_propose


def test_progress_proposed_from_a_status_changed_meanwhile_is_not_applied_blind(
    case: Store,
) -> None:
    item = _item(case, EXIT)
    pid = case.propose_progress(
        RINA, item["item_id"], status=Status.IN_PROGRESS, note="Started", base_version=1
    )
    case.save_plan_item(
        item["item_id"], {"status": "In Progress"}, expected_version=1, actor="Lan Nguyen"
    )
    case.add_progress(
        item["item_id"],
        date=D(2099, 1, 2),
        note="Done, photo attached",
        new_status=Status.COMPLETED,
        expected_version=case.plan_item(item["item_id"])["version"],
        actor="Lan Nguyen",
        files=[Upload("done.pdf", "application/pdf", PDF)],
    )
    # accepting "Pending → In Progress" now would reopen the completed item
    with pytest.raises(ProposalConflictError) as caught:
        case.accept_proposal(pid, reviewer="Lan Nguyen")
    assert "from Pending to Completed" in caught.value.fields["status"]
    assert case.plan_item(item["item_id"])["status"] == "Completed"
    assert case.proposal(pid)["state"] == "pending"


def test_a_sent_back_proposal_answered_by_a_newer_one_is_no_longer_shown(case: Store) -> None:
    item = _item(case, EXIT)
    first = case.propose_progress(
        RINA, item["item_id"], status=Status.IN_PROGRESS, note="First try", base_version=1
    )
    case.send_back_proposal(first, reviewer="Lan Nguyen", comment="Add a photo")
    app = open_app(RemediationTracker, case, RINA, "VN001")
    app.choice.value = str(item["item_id"])
    assert "Add a photo" in _html(app.proposals)
    case.propose_progress(
        RINA, item["item_id"], status=Status.IN_PROGRESS, note="Second try", base_version=1
    )
    app.open_item(item["item_id"])
    shown = _html(app.proposals)
    assert "Second try" in shown and "First try" not in shown


def test_a_factory_person_without_a_factory_has_no_proposals_to_review(case: Store) -> None:
    item = _item(case, EXIT)
    case.propose_item(
        RINA, "VN001", {"action": "A"}, item_id=item["item_id"], base_version=item["version"]
    )
    nobody = Person("X", Role.FACTORY, "Vietnam", None)
    assert case.proposals_to_review(**nobody.scope()).empty  # her scope: no factory, not all
    staff = Person("Minh Tran", Role.STAFF, "Vietnam")
    assert list(case.proposals_to_review(**staff.scope())["factory_id"]) == ["VN001"]


def test_a_factory_person_without_a_factory_covers_none() -> None:
    nobody = Person("X", Role.FACTORY, "Vietnam", None)
    assert not nobody.covers({})  # an app's row of a factory outside her portfolio
    assert not nobody.covers({"factory_id": None, "country": "Vietnam"})
    assert Person("Y", Role.FACTORY, None, "VN001").covers({"factory_id": "VN001"})


def _theirs(store: Store) -> int:
    """An assessment of a factory other than Saigon Garments (VN001)."""
    frame = store.assessments_frame()
    return int(frame.loc[frame["factory_id"] != "VN001", "quest_id"].iloc[0])


def test_a_new_item_from_another_factory_s_assessment_is_refused(case: Store) -> None:
    theirs = _theirs(case)
    values = {
        "compliance_point": "Overtime",
        "source": "finding",
        "quest_id": theirs,
        "question_id": "OT.01",
    }
    with pytest.raises(ValidationError) as caught:
        case.propose_item(RINA, "VN001", values)
    assert f"{theirs} is not an assessment of factory VN001" in caught.value.fields["quest_id"]
    with pytest.raises(ValidationError) as caught:
        case.propose_item(RINA, "VN001", {**values, "quest_id": "12a"})
    assert "'12a'" in caught.value.fields["quest_id"]
    with pytest.raises(ValidationError, match="quest_id"):  # past a BIGINT: not the database's
        case.propose_item(RINA, "VN001", {**values, "quest_id": 10**20})
    with pytest.raises(ValidationError) as caught:  # longer than the column holds
        case.propose_item(RINA, "VN001", {**values, "quest_id": None, "question_id": "Q" * 101})
    assert "101 characters" in caught.value.fields["question_id"]
    assert case.proposals_frame(factory_ids=["VN001"]).empty


def test_a_new_item_from_another_factory_s_assessment_is_not_accepted(case: Store) -> None:
    theirs = _theirs(case)
    row = {"compliance_point": "Overtime", "source": "finding", "quest_id": theirs}
    made, _repeated = case.propose_plan_edits(
        [{**row, "question_id": "OT.01"}], RINA, factory_id="VN001"
    )
    assert made == 1
    pid = int(case.proposals_frame(factory_ids=["VN001"])["proposal_id"].iloc[0])
    before = len(case.plan_items_frame(factory_ids=["VN001"]))
    with pytest.raises(ValidationError, match="quest_id"):
        case.accept_proposal(pid, reviewer="Lan Nguyen")
    assert len(case.plan_items_frame(factory_ids=["VN001"])) == before
    assert case.proposal(pid)["state"] == ProposalState.PENDING.value  # nothing half written


def test_a_review_is_audited_with_the_state_before_and_after(case: Store) -> None:
    item = _item(case, EXIT)
    pid = case.propose_item(
        RINA, "VN001", {"action": "A"}, item_id=item["item_id"], base_version=item["version"]
    )
    case.send_back_proposal(pid, reviewer="Lan Nguyen", comment="Who clears them?")
    trail = case.history("proposals", pid)
    assert trail[["actor", "action"]].values.tolist() == [
        [RINA, "insert"],
        ["Lan Nguyen", "update"],
    ]
    before, after = json.loads(trail["before"].iloc[1]), json.loads(trail["after"].iloc[1])
    assert (before["state"], after["state"]) == ("pending", "sent back")
    assert after["review_comment"] == "Who clears them?"
