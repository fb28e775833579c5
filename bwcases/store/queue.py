"""The work queue: plan items across a portfolio, filtered and sorted, in one query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, case, func, select

from bwcases.core.catalogue import COMPLIANCE_POINTS, canonical_cluster, canonical_compliance_point
from bwcases.core.domain import FactoryStatus, Status
from bwcases.store import models as m
from bwcases.store.gateway import Gateway

QUEUE_COLUMNS = [
    "item_id",
    "factory_id",
    "factory_name",
    "country",
    "advisor",
    "compliance_point",
    "cluster",
    "issue",
    "action",
    "responsible",
    "due_date",
    "priority",
    "status",
    "verification",
    "last_update",
    "overdue",
]
SORTS = ("due_date", "factory", "status", "last_update")
STATUS_ORDER = [Status.PENDING.value, Status.IN_PROGRESS.value, Status.COMPLETED.value]
# The cluster of each CP the CAT names; a CP only the store's exports name takes theirs.
CATALOGUE_CLUSTER = {
    canonical_compliance_point(cp): cluster
    for cluster, cps in COMPLIANCE_POINTS.items()
    for cp in cps
}


@dataclass(frozen=True)
class QueueFilters:
    """What the work queue shows: each filter empty (or False, or None) lets every item pass."""

    status: str = ""
    overdue: bool = False
    due_within: int | None = None  # days from today, open items only
    verification: str = ""  # domain.Verification: awaiting (staff's queue), rejected (sent back)
    cluster: str = ""
    compliance_point: str = ""
    responsible: str = ""  # text the responsible person's name contains, any case
    factory_id: str = ""
    advisor: str = ""
    sort: str = "due_date"  # one of SORTS


@dataclass(frozen=True)
class WorkQueue:
    """The queue's items, and how many of them each status has whatever status is chosen."""

    items: pd.DataFrame
    counts: dict[str, int]


class QueueStore(Gateway):
    """The items a person works on, across her portfolio."""

    def work_queue(
        self,
        *,
        advisor: str | None = None,
        country: str | None = None,
        factory_id: str | None = None,
        filters: QueueFilters = QueueFilters(),
        today: dt.date | None = None,
    ) -> WorkQueue:
        """The plan items of a portfolio (Person.scope(): `advisor`, `country` or a factory's
        own person's `factory_id`) that pass."""
        today = today or dt.date.today()
        df = self.frame(_queue_statement(advisor, country, filters, today, factory_id))
        if df.empty:
            df = pd.DataFrame(columns=QUEUE_COLUMNS)
        df["cluster"] = [
            _cluster(cp, cl) for cp, cl in zip(df["compliance_point"], df["cluster"], strict=True)
        ]
        df["overdue"] = (df["status"] != Status.COMPLETED.value) & pd.Series(
            [d is not None and not pd.isna(d) and d < today for d in df["due_date"]],
            index=df.index,
            dtype=bool,
        )
        # Not in SQL: SQLite folds the case of ASCII letters only, and names are in any script.
        if filters.responsible.strip():
            wanted = filters.responsible.strip().casefold()
            df = df[[wanted in str(r).casefold() for r in df["responsible"]]]
        if filters.cluster:
            df = df[df["cluster"] == filters.cluster]
        # the counts before the status is chosen, so that she sees what each status holds
        counts = {s: int((df["status"] == s).sum()) for s in STATUS_ORDER}
        if filters.status:
            df = df[df["status"] == filters.status]
        return WorkQueue(df[QUEUE_COLUMNS].reset_index(drop=True), counts)


def _cluster(compliance_point: str, exported: str | None) -> str:
    """A CP's cluster: the catalogue's, else the one its questions were exported under."""
    known = CATALOGUE_CLUSTER.get(canonical_compliance_point(compliance_point))
    if known:
        return known
    return canonical_cluster(exported) if exported else ""


def _queue_statement(
    advisor: str | None,
    country: str | None,
    filters: QueueFilters,
    today: dt.date,
    factory_id: str | None = None,
) -> Select[Any]:
    """One select: the items with their factory, the CP's exported cluster, the last update."""
    i, f, q, u = m.PlanItem, m.Factory, m.Question, m.ProgressUpdate
    last = (
        select(u.item_id, func.max(u.date).label("last_update"))
        .group_by(u.item_id)
        .subquery("last")
    )
    clusters = (
        select(q.compliance_point, func.min(q.cluster).label("cluster"))
        .group_by(q.compliance_point)
        .subquery("clusters")
    )
    stmt = (
        select(
            i.id.label("item_id"),
            i.factory_id,
            f.factory_name,
            f.country,
            f.advisor,
            i.compliance_point,
            clusters.c.cluster,
            i.issue,
            i.action,
            i.responsible,
            i.due_date,
            i.priority,
            i.status,
            i.verification,
            last.c.last_update,
        )
        .join(f, f.factory_id == i.factory_id)
        .outerjoin(last, last.c.item_id == i.id)
        .outerjoin(clusters, clusters.c.compliance_point == i.compliance_point)
        .where(f.status != FactoryStatus.OBSOLETE.value)
    )
    if factory_id is not None:
        stmt = stmt.where(f.factory_id == factory_id)
    elif advisor:
        stmt = stmt.where(f.advisor == advisor)
    elif country:
        stmt = stmt.where(f.country == country)
    open_ = i.status != Status.COMPLETED.value
    if filters.overdue:
        stmt = stmt.where(open_, i.due_date < today)
    if filters.due_within is not None:
        until = today + dt.timedelta(days=filters.due_within)
        stmt = stmt.where(open_, i.due_date >= today, i.due_date <= until)
    if filters.verification:
        stmt = stmt.where(i.verification == filters.verification)
    if filters.compliance_point:
        stmt = stmt.where(i.compliance_point == filters.compliance_point)
    if filters.factory_id:
        stmt = stmt.where(i.factory_id == filters.factory_id)
    if filters.advisor:
        stmt = stmt.where(f.advisor == filters.advisor)
    return stmt.order_by(*_order(filters.sort, i, last.c.last_update))


def _order(sort: str, i: type[m.PlanItem], last_update: ColumnElement[Any]) -> list[Any]:
    """The ORDER BY of a sort (the item's number last: the same order every time)."""
    due_missing = case((i.due_date.is_(None), 1), else_=0)
    by_due: list[Any] = [due_missing, i.due_date]
    if sort == "factory":
        return [i.factory_id, *by_due, i.id]
    if sort == "status":
        ranks = {s: n for n, s in enumerate(STATUS_ORDER)}
        rank = case(ranks, value=i.status, else_=len(STATUS_ORDER))
        return [rank, *by_due, i.id]
    if sort == "last_update":
        never = case((last_update.is_(None), 1), else_=0)
        return [never, last_update.desc(), i.id]
    return [*by_due, i.factory_id, i.id]
