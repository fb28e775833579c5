"""The question table, the question map, findings wide, FGW facts, plan items by CP x status."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest

from bwcases.analysis import synthesis
from bwcases.analysis.questions import findings_wide, merge_question_rates, question_table
from bwcases.core.errors import UsageError
from bwcases.core.facts import fact_unit, fact_value
from bwcases.core.question_map import QuestionMap, question_map
from bwcases.io.importers import import_file
from bwcases.store import Store
from tests.helpers import add_item, bw, plan_values, write_csv

D = dt.date
MW, OSH = "Minimum Wages/Piece Rate Wages", "Occupational Safety and Health"
SHIPPED_MW = question_map().rows.set_index("question_id").loc["CMP.MW.01", "merged_label"]

# Saigon Garments under the older CAT (2023: its wordings, the cluster "Systems", OLD.MW.9 for
# what the current CAT asks as CMP.MW.01) and the current one (2024), with FGW facts.
LINES = [
    'Vietnam,1,VN001,Saigon Garments,1001,15/03/2023,NCQ,"Are workers paid the minimum wage?",'
    f'CMP.MW.01,"{MW}",Compensation,1,Public Disclosure',
    "Vietnam,1,VN001,Saigon Garments,1001,15/03/2023,NCQ,Are exits unlocked?,OSH.EP.01,"
    "Emergency Preparedness,Systems,0,",
    'Vietnam,1,VN001,Saigon Garments,1001,15/03/2023,FGW,"How many workers, in total?",FGW.01,'
    'Employment Contracts,Contracts and Human Resources,"1,250",',
    "Vietnam,1,VN001,Saigon Garments,1001,15/03/2023,FGW,Is a collective bargaining agreement "
    "in force?,FGW.07,Collective Bargaining,Freedom of Association and Collective Bargaining,Yes,",
    f'Vietnam,2,VN001,Saigon Garments,1500,20/04/2024,NCQ,"{SHIPPED_MW}",CMP.MW.01,"{MW}",'
    'Compensation,0,"Public Disclosure;Critical"',
    "Vietnam,2,VN001,Saigon Garments,1500,20/04/2024,NCQ,Are emergency exits unlocked?,"
    f"OSH.EP.01,Emergency Preparedness,{OSH},1,",
    'Vietnam,2,VN001,Saigon Garments,1500,20/04/2024,FGW,"What is the lowest monthly wage '
    'paid, in local currency?",FGW.08,"Minimum Wages/Piece Rate Wages",Compensation,'
    '"3,520,000",',
    'Vietnam,2,VN001,Saigon Garments,1500,20/04/2024,FGW,"What was the longest working week '
    'in the last 12 months, in hours?",FGW.09,Overtime,Working Time,58,',
    "Vietnam,2,VN001,Saigon Garments,1500,20/04/2024,FGW,Is a collective bargaining agreement "
    "in force?,FGW.07,Collective Bargaining,Freedom of Association and Collective Bargaining,No,",
]


@pytest.fixture
def cat_store(store: Store, tmp_path: Path) -> Store:
    import_file(store, "assessments", write_csv(tmp_path / "cat.csv", LINES))
    return store


def test_the_shipped_map_has_a_version_and_every_cat_question() -> None:
    shipped = question_map()
    assert shipped.version == "2026.12.1"
    assert shipped.rows["question_id"].is_unique and len(shipped.rows) == 247
    assert shipped.unit("FGW.09") == "hours a week" and shipped.unit("CMP.MW.01") == ""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("question_id,merged_id,merged_label,unit\nA,A,x,\n", "version"),
        ("# version: 1\nquestion_id,merged_id\nA,A\n", "columns"),
        ("# version: 1\nquestion_id,merged_id,merged_label,unit\nA,A,x,\nA,B,y,\n", "twice"),
    ],
)
def test_a_malformed_map_is_refused_saying_why(text: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        QuestionMap.read(text)


def test_questions_merge_their_cat_versions_wordings_and_tags(cat_store: Store) -> None:
    table = synthesis.questions(cat_store).set_index("question_id")
    mw = table.loc["CMP.MW.01"]
    # two wordings, one question: the current CAT's wording, every tag either carried
    assert mw["question_label"] == SHIPPED_MW and mw["spellings"] == 2
    assert mw["tags"] == "Public Disclosure; Critical" and mw["public_disclosure"]
    exits = table.loc["OSH.EP.01"]  # filed under "Systems" once: counted as OSH
    assert exits["cluster"] == OSH and exits["spellings"] == 2
    assert table.loc["FGW.01", "unit"] == "workers" and table.loc["FGW.07", "unit"] == ""
    assert len(table) == 6


def test_a_question_renamed_by_a_new_cat_is_one_question_through_the_map() -> None:
    qmap = QuestionMap.read(
        "# version: test-1\nquestion_id,merged_id,merged_label,unit\n"
        "OLD.MW.9,CMP.MW.01,Did the employer pay the minimum wage?,\n"
        "CMP.MW.01,CMP.MW.01,Did the employer pay the minimum wage?,\n"
    )
    questions = pd.DataFrame(
        [
            ("OLD.MW.9", "Minimum wage paid?", MW, "Compensation", "NCQ", "", False),
            ("CMP.MW.01", "Is the minimum wage paid?", MW, "Compensation", "NCQ", "PD", False),
            ("WT.OT.01", "Overtime capped?", "Overtime", "Working Time", "NCQ", "", False),
        ],
        columns=[
            "question_id",
            "question_label",
            "compliance_point",
            "cluster",
            "question_type",
            "tags",
            "public_disclosure",
        ],
    )
    table = question_table(questions, qmap)
    assert table["question_id"].tolist() == ["CMP.MW.01", "WT.OT.01"]  # catalogue order
    assert table["spellings"].tolist() == [2, 1]
    assert table["question_label"].tolist()[0] == "Did the employer pay the minimum wage?"
    only = question_table(questions, qmap, cluster="WORKING TIME")
    assert only["question_id"].tolist() == ["WT.OT.01"]
    findings = pd.DataFrame(
        {
            "country": "Vietnam",
            "cycle": [1, 2],
            "factory_id": "VN001",
            "factory_name": "Saigon Garments",
            "quest_id": [1001, 1500],
            "start_date": [D(2023, 3, 15), D(2024, 4, 20)],
            "question_type": "NCQ",
            "question_id": ["OLD.MW.9", "CMP.MW.01"],
            "question_label": ["Minimum wage paid?", "Is the minimum wage paid?"],
            "finding": [1, 0],
            "fact": None,
        }
    )
    wide = findings_wide(findings, qmap)
    assert list(wide.columns)[-1] == "CMP.MW.01" and wide["CMP.MW.01"].tolist() == [1, 0]


def test_the_cluster_filter_takes_any_case_and_old_names_and_refuses_others(
    cat_store: Store,
) -> None:
    osh = synthesis.questions(cat_store, cluster="systems")
    assert osh["question_id"].tolist() == ["OSH.EP.01"]
    facts = synthesis.questions(cat_store, cluster="compensation", question_type="fgw")
    assert facts["question_id"].tolist() == ["FGW.08"]
    with pytest.raises(UsageError, match=r"'Wages' is not a cluster: Child Labour;"):
        synthesis.questions(cat_store, cluster="Wages")


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,250", 1250.0), (" 58 ", 58.0), ("3.5", 3.5), ("-2", -2.0), ("Yes", None), ("", None)],
)
def test_a_fact_is_a_number_only_when_it_reads_as_one(text: str, value: float | None) -> None:
    assert fact_value(text) == value


def test_units_come_from_the_map_or_the_wording() -> None:
    assert fact_unit("local currency a month", "", "Vietnam") == "VND a month"
    assert fact_unit("local currency a month", "", "Atlantis") == "local currency a month"
    assert fact_unit("", "How many work accidents were there?", "Vietnam") == "accidents"
    assert fact_unit("", "Longest week, in hours?", "Haiti") == "hours"


@pytest.mark.parametrize(
    ("label", "unit"),
    [
        ("How many days of annual leave do workers get?", "days"),
        ("How many hours of overtime were worked last week?", "hours"),
        ("How many of the workers are women?", "workers"),
        ("How many workers with disabilities does the factory employ?", "workers"),
        ("How many production buildings does the factory have?", "buildings"),
        ("Is there a canteen?", ""),
    ],
)
def test_a_how_many_question_counts_its_own_noun(label: str, unit: str) -> None:
    assert fact_unit("", label, "Vietnam") == unit


def test_facts_are_numbers_with_their_unit(cat_store: Store) -> None:
    facts = synthesis.facts(cat_store, country="vn").set_index(["quest_id", "question_id"])
    assert facts.loc[(1001, "FGW.01"), "value"] == 1250 and facts.loc[(1001, "FGW.01"), "unit"]
    assert facts.loc[(1001, "FGW.01"), "unit"] == "workers"
    assert facts.loc[(1500, "FGW.08"), ["value", "unit"]].tolist() == [3_520_000, "VND a month"]
    assert facts.loc[(1500, "FGW.09"), ["value", "unit"]].tolist() == [58, "hours a week"]
    agreement = facts.loc[(1500, "FGW.07")]
    assert agreement["fact"] == "No" and pd.isna(agreement["value"]) and agreement["unit"] == ""
    assert len(facts) == 5  # the NCQ rows are no facts


def test_findings_wide_has_a_row_per_assessment_and_a_column_per_question(
    cat_store: Store,
) -> None:
    wide = synthesis.findings_wide(cat_store).set_index("quest_id")
    assert wide.index.tolist() == [1001, 1500]
    assert wide["CMP.MW.01"].tolist() == [1, 0] and wide["OSH.EP.01"].tolist() == [0, 1]
    assert wide["FGW.01"].tolist()[0] == 1250 and pd.isna(wide["FGW.01"].tolist()[1])
    assert wide["FGW.07"].tolist() == ["Yes", "No"]  # not numbers: kept as text
    assert str(wide["FGW.08"].dtype) == "Int64"


def test_the_cli_prints_questions_findings_wide_and_facts(cat_store: Store, store_url: str) -> None:
    env = {"BWCASES_DB": store_url}
    result = bw("questions", "--cluster", "SYSTEMS", "--format", "csv", env=env)
    assert result.exit_code == 0 and "question map 2026.12.1" in result.stderr
    assert pd.read_csv(io.StringIO(result.stdout))["question_id"].tolist() == ["OSH.EP.01"]
    wide = bw("export", "findings", "--wide", "--country", "VN", env=env)
    assert wide.exit_code == 0
    frame = pd.read_csv(io.StringIO(wide.stdout))
    assert frame.loc[frame["quest_id"] == 1500, "FGW.08"].item() == 3_520_000
    facts = bw("export", "facts", env=env)
    assert "3520000.0,VND a month" in facts.stdout
    for args, option in [
        (("export", "findings"), "--wide"),
        (("export", "assessments", "--wide"), "--wide"),
        (("export", "facts", "--wide"), "--wide"),
        (("questions", "--cluster", "Wages"), "--cluster"),
    ]:
        refused = bw(*args, env=env)
        assert refused.exit_code == 2 and option in refused.stderr, args


def test_plan_items_by_cp_and_status_as_of_a_day(cat_store: Store, store_url: str) -> None:
    hazardous = "Hazardous Work"  # counted with the other hazardous-work CPs
    items = [
        ("Overtime", "Pending", None),
        ("Overtime", "In Progress", None),
        ("Overtime", "Completed", D(2024, 8, 1)),
        (hazardous, "Completed", D(2024, 12, 1)),
        ("Unconditional Worst Forms", "Pending", None),
        ("Canteen hygiene", "In Progress", None),  # not a CP of the catalogue
    ]
    for cp, status, done in items:
        more = {"completed_on": done} if done else {}
        add_item(cat_store, plan_values("VN001", cp, "x", status, None, **more), actor="lan")
    table = synthesis.plan_by_cp_status(cat_store, country="Vietnam", as_of=D(2024, 9, 30))
    rows = {r.compliance_point: r for r in table.itertuples()}
    assert list(rows) == ["Hazardous Work and other Worst Forms", "Overtime", "Canteen hygiene"]
    merged = rows["Hazardous Work and other Worst Forms"]
    # the hazardous item was completed in December: in progress on 30 September
    assert (merged.pending, merged.in_progress, merged.completed, merged.items) == (1, 1, 0, 2)
    overtime = rows["Overtime"]
    assert (overtime.pending, overtime.in_progress, overtime.completed) == (1, 1, 1)
    assert rows["Canteen hygiene"].cluster == "Other"
    result = bw(
        "progress", "--by", "cp-status", "--factory", "VN001", "--as-of", "2024-12-31",
        env={"BWCASES_DB": store_url},
    )  # fmt: skip
    assert result.exit_code == 0
    cli = pd.read_csv(io.StringIO(result.stdout)).set_index("compliance_point")
    assert cli.loc["Hazardous Work and other Worst Forms", "completed"] == 1


def test_question_rates_take_the_current_wording_of_older_exports(
    cat_store: Store, store_url: str
) -> None:
    # cycle 1 asked CMP.MW.01 in the older CAT's words: shown in the current CAT's
    result = bw(
        "rates", "--method", "cycle", "--cycle", "1", "--level", "question", "--format", "csv",
        env={"BWCASES_DB": store_url},
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rates = pd.read_csv(io.StringIO(result.stdout)).set_index("question_id")
    assert rates.loc["CMP.MW.01", "question_label"] == SHIPPED_MW
    assert rates.loc["CMP.MW.01", ["findings", "assessments"]].tolist() == [1, 1]


def test_question_rates_of_a_renamed_question_are_one_row() -> None:
    qmap = QuestionMap.read(
        "# version: test-1\nquestion_id,merged_id,merged_label,unit\n"
        "OLD.MW.9,CMP.MW.01,Did the employer pay the minimum wage?,\n"
    )
    columns = ["country", "cluster", "compliance_point", "question_id", "question_label"]
    rates = pd.DataFrame(
        [
            ("Vietnam", "Compensation", MW, "CMP.MW.01", "Paid?", False, 3, 10, 0.3),
            ("Vietnam", "Compensation", MW, "OLD.MW.9", "Old?", True, 1, 5, 0.2),
            ("Vietnam", "Working Time", "Overtime", "WT.OT.01", "OT?", False, 2, 15, 2 / 15),
        ],
        columns=[*columns, "public_disclosure", "findings", "assessments", "non_compliance_rate"],
    )
    merged = merge_question_rates(rates, qmap).set_index("question_id")
    assert merged.index.tolist() == ["CMP.MW.01", "WT.OT.01"]
    mw = merged.loc["CMP.MW.01"]
    # 3 + 1 findings over 10 + 5 assessments (an assessment asks one CAT version's question)
    assert (mw["findings"], mw["assessments"], mw["public_disclosure"]) == (4, 15, True)
    assert mw["non_compliance_rate"] == pytest.approx(4 / 15)
    assert mw["question_label"] == "Did the employer pay the minimum wage?"
    assert list(merge_question_rates(rates, qmap).columns) == list(rates.columns)
