"""Drafts in the store, merging her changes with theirs, and what completing an item takes."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select

from bwcases.core.domain import Status, completion_problem, merge_fields, next_statuses
from bwcases.core.errors import ConflictError, NotFoundError, ValidationError
from bwcases.io.importers import import_file
from bwcases.store import Store, Upload
from bwcases.store import models as m
from tests.helpers import twice_at_once

D = dt.date
PHOTO = Upload("exit.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 the exit, cleared \xff\xd9")
TYPED = {
    "action": "Dégager la sortie de secours ; Nguyễn Thị Lan vérifie",
    "due_date": D(2027, 1, 31),
    "picc_agreed": True,
    "workers": 12,
    "note": None,
}


@pytest.fixture
def case(store: Store, export_file: Any) -> Store:
    """The export loaded; Lan (advisor of VN001) and Minh (programme staff) can sign in."""
    import_file(store, "assessments", export_file)
    store.update_factories([{"factory_id": "VN001", "advisor": "Lan Nguyen"}], actor="test")
    for name, role in (("Lan Nguyen", "advisor"), ("Minh Tran", "staff")):
        store.add_user(name, role=role, country="Vietnam", password_hash="-", actor="test")
    return store


def new_item(store: Store, **values: Any) -> int:
    """Lan's self-diagnosis item of VN001, Pending."""
    item, _version = store.save_plan_item(
        None,
        {
            "factory_id": "VN001",
            "source": "self-diagnosis",
            "compliance_point": "Emergency Preparedness",
            "issue": "Exit blocked by boxes",
            **values,
        },
        expected_version=None,
        actor="Lan Nguyen",
        on=D(2024, 5, 1),
    )
    return item


def started_item(store: Store, files: tuple[Upload, ...] = ()) -> int:
    """An item Lan has started (In Progress), with these evidence files on the start."""
    item = new_item(store)
    progress(store, item, Status.IN_PROGRESS, "Boxes moved to the store room", files=files)
    return item


def progress(store: Store, item: int, status: Status, note: str, **kw: Any) -> int:
    """Record an update of `item` as Lan, unless another actor is named."""
    return store.add_progress(
        item,
        date=D(2024, 6, 1),
        note=note,
        new_status=status,
        expected_version=store.plan_item(item)["version"],
        actor=kw.pop("actor", "Lan Nguyen"),
        **kw,
    )


def audit_rows(store: Store) -> int:
    return int(store.frame(select(func.count()).select_from(m.AuditEntry)).iloc[0, 0])


# -- drafts ----------------------------------------------------------------------------------


def test_a_draft_is_read_back_with_its_text_and_time(case: Store) -> None:
    before = dt.datetime.now(dt.UTC)
    at = case.save_draft("Lan Nguyen", "plan_item", "item:12", TYPED)
    assert before <= at <= dt.datetime.now(dt.UTC)
    values, saved_at = case.draft("Lan Nguyen", "plan_item", "item:12")  # type: ignore[misc]
    assert saved_at == at and saved_at.tzinfo is not None
    assert values == {**TYPED, "due_date": "2027-01-31"}  # dates come back as ISO text
    assert case.draft("Lan Nguyen", "plan_item", "item:13") is None
    assert case.draft("Minh Tran", "plan_item", "item:12") is None  # hers alone
    assert case.draft("Lan Nguyen", "progress", "item:12") is None


def test_saving_again_replaces_the_draft_and_discarding_forgets_it(case: Store) -> None:
    case.save_draft("Lan Nguyen", "visit", "new:VN001", {"topics": "Kế hoạch tăng ca"})
    case.save_draft("Minh Tran", "visit", "new:VN001", {"topics": "Minh's"})
    later = case.save_draft("Lan Nguyen", "visit", "new:VN001", {"topics": "Overtime plan"})
    assert case.draft("Lan Nguyen", "visit", "new:VN001") == ({"topics": "Overtime plan"}, later)
    case.discard_draft("Lan Nguyen", "visit", "new:VN001")
    case.discard_draft("Lan Nguyen", "visit", "new:VN001")  # gone already: nothing to do
    assert case.draft("Lan Nguyen", "visit", "new:VN001") is None
    assert case.draft("Minh Tran", "visit", "new:VN001")[0] == {"topics": "Minh's"}  # type: ignore[index]


def test_two_kernels_keep_the_same_draft_at_once(case: Store) -> None:
    both_ready = threading.Barrier(2, timeout=30)
    thread_names: list[str] = []

    def keep_typing(other: Store) -> dt.datetime:
        name = threading.current_thread().name
        thread_names.append(name)
        both_ready.wait()
        last = dt.datetime.min
        for n in range(30):
            last = other.save_draft("Lan Nguyen", "progress", "item:7", {"note": f"{name} {n}"})
        return last

    outcomes = twice_at_once(case, keep_typing)
    assert all(isinstance(o, dt.datetime) for o in outcomes), outcomes
    values, _at = case.draft("Lan Nguyen", "progress", "item:7")  # type: ignore[misc]
    assert values["note"] in {f"{name} 29" for name in thread_names}
    assert len(case.frame(select(m.Draft.id))) == 1


def test_a_draft_over_256_kb_is_refused_naming_its_size(case: Store) -> None:
    case.save_draft("Lan Nguyen", "plan_item", "item:1", {"notes": "é" * 100_000})  # 200 KB
    with pytest.raises(ValidationError, match=r"the draft is 293 KB, more than the 256 KB"):
        case.save_draft("Lan Nguyen", "plan_item", "item:1", {"notes": "é" * 150_000})
    values, _at = case.draft("Lan Nguyen", "plan_item", "item:1")  # type: ignore[misc]
    assert len(values["notes"]) == 100_000  # the draft before stays


def test_drafts_leave_the_audit_trail_and_the_snapshot_alone(case: Store) -> None:
    item = new_item(case)
    snapshot, audited = case.snapshot_id(), audit_rows(case)
    case.save_draft("Lan Nguyen", "plan_item", f"item:{item}", {"action": "Clear the exit"})
    case.save_draft("Lan Nguyen", "plan_item", f"item:{item}", {"action": "Clear both exits"})
    case.discard_draft("Lan Nguyen", "plan_item", f"item:{item}")
    with case.writing("Lan Nguyen") as s:  # even a draft written through the ORM
        s.add(
            m.Draft(
                person="Lan Nguyen",
                form="visit",
                key="new:VN001",
                values="{}",
                saved_at=dt.datetime.now(dt.UTC),
            )
        )
    assert (case.snapshot_id(), audit_rows(case)) == (snapshot, audited)

    case.save_draft("Lan Nguyen", "plan_item", f"item:{item}", {"action": "Clear the exit"})
    case.save_plan_item(
        item,
        {"action": "Clear the exit"},
        expected_version=1,
        actor="Lan Nguyen",
        draft=("plan_item", f"item:{item}"),
    )
    tables = set(case.frame(select(m.AuditEntry.table_name))["table_name"])
    assert "plan_items" in tables and "drafts" not in tables


def save_plan_item(store: Store, item: int, ok: bool) -> Any:
    version = store.plan_item(item)["version"] + (0 if ok else 1)  # a stale version fails
    return store.save_plan_item(
        item,
        {"action": "Clear the exit"},
        expected_version=version,
        actor="Lan Nguyen",
        draft=("plan_item", f"item:{item}"),
    )


def add_progress(store: Store, item: int, ok: bool) -> Any:
    # completing without a file fails
    status = Status.IN_PROGRESS if ok else Status.COMPLETED
    return progress(store, item, status, "Boxes moved", draft=("progress", f"item:{item}"))


def add_visit(store: Store, item: int, ok: bool) -> Any:
    return store.add_visit(
        {
            "factory_id": "VN001" if ok else "XX0001",  # an unknown factory fails
            "date": D(2024, 5, 14),
            "kind": "advisory visit",
            "topics": "Exits",
        },
        "Lan Nguyen",
        draft=("visit", f"item:{item}"),
    )


@pytest.mark.parametrize(
    ("form", "save", "error"),
    [
        ("plan_item", save_plan_item, ConflictError),
        ("progress", add_progress, ValidationError),
        ("visit", add_visit, NotFoundError),
    ],
)
def test_a_save_clears_its_draft_in_its_transaction(
    case: Store, form: str, save: Callable[[Store, int, bool], Any], error: type[Exception]
) -> None:
    item = new_item(case)
    key = f"item:{item}"
    case.save_draft("Lan Nguyen", form, key, {"typed": "by Lan"})
    case.save_draft("Minh Tran", form, key, {"typed": "by Minh"})
    case.save_draft("Lan Nguyen", form, "item:other", {"typed": "elsewhere"})
    with pytest.raises(error):
        save(case, item, False)
    assert case.draft("Lan Nguyen", form, key) is not None  # the failed save kept it
    save(case, item, True)
    assert case.draft("Lan Nguyen", form, key) is None
    assert case.draft("Minh Tran", form, key) is not None  # his draft is his
    assert case.draft("Lan Nguyen", form, "item:other") is not None


# -- merging her changes with theirs -----------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "mine", "theirs", "values", "only_mine", "only_theirs", "conflicts"),
    [
        # only she changed it: hers
        ({"a": "x"}, {"a": "mine"}, {"a": "x"}, {"a": "mine"}, ("a",), (), ()),
        # only they changed it: theirs
        ({"a": "x"}, {"a": "x"}, {"a": "theirs"}, {"a": "theirs"}, (), ("a",), ()),
        # both changed it the same way: no conflict
        ({"a": "x"}, {"a": "same"}, {"a": "same"}, {"a": "same"}, (), (), ()),
        # both changed it differently: a conflict, theirs in values
        ({"a": "x"}, {"a": "mine"}, {"a": "theirs"}, {"a": "theirs"}, (), (), ("a",)),
        # nobody changed it
        ({"a": "x"}, {"a": "x"}, {"a": "x"}, {"a": "x"}, (), (), ()),
        # None and "" are the same
        ({"a": None}, {"a": ""}, {"a": None}, {"a": ""}, (), (), ()),
        ({"a": ""}, {"a": ""}, {"a": None}, {"a": ""}, (), (), ()),
        # a date and its ISO text are the same
        (
            {"d": "2027-01-31"},
            {"d": D(2027, 1, 31)},
            {"d": "2027-01-31"},
            {"d": D(2027, 1, 31)},
            (),
            (),
            (),
        ),
        (
            {"d": D(2027, 1, 31)},
            {"d": D(2027, 1, 31)},
            {"d": "2027-02-28"},
            {"d": "2027-02-28"},
            (),
            ("d",),
            (),
        ),
        # fields apart: hers and theirs both kept; only the keys of `mine`
        (
            {"a": "x", "b": "y", "c": 1},
            {"a": "mine", "b": "y"},
            {"a": "x", "b": "theirs", "c": 2},
            {"a": "mine", "b": "theirs"},
            ("a",),
            ("b",),
            (),
        ),
        # a field missing from base or theirs
        ({}, {"a": "new"}, {}, {"a": "new"}, ("a",), (), ()),
    ],
)
def test_merge_fields(
    base: dict[str, Any],
    mine: dict[str, Any],
    theirs: dict[str, Any],
    values: dict[str, Any],
    only_mine: tuple[str, ...],
    only_theirs: tuple[str, ...],
    conflicts: tuple[str, ...],
) -> None:
    merge = merge_fields(base, mine, theirs)
    assert merge.values == values
    assert (merge.mine, merge.theirs, merge.conflicts) == (only_mine, only_theirs, conflicts)


def test_merge_fields_compares_with_the_given_function() -> None:
    def same(_key: str, a: Any, b: Any) -> bool:
        return str(a).strip().casefold() == str(b).strip().casefold()

    merge = merge_fields({"a": "HR"}, {"a": "hr "}, {"a": "Payroll"}, same)
    assert (merge.values, merge.theirs, merge.conflicts) == ({"a": "Payroll"}, ("a",), ())


# -- what completing an item takes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "nexts"),
    [
        (Status.PENDING, [Status.PENDING, Status.IN_PROGRESS]),
        (Status.IN_PROGRESS, [Status.IN_PROGRESS, Status.COMPLETED]),
        (Status.COMPLETED, [Status.COMPLETED, Status.IN_PROGRESS]),
    ],
)
def test_next_statuses(old: Status, nexts: list[Status]) -> None:
    assert next_statuses(old) == nexts


@pytest.mark.parametrize(
    ("note", "files", "without", "problem"),
    [
        ("Exit cleared", 1, "", None),
        ("Exit cleared", 0, "Seen cleared on the visit of 14 May", None),
        ("", 1, "", "needs a note"),
        ("  ", 3, "", "needs a note"),
        ("Exit cleared", 0, "", "needs an evidence file"),
        ("Exit cleared", 0, "   ", "needs an evidence file"),
    ],
)
def test_completion_problem(note: str, files: int, without: str, problem: str | None) -> None:
    found = completion_problem(note, files, without)
    assert found is None if problem is None else problem in (found or "")


def test_completing_needs_a_note_and_evidence(case: Store) -> None:
    item = started_item(case)
    with pytest.raises(ValidationError) as err:
        progress(case, item, Status.COMPLETED, " ", files=(PHOTO,))
    assert list(err.value.fields) == ["note"]
    with pytest.raises(ValidationError) as err:
        progress(case, item, Status.COMPLETED, "Exit cleared")
    assert list(err.value.fields) == ["files"]
    assert "evidence file" in err.value.fields["files"]
    assert case.plan_item(item)["status"] == "In Progress"
    assert len(case.progress_updates_frame()) == 1  # only the start
    progress(case, item, Status.COMPLETED, "Exit cleared", files=(PHOTO,))
    assert case.plan_item(item)["status"] == "Completed"


def test_evidence_from_an_earlier_update_counts(case: Store) -> None:
    item = started_item(case, files=(PHOTO,))
    progress(case, item, Status.COMPLETED, "Exit cleared for good")
    assert case.plan_item(item)["status"] == "Completed"


def test_staff_alone_accept_a_completion_without_evidence_saying_why(case: Store) -> None:
    item = started_item(case)
    why = "The photos were lost; Minh saw the exit cleared on the visit of 14 May"
    with pytest.raises(ValidationError) as err:  # an advisor may not, even saying why
        progress(case, item, Status.COMPLETED, "Exit cleared", without_evidence=why)
    assert "staff" in err.value.fields["without_evidence"]
    with pytest.raises(ValidationError) as err:  # staff must say why
        progress(case, item, Status.COMPLETED, "Exit cleared", actor="Minh Tran")
    assert list(err.value.fields) == ["files"]
    assert case.plan_item(item)["status"] == "In Progress"

    progress(case, item, Status.COMPLETED, "Exit cleared", actor="Minh Tran", without_evidence=why)
    assert case.plan_item(item)["status"] == "Completed"
    last = case.progress_updates_frame().iloc[-1]
    assert (last["author"], last["new_status"], last["without_evidence"]) == (
        "Minh Tran",
        "Completed",
        why,
    )
    assert pd.isna(case.progress_updates_frame().iloc[0]["without_evidence"])  # the start


def test_a_plan_edit_cannot_complete_an_item(case: Store) -> None:
    item = started_item(case, files=(PHOTO,))
    version = case.plan_item(item)["version"]
    with pytest.raises(ValidationError) as err:
        case.save_plan_item(
            item,
            {"status": "Completed", "action": "Clear the exit"},
            expected_version=version,
            actor="Lan Nguyen",
        )
    assert "progress update" in err.value.fields["status"]
    assert "note" in err.value.fields["status"] and "evidence" in err.value.fields["status"]
    assert case.plan_item(item)["status"] == "In Progress"
    assert case.plan_item(item)["action"] == ""  # nothing of the edit was saved
    with pytest.raises(ValidationError, match="cannot move from Pending to Completed"):
        case.save_plan_item(
            None,
            {
                "factory_id": "VN001",
                "source": "self-diagnosis",
                "compliance_point": "Emergency Preparedness",
                "status": "Completed",
            },
            expected_version=None,
            actor="Lan Nguyen",
        )


def public_item(store: Store, files: tuple[Upload, ...], **kw: Any) -> int:
    """The publicly disclosed minimum-wage finding of VN001, completed: awaiting verification."""
    item = new_item(store, source="finding", quest_id=1500, question_id="CMP.MW.01")
    progress(store, item, Status.IN_PROGRESS, "Arrears calculated")
    progress(store, item, Status.COMPLETED, "Arrears paid", files=files, **kw)
    assert store.plan_item(item)["verification"] == "awaiting"
    return item


def verify(store: Store, item: int, note: str) -> int:
    return store.verify_item(
        item,
        verified=True,
        note=note,
        expected_version=store.plan_item(item)["version"],
        actor="Minh Tran",
    )


def test_verifying_without_evidence_needs_a_note(case: Store) -> None:
    why = "Payroll records checked on site"
    item = public_item(case, (), actor="Minh Tran", without_evidence=why)
    with pytest.raises(ValidationError) as err:
        verify(case, item, "  ")
    assert list(err.value.fields) == ["note"] and "evidence" in err.value.fields["note"]
    assert case.plan_item(item)["verification"] == "awaiting"
    verify(case, item, "Bank transfers to each worker seen")
    assert case.plan_item(item)["verification"] == "verified"

    with_file = public_item(case, (PHOTO,))
    verify(case, with_file, "")  # the evidence speaks for itself
    assert case.plan_item(with_file)["verification"] == "verified"
