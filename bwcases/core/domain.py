"""Domain vocabulary and rules of a case: statuses, kinds, and the moves between them."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


def login_key(name: str) -> str:
    """The one spelling of a person's name that sign-in, throttling and uniqueness compare:
    Unicode NFKC, case-folded, inner whitespace one space."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


class Status(StrEnum):
    """Status of an Improvement Plan item."""

    PENDING = "Pending"
    IN_PROGRESS = "In Progress"
    COMPLETED = "Completed"

    @classmethod
    def parse(cls, value: str) -> Status:
        """The status a spelling names, ignoring case and spacing; ValueError otherwise."""
        key = " ".join(str(value).split()).casefold()
        for status in cls:
            if status.value.casefold() == key:
                return status
        raise ValueError(value)


class Priority(StrEnum):
    """How urgent an Improvement Plan item is."""

    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"


class PartnerType(StrEnum):
    """Buyers read about their consenting factories; governance bodies read aggregates."""

    BUYER = "buyer"
    GOVERNANCE = "governance"


class FactoryStatus(StrEnum):
    """Whether a factory record is in use or retired."""

    ACTIVE = "active"
    OBSOLETE = "obsolete"


class ItemSource(StrEnum):
    """Where an Improvement Plan item comes from."""

    FINDING = "finding"
    SELF_DIAGNOSIS = "self-diagnosis"


class VisitKind(StrEnum):
    """Kinds of events on a case's timeline that advisors record."""

    ADVISORY_VISIT = "advisory visit"
    PICC_MEETING = "PICC meeting"


class Verification(StrEnum):
    """Programme verification of a completed public-disclosure item."""

    AWAITING = "awaiting"
    VERIFIED = "verified"
    REJECTED = "rejected"


class ProposalKind(StrEnum):
    """What a factory's own person proposes: a new or changed plan item, or its progress."""

    ITEM = "item"
    PROGRESS = "progress"


class ProposalState(StrEnum):
    """Where a proposal stands: waiting for review, accepted, or sent back with a comment."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    SENT_BACK = "sent back"


# The longest text each field of an Improvement Plan item may hold, in characters, whether an
# advisor types it in the form or a plan file brings it: the store's column width for the short
# fields; for the free text a few pages, more than anyone writes for one item and little enough
# for the pages and tables that show it.
ITEM_TEXT_LIMITS = {
    "compliance_point": 200,
    "responsible": 200,
    "issue": 5000,
    "root_cause": 5000,
    "action": 5000,
    "notes": 5000,
}

# Moves a person may make; Completed -> In Progress needs a reason (see allowed_move).
_MOVES = {
    (Status.PENDING, Status.IN_PROGRESS),
    (Status.IN_PROGRESS, Status.COMPLETED),
    (Status.COMPLETED, Status.IN_PROGRESS),
}


def allowed_move(old: Status, new: Status, reason: str | None = None) -> str | None:
    """Why a status move is not allowed, or None when it is."""
    if old == new:
        return None
    if (old, new) not in _MOVES:
        return f"cannot move from {old.value} to {new.value}"
    if old == Status.COMPLETED and not (reason and reason.strip()):
        return "reopening a completed item needs a reason"
    return None


def next_statuses(old: Status) -> list[Status]:
    """The statuses an item may take next from `old`, `old` itself first."""
    return [old, *(new for new in Status if (old, new) in _MOVES)]


def completion_problem(note: str, evidence_files: int, without_evidence: str = "") -> str | None:
    """Why an item cannot be completed, or None when it can."""
    if not note.strip():
        return "completing an item needs a note on what was done"
    if evidence_files < 1 and not without_evidence.strip():
        return "completing an item needs an evidence file, or staff's reason to accept it without"
    return None


@dataclass(frozen=True)
class Merge:
    """Her changes merged with theirs: the values to save, and which fields each side changed."""

    values: dict[str, Any]
    mine: tuple[str, ...]  # changed by her alone: hers are kept
    theirs: tuple[str, ...]  # changed by them alone: theirs are kept
    conflicts: tuple[str, ...]  # changed by both, differently: `values` holds theirs


def _comparable(value: Any) -> Any:
    # a form holds a date where a stored copy or a draft may hold its ISO text; empty is empty
    if value is None:
        return ""
    if isinstance(value, dt.date):  # a datetime too
        return value.isoformat()
    return value


def _same(_key: str, a: Any, b: Any) -> bool:
    return bool(_comparable(a) == _comparable(b))


def merge_fields(
    base: dict[str, Any],
    mine: dict[str, Any],
    theirs: dict[str, Any],
    same: Callable[[str, Any, Any], bool] | None = None,
) -> Merge:
    """Three-way merge, field by field, of her changes and theirs to the same `base`."""
    same = same or _same
    values: dict[str, Any] = {}
    only_mine: list[str] = []
    only_theirs: list[str] = []
    conflicts: list[str] = []
    for key, value in mine.items():
        old = base.get(key)
        other = theirs.get(key, old)
        i_changed, they_changed = not same(key, value, old), not same(key, other, old)
        if they_changed and not same(key, value, other):
            if i_changed:
                conflicts.append(key)
            else:
                only_theirs.append(key)
            values[key] = other
        else:
            if i_changed and not they_changed:
                only_mine.append(key)
            values[key] = value
    return Merge(values, tuple(only_mine), tuple(only_theirs), tuple(conflicts))


def is_overdue(status: Status | str, due_date: dt.date | None, as_of: dt.date) -> bool:
    """An item is overdue when its due date has passed and it is not completed."""
    return due_date is not None and due_date < as_of and Status(status) != Status.COMPLETED
