"""The Improvement Plan workbook brought back: rows with an item ID change their item as seen
at their version, rows without one are new items; every row checked before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from bwcases.core.domain import ITEM_TEXT_LIMITS, ItemSource, Priority
from bwcases.core.errors import Problem, UsageError
from bwcases.core.safe_text import shortened
from bwcases.io.importers import (
    Problems,
    _dates,
    _plan_links,
    _read_all,
    _required,
    _status,
    _too_long,
    _whole_numbers,
)
from bwcases.io.readers import ROW, Table
from bwcases.store import Store
from bwcases.store.plan_edits import WORKBOOK_COLUMN_OF, same_value

ID, VERSION, FACTORY, QUEST, QUESTION_ID = (
    "Item.ID",
    "Version",
    "Factory.ID",
    "Quest.ID",
    "Question.ID",
)
QUESTION = "CAT.Question"  # context: the question of the assessment behind the item
# The plan sheet's columns, in order: what names the item (locked), the context (locked), and
# the item's fields a person edits, by the names plan files give them.
NAMING = (ID, VERSION, FACTORY, QUEST, QUESTION_ID)
FIELD_OF = {column: field for field, column in WORKBOOK_COLUMN_OF.items()}
EDITED = (
    "Compliance.point",
    "Issue",
    "Root.cause",
    "Action",
    "Responsible",
    "Due.Date",
    "Priority",
    "Status",
    "PICC.Agreed",
    "Notes",
)
COLUMNS = (*NAMING, QUESTION, *EDITED)
REQUIRED = (ID, VERSION, "Compliance.point", "Status")
TEXTS = ("Compliance.point", "Issue", "Root.cause", "Action", "Responsible", "Notes")
LENGTHS = {QUESTION_ID: 100, **{c: ITEM_TEXT_LIMITS[FIELD_OF[c]] for c in TEXTS}}
YES, NO = "yes", "no"
FACTORY_ROLE = "factory"  # auth.Role.FACTORY: a factory's own person, who proposes
_YES_NO = {"yes": True, "true": True, "no": False, "false": False, "": False}


def is_plan_workbook(header: list[str]) -> bool:
    """Whether a table's header is a plan workbook's (its items named by ID and version)."""
    return ID in header and VERSION in header


def proposes(store: Store, actor: str) -> bool:
    """Whether a person's changes are proposals: she is a factory's own person."""
    person = store.user(actor) or {}
    return person.get("role") == FACTORY_ROLE


def _priority(text: str) -> str | None:
    key = " ".join(text.split()).casefold()
    return next((p.value for p in Priority if p.value.casefold() == key), None)


def import_plan_workbook(
    store: Store,
    path: str | Path,
    actor: str,
    *,
    overwrite: bool = False,
    factory_id: str | None = None,
) -> str:
    """A plan workbook: its items changed as merged with the app's changes, its new rows added;
    returns a one-line summary or raises a BwcasesError. `factory_id`: the factory the workbook
    is brought back to (every row's), else the rows' (a new row's default: the items' one).
    From a factory's own person (`actor`), her changes and new items become her proposals."""
    person = store.user(actor) or {}
    proposer = person.get("role") == FACTORY_ROLE
    if proposer:
        if overwrite:
            raise UsageError(
                f"--overwrite is not for {actor}: a factory's person proposes, and her advisor "
                "accepts or sends back each change"
            )
        if factory_id not in (None, person["factory_id"]):
            raise UsageError(f"{actor} brings back the plan of {person['factory_id']} only")
        factory_id = person["factory_id"]
    table = Table(path)
    table.require(REQUIRED)
    found = Problems(table.name)
    rows = _read_all(table, found)
    given = [c for c in EDITED if c in rows]
    for column in COLUMNS:
        if column not in rows:
            rows[column] = ""
    known = _known_rows(store, found, rows)
    factory = _factories(store, found, rows, known, factory_id)
    new = rows[ID] == ""
    _required(found, rows, ["Compliance.point"])
    _too_long(found, rows, LENGTHS)
    values = _values(found, rows, new, given)
    _plan_links(store, found, rows[new], factory[new])
    found.raise_if_any()
    edits, numbers = [], []
    for i in rows.index:
        rec: dict[str, Any] = {FIELD_OF[c]: _scalar(values.at[i, c]) for c in given}
        if new[i]:
            rec = {
                key: value for key, value in rec.items() if value is not None or key == "due_date"
            }
            rec = {**_defaults(), **rec, **_made_with(rows, factory, i)}
            rec.update(item_id=None, version=None)
        else:
            rec.update(item_id=int(rows.at[i, ID]), version=int(rows.at[i, VERSION]))
        edits.append(rec)
        numbers.append(int(rows.at[i, ROW]))
    edits, numbers = _without_repeats(store, found, rows, edits, numbers)
    found.raise_if_any()
    if proposer:
        made, repeated = store.propose_plan_edits(
            edits, actor, factory_id=str(factory_id), file=table.name, rows=numbers
        )
        again = f" ({repeated} proposed before, left out)" if repeated else ""
        return f"{table.name}: {len(rows)} rows read, {made} changes proposed for review{again}"
    added, changed = store.save_plan_edits(
        edits, actor, overwrite=overwrite, file=table.name, rows=numbers
    )
    return f"{table.name}: {len(rows)} rows read, {added} added, {changed} updated"


def _known_rows(store: Store, found: Problems, rows: pd.DataFrame) -> pd.DataFrame:
    """The stored items the rows name, checked: an ID once, of an item, at a version it had."""
    ident, bad = _whole_numbers(found, rows, ID)
    version, bad_version = _whole_numbers(found, rows, VERSION)
    has = rows[ID] != ""
    reason = "is empty; a row with an Item.ID needs the version it was exported at"
    found.where(rows, has & (rows[VERSION] == ""), VERSION, reason)
    reason = "is given but Item.ID is empty: a new item's row leaves both empty"
    found.where(rows, ~has & (rows[VERSION] != ""), VERSION, reason)
    good = has & ~bad
    ids = ident[good].astype("int64")
    first = rows.loc[good].assign(_id=ids).drop_duplicates("_id").set_index("_id")[ROW]
    repeat = good & ids.reindex(rows.index).duplicated()
    found.add(
        Problem(
            found.file,
            int(rows.at[i, ROW]),
            ID,
            rows.at[i, ID],
            f"is the item of row {int(first[int(ident[i])])} too: give each item one row",
        )
        for i in rows.index[repeat]
    )
    stored = store.plan_items_frame(item_ids=sorted(set(ids)))
    stored = stored.set_index("item_id")
    missing = good & ~ident.isin(list(stored.index))
    found.where(rows, missing, ID, "is not an item in the store: was the file made from another?")
    later = good & ~missing & ~bad_version & (rows[VERSION] != "")
    newer = pd.Series(False, index=rows.index)
    for i in rows.index[later]:
        newer[i] = version[i] > stored.at[int(ident[i]), "version"]
    reason = "is later than the item's version in the store: was the file made from another?"
    found.where(rows, newer, VERSION, reason)
    return stored


def _factories(
    store: Store,
    found: Problems,
    rows: pd.DataFrame,
    stored: pd.DataFrame,
    default: str | None,
) -> pd.Series:
    """Each row's factory: its item's, else the one its Factory.ID names, else the workbook's."""
    ids = pd.to_numeric(rows[ID], errors="coerce")
    own = ids.map(stored["factory_id"]) if len(stored) else pd.Series(None, index=rows.index)
    own = own.astype(object)
    if default is not None:
        other = own.notna() & (own != default)
        reason = f"is an item of another factory than {default}, the factory of this plan"
        found.where(rows, other, ID, reason)
        named = (rows[ID] == "") & (rows[FACTORY] != "") & (rows[FACTORY] != default)
        found.where(rows, named, FACTORY, f"is not {default}, the factory of this plan")
    if default is None:
        sheet = sorted(set(own.dropna()))
        default = sheet[0] if len(sheet) == 1 else None
    new = rows[ID] == ""
    named = rows[FACTORY]
    if default is None:
        reason = "is empty; a new item needs its factory"
        found.where(rows, new & (named == ""), FACTORY, reason)
    factory = named.where(named != "", default or "").where(new, own.fillna(""))
    known = store.known_factories(factory[new & (factory != "")])
    reason = "is not a factory in the store (import the assessment export first)"
    found.where(rows, new & (factory != "") & ~factory.isin(list(known)), FACTORY, reason)
    return factory


def _values(found: Problems, rows: pd.DataFrame, new: pd.Series, given: list[str]) -> pd.DataFrame:
    """The edited columns as the store holds their fields; each bad value a problem."""
    out = rows[list(EDITED)].copy()
    listed = "(choose it from the cell's list)"
    status = rows["Status"].map(_status)
    reason = f"is not Pending, In Progress or Completed {listed}"
    found.where(rows, status.isna() & (rows["Status"] != ""), "Status", reason)
    priority = rows["Priority"].map(_priority)
    reason = f"is not High, Medium or Low {listed}"
    found.where(rows, priority.isna() & (rows["Priority"] != ""), "Priority", reason)
    for column in ("Status", "Priority"):
        if column in given:
            reason = f"is empty; the row of a stored item needs it {listed}"
            found.where(rows, ~new & (rows[column] == ""), column, reason)
    agreed = rows["PICC.Agreed"].str.casefold().map(_YES_NO)
    found.where(rows, agreed.isna(), "PICC.Agreed", f"is not yes or no {listed}")
    due, _ = _dates(found, rows, "Due.Date")
    out["Status"], out["Priority"], out["PICC.Agreed"] = status, priority, agreed
    out["Due.Date"] = due
    return out


def _defaults() -> dict[str, Any]:
    return {"status": "Pending", "priority": Priority.MEDIUM.value, "picc_agreed": False}


def _made_with(rows: pd.DataFrame, factory: pd.Series, i: Any) -> dict[str, Any]:
    """What names a new item: its factory, and its finding when the row gives one."""
    quest = rows.at[i, QUEST]
    return {
        "factory_id": factory[i],
        "quest_id": int(quest) if quest else None,
        "question_id": rows.at[i, QUESTION_ID] or None,
        "source": (ItemSource.FINDING if quest else ItemSource.SELF_DIAGNOSIS).value,
    }


def _key(rec: dict[str, Any]) -> tuple[Any, ...]:
    """What tells one item from another where no ID does (as plan files find them)."""
    if rec.get("quest_id") is not None:
        return (rec["factory_id"], rec["quest_id"], rec["question_id"])
    return (rec["factory_id"], rec.get("compliance_point", ""), rec.get("issue", ""))


def _scalar(value: Any) -> Any:
    """A value of a frame's cell, None where pandas holds a missing value."""
    return None if not isinstance(value, str | bool) and pd.isna(value) else value


def _without_repeats(
    store: Store,
    found: Problems,
    rows: pd.DataFrame,
    edits: list[dict[str, Any]],
    numbers: list[int],
) -> tuple[list[dict[str, Any]], list[int]]:
    """The edits without new rows that are stored items already (a file brought back twice);
    a new row that repeats another, or an item with other values, is a problem."""
    factories = sorted({e["factory_id"] for e in edits if e["item_id"] is None})
    if not factories:
        return edits, numbers
    items = store.plan_items_frame(factory_ids=factories)
    stored = {
        _key({**rec, "quest_id": None if pd.isna(rec["quest_id"]) else int(rec["quest_id"])}): rec
        for rec in items.to_dict("records")
    }
    seen: dict[tuple[Any, ...], int] = {}
    kept, kept_rows = [], []
    for rec, row in zip(edits, numbers, strict=True):
        if rec["item_id"] is not None:
            kept.append(rec)
            kept_rows.append(row)
            continue
        key = _key(rec)
        column = QUESTION_ID if rec.get("quest_id") is not None else "Issue"
        value = shortened(str(rec.get(FIELD_OF.get(column, "question_id"), "")))
        if key in seen:
            reason = f"repeats the new item of row {seen[key]}: give each item one row"
            found.add([Problem(found.file, row, column, value, reason)])
            continue
        seen[key] = row
        twin = stored.get(key)
        if twin is None:
            kept.append(rec)
            kept_rows.append(row)
            continue
        differ = [
            k
            for k in rec
            if k in WORKBOOK_COLUMN_OF and not same_value(k, rec[k], _scalar(twin[k]))
        ]
        if differ:
            column_name = WORKBOOK_COLUMN_OF[differ[0]]
            reason = (
                f"is item {twin['item_id']} already, whose {column_name} differs: export the "
                "plan again and change the item's own row"
            )
            found.add([Problem(found.file, row, column, value, reason)])
    return kept, kept_rows
