"""Evidence files of progress updates: kept once by their content's SHA-256, read back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bwcases.core.digests import sha256_hex
from bwcases.core.errors import NotFoundError
from bwcases.store import models as m
from bwcases.store.gateway import Gateway, audit

# What the server needs to know of an attached file before it sends it: whose factory it is.
ATTACHMENT_FIELDS = ("filename", "media_type", "size", "item_id", "factory_id")
EVIDENCE_COLUMNS = [
    "update_id",
    "item_id",
    "date",
    "sha256",
    "filename",
    "size",
    "media_type",
]


@dataclass(frozen=True)
class Upload:
    """A file a person attached: its name as uploaded, its media type and its bytes."""

    filename: str
    media_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        """The SHA-256 of the content, in hex: the file's key in the store."""
        return sha256_hex(self.content)


def keep_file(s: Session, upload: Upload, actor: str) -> None:
    """Store an uploaded file in the session's transaction, unless its content is stored."""
    e = m.EvidenceFile
    if s.execute(select(e.sha256).where(e.sha256 == upload.sha256)).first() is not None:
        return  # the same content is stored once, whoever uploaded it under which name
    facts = {"size": len(upload.content), "media_type": upload.media_type}
    s.execute(
        insert(e).values(
            sha256=upload.sha256,
            content=upload.content,
            created_by=actor,
            created_at=s.info["now"],
            **facts,
        )
    )
    audit(s, actor, "evidence_files", upload.sha256, "insert", facts, at=s.info["now"])


def evidence_count(s: Session, item_id: int) -> int:
    """How many evidence files a plan item's progress updates hold so far."""
    ue, u = m.UpdateEvidence, m.ProgressUpdate
    stmt = select(func.count()).select_from(ue).join(u, u.id == ue.update_id)
    return int(s.execute(stmt.where(u.item_id == item_id)).scalar_one())


class EvidenceStore(Gateway):
    """Reads of the evidence files attached to progress updates."""

    def evidence_frame(self, item_ids: Sequence[int]) -> pd.DataFrame:
        """The evidence files attached to these items' progress updates."""
        ue, e, u = m.UpdateEvidence, m.EvidenceFile, m.ProgressUpdate
        stmt = (
            select(u.id.label("update_id"), u.item_id, u.date, e.sha256, ue.filename, e.size)
            .add_columns(e.media_type)
            .join(ue, ue.update_id == u.id)
            .join(e, e.sha256 == ue.sha256)
            .where(u.item_id.in_(list(item_ids)))
            .order_by(u.item_id, u.id, ue.filename)
        )
        df = self.frame(stmt)
        return df if len(df) else pd.DataFrame(columns=EVIDENCE_COLUMNS)

    def attachment(self, update_id: int, sha256: str) -> dict[str, Any]:
        """A file attached to a progress update, without its bytes: its name, media type, size,
        item and factory."""
        ue, e, u, p = m.UpdateEvidence, m.EvidenceFile, m.ProgressUpdate, m.PlanItem
        stmt = (
            select(ue.filename, e.media_type, e.size, u.item_id, p.factory_id)
            .join(e, e.sha256 == ue.sha256)
            .join(u, u.id == ue.update_id)
            .join(p, p.id == u.item_id)
            .where(ue.update_id == update_id, ue.sha256 == sha256)
        )
        with self.reading() as s:
            row = s.execute(stmt).first()
        if row is None:
            raise NotFoundError("evidence file", f"{update_id}/{sha256}")
        return dict(zip(ATTACHMENT_FIELDS, row, strict=True))

    def evidence_file(self, sha256: str) -> tuple[bytes, str]:
        """The bytes and media type of a stored evidence file."""
        e = m.EvidenceFile
        with self.reading() as s:
            row = s.execute(select(e.content, e.media_type).where(e.sha256 == sha256)).first()
        if row is None:
            raise NotFoundError("evidence file", sha256)
        return bytes(row.content), str(row.media_type)
