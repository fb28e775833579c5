"""Factories, partners and visits: reads and writes; fingerprints of a factory's data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bwcases.core.errors import NotAllowedError, NotFoundError, UsageError
from bwcases.store import models as m
from bwcases.store.drafts import clear_draft
from bwcases.store.evidence import Upload, keep_file
from bwcases.store.gateway import assign, rows_in
from bwcases.store.portfolio import EDITORS, check_writer
from bwcases.store.register import RegisterStore

FACTORY_COLUMNS = ["factory_id", "factory_name", "country", "workers", "advisor", "status"]
# What a visit's author may correct; its minutes are a file (update_visit's `minutes`).
VISIT_FIELDS = ("date", "kind", "attendees", "topics", "follow_ups", "decisions")
VISIT_COLUMNS = [
    "id",
    "factory_id",
    *VISIT_FIELDS,
    "minutes_sha256",
    "minutes_filename",
    "version",
    "updated_by",
]
MINUTES_FIELDS = ("filename", "media_type", "size", "factory_id", "sha256")


class CaseStore(RegisterStore):
    """Reads and audited writes of the records advisors and partners work with."""

    # -- factories -----------------------------------------------------------------------

    def factories_frame(
        self,
        *,
        country: str | None = None,
        advisor: str | None = None,
        factory_ids: Sequence[str] | None = None,
        factory_id: str | None = None,
    ) -> pd.DataFrame:
        """The factory register (`factory_id`: a factory's own person's one factory)."""
        f = m.Factory
        stmt = select(*(getattr(f, c) for c in FACTORY_COLUMNS)).order_by(f.country, f.factory_id)
        if country:
            stmt = stmt.where(f.country == country)
        if advisor:
            stmt = stmt.where(f.advisor == advisor)
        if factory_ids is not None:
            stmt = stmt.where(f.factory_id.in_(list(factory_ids)))
        if factory_id is not None:
            stmt = stmt.where(f.factory_id == factory_id)
        df = self.frame(stmt)
        return df if len(df) else pd.DataFrame(columns=FACTORY_COLUMNS)

    def known_factories(self, factory_ids: Iterable[str]) -> set[str]:
        """Which of these factory IDs the store holds."""
        f = m.Factory
        with self.reading() as s:
            return {fid for (fid,) in rows_in(s, select(f.factory_id), f.factory_id, factory_ids)}

    def known_assessments(self, quest_ids: Iterable[int]) -> dict[int, tuple[str, dt.date]]:
        """Factory and start date of each of these assessments the store holds."""
        a = m.Assessment
        stmt = select(a.quest_id, a.factory_id, a.start_date)
        with self.reading() as s:
            return {
                qid: (fid, start) for qid, fid, start in rows_in(s, stmt, a.quest_id, quest_ids)
            }

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

    def partner(self, partner_id: str) -> dict[str, Any]:
        """One partner's fields, or NotFoundError."""
        with self.reading() as s:
            obj = self.get(s, m.Partner, partner_id)
            return {
                "partner_id": obj.partner_id,
                "partner_name": obj.partner_name,
                "partner_type": obj.partner_type,
            }

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
                elif assign(obj, rec):
                    obj.updated_by = actor
                    changed_partners += 1
            s.flush()
            for rec in links:
                key = (rec["partner_id"], rec["factory_id"])
                link = s.get(m.PartnerLink, key)
                if link is None:
                    s.add(m.PartnerLink(**rec, updated_by=actor))
                    changed_links += 1
                elif assign(link, rec):
                    link.updated_by = actor
                    changed_links += 1
        return changed_partners, changed_links

    # -- visits --------------------------------------------------------------------------

    def add_visit(
        self,
        values: dict[str, Any],
        actor: str,
        *,
        draft: tuple[str, str] | None = None,
        minutes: Upload | None = None,
    ) -> int:
        """Record an advisory visit or PICC meeting (with the meeting's minutes); its id."""
        _check_visit_fields(values, allowed={"factory_id", *VISIT_FIELDS})
        with self.writing(actor) as s:
            clear_draft(s, actor, draft)  # gone with the save, kept (rolled back) if it fails
            if s.get(m.Factory, values["factory_id"]) is None:
                raise NotFoundError("factory", values["factory_id"])
            _check_visit_writer(s, actor, values["factory_id"])
            obj = m.Visit(**values, updated_by=actor, updated_at=s.info["now"])
            _attach_minutes(s, obj, minutes, actor)
            s.add(obj)
            s.flush()
            return obj.id

    def update_visit(
        self,
        visit_id: int,
        values: dict[str, Any],
        *,
        expected_version: int,
        actor: str,
        minutes: Upload | None = None,
        draft: tuple[str, str] | None = None,
    ) -> int:
        """Correct a visit or meeting: its author alone, against the version she saw (audited,
        before and after); the new version."""
        # Only its author changes a visit, so its last writer (updated_by) is its author.
        _check_visit_fields(values, allowed=set(VISIT_FIELDS))
        with self.writing(actor) as s:
            clear_draft(s, actor, draft)
            obj = self.get(s, m.Visit, visit_id)
            _check_visit_writer(s, actor, obj.factory_id)
            if obj.updated_by != actor:
                raise NotAllowedError(
                    f"visit {visit_id} was recorded by {obj.updated_by or 'someone else'}: "
                    "only its author may correct it"
                )
            self.check_version(obj, expected_version, values)
            # the file first: storing it reads, and a read would write the visit's changes
            # apart from the file's name (two versions for one correction)
            changed = _attach_minutes(s, obj, minutes, actor)
            changed = assign(obj, values) or changed
            if changed:
                obj.updated_at = s.info["now"]
            s.flush()
            return obj.version

    def visits_frame(self, *, factory_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Advisory visits and PICC meetings, newest first, with their decisions and minutes."""
        v = m.Visit
        stmt = select(*(getattr(v, c) for c in VISIT_COLUMNS)).order_by(
            v.factory_id, v.date.desc(), v.id.desc()
        )
        if factory_ids is not None:
            stmt = stmt.where(v.factory_id.in_(list(factory_ids)))
        df = self.frame(stmt)
        return df if len(df) else pd.DataFrame(columns=VISIT_COLUMNS)

    def visit(self, visit_id: int) -> dict[str, Any]:
        """One visit's fields with its version."""
        with self.reading() as s:
            obj = self.get(s, m.Visit, visit_id)
            return {c: getattr(obj, c) for c in VISIT_COLUMNS}

    def visit_minutes(self, visit_id: int) -> dict[str, Any]:
        """A meeting's minutes file, without its bytes: name, media type, size, factory and
        SHA-256 (evidence_file gives the bytes); NotFoundError when it has none."""
        v, e = m.Visit, m.EvidenceFile
        stmt = (
            select(v.minutes_filename, e.media_type, e.size, v.factory_id, e.sha256)
            .join(e, e.sha256 == v.minutes_sha256)
            .where(v.id == visit_id)
        )
        with self.reading() as s:
            row = s.execute(stmt).first()
        if row is None:
            raise NotFoundError("minutes of visit", visit_id)
        return dict(zip(MINUTES_FIELDS, row, strict=True))


def _check_visit_writer(s: Session, actor: str, factory_id: str) -> None:
    """Refuse a visit to whom the apps refuse every visit: a reader, a factory's own person
    (the author of a visit too, should her role have changed since); and a factory's visit to
    whose portfolio does not hold it (its author too, should the factory have moved since)."""
    refusal = "cannot record or correct a visit: the factory's advisor and programme staff do"
    check_writer(s, actor, factory_id, EDITORS, refusal)


def _check_visit_fields(values: dict[str, Any], *, allowed: set[str]) -> None:
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise UsageError(
            f"a visit has no field {', '.join(unknown)} that may be set: give "
            f"{', '.join(sorted(allowed))}, and its minutes as a file"
        )


def _attach_minutes(s: Any, obj: m.Visit, minutes: Upload | None, actor: str) -> bool:
    """Store a meeting's minutes file with the evidence and name it on the visit; whether the
    visit changed."""
    if minutes is None:
        return False
    keep_file(s, minutes, actor)
    named = {"minutes_sha256": minutes.sha256, "minutes_filename": minutes.filename[:255]}
    return assign(obj, named)
