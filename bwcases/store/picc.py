"""The factory's PICC register: its members, their terms, and counts by gender and side."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bwcases.core.errors import UsageError, ValidationError
from bwcases.store import models as m
from bwcases.store.gateway import Gateway, assign
from bwcases.store.portfolio import EDITORS, FACTORY_ROLE, check_writer

SIDES = ("worker", "management")
GENDERS = ("female", "male", "other")
SELECTIONS = ("elected", "appointed")
NAME_LIMIT = 200  # picc_members.name and .role
# What a person gives of a member; her term ends by end_picc_member.
MEMBER_FIELDS = ("name", "side", "gender", "role", "selection", "since")
REGISTER_COLUMNS = [
    "id",
    "factory_id",
    *MEMBER_FIELDS,
    "until",
    "version",
    "updated_by",
]
COUNT_COLUMNS = ["factory_id", "side", *GENDERS, "total"]


def member_problems(values: dict[str, Any], today: dt.date) -> dict[str, str]:
    """What is wrong with a member's fields, by field, naming the value given."""
    problems: dict[str, str] = {}
    name = str(values.get("name") or "").strip()
    if "name" in values and not name:
        problems["name"] = "a member needs a name"
    for key in ("name", "role"):
        if len(str(values.get(key) or "")) > NAME_LIMIT:
            problems[key] = f"more than {NAME_LIMIT} characters"
    for key, allowed in (("side", SIDES), ("gender", GENDERS), ("selection", SELECTIONS)):
        if key in values and values[key] not in allowed:
            problems[key] = f"{values[key]!r} is not {', '.join(allowed)}"
    if "since" in values:
        since = values["since"]
        if not isinstance(since, dt.date):
            problems["since"] = f"{since!r} is not a date"
        elif since > today:
            problems["since"] = f"{since.isoformat()} is in the future"
    return problems


class PiccStore(Gateway):
    """The PICC register of each factory: audited, each member's record version-checked."""

    # -- writes ----------------------------------------------------------------------------

    def add_picc_member(self, factory_id: str, values: dict[str, Any], actor: str) -> int:
        """Register a member of a factory's PICC; returns her id."""
        _check_fields(values, required=True)
        values = _trimmed(values)
        with self.writing(actor) as s:
            self.get(s, m.Factory, factory_id)
            _check_writer(s, actor, factory_id)
            row = m.PiccMember(
                factory_id=factory_id,
                **{"role": "", **values},
                updated_by=actor,
                updated_at=s.info["now"],
            )
            s.add(row)
            s.flush()
            return row.id

    def update_picc_member(
        self, member_id: int, values: dict[str, Any], *, expected_version: int, actor: str
    ) -> int:
        """Correct a member's fields, refused against a stale version; the new version."""
        _check_fields(values, required=False)
        values = _trimmed(values)
        with self.writing(actor) as s:
            row = self.get(s, m.PiccMember, member_id)
            _check_writer(s, actor, row.factory_id)
            self.check_version(row, expected_version, values)
            if row.until is not None and values.get("since", row.since) > row.until:
                raise ValidationError({"since": "after the end of her membership"})
            if assign(row, values):
                row.updated_by, row.updated_at = actor, s.info["now"]
            s.flush()
            return row.version

    def end_picc_member(
        self, member_id: int, until: dt.date, *, expected_version: int, actor: str
    ) -> int:
        """End a member's term on `until` (she stays in the register); the new version."""
        with self.writing(actor) as s:
            row = self.get(s, m.PiccMember, member_id)
            _check_writer(s, actor, row.factory_id)
            self.check_version(row, expected_version, {"until": until})
            if row.until is not None:
                raise ValidationError({"until": f"her membership ended on {row.until.isoformat()}"})
            if until < row.since:
                raise ValidationError(
                    {"until": f"{until.isoformat()} is before she joined ({row.since.isoformat()})"}
                )
            row.until, row.updated_by, row.updated_at = until, actor, s.info["now"]
            s.flush()
            return row.version

    # -- reads -----------------------------------------------------------------------------

    def picc_register_frame(
        self, *, factory_ids: Sequence[str] | None = None, current_on: dt.date | None = None
    ) -> pd.DataFrame:
        """The PICC members of these factories (all factories: None), by factory, side and
        name; with `current_on`, only those who were members that day."""
        p = m.PiccMember
        stmt = select(*(getattr(p, c) for c in REGISTER_COLUMNS)).order_by(
            p.factory_id, p.side.desc(), p.name, p.id
        )
        if factory_ids is not None:
            stmt = stmt.where(p.factory_id.in_(list(factory_ids)))
        if current_on is not None:
            stmt = stmt.where(p.since <= current_on, or_(p.until.is_(None), p.until > current_on))
        df = self.frame(stmt)
        return df if len(df) else pd.DataFrame(columns=REGISTER_COLUMNS)

    def picc_member(self, member_id: int) -> dict[str, Any]:
        """One member's fields with her version."""
        with self.reading() as s:
            row = self.get(s, m.PiccMember, member_id)
            return {c: getattr(row, c) for c in REGISTER_COLUMNS}

    def picc_counts(
        self, *, factory_ids: Sequence[str] | None = None, as_of: dt.date | None = None
    ) -> pd.DataFrame:
        """PICC members by gender and side: one row per factory and side (worker, management),
        a column per gender and the total; members on `as_of` (default: today). Factories
        asked for by ID have their rows even with no member."""
        day = as_of or dt.date.today()
        p = m.PiccMember
        stmt = (
            select(p.factory_id, p.side, p.gender, func.count())
            .where(p.since <= day, or_(p.until.is_(None), p.until > day))
            .group_by(p.factory_id, p.side, p.gender)
        )
        if factory_ids is not None:
            stmt = stmt.where(p.factory_id.in_(list(factory_ids)))
        with self.reading() as s:
            found = [(str(f), str(side), str(g), int(n)) for f, side, g, n in s.execute(stmt)]
        counts: dict[tuple[str, str], dict[str, int]] = {}
        factories = sorted({row[0] for row in found} | set(factory_ids or ()))
        for fid in factories:
            for side in SIDES:
                counts[(fid, side)] = dict.fromkeys(GENDERS, 0)
        for fid, side, gender, n in found:
            counts[(fid, side)][gender] = n
        rows = [
            {"factory_id": fid, "side": side, **by, "total": sum(by.values())}
            for (fid, side), by in counts.items()
        ]
        return pd.DataFrame(rows, columns=COUNT_COLUMNS).astype(dict.fromkeys(GENDERS, "int64"))


def _check_fields(values: dict[str, Any], *, required: bool) -> None:
    """Refuse fields a member has not, missing ones (for a new member) and bad values."""
    unknown = sorted(set(values) - set(MEMBER_FIELDS))
    if unknown:
        raise UsageError(
            f"a PICC member has no field {', '.join(unknown)}: give {', '.join(MEMBER_FIELDS)} "
            "(her term ends with end_picc_member)"
        )
    problems = member_problems(values, dt.date.today())
    if required:
        for key in ("name", "side", "gender", "selection", "since"):
            if values.get(key) in (None, ""):
                problems.setdefault(key, "missing")
    if problems:
        raise ValidationError(problems)


def _trimmed(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}


def _check_writer(s: Session, actor: str, factory_id: str) -> None:
    """Refuse the register to a reader, and a factory's to whose portfolio does not hold it."""
    check_writer(s, actor, factory_id, (*EDITORS, FACTORY_ROLE), "cannot change a PICC register")
