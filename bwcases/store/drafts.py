"""Drafts: what a person typed in a form and has not saved, kept for her on any device."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bwcases.core.errors import UsageError, ValidationError
from bwcases.store import models as m
from bwcases.store.gateway import Gateway

# A draft holds a form's texts: a few pages at most. More is a mistake, not work to keep.
MAX_DRAFT_BYTES = 256 * 1024
_WIDTHS = {"person": 200, "form": 40, "key": 200}  # the columns' widths


def _encode(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"a draft cannot keep a {type(value).__name__}")


def _check_names(**names: str) -> None:
    for name, value in names.items():
        if not value or len(value) > _WIDTHS[name]:
            raise UsageError(f"a draft's {name} must be 1 to {_WIDTHS[name]} characters: {value!r}")


def clear_draft(s: Session, person: str, draft: tuple[str, str] | None) -> None:
    """Forget `person`'s draft (form, key) in the transaction of the save that replaces it: gone
    when the save commits, kept when it fails."""
    if draft is not None:
        form, key = draft
        d = m.Draft
        s.execute(delete(d).where(d.person == person, d.form == form, d.key == key))


class DraftStore(Gateway):
    """A person's unsaved forms: personal scratch, neither audited nor part of the snapshot."""

    def save_draft(self, person: str, form: str, key: str, values: dict[str, Any]) -> dt.datetime:
        """Keep `person`'s draft of a form, replacing the one before; when it was kept."""
        _check_names(person=person, form=form, key=key)
        try:
            text = json.dumps(values, ensure_ascii=False, default=_encode)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"draft {form} {key}: {exc}") from exc
        size = len(text.encode())
        if size > MAX_DRAFT_BYTES:
            raise ValidationError(
                {
                    "values": f"the draft is {size / 1024:.0f} KB, more than the "
                    f"{MAX_DRAFT_BYTES // 1024} KB a draft may hold: save it or shorten it"
                }
            )
        now = dt.datetime.now(dt.UTC)
        # one statement, so two kernels keeping her draft at once both succeed (the last stays)
        upsert = self.upsert(
            m.Draft,
            {"person": person, "form": form, "key": key, "values": text, "saved_at": now},
            ["person", "form", "key"],
            ["values", "saved_at"],
        )
        with self.engine.begin() as conn:
            conn.execute(upsert)
        return now

    def draft(self, person: str, form: str, key: str) -> tuple[dict[str, Any], dt.datetime] | None:
        """`person`'s draft of a form (dates as ISO text) and when it was kept, or None."""
        d = m.Draft
        stmt = select(d.values, d.saved_at).where(d.person == person, d.form == form, d.key == key)
        with self.reading() as s:
            row = s.execute(stmt).first()
        if row is None:
            return None
        text, saved_at = row
        if saved_at.tzinfo is None:  # SQLite hands datetimes back naive; the store writes UTC
            saved_at = saved_at.replace(tzinfo=dt.UTC)
        return json.loads(text), saved_at.astimezone(dt.UTC)

    def discard_draft(self, person: str, form: str, key: str) -> None:
        """Forget `person`'s draft of a form (nothing happens when there is none)."""
        d = m.Draft
        with self.engine.begin() as conn:
            conn.execute(delete(d).where(d.person == person, d.form == form, d.key == key))
