"""Remediation progress of Improvement Plans, as of a date (pure pandas)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

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
    """Items opened by `as_of`, with their status and completion date on that day."""
    day = pd.Timestamp(as_of)
    items = items[pd.to_datetime(items["opened_on"]) <= day].copy()
    later = updates[pd.to_datetime(updates["date"]) > day]
    first_later = later.sort_values(["date", "id"]).groupby("item_id")["old_status"].first()
    rewound = items["item_id"].map(first_later.astype(object))
    items["status"] = rewound.where(rewound.notna(), items["status"]).astype(str)
    completed_on = pd.to_datetime(items["completed_on"])
    done = items["status"] == Status.COMPLETED.value
    items["completed_on"] = completed_on.where(done & (completed_on <= day))
    return items


def persistent_items(
    items: pd.DataFrame, assessments: pd.DataFrame, findings: pd.DataFrame, as_of: dt.date
) -> pd.Series:
    """Whether each item's finding was non-compliant again at the factory's next assessment."""
    out = pd.Series(False, index=items.index)
    linked = items.dropna(subset=["quest_id"])
    if linked.empty or assessments.empty:
        return out
    seen = assessments[pd.to_datetime(assessments["start_date"]) <= pd.Timestamp(as_of)]
    seen = seen.sort_values(["factory_id", "quest_id"])
    seen = seen.assign(next_quest=seen.groupby("factory_id")["quest_id"].shift(-1))
    nxt = linked.merge(
        seen[["quest_id", "next_quest"]], left_on="quest_id", right_on="quest_id", how="left"
    )
    nc = findings[pd.to_numeric(findings["finding"]) == 1][["quest_id", "question_id"]]
    nc = nc.drop_duplicates().assign(again=True)
    nxt = nxt.merge(
        nc.rename(columns={"quest_id": "next_quest"}),
        on=["next_quest", "question_id"],
        how="left",
    )
    again = nxt["again"].astype("boolean").fillna(False).astype(bool).to_numpy()
    out.loc[linked.index] = again
    return out


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
    items still open on an issue found non-compliant again at the next assessment."""
    now = status_as_of(items, updates, as_of)
    if now.empty:
        return pd.DataFrame(columns=[*by, *PROGRESS_COLUMNS])
    due = pd.to_datetime(now["due_date"])
    is_open = now["status"] != Status.COMPLETED.value
    opened = pd.to_datetime(now["opened_on"])
    days = (pd.to_datetime(now["completed_on"]) - opened).dt.days
    frame = now.assign(
        pending=now["status"] == Status.PENDING.value,
        in_progress=now["status"] == Status.IN_PROGRESS.value,
        completed=~is_open,
        overdue=is_open & (due < pd.Timestamp(as_of)),
        days=days,
        persistent_open=is_open & persistent_items(now, assessments, findings, as_of),
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
