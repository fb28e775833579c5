"""Persistent: one rule (bwcases.analysis.persistence) that apps, progress, reports and briefs use."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from bwcases.analysis import metrics, queries
from bwcases.analysis.metrics import Window
from bwcases.analysis.persistence import compared_assessments, persistence
from bwcases.apps.overview import overview_tables
from bwcases.apps.plan import latest_non_compliance
from bwcases.apps.request import PageRequest
from bwcases.apps.tracker import RemediationTracker
from bwcases.auth.people import Person, Role
from bwcases.io.demo import fill_demo
from bwcases.io.importers import import_file
from bwcases.render.html import is_suppressed
from bwcases.reports.factory import factory_report
from bwcases.reports.governance import governance_brief
from bwcases.store import Store

D = dt.date
LATER = D(2100, 1, 1)  # a day after every assessment: each factory's latest counts

# -- the rule on frames ------------------------------------------------------------------------


def findings(*rows: tuple) -> pd.DataFrame:
    """Findings from (quest, question, finding[, compliance point]) of factory F."""
    return pd.DataFrame(
        [
            {
                "factory_id": "F",
                "factory_name": "F Garments",
                "quest_id": quest,
                "question_id": question,
                "finding": finding,
                "cluster": "Compensation",
                "compliance_point": cp[0] if cp else f"CP of {question}",
            }
            for quest, question, finding, *cp in rows
        ]
    )


@pytest.mark.parametrize(
    ("rows", "persistent"),
    [
        pytest.param([(1, "Q", 1), (2, "Q", 1)], True, id="non-compliant at both"),
        pytest.param([(1, "Q", 0), (2, "Q", 1)], False, id="new at the latest"),
        pytest.param([(1, "Q", 1), (2, "Q", 0)], False, id="resolved at the latest"),
        pytest.param([(2, "Q", 1)], False, id="one assessment only"),
        pytest.param([(1, "Q", 1), (2, "X", 0), (3, "Q", 1)], False, id="not asked just before"),
        # the tracker used to look both ways: found at 1 and 2, fixed at the latest (3)
        pytest.param([(1, "Q", 1), (2, "Q", 1), (3, "Q", 0)], False, id="fixed since"),
        pytest.param([(1, "Q", 0), (2, "Q", 1), (3, "Q", 1)], True, id="the last two count"),
    ],
)
def test_a_question_is_persistent_when_non_compliant_at_the_latest_two(
    rows: list[tuple], persistent: bool
) -> None:
    got = persistence(findings(*rows)).set_index("question_id")
    assert bool(got.loc["Q", "persistent"]) is persistent


def test_a_cp_is_persistent_when_non_compliant_on_it_both_times_whichever_question() -> None:
    rows = findings(
        (1, "Q1", 1, "Overtime Wages"),
        (1, "Q2", 0, "Overtime Wages"),
        (2, "Q1", 0, "Overtime Wages"),
        (2, "Q2", 1, "Overtime Wages"),
    )
    cps = persistence(rows, "cp").set_index("compliance_point")
    assert bool(cps.loc["Overtime Wages", "persistent"])
    assert not persistence(rows)["persistent"].any()  # neither question persisted


def test_the_latest_may_be_chosen_and_retired_records_never_count() -> None:
    rows = findings((1, "Q", 1), (2, "Q", 1), (3, "Q", 0))
    in_window = persistence(rows, latest=pd.Series({"F": 2}))
    assert in_window["persistent"].tolist() == [True]
    retired = rows.assign(factory_name=rows["factory_name"].where(rows["quest_id"] != 3))
    retired["factory_name"] = retired["factory_name"].fillna("F Garments (Obsolete)")
    assert compared_assessments(retired)[["latest", "previous"]].values.tolist() == [[2, 1]]
    assert persistence(retired)["persistent"].tolist() == [True]


def test_a_factory_known_only_under_a_retired_name_has_no_assessment_before() -> None:
    # its only records are "(Obsolete)": nothing is left to compare, and the Arrow-backed ids
    # of no rows at all once came back as text that could not be compared with Quest.IDs
    rows = findings((1, "Q", 1)).assign(factory_name="F Garments (Obsolete)")
    rows = rows.astype({"factory_id": "str"})
    pairs = compared_assessments(rows, pd.Series({"F": 1}, dtype="int64"))
    assert pairs[["factory_id", "latest"]].values.tolist() == [["F", 1]]
    assert pairs["previous"].isna().all()


# -- the case: every user of the rule on one factory -------------------------------------

EXPORT = """Country,Cycle,Factory.Assessed.ID,Factory.Assessed.Name,Quest.ID,Assesment.Start.Date,\
Question.type,Q.Label,Question.ID,CP,Cluster,Finding,Tags
Vietnam,1,VN003,Dong Nai Textiles,2001,10/05/2023,NCQ,Payslips?,CMP.WI.01,\
"Wage Information, Use and Deduction",Compensation,1,Public Disclosure
Vietnam,1,VN003,Dong Nai Textiles,2001,10/05/2023,NCQ,Chemicals?,OSH.CH.01,\
Chemicals and Hazardous Substances,Occupational Safety and Health,0,
Vietnam,1,VN003,Dong Nai Textiles,2001,10/05/2023,NCQ,Union?,FOA.FA.01,\
Freedom to Associate,Freedom of Association and Collective Bargaining,1,
Vietnam,2,VN003,Dong Nai Textiles,2600,01/06/2024,NCQ,Payslips?,CMP.WI.01,\
"Wage Information, Use and Deduction",Compensation,1,Public Disclosure
Vietnam,2,VN003,Dong Nai Textiles,2600,01/06/2024,NCQ,Chemicals?,OSH.CH.01,\
Chemicals and Hazardous Substances,Occupational Safety and Health,1,
Vietnam,2,VN003,Dong Nai Textiles,2600,01/06/2024,NCQ,Union?,FOA.FA.01,\
Freedom to Associate,Freedom of Association and Collective Bargaining,0,
"""
PLAN = """Factory.ID,Quest.ID,Question.ID,Compliance.point,Issue,Action,Responsible,Due.Date,\
Status,Notes
VN003,2600,CMP.WI.01,"Wage Information, Use and Deduction",Deductions,Itemise,Payroll,\
31/07/2024,In Progress,
VN003,2600,OSH.CH.01,Chemicals and Hazardous Substances,Labels,Label drums,Safety,\
31/07/2024,Pending,
VN003,2001,FOA.FA.01,Freedom to Associate,Union notice,Post it,HR,01/09/2023,Completed,
"""


@pytest.fixture
def case_store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'case.sqlite'}")
    (tmp_path / "export.csv").write_text(EXPORT, encoding="utf-8")
    (tmp_path / "plan.csv").write_text(PLAN, encoding="utf-8")
    import_file(store, "assessments", tmp_path / "export.csv")
    import_file(store, "improvement-plan", tmp_path / "plan.csv")
    return store


def test_an_item_non_compliant_at_both_assessments_is_persistent_everywhere(
    case_store: Store,
) -> None:
    # the payslip question was non-compliant at both assessments; its item is still open
    staff = Person("Thu Pham", Role.STAFF, country="Vietnam")
    tracker = RemediationTracker(case_store, PageRequest(staff, "VN003"))
    flagged = tracker.table.set_index("question_id")["persistent"]
    assert flagged.to_dict() == {"CMP.WI.01": True, "OSH.CH.01": False, "FOA.FA.01": False}

    progress = queries.progress(case_store, factory_id="VN003", as_of=D(2024, 7, 1)).iloc[0]
    assert progress["persistent_open"] == 1

    tree, _assessed = latest_non_compliance(
        case_store.findings_frame(factory_ids=["VN003"], ncq_only=True)
    )
    assert tree.set_index("question_id")["persistent"].to_dict() == {
        "CMP.WI.01": True,
        "OSH.CH.01": False,
    }

    report = factory_report(case_store, "VN003", as_of=D(2024, 7, 1))
    assert report.persistent["question_id"].tolist() == ["CMP.WI.01"]
    assert report.figures["persistent_questions"] == 1
    assert report.figures["persistent_cps"] == 1
    compliance = overview_tables(case_store, "VN003")["compliance"]
    persistent_cps = compliance.loc[compliance["persistent"], "compliance_point"].tolist()
    assert persistent_cps == ["Wage Information, Use and Deduction"]


# -- every user of the rule agrees, on a whole demo store ------------------------------------------

PERIOD = "2024-01:2026-06"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('persistent') / 'demo.sqlite'}")
    fill_demo(store, factories=40, seed=3)
    return store


def test_apps_progress_reports_and_briefs_agree_on_one_store(demo: Store) -> None:
    country = demo.factories_frame()["country"].value_counts().index[0]
    register = demo.factories_frame(country=country)
    ids = sorted(register.loc[register["status"] == "active", "factory_id"])
    rows = metrics.prepare(demo.findings_frame(factory_ids=ids, ncq_only=True))
    questions = persistence(rows, assessments=demo.assessments_frame(factory_ids=ids))
    found = questions[questions["persistent"]]
    rule = set(zip(found["factory_id"], found["question_id"], strict=True))
    assert rule, "the demo store has persistent findings"

    staff = Person("Thu Pham", Role.STAFF, country=country)
    tracker = RemediationTracker(demo, PageRequest(staff))
    progress = queries.progress(demo, country=country, as_of=LATER, by="factory")
    progress = progress.set_index("factory_id")["persistent_open"]
    window = Window.parse(PERIOD)
    governance: dict[str, list[int]] = {}
    items_seen = 0
    for fid in ids:
        mine = {q for f, q in rule if f == fid}
        findings = demo.findings_frame(factory_ids=[fid], ncq_only=True)

        tree, _assessed = latest_non_compliance(findings)  # the Improvement Plan's findings
        assert set(tree.loc[tree["persistent"], "question_id"]) == mine, fid

        report = factory_report(demo, fid, as_of=LATER)
        assert set(report.persistent["question_id"]) == mine, fid
        compliance = overview_tables(demo, fid)["compliance"]
        overview_cps = set(compliance.loc[compliance["persistent"], "compliance_point"])
        assert set(report.by_cp.loc[report.by_cp["persistent"], "compliance_point"]) == (
            overview_cps
        ), fid

        assert tracker.picker.select(fid)
        table = tracker.table
        if len(table):
            items_seen += len(table)
            expected = [q in mine for q in table["question_id"]]
            assert table["persistent"].tolist() == expected, fid
            still_open = table["persistent"] & (table["status"] != "Completed")
            assert progress.get(fid, 0) == int(still_open.sum()), fid

        in_window = factory_report(demo, fid, as_of=window.end, window=window)
        for r in in_window.by_cp[in_window.by_cp["previous"].notna()].to_dict("records"):
            count = governance.setdefault(r["compliance_point"], [0, 0])
            count[0] += 1
            count[1] += bool(r["persistent"])
    assert items_seen and progress.sum() > 0

    brief = governance_brief(demo, country, PERIOD)
    shown = brief.persistent[~brief.persistent["persistent"].map(is_suppressed)]
    assert len(shown), "some CP is shown in the brief"
    for r in shown.to_dict("records"):
        assert [r["factories"], r["persistent"]] == governance[r["compliance_point"]]
