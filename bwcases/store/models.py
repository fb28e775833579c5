"""The store's tables, as SQLAlchemy 2 mapped classes (used only by the store)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, configure_mappers, mapped_column

from bwcases.core.formats import QUESTION_SPELLING

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Versioned:
    """Records people edit: a version number guards every write against stale copies."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Factory(Versioned, Base):
    __tablename__ = "factories"
    factory_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    factory_name: Mapped[str] = mapped_column(String(400))
    country: Mapped[str] = mapped_column(String(100), index=True)
    workers: Mapped[int | None] = mapped_column(Integer)
    advisor: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    __mapper_args__ = {"version_id_col": Versioned.version}


class Assessment(Base):
    __tablename__ = "assessments"
    quest_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    factory_id: Mapped[str] = mapped_column(ForeignKey("factories.factory_id"), index=True)
    cycle: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date, index=True)
    cat_version: Mapped[str | None] = mapped_column(String(100))
    # The country and factory name as the export spelt them for this assessment.
    country: Mapped[str] = mapped_column(String(100), index=True)
    factory_name: Mapped[str] = mapped_column(String(400))


class Question(Base):
    """One question of the CAT as an export spelt it (catalogue entries grow with imports)."""

    __tablename__ = "questions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[str] = mapped_column(String(100), index=True)
    question_label: Mapped[str] = mapped_column(Text)
    compliance_point: Mapped[str] = mapped_column(String(200))
    cluster: Mapped[str] = mapped_column(String(200))
    question_type: Mapped[str] = mapped_column(String(10))
    tags: Mapped[str] = mapped_column(String(400), default="")
    public_disclosure: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (UniqueConstraint(*QUESTION_SPELLING, name="uq_questions_spelling"),)


class Finding(Base):
    __tablename__ = "findings"
    quest_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.quest_id"), primary_key=True, autoincrement=False
    )
    question_ref: Mapped[int] = mapped_column(
        ForeignKey("questions.id"), primary_key=True, autoincrement=False
    )
    finding: Mapped[int | None] = mapped_column(SmallInteger)
    fact: Mapped[str | None] = mapped_column(Text)
    # Millions of rows: one B-tree keyed by assessment and question, no separate rowid.
    __table_args__ = {"sqlite_with_rowid": False}


class Partner(Versioned, Base):
    __tablename__ = "partners"
    partner_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    partner_name: Mapped[str] = mapped_column(String(400))
    partner_type: Mapped[str] = mapped_column(String(20))
    __mapper_args__ = {"version_id_col": Versioned.version}


class PartnerLink(Versioned, Base):
    __tablename__ = "partner_links"
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.partner_id"), primary_key=True)
    factory_id: Mapped[str] = mapped_column(ForeignKey("factories.factory_id"), primary_key=True)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    __mapper_args__ = {"version_id_col": Versioned.version}


class PlanItem(Versioned, Base):
    """An Improvement Plan item."""

    __tablename__ = "plan_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    factory_id: Mapped[str] = mapped_column(ForeignKey("factories.factory_id"), index=True)
    quest_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.quest_id"))
    question_id: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))
    compliance_point: Mapped[str] = mapped_column(String(200))
    issue: Mapped[str] = mapped_column(Text, default="")
    root_cause: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(Text, default="")
    responsible: Mapped[str] = mapped_column(String(200), default="")
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    priority: Mapped[str] = mapped_column(String(10), default="Medium")
    status: Mapped[str] = mapped_column(String(20))
    picc_agreed: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    opened_on: Mapped[dt.date] = mapped_column(Date)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    verification: Mapped[str | None] = mapped_column(String(20))
    verified_by: Mapped[str | None] = mapped_column(String(200))
    # JSON: the fields as the last plan file gave them (dates as ISO text), the base that tells
    # a file's changes from the app's at the next import; NULL for an item never imported (0005)
    imported: Mapped[str | None] = mapped_column(Text)
    __mapper_args__ = {"version_id_col": Versioned.version}


class ProgressUpdate(Base):
    __tablename__ = "progress_updates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("plan_items.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    author: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    old_status: Mapped[str] = mapped_column(String(20))
    new_status: Mapped[str] = mapped_column(String(20))
    evidence_ref: Mapped[str | None] = mapped_column(String(200))
    # why programme staff accepted a completion without an evidence file (0004)
    without_evidence: Mapped[str | None] = mapped_column(Text)


class Visit(Versioned, Base):
    """An advisory visit or a PICC meeting."""

    __tablename__ = "visits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    factory_id: Mapped[str] = mapped_column(ForeignKey("factories.factory_id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(30))
    attendees: Mapped[str] = mapped_column(Text, default="")
    topics: Mapped[str] = mapped_column(Text, default="")
    follow_ups: Mapped[str] = mapped_column(Text, default="")
    # a PICC meeting's decisions and its minutes, a file stored with the evidence (0007)
    decisions: Mapped[str] = mapped_column(Text, default="")
    minutes_sha256: Mapped[str | None] = mapped_column(ForeignKey("evidence_files.sha256"))
    minutes_filename: Mapped[str | None] = mapped_column(String(255))
    __mapper_args__ = {"version_id_col": Versioned.version}


class AuditEntry(Base):
    """Who changed which record when, with the values before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    table_name: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_audit_log_record", "table_name", "record_id"),)


# -- advisor apps: people who sign in, their sessions, and evidence files (migration 0002) ------


class User(Base):
    """A person who signs in to the advisor apps (the password only as a hash)."""

    __tablename__ = "users"
    # The name as the factory register spells advisors (factories.advisor), e.g. "Lan Nguyen".
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # domain.login_key(name), computed in Python: SQLite's lower() knows ASCII only. Unique, so
    # "Lan Nguyen" and "LAN  NGUYEN" are one person; NULL where older stores had two (0003).
    login_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # the language she chose last in the apps' picker (an i18n.LANGUAGES code); NULL: none (0006)
    language: Mapped[str | None] = mapped_column(String(10))
    # the factory a person of the factory's own staff (role "factory") works for; NULL for
    # programme people. No foreign key (see 0007): auth.accounts checks it (0007)
    factory_id: Mapped[str | None] = mapped_column(String(64))
    # where her reminders go (`bwcases digest`); NULL: she gets none by mail (0007)
    email: Mapped[str | None] = mapped_column(String(320))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class UserSession(Base):
    """A signed-in browser: only the hash of its cookie's token is kept."""

    __tablename__ = "user_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("users.name"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class EvidenceFile(Base):
    """An evidence file, stored once by the SHA-256 of its content."""

    __tablename__ = "evidence_files"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class UpdateEvidence(Base):
    """An evidence file attached to a progress update, under the name it was uploaded with."""

    __tablename__ = "update_evidence"
    update_id: Mapped[int] = mapped_column(
        ForeignKey("progress_updates.id"), primary_key=True, autoincrement=False
    )
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_files.sha256"), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))


# -- drafts: what a person typed in a form and has not saved yet (migration 0004) ---------------


class Draft(Base):
    """One person's unsaved form, kept as JSON so that any device can offer it back; not audited."""

    __tablename__ = "drafts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person: Mapped[str] = mapped_column(String(200))  # users.name, as the audit trail's actor
    form: Mapped[str] = mapped_column(String(40))  # e.g. "plan_item", "progress", "visit"
    key: Mapped[str] = mapped_column(String(200))  # what the form is about, e.g. "item:12"
    values: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (UniqueConstraint("person", "form", "key", name="uq_drafts_person_form_key"),)


# -- the factory's own people, comments, the PICC register and reminders (migration 0007) ------


class Proposal(Base):
    """A change a factory's own person asks for: a new or changed plan item, or progress.

    It changes nothing until programme staff or the advisor accept it; sent back, it carries
    the reviewer's comment. Accepted, it becomes the item's state with both names audited.
    """

    __tablename__ = "proposals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    factory_id: Mapped[str] = mapped_column(ForeignKey("factories.factory_id"), index=True)
    # NULL for a proposed new item; else the item it changes or records progress on
    item_id: Mapped[int | None] = mapped_column(ForeignKey("plan_items.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "item" or "progress"
    values: Mapped[str] = mapped_column(Text)  # JSON: the fields as she gave them
    # the item's version she saw; the review merges against what changed since
    base_version: Mapped[int | None] = mapped_column(Integer)
    proposed_by: Mapped[str] = mapped_column(String(200))
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    review_comment: Mapped[str | None] = mapped_column(Text)


class ProposalEvidence(Base):
    """An evidence file sent with a proposal, attached to the progress update on acceptance."""

    __tablename__ = "proposal_evidence"
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id"), primary_key=True, autoincrement=False
    )
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_files.sha256"), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))


class Comment(Base):
    """One comment in a plan item's thread: internal (programme staff) or shared (the factory)."""

    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("plan_items.id"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    visibility: Mapped[str] = mapped_column(String(10))  # "internal" or "shared"
    text: Mapped[str] = mapped_column(Text)


class PiccMember(Versioned, Base):
    """A member of a factory's Performance Improvement Consultative Committee."""

    __tablename__ = "picc_members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    factory_id: Mapped[str] = mapped_column(ForeignKey("factories.factory_id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    side: Mapped[str] = mapped_column(String(20))  # "worker" or "management"
    gender: Mapped[str] = mapped_column(String(20))  # "female", "male" or "other"
    role: Mapped[str] = mapped_column(String(200), default="")  # e.g. "secretary"
    selection: Mapped[str] = mapped_column(String(20))  # "elected" or "appointed"
    since: Mapped[dt.date] = mapped_column(Date)
    until: Mapped[dt.date | None] = mapped_column(Date)  # NULL while she is a member
    __mapper_args__ = {"version_id_col": Versioned.version}


class DigestSent(Base):
    """A person's reminder digest for one day: delivered, written as a file, or failed."""

    __tablename__ = "digests_sent"
    person: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20))  # "sent", "written" or "failed"
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


# Set up now rather than at the first query: a batch's kernel zygote imports this module, and
# the kernels it forks then start with the mappers ready (not each of them at its first item).
configure_mappers()
