"""Users and their sign-in sessions, and what the advisor apps read besides plans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import delete, insert, select, update

from bwcases.core.domain import login_key
from bwcases.core.errors import NotFoundError, UsageError
from bwcases.core.i18n import LANGUAGES
from bwcases.store import models as m
from bwcases.store.gateway import Gateway, audit

USER_COLUMNS = [
    "name",
    "role",
    "country",
    "factory_id",
    "email",
    "active",
    "created_by",
    "created_at",
]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back naive; the store writes them in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class AdvisorStore(Gateway):
    """Users and sessions, and the findings and audit trail the advisor apps show."""

    # -- users ---------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        *,
        role: str,
        country: str | None,
        password_hash: str,
        actor: str,
        factory: str | None = None,
        email: str | None = None,
        replace: bool = False,
    ) -> bool:
        """Add a user, or with `replace` set an existing one's role, country, factory, mail
        address and password (a deactivated one stays so: set_active lets her in)."""
        u = m.User
        key = login_key(name)
        audited: dict[str, Any] = {
            "name": name,
            "role": role,
            "country": country,
            "factory_id": factory,
            "email": email,
        }
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
                audited["active"] = True
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
                    .values(
                        role=role,
                        country=country,
                        factory_id=factory,
                        email=email,
                        password_hash=password_hash,
                    )
                )
                s.execute(delete(m.UserSession).where(m.UserSession.user_name == name))
            # the audit trail names the change, never the password hash
            action = "update" if held else "insert"
            audit(s, actor, "users", name, action, audited, at=s.info["now"])
        return held is None

    def set_active(self, login: str, active: bool, *, actor: str) -> tuple[str, bool]:
        """Let a user sign in again, or stop her: refused at sign-in, every session of hers
        ended. Returns her name as spelled and whether that changed anything."""
        u = m.User
        key = login_key(login)
        with self.writing(actor) as s:
            name = s.execute(select(u.name).where(u.login_key == key)).scalar_one_or_none()
            if not key or name is None:
                raise NotFoundError("user", login)
            flip = update(u).where(u.name == name, u.active.is_(not active)).values(active=active)
            changed = bool(getattr(s.execute(flip), "rowcount", 0))
            # stopping her ends her sessions; so does letting her in again, that none kept from
            # before comes back to life; letting in someone already in ends nothing
            if changed or not active:
                s.execute(delete(m.UserSession).where(m.UserSession.user_name == name))
            if changed:
                audit(s, actor, "users", name, "update", {"active": active}, at=s.info["now"])
        return name, changed

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
                audit(s, actor, "users", name, "update", {"password": "changed"}, at=s.info["now"])

    def language_of(self, name: str) -> str | None:
        """The language a person chose last in the apps, or None (she has not chosen one)."""
        with self.reading() as s:
            return s.execute(select(m.User.language).where(m.User.name == name)).scalar()

    def set_language(self, name: str, lang: str) -> None:
        """Remember the language a person chose (a preference: not in the audit trail)."""
        if lang not in LANGUAGES:
            offered = ", ".join(LANGUAGES)
            raise UsageError(f"language {lang!r} is not one of the apps' languages ({offered})")
        with self.connection() as conn:
            done = conn.execute(update(m.User).where(m.User.name == name).values(language=lang))
            if not done.rowcount:
                raise NotFoundError("user", name)

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
