"""Improvement Plan items: the one write path through the rules, plan imports, and reads."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, cast

import pandas as pd
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from bwcases.core.domain import (
    ItemSource,
    Status,
    Verification,
    allowed_move,
    completion_problem,
    merge_fields,
)
from bwcases.core.errors import ImportConflict, ImportConflictError, UsageError, ValidationError
from bwcases.core.formats import IMPROVEMENT_PLAN_COLUMNS
from bwcases.store import models as m
from bwcases.store.drafts import clear_draft
from bwcases.store.evidence import Upload, evidence_count, keep_file
from bwcases.store.gateway import Gateway, assign, jsonable
from bwcases.store.portfolio import EDITORS, STAFF_ROLE, check_writer

ITEM_FIELDS = [
    "factory_id",
    "quest_id",
    "question_id",
    "source",
    "compliance_point",
    "issue",
    "root_cause",
    "action",
    "responsible",
    "due_date",
    "priority",
    "status",
    "picc_agreed",
    "notes",
    "opened_on",
    "completed_on",
    "verification",
    "verified_by",
]
# plan_items_frame's columns
ITEM_COLUMNS = [
    "item_id",
    *ITEM_FIELDS,
    "version",
    "updated_by",
    "updated_at",
    "country",
    "factory_name",
]
# What a save may change; the status only by an allowed move. The completion date and the
# verification follow from progress updates and verifications, never from a save.
EDITABLE = frozenset(
    {
        "compliance_point",
        "issue",
        "root_cause",
        "action",
        "responsible",
        "due_date",
        "priority",
        "status",
        "picc_agreed",
        "notes",
    }
)
# What names a new item and the day its plan was made: given once, when it is made.
MADE_WITH = frozenset({"factory_id", "source", "quest_id", "question_id", "opened_on"})
UPDATE_COLUMNS = [
    "id",
    "item_id",
    "factory_id",
    "date",
    "author",
    "note",
    "old_status",
    "new_status",
    "evidence_ref",
    "without_evidence",
]
# An item's field as a plan file names it, to speak of a field in the file's words.
PLAN_COLUMN_OF = {field: column for column, field in IMPROVEMENT_PLAN_COLUMNS.items()}
COMPLETE_BY_UPDATE = (
    "an item is completed by a progress update: record the completion there, with a note and "
    "an evidence file"
)
STAFF_ONLY = "only programme staff may accept a completion without evidence"
VERIFY_WITHOUT_EVIDENCE = "the item has no evidence file: say why it is verified without"


class PlanStore(Gateway):
    """Improvement Plan items and their progress: every change of an item goes through here."""

    # -- reads ---------------------------------------------------------------------------

    def plan_items_frame(
        self,
        *,
        factory_ids: Sequence[str] | None = None,
        country: str | None = None,
        item_ids: Sequence[int] | None = None,
    ) -> pd.DataFrame:
        """Improvement Plan items with their factory's country."""
        i, f = m.PlanItem, m.Factory
        stmt = (
            select(
                i.id.label("item_id"),
                *(getattr(i, c) for c in ITEM_FIELDS),
                i.version,
                i.updated_by,
                i.updated_at,
                f.country,
                f.factory_name,
            )
            .join(f, f.factory_id == i.factory_id)
            .order_by(i.factory_id, i.id)
        )
        if factory_ids is not None:
            stmt = stmt.where(i.factory_id.in_(list(factory_ids)))
        if country:
            stmt = stmt.where(f.country == country)
        if item_ids is not None:
            stmt = stmt.where(i.id.in_(list(item_ids)))
        df = self.frame(stmt)
        if df.empty:  # the columns of a full read, so that frames of items stack and compare
            return pd.DataFrame(columns=ITEM_COLUMNS)
        # that column alone: a frame's astype copies each of its columns (1.3 ms of 1.6 here)
        df["quest_id"] = df["quest_id"].astype("Int64")  # self-diagnosis items have none
        return df

    def plan_item(self, item_id: int) -> dict[str, Any]:
        """One plan item's fields with its version."""
        with self.reading() as s:
            obj = self.get(s, m.PlanItem, item_id)
            return {
                "item_id": obj.id,
                "version": obj.version,
                "updated_by": obj.updated_by,
                **{c: getattr(obj, c) for c in ITEM_FIELDS},
            }

    def progress_updates_frame(self, *, factory_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Progress updates with their item's factory."""
        u, i = m.ProgressUpdate, m.PlanItem
        stmt = (
            select(
                u.id,
                u.item_id,
                i.factory_id,
                u.date,
                u.author,
                u.note,
                u.old_status,
                u.new_status,
                u.evidence_ref,
                u.without_evidence,
            )
            .join(i, i.id == u.item_id)
            .order_by(u.item_id, u.date, u.id)
        )
        if factory_ids is not None:
            stmt = stmt.where(i.factory_id.in_(list(factory_ids)))
        df = self.frame(stmt)
        return df if len(df) else pd.DataFrame(columns=UPDATE_COLUMNS)

    # -- a person's changes --------------------------------------------------------------

    def save_plan_item(
        self,
        item_id: int | None,
        values: dict[str, Any],
        *,
        expected_version: int | None,
        actor: str,
        reason: str = "",
        on: dt.date | None = None,
        draft: tuple[str, str] | None = None,
    ) -> tuple[int, int]:
        """Create (`item_id` None) or change a plan item in one transaction; (item id, version)."""
        # A status change is kept as a progress update too, so the item's history reads right.
        _check_save(item_id, values, expected_version)
        with self.writing(actor) as s:
            clear_draft(s, actor, draft)  # gone with the save, kept (rolled back) if it fails
            if item_id is None:
                _check_plan_writer(s, actor, str(values.get("factory_id", "")))
            else:
                _check_plan_writer(s, actor, self.get(s, m.PlanItem, item_id).factory_id)
            return self._save_item(s, item_id, values, expected_version, actor, reason, on)

    def _save_item(
        self,
        s: Session,
        item_id: int | None,
        values: dict[str, Any],
        expected_version: int | None,
        actor: str,
        reason: str = "",
        on: dt.date | None = None,
    ) -> tuple[int, int]:
        """save_plan_item in the transaction of `s` (an accepted proposal's too)."""
        _check_save(item_id, values, expected_version)
        on = on or dt.date.today()
        if item_id is None:
            fields = {"opened_on": on, **values, "status": Status.PENDING.value}
            obj = m.PlanItem(**fields, updated_by=actor, updated_at=s.info["now"])
            s.add(obj)  # written with the status it is saved with: one version per save
        else:
            obj = self.get(s, m.PlanItem, item_id)
            self.check_version(obj, expected_version, values)
            assign(obj, {key: value for key, value in values.items() if key != "status"})
        old = Status(obj.status)
        status = Status(values.get("status", old))
        if status != old:
            if status is Status.COMPLETED and allowed_move(old, status) is None:
                raise ValidationError({"status": COMPLETE_BY_UPDATE})
            self._record(s, obj, status, reason, on, actor)
        if s.is_modified(obj) or item_id is None:
            obj.updated_by, obj.updated_at = actor, s.info["now"]
        s.flush()
        return obj.id, obj.version

    def add_progress(
        self,
        item_id: int,
        *,
        date: dt.date,
        note: str,
        new_status: Status,
        expected_version: int,
        actor: str,
        files: Sequence[Upload] = (),
        without_evidence: str = "",
        draft: tuple[str, str] | None = None,
    ) -> int:
        """Record a progress update with its evidence files in one transaction; the new version."""
        with self.writing(actor) as s:
            clear_draft(s, actor, draft)  # gone with the save, kept (rolled back) if it fails
            obj = self.get(s, m.PlanItem, item_id)
            _check_plan_writer(s, actor, obj.factory_id)
            self.check_version(obj, expected_version, {"status": new_status.value, "note": note})
            self._record(
                s,
                obj,
                new_status,
                note,
                date,
                actor,
                files=files,
                without_evidence=without_evidence,
            )
            s.flush()
            return obj.version

    def verify_item(
        self,
        item_id: int,
        *,
        verified: bool,
        note: str,
        expected_version: int,
        actor: str,
        on: dt.date | None = None,
    ) -> int:
        """Programme staff verify a completed public-disclosure item, or send it back."""
        on = on or dt.date.today()
        with self.writing(actor) as s:
            obj = self.get(s, m.PlanItem, item_id)
            refusal = "cannot verify a fix: programme staff of the factory's country do"
            check_writer(s, actor, obj.factory_id, (STAFF_ROLE,), refusal)
            self.check_version(obj, expected_version, {"verification": verified, "note": note})
            if obj.verification != Verification.AWAITING.value:
                raise ValidationError({"verification": "the item is not awaiting verification"})
            if verified:
                if not note.strip() and not evidence_count(s, obj.id):
                    raise ValidationError({"note": VERIFY_WITHOUT_EVIDENCE})
                obj.verification, obj.verified_by = Verification.VERIFIED.value, actor
                self._record(s, obj, Status(obj.status), note, on, actor)
            else:
                self._record(s, obj, Status.IN_PROGRESS, note, on, actor)
                obj.verification, obj.verified_by = Verification.REJECTED.value, actor
            obj.updated_by, obj.updated_at = actor, s.info["now"]
            s.flush()
            return obj.version

    def _record(
        self,
        s: Session,
        obj: m.PlanItem,
        new: Status,
        note: str,
        on: dt.date,
        actor: str,
        *,
        files: Sequence[Upload] = (),
        without_evidence: str = "",
    ) -> m.ProgressUpdate:
        """A person's progress update of an item with its evidence files, moving its status to
        `new` when that differs: an allowed move, and a completion with a note and evidence (or
        staff's reason)."""
        old = Status(obj.status)
        problem = allowed_move(old, new, note)
        if problem:
            raise ValidationError({"status": problem})
        uploads = list({f.sha256: f for f in files}.values())
        without = without_evidence.strip()
        completing = new is Status.COMPLETED and old is not Status.COMPLETED
        if completing:
            if without and not self._is_staff(s, actor):
                raise ValidationError({"without_evidence": STAFF_ONLY})
            evidence = len(uploads) + evidence_count(s, obj.id)
            problem = completion_problem(note, evidence, without)
            if problem:
                raise ValidationError({"note" if not note.strip() else "files": problem})
        row = self._move(s, obj, new, on, actor, note, without if completing and without else None)
        if uploads:
            s.flush()  # the update's id, for its files
            for upload in uploads:
                keep_file(s, upload, actor)
                s.add(
                    m.UpdateEvidence(
                        update_id=row.id, sha256=upload.sha256, filename=upload.filename[:255]
                    )
                )
        return row

    # -- the rules every change of status follows ----------------------------------------

    def _move(
        self,
        s: Session,
        obj: m.PlanItem,
        new: Status,
        on: dt.date,
        actor: str,
        note: str,
        without_evidence: str | None = None,
    ) -> m.ProgressUpdate:
        """Give an item status `new` (when that differs), completed on `on`, and keep a progress
        update of it: a change of the item by `actor`."""
        old = obj.status
        self._set_status(s, obj, new, on)
        obj.updated_by, obj.updated_at = actor, s.info["now"]
        if obj.id is None:
            s.flush()  # a new item's id, for its first update
        row = m.ProgressUpdate(
            item_id=obj.id,
            date=on,
            author=actor,
            note=note,
            old_status=old,
            new_status=new.value,
            without_evidence=without_evidence,
        )
        s.add(row)
        return row

    def _set_status(
        self, s: Session, obj: m.PlanItem, new: Status, completed_on: dt.date | None
    ) -> None:
        """Give an item status `new` and what follows from it: its completion date (None:
        unknown), and a completed public-disclosure finding's verification to await."""
        old = Status(obj.status)
        if new is old:
            return
        obj.status = new.value
        obj.completed_on = completed_on if new is Status.COMPLETED else None
        if new is Status.COMPLETED and self._is_public(s, obj):
            obj.verification, obj.verified_by = Verification.AWAITING.value, None
        elif old is Status.COMPLETED:
            obj.verification, obj.verified_by = None, None

    def _is_staff(self, s: Session, name: str) -> bool:
        user = s.get(m.User, name)
        return user is not None and user.active and user.role == STAFF_ROLE

    def _is_public(self, s: Session, obj: m.PlanItem) -> bool:
        if obj.source != ItemSource.FINDING.value or not obj.question_id:
            return False
        q = m.Question
        stmt = select(q.id).where(q.question_id == obj.question_id, q.public_disclosure.is_(True))
        with s.no_autoflush:  # the item's change is written once, after the question is known
            return s.execute(stmt.limit(1)).first() is not None

    # -- plan files ----------------------------------------------------------------------

    def save_plan_items(
        self,
        records: list[dict[str, Any]],
        actor: str,
        *,
        overwrite: bool = False,
        file: str = "the plan file",
        rows: Sequence[int] | None = None,
    ) -> tuple[int, int]:
        """Create or update plan items from a plan file in one transaction; (added, changed)."""
        # An item imported before is merged field by field with what the file said then: the
        # file's changes are written, the app's kept; a field both changed is a conflict, and
        # any conflict writes nothing unless `overwrite` lets the file win. `rows`: each
        # record's row in `file`, to name it in a conflict. The file reports what happened
        # elsewhere, so its status moves are not checked as a person's are; they follow the
        # same rules otherwise (_set_status), and a stored item's is kept as a progress update.
        added = changed = 0
        today = dt.date.today()
        conflicts: list[ImportConflict] = []
        stamps: list[dict[str, Any]] = []
        with self.writing(actor) as s:
            self.one_writer(s, "plan items")
            for n, rec in enumerate(records):
                given = {key: jsonable(value) for key, value in rec.items()}
                obj = self._find_item(s, rec)
                if obj is None:
                    # An item from a finding is opened with the plan built on that assessment.
                    quest = s.get(m.Assessment, rec["quest_id"]) if rec.get("quest_id") else None
                    values = {"opened_on": quest.start_date if quest else today, **rec}
                    status = Status(values.pop("status", None) or Status.PENDING)
                    obj = m.PlanItem(
                        **values,
                        status=Status.PENDING.value,
                        imported=_stamp(given),
                        updated_by=actor,
                        updated_at=s.info["now"],
                    )
                    s.add(obj)
                    # a file gives no completion date: unknown rather than today, so
                    # days-to-complete figures leave the item out
                    self._set_status(s, obj, status, None)
                    added += 1
                    continue
                # never imported (made in the app, or before 0005): the file's values, as ever
                base = json.loads(obj.imported) if obj.imported else {}
                values = dict(rec)
                if base:
                    # a field no file gave before has no base: the file's value is written
                    merge = merge_fields(
                        base,
                        {key: value for key, value in rec.items() if key in base},
                        {key: getattr(obj, key) for key in rec},
                    )
                    values.update(merge.values)
                    row = rows[n] if rows is not None else None
                    for key in merge.conflicts:
                        conflicts.append(
                            ImportConflict(
                                file,
                                row,
                                _item_name(rec),
                                PLAN_COLUMN_OF.get(key, key),
                                rec[key],
                                getattr(obj, key),
                                obj.updated_by,
                            )
                        )
                        values[key] = rec[key]  # kept only when `overwrite` lets the file win
                if self._apply(s, obj, values, today, actor, file):
                    changed += 1
                # what the file says now, over what earlier files said of fields it leaves out
                stamp = _stamp({**base, **given})
                if stamp != obj.imported:
                    stamps.append({"item": obj.id, "stamp": stamp})
            if conflicts and not overwrite:
                raise ImportConflictError(conflicts)  # rolls back the whole import
            if stamps:
                # a bookkeeping column: neither a new version of the item nor an audited change
                table = cast(Table, m.PlanItem.__table__)
                s.flush()
                s.execute(
                    update(table)
                    .where(table.c.id == bindparam("item"))
                    .values(imported=bindparam("stamp")),
                    stamps,
                )
        return added, changed

    def _apply(
        self,
        s: Session,
        obj: m.PlanItem,
        values: dict[str, Any],
        today: dt.date,
        actor: str,
        file: str,
    ) -> bool:
        """Write a file's merged values into a stored item; whether it changed."""
        status = Status(values.pop("status", None) or obj.status)
        moved = status != obj.status
        if moved:  # seen by this import: completed today, as far as the store knows
            self._move(s, obj, status, today, actor, f"imported from {file}")
        if assign(obj, values) or moved:
            obj.updated_by, obj.updated_at = actor, s.info["now"]
            return True
        return False

    def _find_item(self, s: Any, rec: dict[str, Any]) -> m.PlanItem | None:
        i = m.PlanItem
        stmt = select(i).where(i.factory_id == rec["factory_id"])
        if rec.get("quest_id") is not None and rec.get("question_id"):
            stmt = stmt.where(i.quest_id == rec["quest_id"], i.question_id == rec["question_id"])
        else:
            stmt = stmt.where(
                i.quest_id.is_(None),
                i.compliance_point == rec["compliance_point"],
                i.issue == rec.get("issue", ""),
            )
        return s.execute(stmt.limit(1)).scalar_one_or_none()


def _check_plan_writer(s: Session, actor: str, factory_id: str) -> None:
    """Refuse a plan change to whom the apps refuse it (proposals are a factory's way in)."""
    refusal = "cannot change an Improvement Plan: the factory's advisor and programme staff do"
    check_writer(s, actor, factory_id, EDITORS, refusal)


def _check_save(item_id: int | None, values: dict[str, Any], expected_version: int | None) -> None:
    """Refuse a save that would set what the rules own, or change an item blind."""
    allowed = EDITABLE if item_id is not None else EDITABLE | MADE_WITH
    owned = sorted(set(values) - allowed)
    if owned:
        raise UsageError(
            f"a save of a plan item cannot set {', '.join(owned)}: a completion date and a "
            "verification follow from progress updates (add_progress, verify_item), and what "
            "names an item is given when it is made"
        )
    if item_id is not None and expected_version is None:
        raise UsageError(
            f"a change of plan item {item_id} must say which version it was made from "
            "(expected_version), so that it cannot overwrite someone else's"
        )


def _stamp(values: dict[str, Any]) -> str:
    """The JSON a plan item keeps of a file's values (plan_items.imported)."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def _item_name(rec: dict[str, Any]) -> str:
    """An item as a plan file names it: factory and finding, or compliance point and issue."""
    if rec.get("quest_id") is not None and rec.get("question_id"):
        key = [rec["factory_id"], rec["quest_id"], rec["question_id"]]
    else:
        key = [rec["factory_id"], rec["compliance_point"], rec.get("issue", "")]
    return " / ".join(str(part) for part in key)
