"""Who is signed in: people, their roles and what those allow, and the session cookie.

What a page's kernel needs to know its reader; passwords and sign-in are in auth.accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any

from bwcases.core.digests import sha256_hex

if TYPE_CHECKING:
    from bwcases.store import Store

COOKIE_NAME = "bwcases-session"


class Role(StrEnum):
    """What a person does in the programme, and so what the apps let her do."""

    ADVISOR = "advisor"  # her own portfolio: the factories the register names her advisor of
    STAFF = "staff"  # programme staff: every factory of her country; verifies fixes
    READONLY = "readonly"  # reads her country's factories (all, without a country); writes nothing
    FACTORY = "factory"  # the factory's own staff (a PICC member): her factory; proposes changes


@dataclass(frozen=True)
class Person:
    """A signed-in person: her name (the audit trail's author), role and country."""

    name: str
    role: Role
    country: str | None = None
    factory: str | None = None  # the factory ID a person of role FACTORY works for

    def scope(self) -> dict[str, str | None]:
        """The factory register's filters that give her portfolio."""
        if self.role is Role.ADVISOR:
            return {"advisor": self.name}
        if self.role is Role.FACTORY:
            return {"factory_id": self.factory or ""}  # none: no factory, never every one
        return {"country": self.country}

    def covers(self, factory: dict[str, Any]) -> bool:
        """Whether a factory (a register row) is in her portfolio."""
        if self.role is Role.FACTORY:
            # without a factory, none (an empty row, a factory without an ID, is not hers)
            return self.factory is not None and factory.get("factory_id") == self.factory
        if self.role is Role.ADVISOR:
            return factory.get("advisor") == self.name
        return not self.country or factory.get("country") == self.country

    @property
    def can_edit(self) -> bool:
        """Whether she may change plans, progress and visits (of factories she covers)."""
        return self.role in (Role.ADVISOR, Role.STAFF)

    @property
    def can_propose(self) -> bool:
        """Whether her changes of her factory's plan are proposals for its advisor to review."""
        return self.role is Role.FACTORY

    @property
    def can_verify(self) -> bool:
        """Whether she may verify completed public-disclosure items."""
        return self.role is Role.STAFF


def person(record: dict[str, Any] | None) -> Person | None:
    """The person a user record of the store describes."""
    if not record:
        return None
    return Person(
        str(record["name"]),
        Role(record["role"]),
        record.get("country") or None,
        record.get("factory_id") or None,
    )


def token_hash(token: str) -> str:
    """What the store keeps of a session token: its SHA-256."""
    return sha256_hex(token)


def person_for_token(store: Store, token: str | None) -> Person | None:
    """The person a session token belongs to, or None when it is unknown or expired."""
    if not token or len(token) > 200:
        return None
    return person(store.session_user(token_hash(token)))


def cookie(cookie_header: str | None, name: str) -> str | None:
    """A cookie's value in a request's Cookie header."""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header or "")
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def token_from_cookies(cookie_header: str | None) -> str | None:
    """The session token in a request's Cookie header."""
    return cookie(cookie_header, COOKIE_NAME)
