"""Remediation progress of Improvement Plans, as of a date (pure pandas)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from bwcases.analysis.persistence import persistent_items
from bwcases.core.catalogue import COMPLIANCE_POINTS, canonical_compliance_point, catalogue_order
from bwcases.core.domain import Status

PROGRESS_COLUMNS = [
    "items",
    "pending",
    "in_progress",
    "completed",
    "share_completed",
    "overdue",
    "median_days_to_complete",
    "persistent_open",
]


def status_as_of(items: pd.DataFrame, updates: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Items opened by `as_of`, with their status, completion date and overdue flag on that
    day: the status history replayed to that date.

    The one definition of "as of" that progress, the factory report and the briefs share.
    """
    day = pd.Timestamp(as_of)
    items = items[pd.to_datetime(items["opened_on"]) <= day].copy()
    later = updates[pd.to_datetime(updates["date"]) > day]
    first_later = later.sort_values(["date", "id"]).groupby("item_id")["old_status"].first()
    rewound = items["item_id"].map(first_later.astype(object))
    items["status"] = rewound.where(rewound.notna(), items["status"]).astype(str)
    completed_on = pd.to_datetime(items["completed_on"])
    # completed after the day with no history to rewind (a plan file's item): open that day
    done_later = rewound.isna() & (items["status"] == Status.COMPLETED.value)
    items.loc[done_later & (completed_on > day), "status"] = Status.IN_PROGRESS.value
    done = items["status"] == Status.COMPLETED.value
    items["completed_on"] = completed_on.where(done & (completed_on <= day))
    items["overdue"] = ~done & (pd.to_datetime(items["due_date"]) < day)
    return items


def plan_progress(
    items: pd.DataFrame,
    updates: pd.DataFrame,
    assessments: pd.DataFrame,
    findings: pd.DataFrame,
    *,
    as_of: dt.date,
    by: list[str],
) -> pd.DataFrame:
    """Per group: items by status, share completed, overdue, median days to complete, and
    items still open whose question is persistent (on the assessments made by `as_of`)."""
    now = status_as_of(items, updates, as_of)
    if now.empty:
        return pd.DataFrame(columns=[*by, *PROGRESS_COLUMNS])
    is_open = now["status"] != Status.COMPLETED.value
    opened = pd.to_datetime(now["opened_on"])
    days = (pd.to_datetime(now["completed_on"]) - opened).dt.days
    seen = assessments[pd.to_datetime(assessments["start_date"]) <= pd.Timestamp(as_of)]
    frame = now.assign(
        pending=now["status"] == Status.PENDING.value,
        in_progress=now["status"] == Status.IN_PROGRESS.value,
        completed=~is_open,
        days=days,
        persistent_open=is_open & persistent_items(now, findings, assessments=seen),
    )
    out = (
        frame.groupby(by)
        .agg(
            items=("item_id", "count"),
            pending=("pending", "sum"),
            in_progress=("in_progress", "sum"),
            completed=("completed", "sum"),
            overdue=("overdue", "sum"),
            median_days_to_complete=("days", "median"),
            persistent_open=("persistent_open", "sum"),
        )
        .reset_index()
    )
    out["share_completed"] = out["completed"] / out["items"]
    for col in ("pending", "in_progress", "completed", "overdue", "persistent_open"):
        out[col] = out[col].astype("int64")
    return out[[*by, *PROGRESS_COLUMNS]].sort_values(by, ignore_index=True)


CP_STATUS_COLUMNS = ["cluster", "compliance_point", "pending", "in_progress", "completed", "items"]
_CLUSTER_OF = {cp: cluster for cluster, cps in COMPLIANCE_POINTS.items() for cp in cps}
OTHER_CLUSTER = "Other"  # a CP the catalogue does not know (a self-diagnosis item's own words)


def items_by_cp_status(now: pd.DataFrame) -> pd.DataFrame:
    """Plan items (as `status_as_of` gives them) per compliance point, a column per status,
    the CPs merged as rates merge them and in the catalogue's order."""
    if now.empty:
        return pd.DataFrame(columns=CP_STATUS_COLUMNS)
    cps = now["compliance_point"].astype(str).map(canonical_compliance_point)
    frame = now.assign(
        compliance_point=cps,
        cluster=cps.map(_CLUSTER_OF).fillna(OTHER_CLUSTER),
        pending=now["status"] == Status.PENDING.value,
        in_progress=now["status"] == Status.IN_PROGRESS.value,
        completed=now["status"] == Status.COMPLETED.value,
    )
    out = (
        frame.groupby(["cluster", "compliance_point"])
        .agg(
            pending=("pending", "sum"),
            in_progress=("in_progress", "sum"),
            completed=("completed", "sum"),
            items=("item_id", "count"),
        )
        .reset_index()
    )
    order = sorted(
        range(len(out)),
        key=lambda i: catalogue_order(out["cluster"].iat[i], out["compliance_point"].iat[i]),
    )
    out = out.iloc[order].reset_index(drop=True)
    return out.astype(dict.fromkeys(CP_STATUS_COLUMNS[2:], "int64"))[CP_STATUS_COLUMNS]
