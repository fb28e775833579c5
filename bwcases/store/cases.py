"""Factories, partners, Improvement Plans, progress updates and visits: reads and writes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any, cast

import pandas as pd
from sqlalchemy import Table, bindparam, func, select, update

from bwcases.core.domain import Status, merge_fields
from bwcases.core.errors import ImportConflict, ImportConflictError, NotFoundError
from bwcases.core.formats import IMPROVEMENT_PLAN_COLUMNS
from bwcases.store import models as m
from bwcases.store.drafts import clear_draft
from bwcases.store.gateway import Gateway

FACTORY_COLUMNS = ["factory_id", "factory_name", "country", "workers", "advisor", "status"]
PARTNER_COLUMNS = ["partner_id", "partner_name", "partner_type", "factory_id", "consent"]
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
# An item's field as a plan file names it, to speak of a field in the file's words.
PLAN_COLUMN_OF = {field: column for column, field in IMPROVEMENT_PLAN_COLUMNS.items()}


class CaseStore(Gateway):
    """Reads and audited writes of the records advisors and partners work with."""

    # -- factories -----------------------------------------------------------------------

    def factories_frame(
        self,
        *,
        country: str | None = None,
        advisor: str | None = None,
        factory_ids: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """The factory register."""
        f = m.Factory
        stmt = select(*(getattr(f, c) for c in FACTORY_COLUMNS)).order_by(f.country, f.factory_id)
        if country:
            stmt = stmt.where(f.country == country)
        if advisor:
            stmt = stmt.where(f.advisor == advisor)
        if factory_ids is not None:
            stmt = stmt.where(f.factory_id.in_(list(factory_ids)))
        df = self.frame(stmt)
        return df if len(df) else pd.DataFrame(columns=FACTORY_COLUMNS)

    def known_factories(self, factory_ids: Iterable[str]) -> set[str]:
        """Which of these factory IDs the store holds."""
        wanted = sorted(set(factory_ids))
        found: set[str] = set()
        with self.reading() as s:
            for i in range(0, len(wanted), 500):
                part = wanted[i : i + 500]
                found.update(
                    s.execute(select(m.Factory.factory_id).where(m.Factory.factory_id.in_(part)))
                    .scalars()
                    .all()
                )
        return found

    def known_assessments(self, quest_ids: Iterable[int]) -> dict[int, tuple[str, dt.date]]:
        """Factory and start date of each of these assessments the store holds."""
        wanted = sorted(set(quest_ids))
        out: dict[int, tuple[str, dt.date]] = {}
        a = m.Assessment
        with self.reading() as s:
            for i in range(0, len(wanted), 500):
                stmt = select(a.quest_id, a.factory_id, a.start_date).where(
                    a.quest_id.in_(wanted[i : i + 500])
                )
                for qid, fid, start in s.execute(stmt):
                    out[qid] = (fid, start)
        return out

    def update_factories(self, records: Iterable[dict[str, Any]], actor: str) -> int:
        """Set register fields (workers, advisor, ...) of existing factories; returns how many."""
        count = 0
        with self.writing(actor) as s:
            for rec in records:
                obj = self.get(s, m.Factory, rec["factory_id"])
                for key, value in rec.items():
                    if key != "factory_id" and getattr(obj, key) != value:
                        setattr(obj, key, value)
                count += 1
        return count

    # -- partners ------------------------------------------------------------------------

    def partners_frame(self, partner_id: str | None = None) -> pd.DataFrame:
        """Partners with their factory links, one row per link."""
        p, link = m.Partner, m.PartnerLink
        stmt = (
            select(p.partner_id, p.partner_name, p.partner_type, link.factory_id, link.consent)
            .outerjoin(link, link.partner_id == p.partner_id)
            .order_by(p.partner_id, link.factory_id)
        )
        if partner_id:
            stmt = stmt.where(p.partner_id == partner_id)
        df = self.frame(stmt)
        return df if len(df) else pd.DataFrame(columns=PARTNER_COLUMNS)

    def partner(self, partner_id: str) -> dict[str, Any]:
        """One partner's fields, or NotFoundError."""
        with self.reading() as s:
            obj = self.get(s, m.Partner, partner_id)
            return {
                "partner_id": obj.partner_id,
                "partner_name": obj.partner_name,
                "partner_type": obj.partner_type,
            }

    def consented_factories(self, partner_id: str) -> list[str]:
        """The factories a partner is linked to with the factory's consent."""
        link = m.PartnerLink
        with self.reading() as s:
            self.get(s, m.Partner, partner_id)
            stmt = select(link.factory_id).where(
                link.partner_id == partner_id, link.consent.is_(True)
            )
            return sorted(s.execute(stmt).scalars())

    def save_partners(
        self, partners: list[dict[str, Any]], links: list[dict[str, Any]], actor: str
    ) -> tuple[int, int]:
        """Create or update partners and their links in one transaction; counts changed."""
        changed_partners = changed_links = 0
        with self.writing(actor) as s:
            for rec in partners:
                obj = s.get(m.Partner, rec["partner_id"])
                if obj is None:
                    s.add(m.Partner(**rec, updated_by=actor))
                    changed_partners += 1
                elif _assign(obj, rec, actor):
                    changed_partners += 1
            s.flush()
            for rec in links:
                key = (rec["partner_id"], rec["factory_id"])
                link = s.get(m.PartnerLink, key)
                if link is None:
                    s.add(m.PartnerLink(**rec, updated_by=actor))
                    changed_links += 1
                elif _assign(link, rec, actor):
                    changed_links += 1
        return changed_partners, changed_links

    # -- Improvement Plan items ----------------------------------------------------------

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
        if df.empty:
            return pd.DataFrame(columns=["item_id", *ITEM_FIELDS, "version", "country"])
        return df.astype({"quest_id": "Int64"})  # self-diagnosis items have none

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
        # record's row in `file`, to name it in a conflict.
        added = changed = 0
        today = dt.date.today()
        conflicts: list[ImportConflict] = []
        stamps: list[dict[str, Any]] = []
        with self.writing(actor) as s:
            self.one_writer(s, "plan items")
            for n, rec in enumerate(records):
                given = {key: _jsonable(value) for key, value in rec.items()}
                obj = self._find_item(s, rec)
                if obj is None:
                    # An item from a finding is opened with the plan built on that assessment.
                    quest = s.get(m.Assessment, rec["quest_id"]) if rec.get("quest_id") else None
                    values = {"opened_on": quest.start_date if quest else today, **rec}
                    # an item that comes Completed has no completion date in the file: it stays
                    # unknown rather than today, so days-to-complete figures leave it out
                    s.add(
                        m.PlanItem(
                            **values,
                            imported=_stamp(given),
                            updated_by=actor,
                            updated_at=s.info["now"],
                        )
                    )
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
                if _assign(obj, values, actor):
                    if obj.status == Status.COMPLETED and obj.completed_on is None:
                        obj.completed_on = today  # seen completed by this import
                    elif obj.status != Status.COMPLETED:
                        obj.completed_on = None
                    obj.updated_at = s.info["now"]
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

    def create_plan_item(self, values: dict[str, Any], actor: str) -> int:
        """Add one plan item; returns its id."""
        with self.writing(actor) as s:
            obj = m.PlanItem(**values, updated_by=actor, updated_at=s.info["now"])
            s.add(obj)
            s.flush()
            return obj.id

    def update_plan_item(
        self, item_id: int, changes: dict[str, Any], expected_version: int, actor: str
    ) -> int:
        """Change a plan item made from version `expected_version`; returns the new version."""
        with self.writing(actor) as s:
            obj = self.get(s, m.PlanItem, item_id)
            self.check_version(obj, expected_version, changes)
            _assign(obj, changes, actor)
            obj.updated_at = s.info["now"]
            s.flush()
            return obj.version

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
        cols = [
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
        return df if len(df) else pd.DataFrame(columns=cols)

    # -- fingerprints --------------------------------------------------------------------

    def factory_fingerprints(self, factory_ids: Sequence[str]) -> dict[str, str]:
        """For each factory, a digest that changes whenever any of its data changes."""
        ids = list(factory_ids)
        a, i, u, v, f = m.Assessment, m.PlanItem, m.ProgressUpdate, m.Visit, m.Factory
        parts: dict[str, list[Any]] = {fid: [] for fid in ids}
        queries = [
            select(f.factory_id, f.version, f.factory_name),
            select(a.factory_id, func.count(), func.max(a.quest_id)).group_by(a.factory_id),
            select(i.factory_id, func.count(), func.max(i.id), func.sum(i.version)).group_by(
                i.factory_id
            ),
            select(i.factory_id, func.count(), func.max(u.id))
            .join(i, i.id == u.item_id)
            .group_by(i.factory_id),
            select(v.factory_id, func.count(), func.max(v.id), func.sum(v.version)).group_by(
                v.factory_id
            ),
        ]
        with self.reading() as s:
            for n, stmt in enumerate(queries):
                for row in s.execute(stmt):
                    if row[0] in parts:
                        parts[row[0]].append((n, *map(str, row[1:])))
        return {fid: _digest(parts[fid]) for fid in ids}

    def partner_fingerprints(self, partner_ids: Sequence[str]) -> dict[str, str]:
        """For each partner, a digest of its links and of its consenting factories' data."""
        links = self.partners_frame()
        out = {}
        for pid in partner_ids:
            mine = links[links["partner_id"] == pid]
            consented = sorted(mine.loc[mine["consent"].astype(bool), "factory_id"].dropna())
            factories = self.factory_fingerprints(consented)
            out[pid] = _digest([mine.astype(str).values.tolist(), sorted(factories.items())])
        return out

    # -- visits --------------------------------------------------------------------------

    def add_visit(
        self, values: dict[str, Any], actor: str, *, draft: tuple[str, str] | None = None
    ) -> int:
        """Record an advisory visit or PICC meeting; returns its id."""
        with self.writing(actor) as s:
            clear_draft(s, actor, draft)  # gone with the save, kept (rolled back) if it fails
            if s.get(m.Factory, values["factory_id"]) is None:
                raise NotFoundError("factory", values["factory_id"])
            obj = m.Visit(**values, updated_by=actor, updated_at=s.info["now"])
            s.add(obj)
            s.flush()
            return obj.id

    def visits_frame(self, *, factory_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Advisory visits and PICC meetings, newest first."""
        v = m.Visit
        stmt = select(
            v.id, v.factory_id, v.date, v.kind, v.attendees, v.topics, v.follow_ups, v.updated_by
        ).order_by(v.factory_id, v.date.desc())
        if factory_ids is not None:
            stmt = stmt.where(v.factory_id.in_(list(factory_ids)))
        df = self.frame(stmt)
        cols = [
            "id",
            "factory_id",
            "date",
            "kind",
            "attendees",
            "topics",
            "follow_ups",
            "updated_by",
        ]
        return df if len(df) else pd.DataFrame(columns=cols)


def _assign(obj: Any, values: dict[str, Any], actor: str) -> bool:
    """Set changed attributes; whether anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    if changed:
        obj.updated_by = actor
    return changed


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


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


def _digest(parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:20]
