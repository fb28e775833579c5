"""What the advisor apps read and write: users, sign-ins, plan edits, progress and evidence."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from bwcases.core.domain import (
    ItemSource,
    Status,
    Verification,
    allowed_move,
    completion_problem,
    login_key,
)
from bwcases.core.errors import NotFoundError, UsageError, ValidationError
from bwcases.store import models as m
from bwcases.store.drafts import clear_draft
from bwcases.store.gateway import Gateway

USER_COLUMNS = ["name", "role", "country", "active", "created_by", "created_at"]
STAFF_ROLE = "staff"  # auth.Role.STAFF: programme staff, who verify fixes
COMPLETE_BY_UPDATE = (
    "an item is completed by a progress update: record the completion there, with a note and "
    "an evidence file"
)
STAFF_ONLY = "only programme staff may accept a completion without evidence"
VERIFY_WITHOUT_EVIDENCE = "the item has no evidence file: say why it is verified without"
EVIDENCE_COLUMNS = [
    "update_id",
    "item_id",
    "date",
    "sha256",
    "filename",
    "size",
    "media_type",
]


@dataclass(frozen=True)
class Upload:
    """A file a person attached: its name as uploaded, its media type and its bytes."""

    filename: str
    media_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        """The SHA-256 of the content, in hex: the file's key in the store."""
        return hashlib.sha256(self.content).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back naive; the store writes them in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class AdvisorStore(Gateway):
    """Users and sessions, and the audited writes the advisor apps make."""

    # -- users ---------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        *,
        role: str,
        country: str | None,
        password_hash: str,
        actor: str,
        replace: bool = False,
    ) -> bool:
        """Add a user, or with `replace` set an existing one's role, country and password."""
        u = m.User
        key = login_key(name)
        audited = {"name": name, "role": role, "country": country, "active": True}
        with self.writing(actor) as s:
            held = s.execute(select(u.name).where(u.login_key == key)).scalar_one_or_none()
            if held is not None and held != name:
                raise UsageError(
                    f"user {held!r} signs in with the same name as {name!r}; "
                    f"use the spelling {held!r} (with --replace to change that user)"
                )
            if held is not None and not replace:
                raise UsageError(f"user {name!r} exists already; use --replace to change it")
            if held is None:
                s.execute(
                    insert(u).values(
                        **audited,
                        login_key=key,
                        password_hash=password_hash,
                        created_by=actor,
                        created_at=s.info["now"],
                    )
                )
            else:
                s.execute(
                    update(u)
                    .where(u.name == name)
                    .values(role=role, country=country, password_hash=password_hash, active=True)
                )
                s.execute(delete(m.UserSession).where(m.UserSession.user_name == name))
            # the audit trail names the change, never the password hash
            _audit(s, actor, "users", name, "update" if held else "insert", audited)
        return held is None

    def user(self, name: str) -> dict[str, Any] | None:
        """A user's fields (without the password hash), or None."""
        with self.reading() as s:
            obj = s.get(m.User, name)
            return None if obj is None else {c: getattr(obj, c) for c in USER_COLUMNS}

    def login_record(self, login: str) -> tuple[str, str] | None:
        """(name, password hash) of the active user a typed name means (any case or spacing)."""
        u = m.User
        key = login_key(login)
        if not key:
            return None
        with self.reading() as s:
            stmt = select(u.name, u.password_hash).where(u.login_key == key, u.active.is_(True))
            row = s.execute(stmt).first()
        return None if row is None else (row[0], row[1])

    def set_password_hash(
        self, name: str, password_hash: str, *, actor: str = "", keep_session: str = ""
    ) -> None:
        """Replace a user's password hash (rehashed with stronger parameters, or changed by her:
        with `actor`, audited and every other session of hers ended)."""
        with self.writing(actor or name) as s:
            s.execute(update(m.User).where(m.User.name == name).values(password_hash=password_hash))
            if actor:
                us = m.UserSession
                s.execute(delete(us).where(us.user_name == name, us.token_hash != keep_session))
                _audit(s, actor, "users", name, "update", {"password": "changed"})

    def users_frame(self) -> pd.DataFrame:
        """Every user, without password hashes."""
        u = m.User
        df = self.frame(select(*(getattr(u, c) for c in USER_COLUMNS)).order_by(u.name))
        return df if len(df) else pd.DataFrame(columns=USER_COLUMNS)

    # -- sign-in sessions ----------------------------------------------------------------

    def start_session(self, name: str, token_hash: str, expires_at: dt.datetime) -> None:
        """Remember a signed-in browser by the hash of its token."""
        with self.connection() as conn:
            conn.execute(delete(m.UserSession).where(m.UserSession.expires_at < _now()))
            conn.execute(
                insert(m.UserSession).values(
                    token_hash=token_hash, user_name=name, created_at=_now(), expires_at=expires_at
                )
            )

    def session_user(self, token_hash: str) -> dict[str, Any] | None:
        """The active user a session token belongs to while it has not expired, or None."""
        u, us = m.User, m.UserSession
        stmt = (
            select(*(getattr(u, c) for c in USER_COLUMNS), us.expires_at)
            .join(us, us.user_name == u.name)
            .where(us.token_hash == token_hash, u.active.is_(True))
        )
        with self.reading() as s:
            row = s.execute(stmt).first()
        if row is None or _aware(row.expires_at) <= _now():
            return None
        return {c: getattr(row, c) for c in USER_COLUMNS}

    def end_session(self, token_hash: str) -> None:
        """Forget a signed-in browser (signing out)."""
        with self.connection() as conn:
            conn.execute(delete(m.UserSession).where(m.UserSession.token_hash == token_hash))

    # -- Improvement Plan items ----------------------------------------------------------

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
        """Create or change a plan item in one transaction; returns (item id, version)."""
        # A status change is kept as a progress update too, so the item's history reads right.
        on = on or dt.date.today()
        with self.writing(actor) as s:
            clear_draft(s, actor, draft)  # gone with the save, kept (rolled back) if it fails
            if item_id is None:
                status = Status(values.get("status", Status.PENDING))
                old = Status.PENDING
                fields = {"opened_on": on, **values, "status": Status.PENDING.value}
                obj = m.PlanItem(**fields, updated_by=actor, updated_at=s.info["now"])
                s.add(obj)
                s.flush()
            else:
                obj = self.get(s, m.PlanItem, item_id)
                self.check_version(obj, expected_version, values)
                status = Status(values.get("status", obj.status))
                old = Status(obj.status)
                for key, value in values.items():
                    if key != "status" and getattr(obj, key) != value:
                        setattr(obj, key, value)
            if status != old:
                if status is Status.COMPLETED and allowed_move(old, status) is None:
                    raise ValidationError({"status": COMPLETE_BY_UPDATE})
                self._record(s, obj, status, reason, on, actor)
            if s.is_modified(obj) or item_id is None:
                obj.updated_by, obj.updated_at = actor, s.info["now"]
            s.flush()
            return obj.id, obj.version

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
        """A progress update of an item with its evidence files, moving its status to `new`
        when that differs; a completion needs a note and evidence (or staff's reason)."""
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
            evidence = len(uploads) + self._evidence_count(s, obj.id)
            problem = completion_problem(note, evidence, without)
            if problem:
                raise ValidationError({"note" if not note.strip() else "files": problem})
        row = m.ProgressUpdate(
            item_id=obj.id,
            date=on,
            author=actor,
            note=note,
            old_status=old.value,
            new_status=new.value,
            without_evidence=without if completing and without else None,
        )
        s.add(row)
        if new is not old:
            obj.status = new.value
            obj.completed_on = on if new is Status.COMPLETED else None
            if new is Status.COMPLETED and self._is_public(s, obj):
                obj.verification, obj.verified_by = Verification.AWAITING.value, None
            elif old is Status.COMPLETED:
                obj.verification, obj.verified_by = None, None
        if uploads:
            s.flush()  # the update's id, for its files
            for upload in uploads:
                self._keep_file(s, upload, actor)
                s.add(
                    m.UpdateEvidence(
                        update_id=row.id, sha256=upload.sha256, filename=upload.filename[:255]
                    )
                )
        return row

    def _is_staff(self, s: Session, name: str) -> bool:
        user = s.get(m.User, name)
        return user is not None and user.active and user.role == STAFF_ROLE

    def _evidence_count(self, s: Session, item_id: int) -> int:
        """How many evidence files the item's progress updates hold so far."""
        ue, u = m.UpdateEvidence, m.ProgressUpdate
        stmt = (
            select(func.count())
            .select_from(ue)
            .join(u, u.id == ue.update_id)
            .where(u.item_id == item_id)
        )
        return int(s.execute(stmt).scalar_one())

    def _is_public(self, s: Session, obj: m.PlanItem) -> bool:
        if obj.source != ItemSource.FINDING.value or not obj.question_id:
            return False
        q = m.Question
        stmt = select(q.id).where(q.question_id == obj.question_id, q.public_disclosure.is_(True))
        return s.execute(stmt.limit(1)).first() is not None

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
            obj.updated_by, obj.updated_at = actor, s.info["now"]
            s.flush()
            return obj.version

    def _keep_file(self, s: Session, upload: Upload, actor: str) -> None:
        e = m.EvidenceFile
        if s.execute(select(e.sha256).where(e.sha256 == upload.sha256)).first() is not None:
            return  # the same content is stored once, whoever uploaded it under which name
        facts = {"size": len(upload.content), "media_type": upload.media_type}
        s.execute(
            insert(e).values(
                sha256=upload.sha256,
                content=upload.content,
                created_by=actor,
                created_at=s.info["now"],
                **facts,
            )
        )
        _audit(s, actor, "evidence_files", upload.sha256, "insert", facts)

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
            self.check_version(obj, expected_version, {"verification": verified, "note": note})
            if obj.verification != Verification.AWAITING.value:
                raise ValidationError({"verification": "the item is not awaiting verification"})
            if verified:
                if not note.strip() and not self._evidence_count(s, obj.id):
                    raise ValidationError({"note": VERIFY_WITHOUT_EVIDENCE})
                obj.verification, obj.verified_by = Verification.VERIFIED.value, actor
                self._record(s, obj, Status(obj.status), note, on, actor)
            else:
                self._record(s, obj, Status.IN_PROGRESS, note, on, actor)
                obj.verification, obj.verified_by = Verification.REJECTED.value, actor
            obj.updated_by, obj.updated_at = actor, s.info["now"]
            s.flush()
            return obj.version

    # -- evidence ------------------------------------------------------------------------

    def evidence_frame(self, item_ids: Sequence[int]) -> pd.DataFrame:
        """The evidence files attached to these items' progress updates."""
        ue, e, u = m.UpdateEvidence, m.EvidenceFile, m.ProgressUpdate
        stmt = (
            select(u.id.label("update_id"), u.item_id, u.date, e.sha256, ue.filename, e.size)
            .add_columns(e.media_type)
            .join(ue, ue.update_id == u.id)
            .join(e, e.sha256 == ue.sha256)
            .where(u.item_id.in_(list(item_ids)))
            .order_by(u.item_id, u.id, ue.filename)
        )
        df = self.frame(stmt)
        return df if len(df) else pd.DataFrame(columns=EVIDENCE_COLUMNS)

    def evidence_file(self, sha256: str) -> tuple[bytes, str]:
        """The bytes and media type of a stored evidence file."""
        e = m.EvidenceFile
        with self.reading() as s:
            row = s.execute(select(e.content, e.media_type).where(e.sha256 == sha256)).first()
        if row is None:
            raise NotFoundError("evidence file", sha256)
        return bytes(row.content), str(row.media_type)

    # -- reading for the apps ------------------------------------------------------------

    def non_compliant_findings(self, factory_ids: Sequence[str]) -> pd.DataFrame:
        """NCQ findings of 1 of these factories: factory_id, quest_id, start_date, question_id."""
        a, f, q = m.Assessment, m.Finding, m.Question
        stmt = (
            select(a.factory_id, a.quest_id, a.start_date, q.question_id)
            .join(f, f.quest_id == a.quest_id)
            .join(q, q.id == f.question_ref)
            .where(a.factory_id.in_(list(factory_ids)), f.finding == 1, q.question_type == "NCQ")
            .distinct()
        )
        df = self.frame(stmt)
        columns = ["factory_id", "quest_id", "start_date", "question_id"]
        return df if len(df) else pd.DataFrame(columns=columns)

    def plan_audit(self, factory_id: str) -> pd.DataFrame:
        """The audit trail of a factory's plan items, oldest first."""
        i, au = m.PlanItem, m.AuditEntry
        with self.reading() as s:
            ids = [
                str(v) for v in s.execute(select(i.id).where(i.factory_id == factory_id)).scalars()
            ]
        columns = ["at", "actor", "record_id", "action", "before", "after"]
        if not ids:
            return pd.DataFrame(columns=columns)
        stmt = (
            select(au.at, au.actor, au.record_id, au.action, au.before, au.after)
            .where(au.table_name == "plan_items", au.record_id.in_(ids))
            .order_by(au.id)
        )
        return self.frame(stmt)


def _audit(s: Session, actor: str, table: str, record: str, action: str, after: Any) -> None:
    s.execute(
        insert(m.AuditEntry),
        [
            {
                "at": s.info["now"],
                "actor": actor,
                "table_name": table,
                "record_id": record,
                "action": action,
                "before": None,
                "after": json.dumps(after, ensure_ascii=False, default=str),
            }
        ],
    )
