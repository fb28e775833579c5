"""A factory's Improvement Plan as a workbook to edit offline: one sheet of its items, with lists
to choose from and locked IDs, and the instructions in the reader's language."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet

from bwcases.core.domain import Priority, Status
from bwcases.core.errors import NotFoundError
from bwcases.core.i18n import QUESTION, domain_name, is_rtl, language, translator
from bwcases.io.plan_workbook import (
    COLUMNS,
    FACTORY,
    FIELD_OF,
    ID,
    NAMING,
    NO,
    QUESTION_ID,
    VERSION,
    YES,
)
from bwcases.io.plan_workbook import QUESTION as QUESTION_COLUMN
from bwcases.store import Store

NEW_ROWS = 200  # empty rows below the items, open for new ones, with the same lists
DATE_CELL = "DD/MM/YYYY"  # the programme's way of writing dates (formats.DATE_FORMAT)
WIDTHS = {
    ID: 9,
    VERSION: 9,
    FACTORY: 11,
    "Quest.ID": 10,
    QUESTION_ID: 13,
    QUESTION_COLUMN: 40,
    "Compliance.point": 28,
    "Issue": 40,
    "Root.cause": 30,
    "Action": 40,
    "Responsible": 18,
    "Due.Date": 12,
    "Priority": 11,
    "Status": 13,
    "PICC.Agreed": 12,
    "Notes": 30,
}
FIELDS = {  # each column's field: what names an item, then what a person edits
    ID: "item_id",
    VERSION: "version",
    FACTORY: "factory_id",
    "Quest.ID": "quest_id",
    QUESTION_ID: "question_id",
    **FIELD_OF,
}
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # no XML cell may hold them
LOCKED_FILL = PatternFill("solid", fgColor="E7E6E6")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
WRAP = Alignment(wrap_text=True, vertical="top")


def write_plan_workbook(
    store: Store,
    factory_id: str,
    out: str | Path | IO[bytes],
    *,
    lang: str = "en",
    today: dt.date | None = None,
) -> int:
    """Write a factory's plan workbook to a path or a binary file; returns how many items."""
    factories = store.factories_frame(factory_ids=[factory_id])
    if factories.empty:
        raise NotFoundError("factory", factory_id)
    factory = factories.iloc[0]
    items = store.plan_items_frame(factory_ids=[factory_id])
    questions = _questions(store, factory_id, lang)
    _ = translator(lang)
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its sheet
    sheet.title = _("Plan")[:31]
    _styles(book)
    _plan_sheet(sheet, items, questions, _)
    notes = book.create_sheet(_("Instructions")[:31])
    _instructions(notes, factory["factory_name"], factory_id, today or dt.date.today(), _)
    for ws in (sheet, notes):
        ws.sheet_view.rightToLeft = is_rtl(language(lang))
    book.properties.creator = "bwcases"
    book.save(out)
    return len(items)


def _questions(store: Store, factory_id: str, lang: str) -> dict[tuple[int, str], str]:
    """The CAT question of each finding of the factory, in her language where it is known."""
    findings = store.findings_frame(factory_ids=[factory_id])
    return {
        (int(q), str(qid)): domain_name(QUESTION, str(label), lang)
        for q, qid, label in findings[["quest_id", "question_id", "question_label"]].itertuples(
            index=False
        )
    }


def _text(value: Any) -> str:
    """A stored text as a cell holds it: without the characters no cell may hold."""
    return "" if value is None else _ILLEGAL.sub("", str(value))


def _cell_value(column: str, item: dict[str, Any], questions: dict[tuple[int, str], str]) -> Any:
    if column == QUESTION_COLUMN:
        quest = item["quest_id"]
        if pd.isna(quest):
            return None
        return _text(questions.get((int(quest), str(item["question_id"])))) or None
    value = item[FIELDS[column]]
    if not isinstance(value, str | bool) and pd.isna(value):
        return None
    if column == "PICC.Agreed":
        return YES if value else NO
    if column == "Due.Date":
        return pd.Timestamp(value).date()
    if column in (ID, VERSION, "Quest.ID"):
        return int(value)
    return _text(value) or None


def _plan_sheet(
    sheet: Worksheet,
    items: pd.DataFrame,
    questions: dict[tuple[int, str], str],
    _: Callable[[str], str],
) -> None:
    """The items, one a row, under a frozen header; what names them locked, the rest open."""
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = WRAP
    records = items.to_dict("records")
    styles = {new: [_style(column, new=new) for column in COLUMNS] for new in (False, True)}
    for row, item in enumerate(records, start=2):
        for col, column in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=row, column=col)
            value = _cell_value(column, item, questions)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # a text that starts with "=" stays text, never a formula
            cell.style = styles[False][col - 1]
    last = len(records) + 1 + NEW_ROWS
    for row in range(len(records) + 2, last + 1):
        for col, style in enumerate(styles[True], start=1):
            sheet.cell(row=row, column=col).style = style
    for col, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = WIDTHS[column]
    _validations(sheet, last, _)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last}"
    # Locked cells without a password: she may lift it, and the import checks what it reads.
    sheet.protection = SheetProtection(
        sheet=True,
        formatColumns=False,
        formatRows=False,
        autoFilter=False,
        sort=False,
        selectLockedCells=False,
        selectUnlockedCells=False,
    )


def _styles(book: Workbook) -> None:
    """The cells' styles, named once: open for her to edit, or grey and locked; with a date."""
    for name, locked, date in (
        ("bw-open", False, False),
        ("bw-open-date", False, True),
        ("bw-locked", True, False),
        ("bw-locked-date", True, True),
    ):
        style = NamedStyle(name=name, alignment=WRAP, protection=Protection(locked=locked))
        if locked:
            style.fill = LOCKED_FILL
        if date:
            style.number_format = DATE_CELL
        book.add_named_style(style)


def _style(column: str, *, new: bool) -> str:
    """The style of a cell: open where she edits; locked what names an item or shows context."""
    locked = column in (ID, VERSION, QUESTION_COLUMN) or (column in NAMING and not new)
    date = "-date" if column == "Due.Date" else ""
    return ("bw-locked" if locked else "bw-open") + date


def _validations(sheet: Worksheet, last: int, _: Callable[[str], str]) -> None:
    """Lists to choose the status, priority and PICC agreement from, and real dates."""

    def rng(column: str) -> str:
        letter = get_column_letter(COLUMNS.index(column) + 1)
        return f"{letter}2:{letter}{last}"

    def listed(values: list[str], column: str, message: str) -> None:
        check = DataValidation(type="list", formula1=f'"{",".join(values)}"', allow_blank=True)
        check.error, check.errorTitle = message, column
        check.prompt, check.promptTitle = message, column
        check.showErrorMessage = check.showInputMessage = True
        check.add(rng(column))
        sheet.add_data_validation(check)

    listed([s.value for s in Status], "Status", _("Choose a status from the list."))
    listed([p.value for p in Priority], "Priority", _("Choose a priority from the list."))
    listed([YES, NO], "PICC.Agreed", _("Choose yes or no: has the PICC agreed to the item?"))
    date = DataValidation(
        type="date",
        operator="between",
        formula1="DATE(2000,1,1)",
        formula2="DATE(2100,12,31)",
        allow_blank=True,
    )
    date.error = _("Write a date as dd/mm/yyyy, e.g. 15/03/2025.")
    date.errorTitle = date.promptTitle = "Due.Date"
    date.prompt = date.error
    date.showErrorMessage = date.showInputMessage = True
    date.add(rng("Due.Date"))
    sheet.add_data_validation(date)


def _instructions(
    sheet: Worksheet, name: str, factory_id: str, today: dt.date, _: Callable[[str], str]
) -> None:
    """What the plan sheet holds, what she may change, and how the file comes back."""
    lines: list[tuple[str, str]] = [
        (
            "title",
            _("Improvement Plan of {factory} ({factory_id})").format(
                factory=name, factory_id=factory_id
            ),
        ),
        ("", _("Written on {date}.").format(date=today.strftime("%d/%m/%Y"))),
        ("", ""),
        ("head", _("What you can change")),
        ("", _("Work on the first sheet. Each row is one item of the plan.")),
        (
            "",
            _(
                "Compliance.point, Issue, Root.cause, Action, Responsible and Notes: type over "
                "the text."
            ),
        ),
        ("", _("Due.Date: a date, written dd/mm/yyyy (e.g. 15/03/2025).")),
        ("", _("Priority, Status and PICC.Agreed: choose from the list the cell offers.")),
        (
            "",
            _(
                "Status: Pending (not started), In Progress (work has begun), Completed (done; "
                "your advisor checks it)."
            ),
        ),
        ("", ""),
        ("head", _("What stays as it is")),
        (
            "",
            _(
                "Item.ID and Version (grey) say which item a row is and which version of it "
                "you saw. Factory.ID, Quest.ID and Question.ID name the item's factory and "
                "finding, and CAT.Question shows the question of the assessment. These cells "
                "are locked; the protection has no password, but the file is read as written "
                "here."
            ),
        ),
        ("", _("Deleting a row does not delete its item.")),
        ("", ""),
        ("head", _("New items")),
        (
            "",
            _(
                "Write a new item on an empty row below the last one, with Item.ID and Version "
                "left empty. Give at least its compliance point; Factory.ID may stay empty."
            ),
        ),
        ("", ""),
        ("head", _("Bringing the file back")),
        (
            "",
            _(
                "Save it as an Excel workbook (.xlsx) with the plan as its first sheet. Upload "
                "it in the Remediation Tracker, or give it to your advisor, who runs: "
                "bwcases import improvement-plan FILE.xlsx"
            ),
        ),
        (
            "",
            _(
                "Nothing is written until the file has no problem; each problem is named by "
                "row, column and value."
            ),
        ),
        (
            "",
            _(
                "If someone changed the same field in the app after this file was written, the "
                "import names the field: take the app's value into the file and bring it back "
                "again."
            ),
        ),
        (
            "",
            _(
                "A file from the factory's own people becomes proposals, which the advisor "
                "accepts or sends back."
            ),
        ),
    ]
    sheet.column_dimensions["A"].width = 100
    for row, (kind, text) in enumerate(lines, start=1):
        cell = sheet.cell(row=row, column=1, value=_text(text) or None)  # the factory's name
        if text:
            cell.data_type = "s"
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if kind == "title":
            cell.font = Font(bold=True, size=14)
        elif kind == "head":
            cell.font = Font(bold=True)
    sheet.protection = SheetProtection(sheet=True, selectLockedCells=False)
