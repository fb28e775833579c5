"""Two factories whose assessments share a Quest.ID: the library keeps each factory's own rows.

The store cannot hold such data (a Quest.ID is one assessment there; the importer refuses a
second factory's), but the library computes on any findings frame: another source's export, two
countries' exports put together. An assessment is a (factory, Quest.ID) pair."""

from __future__ import annotations

import pytest

from bwcases.analysis.metrics import non_compliance_rates, prepare, select_latest
from bwcases.analysis.persistence import persistence
from tests.test_metrics import WAGES, WINDOW_2023, rows


def test_the_latest_assessment_is_chosen_per_factory_not_by_quest_id_alone() -> None:
    frame = rows(
        ("A", 5, 1, "2023-03-01", *WAGES, "Q1", 0),  # A's latest: Quest.ID 5
        ("B", 5, 1, "2023-02-01", *WAGES, "Q1", 1),  # B's older assessment, also Quest.ID 5
        ("B", 9, 2, "2023-08-01", *WAGES, "Q1", 0),  # B's latest: Quest.ID 9
    )
    chosen = select_latest(prepare(frame), WINDOW_2023)
    assert sorted(zip(chosen["factory_id"], chosen["quest_id"], strict=True)) == [
        ("A", 5),
        ("B", 9),
    ]
    out = non_compliance_rates(frame, "latest", window=WINDOW_2023)
    # A and B compliant at their latest; B's older finding must not count
    assert out[["factories_assessed", "factories_non_compliant"]].iloc[0].tolist() == [2, 0]
    by_cycle = non_compliance_rates(frame, "latest", window=WINDOW_2023, by_cycle=True)
    assert dict(zip(by_cycle["cycle"], by_cycle["factories_assessed"], strict=True)) == {1: 1, 2: 1}


def test_question_rates_count_each_factorys_assessment() -> None:
    frame = rows(
        ("A", 5, 1, "2023-03-01", *WAGES, "Q1", 1),
        ("B", 5, 1, "2023-04-01", *WAGES, "Q1", 1),
        ("C", 6, 1, "2023-05-01", *WAGES, "Q1", 0),
    )
    out = non_compliance_rates(frame, "latest", window=WINDOW_2023, level="question")
    # three assessments (A@5, B@5, C@6), two findings: 2/3, not 2 over two Quest.IDs
    assert out[["findings", "assessments"]].iloc[0].tolist() == [2, 3]
    assert out["non_compliance_rate"].iloc[0] == pytest.approx(2 / 3)


def test_factory_scores_keep_each_factorys_own_rows() -> None:
    frame = rows(
        ("A", 5, 1, "2023-03-01", *WAGES, "Q1", 0),
        ("B", 5, 1, "2023-02-01", "Paid Leave", "Compensation", "Q2", 1),
        ("B", 9, 2, "2023-08-01", *WAGES, "Q1", 0),
    )
    scores = non_compliance_rates(frame, "latest", window=WINDOW_2023, level="factory")
    got = scores.set_index("factory_id")[["cps_non_compliant", "cps_assessed"]]
    assert got.to_dict("index") == {
        "A": {"cps_non_compliant": 0, "cps_assessed": 1},
        "B": {"cps_non_compliant": 0, "cps_assessed": 1},  # its latest asked wages only
    }


def test_persistence_compares_each_factorys_own_assessments() -> None:
    frame = rows(
        ("A", 5, 1, "2022-03-01", *WAGES, "Q1", 1),
        ("A", 8, 2, "2023-03-01", *WAGES, "Q1", 1),  # A: found both times, persistent
        ("B", 2, 1, "2022-02-01", *WAGES, "Q1", 0),
        ("B", 5, 2, "2023-02-01", *WAGES, "Q1", 0),  # B: never found, same Quest.ID as A's
    )
    per = persistence(frame).set_index("factory_id")
    assert per.loc["A", ["previous", "latest"]].tolist() == [1, 1]
    assert per.loc["B", ["previous", "latest"]].tolist() == [0, 0]
    assert per["persistent"].to_dict() == {"A": True, "B": False}
