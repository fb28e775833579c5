"""Comments on Improvement Plan items: a thread per item, internal or shared with the factory."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from bwcases.core.errors import NotAllowedError, ValidationError
from bwcases.store import models as m
from bwcases.store.gateway import Gateway
from bwcases.store.portfolio import check_covered

INTERNAL = "internal"  # programme staff and advisors only
SHARED = "shared"  # the factory's own people read it too
VISIBILITIES = (INTERNAL, SHARED)
COMMENT_LIMIT = 5000  # as an item's own texts (domain.ITEM_TEXT_LIMITS)
FACTORY_ROLE = "factory"  # auth.Role.FACTORY: the factory's own staff
READONLY_ROLE = "readonly"  # auth.Role.READONLY: reads, writes nothing
COMMENT_COLUMNS = ["id", "item_id", "author", "at", "visibility", "text"]


def comment_problems(text: str, visibility: str) -> dict[str, str]:
    """What is wrong with a comment, by field, naming the value (nothing when it may be saved)."""
    problems = {}
    if not text.strip():
        problems["text"] = "a comment cannot be empty"
    elif len(text) > COMMENT_LIMIT:
        problems["text"] = f"{len(text)} characters, more than the {COMMENT_LIMIT} allowed"
    if visibility not in VISIBILITIES:
        problems["visibility"] = f"{visibility!r} is not {' or '.join(VISIBILITIES)}"
    return problems


class CommentStore(Gateway):
    """Each plan item's thread of comments; the factory's people read only the shared ones."""

    def add_comment(self, item_id: int, text: str, *, visibility: str, actor: str) -> int:
        """Add a comment to an item's thread (audited); returns its id."""
        text = text.strip()
        problems = comment_problems(text, visibility)
        if problems:
            raise ValidationError(problems)
        with self.writing(actor) as s:
            item = self.get(s, m.PlanItem, item_id)
            user = s.get(m.User, actor)
            if user is not None and user.role == READONLY_ROLE:
                raise NotAllowedError(f"{actor} reads only and cannot comment")
            if user is not None:
                check_covered(s, user, item.factory_id)
            if user is not None and user.role == FACTORY_ROLE and visibility != SHARED:
                raise ValidationError(
                    {"visibility": f"{actor} works for the factory: her comments are shared"}
                )
            row = m.Comment(
                item_id=item_id, author=actor, at=s.info["now"], visibility=visibility, text=text
            )
            s.add(row)
            s.flush()
            return row.id

    def comment_thread(self, item_id: int, reader: str) -> pd.DataFrame:
        """An item's comments as `reader` may read them, oldest first: a person of the factory
        (or anyone the store does not know) only the shared ones."""
        c = m.Comment
        stmt = select(*(getattr(c, col) for col in COMMENT_COLUMNS)).where(c.item_id == item_id)
        with self.reading() as s:
            item = self.get(s, m.PlanItem, item_id)
            user = s.get(m.User, reader) if reader else None
            programme = user is not None and user.active and user.role != FACTORY_ROLE
            if user is not None:
                check_covered(s, user, item.factory_id)
        if not programme:
            stmt = stmt.where(c.visibility == SHARED)
        df = self.frame(stmt.order_by(c.at, c.id))
        return df if len(df) else pd.DataFrame(columns=COMMENT_COLUMNS)
