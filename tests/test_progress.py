"""Improvement Plan progress: statuses as of a day, overdue, days to complete, persistence."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from bwcases.analysis import queries
from bwcases.analysis.progress import plan_progress
from bwcases.io.importers import import_file
from bwcases.store import Store

D = dt.date


def items(*specs: tuple) -> pd.DataFrame:
    """Items from (id, factory, status, opened, due, completed[, quest, question])."""
    out = []
    for spec in specs:
        iid, fid, status, opened, due, completed, *link = spec
        out.append(
            {
                "item_id": iid,
                "factory_id": fid,
                "country": "Vietnam",
                "status": status,
                "opened_on": opened,
                "due_date": due,
                "completed_on": completed,
                "quest_id": link[0] if link else None,
                "question_id": link[1] if link else None,
            }
        )
    return pd.DataFrame(out)


NO_UPDATES = pd.DataFrame(columns=["id", "item_id", "date", "old_status", "new_status"])
NO_ASSESSMENTS = pd.DataFrame(columns=["quest_id", "factory_id", "start_date"])
NO_FINDINGS = pd.DataFrame(columns=["quest_id", "question_id", "finding"])


def progress(plan: pd.DataFrame, as_of: dt.date, **frames: pd.DataFrame) -> dict:
    out = plan_progress(
        plan,
        frames.get("updates", NO_UPDATES),
        frames.get("assessments", NO_ASSESSMENTS),
        frames.get("findings", NO_FINDINGS),
        as_of=as_of,
        by=["country"],
    )
    return out.iloc[0].to_dict()


def test_counts_share_overdue_and_median_days() -> None:
    plan = items(
        (1, "A", "Pending", D(2024, 1, 1), D(2024, 2, 1), None),
        (2, "A", "In Progress", D(2024, 1, 1), D(2024, 12, 1), None),
        (3, "A", "Completed", D(2024, 1, 1), D(2024, 2, 1), D(2024, 1, 11)),
        (4, "A", "Completed", D(2024, 1, 1), None, D(2024, 1, 31)),
    )
    got = progress(plan, D(2024, 6, 1))
    assert (got["items"], got["pending"], got["in_progress"], got["completed"]) == (4, 1, 1, 2)
    assert got["share_completed"] == 0.5
    assert got["overdue"] == 1  # item 1 only: item 2 is not due yet, item 3 is done
    assert got["median_days_to_complete"] == 20


def test_status_is_rewound_to_the_day_asked_for() -> None:
    plan = items(
        (1, "A", "Completed", D(2024, 1, 1), D(2024, 3, 1), D(2024, 5, 1)),
        (2, "A", "Pending", D(2024, 7, 1), None, None),  # not opened yet on 2024-04-01
    )
    updates = pd.DataFrame(
        [
            {
                "id": 1,
                "item_id": 1,
                "date": D(2024, 2, 1),
                "old_status": "Pending",
                "new_status": "In Progress",
            },
            {
                "id": 2,
                "item_id": 1,
                "date": D(2024, 5, 1),
                "old_status": "In Progress",
                "new_status": "Completed",
            },
        ]
    )
    got = progress(plan, D(2024, 4, 1), updates=updates)
    assert (got["items"], got["in_progress"], got["completed"], got["overdue"]) == (1, 1, 0, 1)
    assert pd.isna(got["median_days_to_complete"])
    later = progress(plan, D(2024, 8, 1), updates=updates)
    assert (later["items"], later["completed"], later["median_days_to_complete"]) == (2, 1, 121)


def test_open_items_whose_question_is_persistent() -> None:
    # persistent: non-compliant at the latest assessment and at the one before (README)
    plan = items(
        (1, "A", "In Progress", D(2023, 4, 1), None, None, 10, "Q1"),  # again at quest 20
        (2, "A", "Pending", D(2023, 4, 1), None, None, 10, "Q2"),  # compliant at quest 20
        (3, "A", "Completed", D(2023, 4, 1), None, D(2023, 9, 1), 10, "Q3"),  # closed
        (4, "A", "Pending", D(2023, 4, 1), None, None),  # self-diagnosis
        # raised at the latest assessment on a question found at both (issue 11)
        (5, "A", "Pending", D(2024, 4, 1), None, None, 20, "Q1"),
    )
    assessments = pd.DataFrame(
        [
            {"quest_id": 10, "factory_id": "A", "start_date": D(2023, 3, 1)},
            {"quest_id": 20, "factory_id": "A", "start_date": D(2024, 3, 1)},
        ]
    )
    findings = pd.DataFrame(
        [
            {"quest_id": 10, "question_id": "Q1", "finding": 1},
            {"quest_id": 10, "question_id": "Q2", "finding": 1},
            {"quest_id": 10, "question_id": "Q3", "finding": 1},
            {"quest_id": 20, "question_id": "Q1", "finding": 1},
            {"quest_id": 20, "question_id": "Q2", "finding": 0},
            {"quest_id": 20, "question_id": "Q3", "finding": 1},
        ]
    )
    got = progress(plan, D(2024, 6, 1), assessments=assessments, findings=findings)
    assert got["persistent_open"] == 2  # items 1 and 5
    before_next = progress(plan, D(2023, 12, 1), assessments=assessments, findings=findings)
    assert before_next["persistent_open"] == 0  # one assessment made by then


@pytest.fixture
def plan_store(store: Store, export_file, tmp_path) -> Store:
    import_file(store, "assessments", export_file)
    plan = tmp_path / "plan.csv"
    plan.write_text(
        "Factory.ID,Quest.ID,Question.ID,Compliance.point,Issue,Action,Responsible,Due.Date,Status,Notes\n"
        "VN001,1001,CMP.MW.01,Minimum Wages/Piece Rate Wages,Underpaid,Pay arrears,HR,01/06/2023,In Progress,\n"
        "VN001,1001,OSH.EP.01,Emergency Preparedness,Exits,Unlock,Safety,01/06/2023,Completed,\n"
        "KH001,,,Child Labour,Age checks,Check IDs,HR,01/01/2030,Pending,self-diagnosis\n",
        encoding="utf-8",
    )
    import_file(store, "improvement-plan", plan)
    return store


def test_progress_from_the_store_by_factory_and_country(plan_store: Store) -> None:
    by_factory = queries.progress(plan_store, factory_id="VN001", as_of=D(2030, 1, 1))
    row = by_factory.iloc[0]
    assert (row["factory_id"], row["items"], row["completed"], row["overdue"]) == ("VN001", 2, 1, 1)
    # minimum wage was found again at the next assessment (Quest.ID 1500) and is still open
    assert row["persistent_open"] == 1
    by_country = queries.progress(plan_store, as_of=D(2030, 1, 1)).set_index("country")
    assert by_country.loc["Cambodia", "items"] == 1 and by_country.loc["Vietnam", "items"] == 2
