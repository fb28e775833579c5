"""Reminder digests: what waits for one person on one day, and which digests went out."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bwcases.core.domain import FactoryStatus, ProposalState, Status, Verification
from bwcases.core.errors import NotFoundError, UsageError
from bwcases.store import models as m
from bwcases.store.gateway import Gateway

DUE_HORIZON_DAYS = 14  # "due soon": open items due within this many days
# A proposal sent back stays in her digest this many days after its review, unless a newer
# proposal on the same item answers it: a reminder, not a record kept forever.
SENT_BACK_DAYS = 14
OUTCOMES = ("sent", "written", "failed")  # digests_sent.outcome
RECIPIENT_COLUMNS = ("name", "role", "country", "factory_id", "email", "language")


@dataclass(frozen=True)
class DigestScope:
    """Whose items a digest covers and which lists it holds (from auth.Person, a tier above)."""

    advisor: str | None = None  # her own portfolio: the factories the register names her for
    country: str | None = None  # every factory of a country (None with no advisor: all)
    factory_id: str | None = None  # one factory: a factory's own person
    reviews: bool = False  # proposals on those factories wait for her
    verifies: bool = False  # completed public-disclosure items wait for her verification
    sent_back_items: bool = False  # items whose completion staff sent back
    proposer: str | None = None  # proposals of hers that were sent back


@dataclass(frozen=True)
class DigestItems:
    """The lists of one person's digest; each row a dict (dates as dt.date)."""

    overdue: list[dict[str, Any]] = field(default_factory=list)
    due_soon: list[dict[str, Any]] = field(default_factory=list)
    to_review: list[dict[str, Any]] = field(default_factory=list)
    to_verify: list[dict[str, Any]] = field(default_factory=list)
    sent_back: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether there is nothing to remind her of."""
        return not any(
            (self.overdue, self.due_soon, self.to_review, self.to_verify, self.sent_back)
        )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time in UTC, or None."""
    return _utc(value) if value is not None else None


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands times back naive (the store writes them in UTC); PostgreSQL in its
    session's zone, which need not be UTC."""
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _scoped(stmt: Any, scope: DigestScope) -> Any:
    """A statement joined to factories, kept to the scope's factories that are in use."""
    f = m.Factory
    stmt = stmt.where(f.status != FactoryStatus.OBSOLETE.value)
    if scope.factory_id:
        return stmt.where(f.factory_id == scope.factory_id)
    if scope.advisor:
        return stmt.where(f.advisor == scope.advisor)
    if scope.country:
        return stmt.where(f.country == scope.country)
    return stmt


def _proposed_issue(values: str) -> str:
    """The issue a proposal of a new item gives (its JSON values: {"fields": {...}}, as
    store.proposals keeps them), or nothing."""
    try:
        given = json.loads(values)
    except ValueError:
        return ""
    fields = given.get("fields") if isinstance(given, dict) else None
    return str(fields.get("issue") or "") if isinstance(fields, dict) else ""


class DigestStore(Gateway):
    """Reminder digests: their lists for one person and day, and their outcomes."""

    def digest_recipients(self, names: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """The active users named (all when None), in name order: who may get a digest."""
        u = m.User
        stmt = select(*(getattr(u, c) for c in RECIPIENT_COLUMNS), u.active).order_by(u.name)
        if names is not None:
            stmt = stmt.where(u.name.in_(list(names)))
        with self.reading() as s:
            rows = [dict(r) for r in s.execute(stmt).mappings()]
        found = {r["name"]: r for r in rows}
        for name in names or ():
            if name not in found:
                raise NotFoundError("user", name)
            if not found[name]["active"]:
                raise UsageError(f"user {name!r} is not active: she gets no digest")
        return [{c: r[c] for c in RECIPIENT_COLUMNS} for r in rows if r["active"]]

    def digest_items(
        self, scope: DigestScope, as_of: dt.date, horizon: int = DUE_HORIZON_DAYS
    ) -> DigestItems:
        """What waits for a person on `as_of`: overdue items, items due within `horizon` days,
        proposals to review, items to verify, and what was sent back to her."""
        i = m.PlanItem
        open_ = i.status != Status.COMPLETED.value
        until = as_of + dt.timedelta(days=horizon)
        overdue = self._items(scope, open_, i.due_date < as_of)
        due_soon = self._items(scope, open_, i.due_date >= as_of, i.due_date <= until)
        to_verify: list[dict[str, Any]] = []
        if scope.verifies:
            to_verify = self._items(scope, i.verification == Verification.AWAITING.value)
        sent_back: list[dict[str, Any]] = []
        if scope.sent_back_items:
            sent_back = self._items(scope, open_, i.verification == Verification.REJECTED.value)
        if scope.proposer:
            sent_back += self._sent_back_proposals(scope, scope.proposer, as_of)
        to_review = self._pending_proposals(scope) if scope.reviews else []
        return DigestItems(overdue, due_soon, to_review, to_verify, sent_back)

    def _items(self, scope: DigestScope, *conditions: Any) -> list[dict[str, Any]]:
        """The scope's plan items that meet the conditions, the earliest due first."""
        i, f = m.PlanItem, m.Factory
        stmt = (
            select(
                i.id.label("item_id"),
                i.factory_id,
                f.factory_name,
                i.compliance_point,
                i.issue,
                i.responsible,
                i.due_date,
                i.status,
                i.verification,
                i.completed_on,
            )
            .join(f, f.factory_id == i.factory_id)
            .where(*conditions)
            .order_by(i.due_date, i.factory_id, i.id)
        )
        with self.reading() as s:
            rows = s.execute(_scoped(stmt, scope)).mappings()
            return [{"kind": "item", **r} for r in rows]

    def _proposals(self, stmt: Any) -> list[dict[str, Any]]:
        """Proposals a statement selects, each with the issue of its item (or the one it gives)."""
        with self.reading() as s:
            rows = [dict(r) for r in s.execute(stmt).mappings()]
        for r in rows:
            if not r["issue"]:
                r["issue"] = _proposed_issue(r["values"])
            del r["values"]
            r["proposed_at"] = _aware(r["proposed_at"])
            r["reviewed_at"] = _aware(r["reviewed_at"])
        return rows

    def _proposal_select(self) -> Any:
        p, i, f = m.Proposal, m.PlanItem, m.Factory
        return (
            select(
                p.id.label("proposal_id"),
                p.item_id,
                p.factory_id,
                f.factory_name,
                i.compliance_point,
                i.issue,
                i.due_date,
                p.kind.label("proposal_kind"),
                p.values,
                p.proposed_by,
                p.proposed_at,
                p.reviewed_by,
                p.reviewed_at,
                p.review_comment,
            )
            .join(f, f.factory_id == p.factory_id)
            .outerjoin(i, i.id == p.item_id)
        )

    def _pending_proposals(self, scope: DigestScope) -> list[dict[str, Any]]:
        """Proposals on the scope's factories that wait for a review, the oldest first."""
        p = m.Proposal
        stmt = self._proposal_select().where(p.state == ProposalState.PENDING.value)
        stmt = _scoped(stmt, scope).order_by(p.proposed_at, p.id)
        return [{"kind": "proposal", **r} for r in self._proposals(stmt)]

    def _sent_back_proposals(
        self, scope: DigestScope, proposer: str, as_of: dt.date
    ) -> list[dict[str, Any]]:
        """Her proposals on the scope's factories (not those of a factory she has left) sent
        back in the SENT_BACK_DAYS up to `as_of` that no newer proposal on the item answered."""
        p = m.Proposal
        stmt = self._proposal_select().where(
            p.proposed_by == proposer, p.state == ProposalState.SENT_BACK.value
        )
        stmt = _scoped(stmt, scope).order_by(p.reviewed_at, p.id)
        rows = self._proposals(stmt)
        latest: dict[int, dt.datetime] = {}
        items = [r["item_id"] for r in rows if r["item_id"] is not None]
        if items:
            newest = select(p.item_id, p.proposed_at).where(p.item_id.in_(items))
            with self.reading() as s:
                for item_id, at in s.execute(newest):
                    if item_id is not None and (
                        item_id not in latest or _utc(at) > latest[item_id]
                    ):
                        latest[item_id] = _utc(at)
        first = dt.datetime.combine(as_of - dt.timedelta(days=SENT_BACK_DAYS), dt.time(), dt.UTC)
        last = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), dt.UTC)
        kept = []
        for r in rows:
            reviewed = r["reviewed_at"]
            if reviewed is None or not first <= reviewed < last:
                continue
            if r["item_id"] is not None and latest[r["item_id"]] > r["proposed_at"]:
                continue  # she has proposed again since
            kept.append({"kind": "proposal", **r})
        return kept

    # -- which digests went out ----------------------------------------------------------

    def record_digest(self, person: str, day: dt.date, outcome: str, error: str = "") -> None:
        """Remember how a person's digest of `day` went (replacing an earlier failure)."""
        if outcome not in OUTCOMES:
            raise UsageError(f"a digest's outcome is one of {', '.join(OUTCOMES)}, not {outcome!r}")
        values = {
            "person": person,
            "day": day,
            "outcome": outcome,
            "at": dt.datetime.now(dt.UTC),
            "error": error or None,
        }
        upsert = self.upsert(m.DigestSent, values, ["person", "day"], ["outcome", "at", "error"])
        with self.engine.begin() as conn:
            conn.execute(upsert)

    def digest_outcomes(self, day: dt.date) -> dict[str, dict[str, Any]]:
        """How each person's digest of `day` went: {person: {outcome, at, error}}."""
        d = m.DigestSent
        stmt = select(d.person, d.outcome, d.at, d.error).where(d.day == day)
        with self.reading() as s:
            return {
                person: {"outcome": outcome, "at": _aware(at), "error": error}
                for person, outcome, at, error in s.execute(stmt)
            }
