"""Plan items edited offline (a plan workbook): each row merged with what changed since it was
read, the whole file in one transaction."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bwcases.core.domain import (
    ProposalKind,
    ProposalState,
    Status,
    allowed_move,
    completion_problem,
    merge_fields,
)
from bwcases.core.errors import ImportConflict, ImportConflictError, InputError, Problem
from bwcases.store import models as m
from bwcases.store.evidence import evidence_count
from bwcases.store.plans import EDITABLE
from bwcases.store.proposals import PROPOSABLE, PROPOSABLE_NEW, ProposalStore, _checked_fields

# What a plan workbook's row may set of an item: what a person's save may change.
WORKBOOK_FIELDS = EDITABLE
# An item's field as the workbook's column names it, to speak of a field in the file's words.
WORKBOOK_COLUMN_OF = {
    "compliance_point": "Compliance.point",
    "issue": "Issue",
    "root_cause": "Root.cause",
    "action": "Action",
    "responsible": "Responsible",
    "due_date": "Due.Date",
    "priority": "Priority",
    "status": "Status",
    "picc_agreed": "PICC.Agreed",
    "notes": "Notes",
}


def same_value(_key: str, a: Any, b: Any) -> bool:
    """Whether two values of a field are the same once a spreadsheet has held them: texts
    without surrounding blanks or CR line ends, nothing and an empty text alike."""
    return _held(a) == _held(b)


def _held(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    return value


def _from_audit(key: str, value: Any) -> Any:
    """A field's value as the audit trail keeps it (dates as ISO text), as the item holds it."""
    if key == "due_date" and isinstance(value, str) and value:
        return dt.date.fromisoformat(value[:10])
    return value


class PlanEditStore(ProposalStore):
    """Changes of plan items made offline from a copy of a known version: written, or proposed
    when a factory's own person made them."""

    def plan_items_as_seen(self, seen: Mapping[int, int]) -> dict[int, dict[str, Any] | None]:
        """Each item's editable fields at the version a person saw (None: not known); every
        item must exist."""
        with self.reading() as s:
            return {
                item_id: self._as_seen(s, self.get(s, m.PlanItem, item_id), version)
                for item_id, version in seen.items()
            }

    def _as_seen(self, s: Session, obj: m.PlanItem, version: int) -> dict[str, Any] | None:
        """The item's editable fields at `version`, undoing the audited changes made since."""
        # Every flush that changes an item writes one version and one audit row of what it
        # changed; the rows after `version`, newest first, give back the values before them.
        values = {key: getattr(obj, key) for key in WORKBOOK_FIELDS}
        later = obj.version - version
        if later < 0 or version < 1:
            return None
        if later == 0:
            return values
        a = m.AuditEntry
        stmt = (
            select(a.before)
            .where(
                a.table_name == m.PlanItem.__tablename__,
                a.record_id == str(obj.id),
                a.action == "update",
            )
            .order_by(a.id.desc())
            .limit(later)
        )
        undone = list(s.execute(stmt).scalars())
        if len(undone) < later:  # changed without a trail (none is kept of bulk loads)
            return None
        for before in undone:
            for key, value in json.loads(before or "{}").items():
                if key in values:
                    values[key] = _from_audit(key, value)
        return values

    def save_plan_edits(
        self,
        edits: Sequence[dict[str, Any]],
        actor: str,
        *,
        overwrite: bool = False,
        file: str = "the plan workbook",
        rows: Sequence[int] | None = None,
    ) -> tuple[int, int]:
        """Create items (no `item_id`) and change items as seen at their `version`, in one
        transaction; (added, changed)."""
        # A stored item is merged field by field with what was changed since the version the
        # person saw: her changes are written, the others' kept; a field both changed is a
        # conflict, and any conflict writes nothing unless `overwrite` lets hers win. Status
        # moves follow the rules of a plan file's (save_plan_items).
        added = changed = 0
        today = dt.date.today()
        conflicts: list[ImportConflict] = []
        with self.writing(actor) as s:
            self.one_writer(s, "plan items")
            for n, edit in enumerate(edits):
                row = rows[n] if rows is not None else None
                rec = {
                    key: value for key, value in edit.items() if key not in ("item_id", "version")
                }
                if edit.get("item_id") is None:
                    self._add_edited(s, rec, today, actor)
                    added += 1
                    continue
                obj = self.get(s, m.PlanItem, int(edit["item_id"]))
                values, clashes = self._merged(s, obj, int(edit["version"]), rec)
                conflicts += _conflicts(file, row, obj, rec, clashes)
                if clashes and overwrite:
                    values.update({key: rec[key] for key in clashes})
                if self._apply(s, obj, values, today, actor, file):
                    changed += 1
            if conflicts and not overwrite:
                raise ImportConflictError(conflicts)  # rolls back the whole file
        return added, changed

    def _merged(
        self, s: Session, obj: m.PlanItem, version: int, rec: dict[str, Any]
    ) -> tuple[dict[str, Any], list[str]]:
        """Her values merged with the item's changes since `version`; the fields both changed."""
        theirs = {key: getattr(obj, key) for key in rec}
        base = self._as_seen(s, obj, version)
        if base is None:  # what she saw is not known: every difference is hers and theirs
            differ = [key for key in rec if not same_value(key, rec[key], theirs[key])]
            return theirs, differ
        merge = merge_fields(base, rec, theirs, same_value)
        # a value she left as she saw it (up to blanks) stays as stored, blanks and all
        values = {
            key: theirs[key] if same_value(key, value, theirs[key]) else value
            for key, value in merge.values.items()
        }
        return values, list(merge.conflicts)

    def _add_edited(self, s: Session, rec: dict[str, Any], today: dt.date, actor: str) -> None:
        """A new item from a row of the workbook."""
        quest = s.get(m.Assessment, rec["quest_id"]) if rec.get("quest_id") else None
        values = {"opened_on": quest.start_date if quest else today, **rec}
        status = Status(values.pop("status", None) or Status.PENDING)
        obj = m.PlanItem(
            **values, status=Status.PENDING.value, updated_by=actor, updated_at=s.info["now"]
        )
        s.add(obj)
        # the file gives no completion date: unknown, as for a plan file's new item
        self._set_status(s, obj, status, None)

    def propose_plan_edits(
        self,
        edits: Sequence[dict[str, Any]],
        proposer: str,
        *,
        factory_id: str,
        file: str = "the plan workbook",
        rows: Sequence[int] | None = None,
    ) -> tuple[int, int]:
        """A factory's person's changes and new items as her proposals, in one transaction;
        (proposals made, rows already proposed alike and left out)."""
        # Each row is merged as save_plan_edits merges it, against the item as it is now: what
        # she changed, and nobody else since she saw it, is proposed against the current
        # version; a field both changed is a conflict. A status move is a progress proposal,
        # checked as hers would be in the tracker. The same file brought back twice proposes
        # nothing new: a proposal she has pending with the same values is not made again.
        made = repeated = 0
        today = dt.date.today()
        conflicts: list[ImportConflict] = []
        problems: list[Problem] = []
        with self.writing(proposer) as s:
            self._check_proposer(s, proposer, factory_id)
            pending = self._pending_of(s, proposer, factory_id)
            for n, edit in enumerate(edits):
                row = rows[n] if rows is not None else None
                rec = {
                    key: value for key, value in edit.items() if key not in ("item_id", "version")
                }
                asked: list[tuple[int | None, ProposalKind, dict[str, Any], int | None]] = []
                if edit.get("item_id") is None:
                    status = rec.pop("status", None) or Status.PENDING.value
                    if status != Status.PENDING.value:
                        reason = (
                            "a new item is proposed Pending; propose its progress once accepted"
                        )
                        problems.append(Problem(file, row, "Status", status, reason))
                        continue
                    fields = {k: v for k, v in rec.items() if k in PROPOSABLE_NEW}
                    asked.append(
                        (
                            None,
                            ProposalKind.ITEM,
                            {"fields": _checked_fields(fields, PROPOSABLE_NEW)},
                            None,
                        )
                    )
                else:
                    obj = self._item_of(s, int(edit["item_id"]), factory_id)
                    values, clashes = self._merged(s, obj, int(edit["version"]), rec)
                    conflicts += _conflicts(file, row, obj, rec, clashes)
                    changed = {
                        key: value
                        for key, value in values.items()
                        if key in PROPOSABLE and value != getattr(obj, key)
                    }
                    if changed:
                        fields = _checked_fields(changed, PROPOSABLE)
                        seen = {key: getattr(obj, key) for key in fields}
                        stored = {"fields": fields, "seen": seen}
                        asked.append((obj.id, ProposalKind.ITEM, stored, obj.version))
                    status = values.get("status") or obj.status
                    if status != obj.status:
                        progress, problem = self._progress(s, obj, Status(status), file, today)
                        if problem:
                            problems.append(Problem(file, row, "Status", status, problem))
                        else:
                            asked.append((obj.id, ProposalKind.PROGRESS, progress, obj.version))
                for item_id, kind, stored, base in asked:
                    key = (item_id, kind.value, _json(stored))
                    if key in pending:
                        repeated += 1
                        continue
                    pending.add(key)
                    self._add_proposal(s, proposer, factory_id, item_id, kind, stored, base)
                    made += 1
            if conflicts:
                raise ImportConflictError(conflicts)  # rolls back the whole file
            if problems:
                raise InputError(problems)
        return made, repeated

    def _progress(
        self, s: Session, obj: m.PlanItem, status: Status, file: str, today: dt.date
    ) -> tuple[dict[str, Any], str | None]:
        """A status the file moves as a progress proposal, or why it may not be one."""
        old = Status(obj.status)
        note = f"from {file}"
        problem = allowed_move(old, status, note)
        if problem is None and status is Status.COMPLETED:
            problem = completion_problem(note, evidence_count(s, obj.id))
            if problem:
                problem += ": propose the completion in the tracker, with its file"
        stored = {"status": status.value, "note": note, "date": today, "seen_status": old.value}
        return stored, problem

    def _pending_of(self, s: Session, proposer: str, factory_id: str) -> set[tuple[Any, ...]]:
        """Her pending proposals for the factory, as (item, kind, values) to compare."""
        p = m.Proposal
        stmt = select(p.item_id, p.kind, p.values).where(
            p.proposed_by == proposer,
            p.factory_id == factory_id,
            p.state == ProposalState.PENDING.value,
        )
        return {
            (item_id, kind, _json(json.loads(values))) for item_id, kind, values in s.execute(stmt)
        }


def _json(values: dict[str, Any]) -> str:
    """A proposal's values as one text, to tell two proposals alike (dates as ISO text)."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


def _conflicts(
    file: str, row: int | None, obj: m.PlanItem, rec: dict[str, Any], clashes: list[str]
) -> list[ImportConflict]:
    return [
        ImportConflict(
            file,
            row,
            f"{obj.id} ({obj.factory_id} / {obj.compliance_point})",
            WORKBOOK_COLUMN_OF.get(key, key),
            rec[key],
            getattr(obj, key),
            obj.updated_by,
        )
        for key in clashes
    ]
