"""Remediation rules on frames: the plan table, checks of updates, audit sentences."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd

from bwcases.apps.common import (
    ARROWS,
    BAD_DATE,
    as_date,
    cut,
    fmt_date,
    iso,
    label_of,
    move_problem,
)
from bwcases.apps.forms import ITEM_LABELS, shown
from bwcases.core.domain import Status, is_overdue


def plan_table(
    items: pd.DataFrame, updates: pd.DataFrame, persistent: pd.Series, as_of: dt.date
) -> pd.DataFrame:
    """The plan with each item's overdue and persistent flags and its last progress update."""
    rows = items.copy()
    rows["overdue"] = [
        is_overdue(s, as_date(d), as_of)
        for s, d in zip(rows["status"], rows["due_date"], strict=True)
    ]
    rows["persistent"] = persistent.reindex(rows.index, fill_value=False).astype(bool)
    last = updates.sort_values(["date", "id"]).groupby("item_id").last() if len(updates) else None
    rows["last_update"] = rows["item_id"].map(last["date"]) if last is not None else None
    rows["last_author"] = rows["item_id"].map(last["author"]) if last is not None else None
    return rows


def validate_progress(
    values: dict[str, Any],
    *,
    old_status: Status,
    opened_on: dt.date | None,
    today: dt.date,
    evidence: int,
    _: Any,
) -> dict[str, str]:
    """What is wrong with a progress update, by field, in the person's language."""
    # evidence: the item's files, stored and sent with this update
    problems: dict[str, str] = {}
    date = values.get("date")
    if date is None:
        problems["date"] = _("Fill in this field.")
    elif isinstance(date, str):
        problems["date"] = _(BAD_DATE)
    elif date > today:
        problems["date"] = _("The date cannot be in the future.")
    elif opened_on is not None and date < opened_on:
        problems["date"] = _("The date cannot be before the item was opened ({date}).").format(
            date=fmt_date(opened_on)
        )
    note = str(values.get("note") or "").strip()
    new = Status(values.get("status") or old_status.value)
    moved = move_problem(old_status, new, note, "note", _)
    problems.update(moved)
    if not moved and not note:
        problems["note"] = _("Fill in this field.")
    without = str(values.get("without_evidence") or "").strip()
    completing = new is Status.COMPLETED and old_status is not Status.COMPLETED
    if completing and not evidence and not without:
        problems["files"] = _(
            "A completed item needs at least one evidence file: a photo, a document or a "
            "record that shows the fix."
        )
    return problems


def changes_text(
    action: str, before: str | None, after: str | None, _: Any, rtl: bool = False
) -> str:
    """One audit entry of an item as a sentence (values shortened; in a right-to-left page each
    value set apart and the arrow pointing left, as status_move's)."""
    if action in ("insert", "import"):
        return _("Created")
    old, new = json.loads(before or "{}"), json.loads(after or "{}")
    parts = []
    for key, value in new.items():
        if key in ("version", "updated_by", "updated_at"):
            continue
        label = label_of(ITEM_LABELS, key, _) if key in ITEM_LABELS else key
        was, now = (iso(cut(shown(key, v, _)), rtl) for v in (old.get(key), value))
        parts.append(f"{label}: {was}{ARROWS[rtl]}{now}")
    return "; ".join(parts) or _("Saved without changes")
