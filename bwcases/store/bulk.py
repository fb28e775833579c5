"""Bulk loads of the factory register, Improvement Plans and visits, one transaction each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

import pandas as pd
from sqlalchemy import Connection, Table, bindparam, func, select, text, update

from bwcases.core.errors import NotFoundError, UsageError
from bwcases.store import models as m
from bwcases.store.assessments import bulk_insert
from bwcases.store.gateway import Gateway, audit, rows_in
from bwcases.store.plans import ITEM_FIELDS

REGISTER_FIELDS = ("factory_name", "workers", "advisor", "status")
UPDATE_FIELDS = ("date", "author", "note", "old_status", "new_status", "evidence_ref")
VISIT_FIELDS = ("factory_id", "date", "kind", "attendees", "topics", "follow_ups")
_VERSIONED = ("version", "updated_by", "updated_at")


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def _rows(frame: pd.DataFrame, columns: Sequence[str], *extra: Any) -> list[tuple]:
    """A frame's columns as tuples of plain Python values (None where missing), then `extra`."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UsageError(f"bulk load: missing columns {', '.join(missing)}")
    values = [[_plain(v) for v in frame[c].astype(object).tolist()] for c in columns]
    return [(*row, *extra) for row in zip(*values, strict=True)]


def _reserve_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """`count` new ids of a table's integer key, taken from its sequence on PostgreSQL."""
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        seq = conn.execute(
            text("SELECT pg_get_serial_sequence(:name, 'id')"), {"name": table.name}
        ).scalar_one()
        ids = conn.execute(
            text("SELECT nextval(:seq) FROM generate_series(1, :n)"), {"seq": seq, "n": count}
        ).scalars()
        return sorted(int(i) for i in ids)
    # Elsewhere the transaction already holds the write lock (the audit entry came first).
    last = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(int(last) + 1, int(last) + count + 1))


class BulkStore(Gateway):
    """Fast loads of many records at once, each load one transaction and one audit entry."""

    def _check_factories(self, conn: Connection, factory_ids: Sequence[str]) -> None:
        f = m.Factory
        found = {fid for (fid,) in rows_in(conn, select(f.factory_id), f.factory_id, factory_ids)}
        missing = sorted(set(factory_ids) - found)
        if missing:
            raise NotFoundError("factory", missing[0])

    def bulk_update_factories(self, records: pd.DataFrame, actor: str, source: str) -> int:
        """Set register fields of existing factories, one row per factory_id; returns how many."""
        fields = [c for c in records.columns if c != "factory_id"]
        unknown = [c for c in fields if c not in REGISTER_FIELDS]
        if unknown:
            raise UsageError(f"bulk load: {', '.join(unknown)} is not a register field")
        if records.empty or not fields:
            return 0
        table = cast(Table, m.Factory.__table__)
        now = dt.datetime.now(dt.UTC)
        stmt = (
            update(table)
            .where(table.c.factory_id == bindparam("b_factory_id"))
            .values(
                {
                    **{c: bindparam(f"b_{c}") for c in fields},
                    "version": table.c.version + 1,
                    "updated_by": actor,
                    "updated_at": now,
                }
            )
        )
        names = [f"b_{c}" for c in ["factory_id", *fields]]
        params = [
            dict(zip(names, row, strict=True)) for row in _rows(records, ["factory_id", *fields])
        ]
        with self.connection() as conn:
            self._check_factories(conn, records["factory_id"].tolist())
            after = {"factories": len(params), "fields": fields}
            audit(conn, actor, "factories", source, "import", after, at=now)
            conn.execute(stmt, params)
        return len(params)

    def bulk_add_plan_items(
        self, items: pd.DataFrame, updates: pd.DataFrame | None, actor: str, source: str
    ) -> list[int]:
        """Add Improvement Plan items and their progress updates together; the items' new ids."""
        # updates["item"] is the position (0, 1, ...) in `items` of the item an update is about.
        updates = updates if updates is not None else pd.DataFrame(columns=["item", *UPDATE_FIELDS])
        if len(updates) and not updates["item"].between(0, len(items) - 1).all():
            raise UsageError("bulk load: a progress update refers to no item")
        now = dt.datetime.now(dt.UTC)
        items_table = cast(Table, m.PlanItem.__table__)
        with self.connection() as conn:
            self._check_factories(conn, items["factory_id"].tolist())
            after = {"plan_items": len(items), "progress_updates": len(updates)}
            audit(conn, actor, "plan_items", source, "import", after, at=now)
            ids = _reserve_ids(conn, items_table, len(items))
            rows = [
                (item_id, *row)
                for item_id, row in zip(ids, _rows(items, ITEM_FIELDS, 1, actor, now), strict=True)
            ]
            bulk_insert(conn, items_table, ["id", *ITEM_FIELDS, *_VERSIONED], rows)
            item_ids = [ids[int(i)] for i in updates["item"].tolist()]
            rows = [
                (item_id, *row)
                for item_id, row in zip(item_ids, _rows(updates, UPDATE_FIELDS), strict=True)
            ]
            bulk_insert(conn, m.ProgressUpdate.__table__, ["item_id", *UPDATE_FIELDS], rows)
        return ids

    def bulk_add_visits(self, visits: pd.DataFrame, actor: str, source: str) -> int:
        """Add advisory visits and PICC meetings; returns how many."""
        now = dt.datetime.now(dt.UTC)
        # a PICC meeting's decisions (0007) are NOT NULL: a load without them records none
        decisions = visits.get("decisions", "")
        fields = [*VISIT_FIELDS, "decisions"]
        rows = _rows(visits.assign(decisions=decisions), fields, 1, actor, now)
        with self.connection() as conn:
            self._check_factories(conn, visits["factory_id"].tolist())
            audit(conn, actor, "visits", source, "import", {"visits": len(rows)}, at=now)
            bulk_insert(conn, m.Visit.__table__, [*fields, *_VERSIONED], rows)
        return len(rows)
