"""One "as of": the factory report, `progress` and the briefs replay the same status history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from bwcases.analysis import queries
from bwcases.analysis.progress import status_as_of
from bwcases.io.importers import import_file
from bwcases.reports.factory import factory_report
from bwcases.reports.governance import governance_brief
from bwcases.reports.suppression import is_suppressed
from bwcases.store import Store
from tests.helpers import add_item, plan_values, write_csv

D = dt.date
COUNTS = ["items", "pending", "in_progress", "completed", "overdue"]


def five_and_one(store: Store, tmp_path: Path) -> Store:
    """Haiti: HT001-HT005 assessed in March 2025, HT006 only in March 2023; one plan item
    each (HT001's completed on 1 February 2026, after the year the briefs below look at)."""
    lines = [
        f"Haiti,1,HT00{n},Usine {n},{100 + n},10/03/{2023 if n == 6 else 2025},NCQ,"
        "Wages paid?,W1,Minimum Wages/Piece Rate Wages,Compensation,1,"
        for n in range(1, 7)
    ]
    import_file(store, "assessments", write_csv(tmp_path / "haiti.csv", lines))
    for n in range(1, 7):
        opened = D(2023, 4, 1) if n == 6 else D(2025, 4, 1)
        more = {"completed_on": D(2026, 2, 1)} if n == 1 else {}
        status = "Completed" if n == 1 else "In Progress"
        values = plan_values(f"HT00{n}", "Overtime", "Long hours", status, D(2025, 6, 1), **more)
        add_item(store, {**values, "opened_on": opened}, actor="advisor")
    return store


def report_counts(store: Store, factory_id: str, as_of: dt.date) -> dict[str, int]:
    figures = factory_report(store, factory_id, as_of=as_of).figures
    return {k: int(figures["plan_items" if k == "items" else k]) for k in COUNTS}


def progress_counts(store: Store, factory_id: str, as_of: dt.date) -> dict[str, int]:
    rows = queries.progress(store, factory_id=factory_id, as_of=as_of)
    return {k: int(rows[k].sum()) for k in COUNTS}  # no row: nothing opened by then


def test_the_report_shows_the_plan_as_it_stood_that_day(store: Store, tmp_path: Path) -> None:
    five_and_one(store, tmp_path)
    # On 31 December 2025 HT001's item was still in progress, and past its due date
    then = {"items": 1, "pending": 0, "in_progress": 1, "completed": 0, "overdue": 1}
    assert report_counts(store, "HT001", D(2025, 12, 31)) == then
    assert progress_counts(store, "HT001", D(2025, 12, 31)) == then
    plan = factory_report(store, "HT001", as_of=D(2025, 12, 31)).plan
    assert plan["status"].tolist() == ["In Progress"]
    after = {"items": 1, "pending": 0, "in_progress": 0, "completed": 1, "overdue": 0}
    assert report_counts(store, "HT001", D(2026, 3, 1)) == after
    assert progress_counts(store, "HT001", D(2026, 3, 1)) == after
    # before the item was opened, neither counts it
    assert report_counts(store, "HT001", D(2025, 3, 31))["items"] == 0


def test_the_governance_brief_counts_the_same_factories_in_every_table(
    store: Store, tmp_path: Path
) -> None:
    five_and_one(store, tmp_path)
    brief = governance_brief(store, "Haiti", "2025-01:2025-12")
    assert brief.factories_assessed == 5
    total = brief.progress.set_index("cluster").loc["Total"]
    # HT006 was not assessed in 2025: its plan is not the period's (it made 6 against 5)
    assert total["factories"] == 5 and total["items"] == 5
    # as of the period's end: HT001's completion came later
    assert (total["completed"], total["in_progress"], total["overdue"]) == (0, 5, 5)


def test_report_and_progress_agree_on_the_demo_store(demo_on_backend: Store) -> None:
    day = D(2026, 6, 30)
    store = demo_on_backend
    assert report_counts(store, "VN0001", day) == progress_counts(store, "VN0001", day)
    ids = sorted(store.plan_items_frame(country="Vietnam")["factory_id"].unique())
    rewound = 0
    for fid in ids:
        then = progress_counts(store, fid, day)
        assert report_counts(store, fid, day) == then, fid
        today = store.plan_items_frame(factory_ids=[fid])
        opened = today[pd.to_datetime(today["opened_on"]) <= pd.Timestamp(day)]
        rewound += int((opened["status"] == "Completed").sum()) - then["completed"]
    assert rewound > 0  # items completed after that day: the dates tell something here


def test_every_demo_brief_counts_no_more_factories_in_remediation_than_assessed(
    demo_on_backend: Store,
) -> None:
    checked = 0
    for country in demo_on_backend.countries():
        brief = governance_brief(demo_on_backend, country, "2024-01:2026-11")
        if len(brief.progress) and brief.factories_assessed >= 5:
            total = brief.progress.set_index("cluster").loc["Total", "factories"]
            assert is_suppressed(total) or total <= brief.factories_assessed, country
            checked += not is_suppressed(total)
    assert checked  # a country whose figures are shown


def test_an_item_completed_later_without_a_history_was_open_that_day() -> None:
    # a plan file brings an item Completed with its date, and no status history to rewind
    items = pd.DataFrame(
        [
            {
                "item_id": 1,
                "opened_on": D(2025, 4, 1),
                "status": "Completed",
                "completed_on": D(2026, 2, 1),
                "due_date": D(2025, 6, 1),
            }
        ]
    )
    updates = pd.DataFrame(columns=["id", "item_id", "date", "old_status", "new_status"])
    then = status_as_of(items, updates, D(2025, 12, 31)).iloc[0]
    assert (then["status"], then["overdue"]) == ("In Progress", True)
    after = status_as_of(items, updates, D(2026, 3, 1)).iloc[0]
    assert (after["status"], after["completed_on"]) == ("Completed", pd.Timestamp(2026, 2, 1))
