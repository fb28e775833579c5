"""Proposals: what a factory's own person asks to change in her plan, until it is reviewed.

A person of role "factory" never writes a plan item. She proposes, and the factory's advisor
or programme staff of its country accept (the change then goes through the same write path
as their own saves, audited under both names) or send it back with a comment.

Public API (all on `Store`; every call names the person, checked against the users table):

- `propose_item(proposer, factory_id, values, *, item_id=None, base_version=None)` -> id:
  a new item (`item_id` None; `values` must name a `compliance_point`) or a change of item
  `item_id` as she saw it at `base_version`; `values` are plan item fields (PROPOSABLE),
  dates as `datetime.date`. Only the fields that differ from the item are kept.
- `propose_progress(proposer, item_id, *, status, note, base_version, date=None, files=())`
  -> id: a progress update (a `Status`, a note, evidence `Upload`s), checked like one.
  Both take `draft=(form, key)`: her draft of the form, forgotten with the proposal.
- `proposals_frame(*, factory_ids=None, item_ids=None, states=None, proposed_by=None)`:
  proposals, newest first (PROPOSAL_COLUMNS; `values` parsed, `files` their names,
  `evidence` (sha256, name) pairs).
- `proposal_attachment(proposal_id, sha256)` -> dict: a file sent with it, without its bytes.
- `proposals_to_review(*, advisor=None, country=None, factory_id=None)`: the pending
  proposals of a portfolio (Person.scope()), oldest first.
- `proposal(proposal_id)` -> dict: one proposal, as a row of proposals_frame.
- `accept_proposal(proposal_id, *, reviewer, overwrite=False, on=None)` -> (item id, version):
  applies it against the item as it is now, field by field; a field both she and someone else
  changed since she saw it raises ProposalConflictError unless `overwrite` lets hers win.
- `send_back_proposal(proposal_id, *, reviewer, comment)`: refuses it; the comment is required.

Errors: NotAllowedError (not her factory, not a reviewer of it), AlreadyReviewedError (a second
accept or send back), ValidationError by field, ConflictError (proposed against a stale item).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from bwcases.core.domain import (
    ITEM_TEXT_LIMITS,
    ItemSource,
    Priority,
    ProposalKind,
    ProposalState,
    Status,
    allowed_move,
    completion_problem,
    merge_fields,
)
from bwcases.core.errors import (
    AlreadyReviewedError,
    NotAllowedError,
    NotFoundError,
    ProposalConflictError,
    UsageError,
    ValidationError,
)
from bwcases.store import models as m
from bwcases.store.drafts import clear_draft
from bwcases.store.evidence import Upload, evidence_count, keep_file
from bwcases.store.gateway import audit_row, jsonable
from bwcases.store.plans import EDITABLE, PlanStore
from bwcases.store.portfolio import covers

# What a factory's person may propose of an item: what a save may change, but its status,
# which moves by progress updates (propose_progress) ...
PROPOSABLE = EDITABLE - {"status"}
# ... and, for a new item, where it comes from (a finding of an assessment, or her own look)
PROPOSABLE_NEW = PROPOSABLE | {"source", "quest_id", "question_id"}
PROPOSAL_COLUMNS = [
    "proposal_id",
    "factory_id",
    "factory_name",
    "item_id",
    "compliance_point",
    "kind",
    "values",
    "base_version",
    "proposed_by",
    "proposed_at",
    "state",
    "reviewed_by",
    "reviewed_at",
    "review_comment",
    "files",
    "evidence",
]
FACTORY_ROLE, ADVISOR_ROLE, STAFF_ROLE = "factory", "advisor", "staff"  # auth.Role's values
COMMENT_LIMIT = 5000
QUESTION_ID_LIMIT = 100  # plan_items.question_id
PROPOSED_BY = "{reviewer} (proposed by {proposer})"  # the audit trail's actor of an acceptance


def _iso_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _checked_fields(values: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    """Her proposed fields, each checked as the item's form checks it."""
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise UsageError(
            f"a proposal cannot set {', '.join(unknown)}: it may set {', '.join(sorted(allowed))}"
            " (a status moves by a progress proposal)"
        )
    problems: dict[str, str] = {}
    fields = dict(values)
    for key, limit in ITEM_TEXT_LIMITS.items():
        if key in fields:
            text = "" if fields[key] is None else str(fields[key])
            fields[key] = text
            if len(text) > limit:
                problems[key] = f"{len(text)} characters, more than the {limit} it may hold"
    question = str(fields.get("question_id") or "")
    if len(question) > QUESTION_ID_LIMIT:
        limit = QUESTION_ID_LIMIT
        problems["question_id"] = f"{len(question)} characters, more than the {limit} it may hold"
    if "priority" in fields and fields["priority"] not in {p.value for p in Priority}:
        problems["priority"] = f"{fields['priority']!r} is not High, Medium or Low"
    if "source" in fields and fields["source"] not in {s.value for s in ItemSource}:
        problems["source"] = f"{fields['source']!r} is not finding or self-diagnosis"
    due = fields.get("due_date")
    if due is not None and not isinstance(due, dt.date):
        problems["due_date"] = f"{due!r} is not a date"
    if "picc_agreed" in fields:
        fields["picc_agreed"] = bool(fields["picc_agreed"])
    if problems:
        raise ValidationError(problems)
    return fields


def _stored_values(text: str) -> dict[str, Any]:
    """A proposal's values as it keeps them (JSON), dates as dates again."""
    values: dict[str, Any] = json.loads(text)
    for part in ("fields", "seen"):
        if "due_date" in values.get(part, {}):
            values[part]["due_date"] = _iso_date(values[part]["due_date"])
    if "date" in values:
        values["date"] = _iso_date(values["date"])
    return values


def _json(values: dict[str, Any]) -> str:
    def encode(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: encode(v) for key, v in value.items()}
        return jsonable(value)

    return json.dumps(encode(values), ensure_ascii=False, sort_keys=True)


def _check_quest(s: Session, factory_id: str, fields: dict[str, Any]) -> None:
    """Refuse a new item the finding of another factory's assessment (or no assessment)."""
    quest_id = fields.get("quest_id")
    if quest_id is None or quest_id == "":
        return
    try:
        number = int(quest_id)
    except (TypeError, ValueError):
        number = 0
    # a Quest.ID is a positive BIGINT: another number is none, not the database's error
    quest = s.get(m.Assessment, number) if 0 < number < 2**63 else None
    if quest is None or quest.factory_id != factory_id:
        raise ValidationError(
            {"quest_id": f"{quest_id!r} is not an assessment of factory {factory_id}"}
        )


class ProposalStore(PlanStore):
    """Proposals of a factory's own people, and their review."""

    # -- a factory's person proposes -----------------------------------------------------

    def propose_item(
        self,
        proposer: str,
        factory_id: str,
        values: dict[str, Any],
        *,
        item_id: int | None = None,
        base_version: int | None = None,
        draft: tuple[str, str] | None = None,
    ) -> int:
        """Propose a new plan item (`item_id` None) or a change of one; the proposal's id."""
        fields = _checked_fields(values, PROPOSABLE_NEW if item_id is None else PROPOSABLE)
        with self.writing(proposer) as s:
            clear_draft(s, proposer, draft)  # gone with the proposal, kept if it fails
            self._check_proposer(s, proposer, factory_id)
            if item_id is None:
                if not str(fields.get("compliance_point") or "").strip():
                    raise ValidationError({"compliance_point": "a new item needs one"})
                fields.setdefault("source", ItemSource.SELF_DIAGNOSIS.value)
                _check_quest(s, factory_id, fields)
                stored: dict[str, Any] = {"fields": fields}
            else:
                obj = self._item_of(s, item_id, factory_id)
                if base_version is None:
                    raise UsageError(
                        f"a proposed change of plan item {item_id} must say which version it was "
                        "made from (base_version)"
                    )
                self.check_version(obj, base_version, fields)
                seen = {key: getattr(obj, key) for key in fields}
                changed = {key: v for key, v in fields.items() if v != seen[key]}
                if not changed:
                    raise ValidationError({"values": "nothing differs from the item"})
                stored = {"fields": changed, "seen": {key: seen[key] for key in changed}}
            return self._add_proposal(
                s, proposer, factory_id, item_id, ProposalKind.ITEM, stored, base_version
            )

    def propose_progress(
        self,
        proposer: str,
        item_id: int,
        *,
        status: Status,
        note: str,
        base_version: int,
        date: dt.date | None = None,
        files: Sequence[Upload] = (),
        draft: tuple[str, str] | None = None,
    ) -> int:
        """Propose a progress update of an item with evidence files; the proposal's id."""
        date = date or dt.date.today()
        with self.writing(proposer) as s:
            clear_draft(s, proposer, draft)  # gone with the proposal, kept if it fails
            obj = self.get(s, m.PlanItem, item_id)
            self._check_proposer(s, proposer, obj.factory_id)
            self.check_version(obj, base_version, {"status": status.value, "note": note})
            old = Status(obj.status)
            problem = allowed_move(old, status, note)
            if problem:
                raise ValidationError({"status": problem})
            if status is Status.COMPLETED and old is not Status.COMPLETED:
                uploads = {f.sha256 for f in files}
                problem = completion_problem(note, len(uploads) + evidence_count(s, item_id))
                if problem:
                    raise ValidationError({"note" if not note.strip() else "files": problem})
            if status == old and not note.strip() and not files:
                raise ValidationError({"note": "say what was done, or attach a file"})
            stored = {"status": status.value, "note": note, "date": date, "seen_status": old.value}
            proposal_id = self._add_proposal(
                s, proposer, obj.factory_id, item_id, ProposalKind.PROGRESS, stored, base_version
            )
            for upload in {f.sha256: f for f in files}.values():
                keep_file(s, upload, proposer)
                s.add(
                    m.ProposalEvidence(
                        proposal_id=proposal_id,
                        sha256=upload.sha256,
                        filename=upload.filename[:255],
                    )
                )
            return proposal_id

    def _add_proposal(
        self,
        s: Session,
        proposer: str,
        factory_id: str,
        item_id: int | None,
        kind: ProposalKind,
        stored: dict[str, Any],
        base_version: int | None,
    ) -> int:
        row = m.Proposal(
            factory_id=factory_id,
            item_id=item_id,
            kind=kind.value,
            values=_json(stored),
            base_version=base_version,
            proposed_by=proposer,
            proposed_at=s.info["now"],
            state=ProposalState.PENDING.value,
        )
        s.add(row)
        s.flush()
        return row.id

    # -- reads ---------------------------------------------------------------------------

    def proposals_frame(
        self,
        *,
        factory_ids: Sequence[str] | None = None,
        item_ids: Sequence[int] | None = None,
        states: Iterable[ProposalState | str] | None = None,
        proposed_by: str | None = None,
        proposal_ids: Sequence[int] | None = None,
        oldest_first: bool = False,
    ) -> pd.DataFrame:
        """Proposals with their factory and item (PROPOSAL_COLUMNS), newest first."""
        p, f, i = m.Proposal, m.Factory, m.PlanItem
        stmt = (
            select(
                p.id.label("proposal_id"),
                p.factory_id,
                f.factory_name,
                p.item_id,
                i.compliance_point,
                p.kind,
                p.values,
                p.base_version,
                p.proposed_by,
                p.proposed_at,
                p.state,
                p.reviewed_by,
                p.reviewed_at,
                p.review_comment,
            )
            .join(f, f.factory_id == p.factory_id)
            .outerjoin(i, i.id == p.item_id)
            .order_by(p.id if oldest_first else p.id.desc())
        )
        if factory_ids is not None:
            stmt = stmt.where(p.factory_id.in_(list(factory_ids)))
        if item_ids is not None:
            stmt = stmt.where(p.item_id.in_(list(item_ids)))
        if states is not None:
            stmt = stmt.where(p.state.in_([ProposalState(x).value for x in states]))
        if proposed_by is not None:
            stmt = stmt.where(p.proposed_by == proposed_by)
        if proposal_ids is not None:
            stmt = stmt.where(p.id.in_(list(proposal_ids)))
        return self._with_files(self.frame(stmt))

    def proposals_to_review(
        self,
        *,
        advisor: str | None = None,
        country: str | None = None,
        factory_id: str | None = None,
    ) -> pd.DataFrame:
        """The pending proposals of a portfolio (Person.scope()), oldest first."""
        f = m.Factory
        stmt = select(f.factory_id)
        if factory_id is not None:  # a factory's person: hers ("" for none, never every one)
            stmt = stmt.where(f.factory_id == factory_id)
        if advisor:
            stmt = stmt.where(f.advisor == advisor)
        elif country:
            stmt = stmt.where(f.country == country)
        with self.reading() as s:
            ids = list(s.execute(stmt).scalars())
        return self.proposals_frame(
            factory_ids=ids, states=[ProposalState.PENDING], oldest_first=True
        )

    def proposal(self, proposal_id: int) -> dict[str, Any]:
        """One proposal, as a row of proposals_frame."""
        df = self.proposals_frame(proposal_ids=[proposal_id])
        if df.empty:
            raise NotFoundError("proposal", proposal_id)
        return dict(df.iloc[0])

    def proposal_attachment(self, proposal_id: int, sha256: str) -> dict[str, Any]:
        """A file sent with a proposal, without its bytes: its name, media type, size and
        factory (whose people may read it)."""
        pe, e, p = m.ProposalEvidence, m.EvidenceFile, m.Proposal
        stmt = (
            select(pe.filename, e.media_type, e.size, p.factory_id)
            .join(e, e.sha256 == pe.sha256)
            .join(p, p.id == pe.proposal_id)
            .where(pe.proposal_id == proposal_id, pe.sha256 == sha256)
        )
        with self.reading() as s:
            row = s.execute(stmt).first()
        if row is None:
            raise NotFoundError("proposal's evidence file", f"{proposal_id}/{sha256}")
        return dict(zip(("filename", "media_type", "size", "factory_id"), row, strict=True))

    def _with_files(self, df: pd.DataFrame) -> pd.DataFrame:
        if df.empty:
            return pd.DataFrame(columns=PROPOSAL_COLUMNS)
        pe = m.ProposalEvidence
        kept: dict[int, list[tuple[str, str]]] = {}
        stmt = select(pe.proposal_id, pe.sha256, pe.filename).where(
            pe.proposal_id.in_([int(x) for x in df["proposal_id"]])
        )
        with self.reading() as s:
            for pid, sha256, filename in s.execute(stmt.order_by(pe.proposal_id, pe.filename)):
                kept.setdefault(pid, []).append((sha256, filename))
        df["values"] = [_stored_values(text) for text in df["values"]]
        df["evidence"] = [kept.get(int(pid), []) for pid in df["proposal_id"]]
        df["files"] = [[name for _sha, name in files] for files in df["evidence"]]
        df["item_id"] = df["item_id"].astype("Int64")
        df["base_version"] = df["base_version"].astype("Int64")
        df["compliance_point"] = [
            cp if isinstance(cp, str) else values.get("fields", {}).get("compliance_point", "")
            for cp, values in zip(df["compliance_point"], df["values"], strict=True)
        ]
        return df[PROPOSAL_COLUMNS]

    # -- review --------------------------------------------------------------------------

    def accept_proposal(
        self,
        proposal_id: int,
        *,
        reviewer: str,
        overwrite: bool = False,
        on: dt.date | None = None,
    ) -> tuple[int, int]:
        """Make a proposal the item's state, audited under both names; (item id, version)."""
        on = on or dt.date.today()
        with self.reading() as s:
            first = self.get(s, m.Proposal, proposal_id)
            actor = PROPOSED_BY.format(reviewer=reviewer, proposer=first.proposed_by)[:200]
        with self.writing(actor) as s:
            row = self._claim(s, proposal_id, reviewer, ProposalState.ACCEPTED, None)
            values = _stored_values(row.values)
            if row.kind == ProposalKind.PROGRESS.value:
                assert row.item_id is not None
                obj = self.get(s, m.PlanItem, row.item_id)
                seen = values.get("seen_status") or obj.status
                if obj.status != seen and values["status"] != obj.status and not overwrite:
                    # her move was from the status she saw: from another it means something else
                    # (from Completed, a reopening)
                    by = obj.updated_by or "someone else"
                    raise ProposalConflictError(
                        proposal_id,
                        {
                            "status": f"{by} moved it from {seen} to {obj.status} since it was "
                            f"proposed (to {values['status']}): accept it over theirs or send it "
                            "back"
                        },
                    )
                pe = m.ProposalEvidence, m.EvidenceFile
                files = [
                    Upload(filename, media_type, bytes(content))
                    for filename, media_type, content in s.execute(
                        select(pe[0].filename, pe[1].media_type, pe[1].content)
                        .join(pe[1], pe[1].sha256 == pe[0].sha256)
                        .where(pe[0].proposal_id == proposal_id)
                        .order_by(pe[0].filename)
                    )
                ]
                self._record(
                    s,
                    obj,
                    Status(values["status"]),
                    values["note"],
                    values["date"] or on,
                    actor,
                    files=files,
                )
                s.flush()
                return obj.id, obj.version
            if row.item_id is None:
                _check_quest(s, row.factory_id, values["fields"])  # an offline file's too
                fields = {"factory_id": row.factory_id, **values["fields"]}
                return self._save_item(s, None, fields, None, actor, on=on)
            obj = self.get(s, m.PlanItem, row.item_id)
            theirs = {key: getattr(obj, key) for key in values["fields"]}
            merge = merge_fields(values["seen"], values["fields"], theirs)
            if merge.conflicts and not overwrite:
                by = obj.updated_by or "someone else"
                raise ProposalConflictError(
                    proposal_id,
                    {
                        key: f"{by} changed it to {jsonable(theirs[key])!r} since it was proposed"
                        f" ({jsonable(values['fields'][key])!r}): accept it over theirs or send "
                        "it back"
                        for key in merge.conflicts
                    },
                )
            chosen = {key: merge.values[key] for key in merge.mine}
            chosen.update({key: values["fields"][key] for key in merge.conflicts})
            return self._save_item(s, obj.id, chosen, obj.version, actor, on=on)

    def send_back_proposal(self, proposal_id: int, *, reviewer: str, comment: str) -> None:
        """Refuse a proposal with the reviewer's comment, which the proposer reads."""
        comment = comment.strip()
        if not comment:
            raise ValidationError({"comment": "say why it is sent back, for her to read"})
        if len(comment) > COMMENT_LIMIT:
            raise ValidationError(
                {"comment": f"{len(comment)} characters, more than the {COMMENT_LIMIT} it may hold"}
            )
        with self.writing(reviewer) as s:
            self._claim(s, proposal_id, reviewer, ProposalState.SENT_BACK, comment)

    def _claim(
        self,
        s: Session,
        proposal_id: int,
        reviewer: str,
        state: ProposalState,
        comment: str | None,
    ) -> m.Proposal:
        """Mark a pending proposal reviewed, first thing in the transaction: of two reviews at
        once (a double click, two devices) one finds it pending, the other an error."""
        p = m.Proposal
        now = s.info["now"]
        done = s.execute(
            update(p)
            .where(p.id == proposal_id, p.state == ProposalState.PENDING.value)
            .values(
                state=state.value, reviewed_by=reviewer, reviewed_at=now, review_comment=comment
            )
        )
        row = self.get(s, m.Proposal, proposal_id)
        self._check_reviewer(s, reviewer, row.factory_id)
        if not getattr(done, "rowcount", 0):
            raise AlreadyReviewedError(proposal_id, row.state, row.reviewed_by)
        # written without the ORM, so audited here: pending before, as the update's WHERE says
        before = {"state": ProposalState.PENDING.value, "reviewed_by": None, "review_comment": None}
        after = {"state": state.value, "reviewed_by": reviewer, "review_comment": comment}
        entry = audit_row(now, reviewer, "proposals", str(proposal_id), "update", before, after)
        s.execute(insert(m.AuditEntry), [entry])
        return row

    # -- who may --------------------------------------------------------------------------

    def _check_proposer(self, s: Session, name: str, factory_id: str) -> None:
        user = s.get(m.User, name)
        if user is None or not user.active or user.role != FACTORY_ROLE:
            raise NotAllowedError(f"{name} is not a factory's own person: only they propose")
        if user.factory_id != factory_id:
            raise NotAllowedError(
                f"{name} works for factory {user.factory_id}, not {factory_id}: she proposes "
                "changes of her own factory's plan only"
            )

    def _check_reviewer(self, s: Session, name: str, factory_id: str) -> None:
        user = s.get(m.User, name)
        self.get(s, m.Factory, factory_id)  # an unknown factory is not found, not refused
        if (
            user is None
            or not user.active
            or user.role not in (ADVISOR_ROLE, STAFF_ROLE)
            or not covers(s, user, factory_id)
        ):
            raise NotAllowedError(
                f"{name} may not review factory {factory_id}'s proposals: its advisor or "
                "programme staff of its country do"
            )

    def _item_of(self, s: Session, item_id: int, factory_id: str) -> m.PlanItem:
        obj: m.PlanItem = self.get(s, m.PlanItem, item_id)
        if obj.factory_id != factory_id:
            raise NotAllowedError(f"plan item {item_id} is not factory {factory_id}'s")
        return obj


__all__ = ["PROPOSABLE", "PROPOSABLE_NEW", "PROPOSAL_COLUMNS", "ProposalStore"]
