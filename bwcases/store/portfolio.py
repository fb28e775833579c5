"""Whose portfolio holds a factory, as the store checks it before a person reads or writes."""

# The store's copy of auth.people.Person.covers (a tier above, which the store may not import):
# the two draw one portfolio, the apps' to show, the store's to refuse.

from __future__ import annotations

from sqlalchemy.orm import Session

from bwcases.core.errors import NotAllowedError
from bwcases.store import models as m

FACTORY_ROLE = "factory"  # auth.Role.FACTORY: the factory's own staff, her one factory
ADVISOR_ROLE = "advisor"  # auth.Role.ADVISOR: the factories the register names her for
STAFF_ROLE = "staff"  # auth.Role.STAFF: programme staff of her country, who verify fixes
READONLY_ROLE = "readonly"  # auth.Role.READONLY: reads, writes nothing
EDITORS = (ADVISOR_ROLE, STAFF_ROLE)  # who change plans, progress and visits (Person.can_edit)


def covers(s: Session, user: m.User, factory_id: str) -> bool:
    """Whether a user's portfolio holds the factory: a factory's person hers, an advisor the
    register's own, staff and readers their country's (every one, without a country)."""
    if user.role == FACTORY_ROLE:
        return user.factory_id is not None and user.factory_id == factory_id
    factory = s.get(m.Factory, factory_id)
    if factory is None:
        return False
    if user.role == ADVISOR_ROLE:
        return factory.advisor == user.name
    return not user.country or factory.country == user.country


def check_covered(s: Session, user: m.User, factory_id: str) -> None:
    """Refuse a person a factory outside her portfolio, saying whose it is not."""
    if covers(s, user, factory_id):
        return
    if user.role == FACTORY_ROLE:
        raise NotAllowedError(
            f"{user.name} works for factory {user.factory_id}, not for {factory_id}"
        )
    raise NotAllowedError(f"factory {factory_id} is not in {user.name}'s portfolio")


def check_writer(
    s: Session, actor: str, factory_id: str, roles: tuple[str, ...], refusal: str
) -> None:
    """Refuse a write to whom the apps refuse it: a person whose role is not among `roles`, or
    who is stopped (`refusal` says why), and one whose portfolio does not hold the factory. An
    actor who is no person of the store (the command line, an import, a script) is the store's
    own and is not checked."""
    user = s.get(m.User, actor)
    if user is None:
        return
    if not user.active or user.role not in roles:
        raise NotAllowedError(f"{actor} {refusal}")
    check_covered(s, user, factory_id)
