"""Importing a plan file again: the file's changes written, the app's kept, conflicts refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from bwcases.cli import main
from bwcases.core.errors import ImportConflictError, UsageError
from bwcases.io.importers import import_file
from bwcases.store import Store
from tests.helpers import PLAN_HEADER, state, write_csv

ADVISOR = "Lan Nguyen"
# The plan file as the data team sends it: a finding of VN001 (row 2), a self-diagnosis issue
# (row 3). Fields by the file's column names.
WAGES = {
    "Factory.ID": "VN001",
    "Quest.ID": "1001",
    "Question.ID": "CMP.MW.01",
    "Compliance.point": "Minimum Wages/Piece Rate Wages",
    "Issue": "Underpaid",
    "Action": "Pay the minimum",
    "Responsible": "HR",
    "Due.Date": "01/06/2023",
    "Status": "Pending",
    "Notes": "",
}
EXIT = {
    "Factory.ID": "VN001",
    "Quest.ID": "",
    "Question.ID": "",
    "Compliance.point": "Emergency Preparedness",
    "Issue": "Exit blocked",
    "Action": "Clear the exit",
    "Responsible": "Admin",
    "Due.Date": "15/05/2023",
    "Status": "Pending",
    "Notes": "from self-diagnosis",
}


def plan_file(path: Path, *rows: dict[str, str]) -> Path:
    """A plan file of these rows (the first is row 2)."""
    lines = [",".join(row[c] for c in PLAN_HEADER.split(",")) for row in rows]
    return write_csv(path, lines, header=PLAN_HEADER)


def item(store: Store, issue: str) -> dict[str, Any]:
    """The stored plan item of an issue, with its version and who changed it last."""
    items = store.plan_items_frame().set_index("issue")
    return store.plan_item(int(items.loc[issue, "item_id"]))


def edit_in_app(store: Store, issue: str, **changes: Any) -> None:
    """The advisor saves changes to the item in the Improvement Plan app."""
    current = item(store, issue)
    store.save_plan_item(
        current["item_id"], changes, expected_version=current["version"], actor=ADVISOR
    )


@pytest.fixture
def imported(store: Store, export_file: Path, tmp_path: Path) -> Store:
    """The export loaded and the plan file imported once."""
    import_file(store, "assessments", export_file)
    import_file(store, "improvement-plan", plan_file(tmp_path / "plan.csv", WAGES, EXIT))
    return store


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("action", "Pay arrears first, then the minimum"),
        ("due_date", dt.date(2023, 9, 30)),
        ("status", "In Progress"),
    ],
)
def test_importing_the_same_file_again_keeps_an_advisors_change(
    imported: Store, tmp_path: Path, field: str, value: Any
) -> None:
    edit_in_app(imported, "Underpaid", **{field: value})
    before = item(imported, "Underpaid")
    summary = import_file(
        imported, "improvement-plan", plan_file(tmp_path / "plan.csv", WAGES, EXIT)
    )
    assert summary.endswith("2 items read, 0 added, 0 updated")
    after = item(imported, "Underpaid")
    assert after[field] == value
    assert (after["version"], after["updated_by"]) == (before["version"], ADVISOR)


def test_the_files_change_and_the_apps_change_to_other_fields_are_both_kept(
    imported: Store, tmp_path: Path
) -> None:
    edit_in_app(imported, "Underpaid", action="Pay arrears first")
    path = plan_file(tmp_path / "plan.csv", WAGES | {"Responsible": "Finance manager"}, EXIT)
    assert import_file(imported, "improvement-plan", path).endswith("0 added, 1 updated")
    wages = item(imported, "Underpaid")
    assert (wages["action"], wages["responsible"]) == ("Pay arrears first", "Finance manager")
    # the next file that still says HR's old action does not undo the advisor's either
    import_file(imported, "improvement-plan", path)
    assert item(imported, "Underpaid")["action"] == "Pay arrears first"


def both_changed(store: Store, tmp_path: Path) -> Path:
    """The advisor changed Action in the app; the file changes it otherwise, and, on another
    row, the Responsible of the other item."""
    edit_in_app(store, "Underpaid", action="Pay arrears first")
    return plan_file(
        tmp_path / "plan.csv",
        WAGES | {"Action": "Pay the minimum by June"},
        EXIT | {"Responsible": "Safety officer"},
    )


def test_a_field_both_changed_differently_is_refused_and_nothing_is_written(
    imported: Store, tmp_path: Path
) -> None:
    path = both_changed(imported, tmp_path)
    before = state(imported)
    with pytest.raises(ImportConflictError) as err:
        import_file(imported, "improvement-plan", path)
    assert str(err.value).splitlines() == [
        "plan.csv row 2 (item VN001 / 1001 / CMP.MW.01), column Action: the file says "
        "'Pay the minimum by June', the store says 'Pay arrears first' (changed by Lan Nguyen "
        "since the last import)",
        "The file and the app both changed these fields since the file was last imported: take "
        "the app's value into the file, or import with --overwrite to let the file win.",
        "Nothing was written.",
    ]
    [conflict] = err.value.conflicts
    assert (conflict.file, conflict.row, conflict.column) == ("plan.csv", 2, "Action")
    assert (conflict.file_value, conflict.stored_value, conflict.changed_by) == (
        "Pay the minimum by June",
        "Pay arrears first",
        ADVISOR,
    )
    after = state(imported)
    assert after[0] == before[0]
    pd.testing.assert_frame_equal(after[3], before[3])
    assert item(imported, "Exit blocked")["responsible"] == "Admin"  # row 3's change too


def test_overwrite_lets_the_file_win(imported: Store, tmp_path: Path) -> None:
    path = both_changed(imported, tmp_path)
    summary = import_file(imported, "improvement-plan", path, overwrite=True)
    assert summary.endswith("0 added, 2 updated")
    assert item(imported, "Underpaid")["action"] == "Pay the minimum by June"
    assert item(imported, "Exit blocked")["responsible"] == "Safety officer"
    # what the file said is the base now: the same file again is no conflict and no change
    assert import_file(imported, "improvement-plan", path).endswith("0 added, 0 updated")


def test_an_item_never_imported_is_overwritten_then_merged_from_then_on(
    store: Store, export_file: Path, tmp_path: Path
) -> None:
    import_file(store, "assessments", export_file)
    made_in_app = {
        "factory_id": "VN001",
        "quest_id": 1001,
        "question_id": "CMP.MW.01",
        "source": "finding",
        "compliance_point": "Minimum Wages/Piece Rate Wages",
        "issue": "Underpaid",
        "action": "Ask the union",
        "responsible": "Ms Hoa",
    }
    store.save_plan_item(None, made_in_app, expected_version=None, actor=ADVISOR)
    path = plan_file(tmp_path / "plan.csv", WAGES)
    assert import_file(store, "improvement-plan", path).endswith("0 added, 1 updated")
    wages = item(store, "Underpaid")
    assert (wages["action"], wages["responsible"]) == ("Pay the minimum", "HR")  # as ever
    edit_in_app(store, "Underpaid", notes="Union agreed on 3 June")
    import_file(store, "improvement-plan", path)
    assert item(store, "Underpaid")["notes"] == "Union agreed on 3 June"


def test_the_command_prints_the_conflict_and_exits_2(
    imported: Store, store_url: str, tmp_path: Path
) -> None:
    path = both_changed(imported, tmp_path)
    command = ["--db", store_url, "import", "improvement-plan", str(path)]
    refused = CliRunner().invoke(main, command)
    assert refused.exit_code == 2, refused.output
    assert refused.stdout == ""
    assert refused.stderr.splitlines() == [
        "bwcases: plan.csv row 2 (item VN001 / 1001 / CMP.MW.01), column Action: the file says "
        "'Pay the minimum by June', the store says 'Pay arrears first' (changed by Lan Nguyen "
        "since the last import)",
        "bwcases: The file and the app both changed these fields since the file was last "
        "imported: take the app's value into the file, or import with --overwrite to let the "
        "file win.",
        "bwcases: Nothing was written.",
    ]
    assert item(imported, "Exit blocked")["responsible"] == "Admin"
    done = CliRunner().invoke(main, [*command, "--overwrite"])
    assert done.exit_code == 0, done.stderr
    assert done.stdout == "plan.csv: 2 items read, 0 added, 2 updated\n"
    assert item(imported, "Underpaid")["action"] == "Pay the minimum by June"


def test_overwrite_is_for_plan_files_only(imported: Store, export_file: Path) -> None:
    before = imported.snapshot_id()
    with pytest.raises(UsageError, match="--overwrite is for improvement-plan files, not"):
        import_file(imported, "assessments", export_file, overwrite=True)
    assert imported.snapshot_id() == before


# -- statuses: what a file's status does follows the rules of the app's -----------------------


def test_a_status_the_file_changes_is_kept_as_a_progress_update(
    imported: Store, tmp_path: Path
) -> None:
    path = plan_file(tmp_path / "plan.csv", WAGES | {"Status": "In Progress"}, EXIT)
    import_file(imported, "improvement-plan", path, actor="data team")
    wages = item(imported, "Underpaid")
    updates = imported.progress_updates_frame()
    assert updates[["item_id", "old_status", "new_status", "author", "note"]].values.tolist() == [
        [wages["item_id"], "Pending", "In Progress", "data team", "imported from plan.csv"]
    ]
    # dated the day of the import, so the plan as of earlier days reads as it was
    assert updates["date"].tolist() == [dt.date.today()]
    # the same file again moves nothing
    import_file(imported, "improvement-plan", path, actor="data team")
    assert len(imported.progress_updates_frame()) == 1


def test_a_public_finding_the_file_completes_awaits_verification_until_it_reopens(
    imported: Store, tmp_path: Path
) -> None:
    both = (WAGES | {"Status": "Completed"}, EXIT | {"Status": "Completed"})
    import_file(imported, "improvement-plan", plan_file(tmp_path / "plan.csv", *both))
    wages, exit_ = item(imported, "Underpaid"), item(imported, "Exit blocked")
    assert (wages["status"], wages["completed_on"]) == ("Completed", dt.date.today())
    assert (wages["verification"], exit_["verification"]) == ("awaiting", None)  # public only
    reopened = plan_file(tmp_path / "plan.csv", WAGES | {"Status": "In Progress"}, EXIT)
    import_file(imported, "improvement-plan", reopened)
    wages = item(imported, "Underpaid")
    assert (wages["status"], wages["completed_on"], wages["verification"]) == (
        "In Progress",
        None,
        None,
    )


def test_a_new_item_the_file_gives_completed_has_no_completion_date_ever_after(
    store: Store, export_file: Path, tmp_path: Path
) -> None:
    import_file(store, "assessments", export_file)
    done = WAGES | {"Status": "Completed"}
    import_file(store, "improvement-plan", plan_file(tmp_path / "plan.csv", done))
    wages = item(store, "Underpaid")
    assert (wages["status"], wages["completed_on"], wages["verification"]) == (
        "Completed",
        None,  # the file does not say when: days-to-complete figures leave it out
        "awaiting",
    )
    assert store.progress_updates_frame().empty
    # a later file that changes another field does not date the completion either
    path = plan_file(tmp_path / "plan.csv", done | {"Notes": "checked at the visit"})
    import_file(store, "improvement-plan", path)
    wages = item(store, "Underpaid")
    assert (wages["notes"], wages["completed_on"]) == ("checked at the visit", None)


def test_a_refused_import_moves_no_status(imported: Store, tmp_path: Path) -> None:
    edit_in_app(imported, "Underpaid", action="Pay arrears first")
    path = plan_file(
        tmp_path / "plan.csv",
        WAGES | {"Action": "Pay the minimum by June"},
        EXIT | {"Status": "In Progress"},
    )
    with pytest.raises(ImportConflictError):
        import_file(imported, "improvement-plan", path)
    assert item(imported, "Exit blocked")["status"] == "Pending"
    assert imported.progress_updates_frame().empty
