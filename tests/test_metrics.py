"""Rates on small hand-made tables, where each of the programme's rules changes the answer."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from bwcases.analysis.metrics import Window, compare_assessments, non_compliance_rates
from bwcases.core.errors import UsageError

WINDOW_2023 = Window.months("2023-01", "2023-12")

CP_BY_CYCLE = [  # the columns of CP rates by cycle
    "country",
    "cluster",
    "compliance_point",
    "cycle",
    "factories_assessed",
    "factories_non_compliant",
    "non_compliance_rate",
]


def rows(*specs: tuple) -> pd.DataFrame:
    """Findings from (factory, quest, cycle, date, cp, cluster, question, finding[, type, name, tags])."""
    out = []
    for spec in specs:
        fid, quest, cycle, date, cp, cluster, qid, finding, *rest = spec
        qtype = rest[0] if len(rest) > 0 else "NCQ"
        name = rest[1] if len(rest) > 1 else f"Factory {fid}"
        tags = rest[2] if len(rest) > 2 else ""
        out.append(
            {
                "country": "Vietnam",
                "cycle": cycle,
                "factory_id": fid,
                "factory_name": name,
                "quest_id": quest,
                "start_date": pd.Timestamp(date),
                "question_type": qtype,
                "question_label": f"Label of {qid}",
                "question_id": qid,
                "compliance_point": cp,
                "cluster": cluster,
                "finding": finding,
                "tags": tags,
            }
        )
    return pd.DataFrame(out)


WAGES = ("Minimum Wages/Piece Rate Wages", "Compensation")
LEAVE = ("Paid Leave", "Compensation")
EXITS = ("Emergency Preparedness", "Occupational Safety and Health")


def cp_rate(frame: pd.DataFrame, cp: str, **kw) -> tuple[int, int, float]:
    out = non_compliance_rates(
        frame, kw.pop("method", "latest"), window=kw.pop("window", WINDOW_2023), **kw
    )
    row = out[out["compliance_point"] == cp].iloc[0]
    return row["factories_assessed"], row["factories_non_compliant"], row["non_compliance_rate"]


def test_a_factory_is_non_compliant_on_a_cp_when_any_question_is() -> None:
    frame = rows(
        ("A", 1, 1, "2023-03-01", *WAGES, "Q1", 1),
        ("A", 1, 1, "2023-03-01", *WAGES, "Q2", 0),
        ("B", 2, 1, "2023-04-01", *WAGES, "Q1", 0),
        ("B", 2, 1, "2023-04-01", *WAGES, "Q2", 0),
    )
    assert cp_rate(frame, WAGES[0]) == (2, 1, 0.5)


def test_fgw_rows_never_count() -> None:
    frame = rows(
        ("A", 1, 1, "2023-03-01", *WAGES, "Q1", 0),
        ("A", 1, 1, "2023-03-01", *WAGES, "F1", 1, "FGW"),
    )
    assert cp_rate(frame, WAGES[0]) == (1, 0, 0.0)


def test_obsolete_factories_are_dropped() -> None:
    frame = rows(
        ("A", 1, 1, "2023-03-01", *WAGES, "Q1", 0),
        ("B", 2, 1, "2023-03-01", *WAGES, "Q1", 1, "NCQ", "Old Mill (Obsolete)"),
    )
    assert cp_rate(frame, WAGES[0]) == (1, 0, 0.0)


def test_duplicate_rows_count_once_in_question_rates() -> None:
    frame = rows(
        ("A", 1, 1, "2023-03-01", *WAGES, "Q1", 1),
        ("A", 1, 1, "2023-03-01", *WAGES, "Q1", 1),
        ("B", 2, 1, "2023-03-01", *WAGES, "Q1", 0),
    )
    out = non_compliance_rates(frame, "latest", window=WINDOW_2023, level="question")
    assert out[["findings", "assessments", "non_compliance_rate"]].iloc[0].tolist() == [1, 2, 0.5]


def test_systems_counts_as_occupational_safety_and_health() -> None:
    frame = rows(
        ("A", 1, 1, "2023-03-01", "Emergency Preparedness", "Systems", "Q1", 1),
        ("B", 2, 1, "2023-03-01", *EXITS, "Q1", 0),
    )
    out = non_compliance_rates(frame, "latest", window=WINDOW_2023, level="cluster")
    assert out["cluster"].tolist() == ["Occupational Safety and Health"]
    assert out["factories_assessed"].tolist() == [2]


def test_hazardous_work_variants_are_one_compliance_point() -> None:
    frame = rows(
        ("A", 1, 1, "2023-03-01", "Hazardous Work", "Child Labour", "Q1", 1),
        ("A", 1, 1, "2023-03-01", "Unconditional Worst Forms", "Child Labour", "Q2", 0),
        ("A", 1, 1, "2023-03-01", "Hazardous Work and other Worst Forms", "Child Labour", "Q3", 0),
        ("A", 1, 1, "2023-03-01", *WAGES, "Q4", 0),
    )
    scores = non_compliance_rates(frame, "latest", window=WINDOW_2023, level="factory")
    assert scores[["cps_non_compliant", "cps_assessed"]].iloc[0].tolist() == [1, 2]
    cps = non_compliance_rates(frame, "latest", window=WINDOW_2023)
    assert "Hazardous Work and other Worst Forms" in cps["compliance_point"].tolist()
    assert len(cps) == 2


def test_latest_is_the_largest_quest_id_inside_the_window() -> None:
    frame = rows(
        ("A", 1, 1, "2022-06-01", *WAGES, "Q1", 1),
        ("A", 2, 2, "2023-02-01", *WAGES, "Q1", 1),
        ("A", 3, 3, "2023-09-01", *WAGES, "Q1", 0),
        ("A", 4, 4, "2024-02-01", *WAGES, "Q1", 1),
    )
    assert cp_rate(frame, WAGES[0])[2] == 0.0  # quest 3: the latest in 2023
    assert cp_rate(frame, WAGES[0], window=Window.months("2022-01", "2023-06"))[2] == 1.0


def test_the_window_includes_both_end_months_whole() -> None:
    frame = rows(
        ("A", 1, 1, "2023-01-01", *WAGES, "Q1", 1),
        ("B", 2, 1, "2023-12-31", *WAGES, "Q1", 1),
        ("C", 3, 1, "2024-01-01", *WAGES, "Q1", 1),
        ("D", 4, 1, "2022-12-31", *WAGES, "Q1", 1),
    )
    assert cp_rate(frame, WAGES[0])[0] == 2


def test_cycle_method_counts_every_assessment_of_the_cycle() -> None:
    frame = rows(
        ("A", 1, 1, "2021-03-01", *WAGES, "Q1", 1),
        ("A", 5, 2, "2022-03-01", *WAGES, "Q1", 0),
        ("B", 2, 1, "2021-05-01", *WAGES, "Q1", 0),
        ("C", 3, 2, "2022-05-01", *WAGES, "Q1", 1),
    )
    out = non_compliance_rates(frame, "cycle", cycle=2)
    assert out.columns.tolist() == CP_BY_CYCLE
    assert out[["cycle", "factories_assessed", "factories_non_compliant"]].iloc[0].tolist() == [
        2,
        2,
        1,
    ]


def test_balanced_panel_keeps_only_factories_seen_in_every_cycle() -> None:
    frame = rows(
        ("A", 1, 1, "2021-03-01", *WAGES, "Q1", 1),
        ("A", 4, 2, "2022-03-01", *WAGES, "Q1", 0),
        ("B", 2, 1, "2021-03-01", *WAGES, "Q1", 1),  # never reached cycle 2
        ("C", 3, 1, "2021-03-01", *WAGES, "Q1", 1),
        ("C", 6, 3, "2023-03-01", *WAGES, "Q1", 1),  # skipped cycle 2
        ("D", 5, 1, "2021-03-01", *WAGES, "Q1", 0),
        ("D", 7, 2, "2022-03-01", *WAGES, "Q1", 1),
    )
    out = non_compliance_rates(frame, "panel", cycle=2)
    got = out.set_index("cycle")[["factories_assessed", "non_compliance_rate"]]
    assert got.loc[1].tolist() == [2, 0.5]
    assert got.loc[2].tolist() == [2, 0.5]


def test_question_rate_is_findings_over_distinct_assessments() -> None:
    frame = rows(
        ("A", 1, 1, "2023-03-01", *WAGES, "Q1", 1, "NCQ", "A", "Public Disclosure"),
        ("B", 2, 1, "2023-03-01", *WAGES, "Q1", 1, "NCQ", "B", "Public Disclosure"),
        ("C", 3, 1, "2023-03-01", *WAGES, "Q1", 0, "NCQ", "C", "Public Disclosure"),
        ("C", 3, 1, "2023-03-01", *LEAVE, "Q2", 0),
    )
    out = non_compliance_rates(frame, "latest", window=WINDOW_2023, level="question")
    assert out.columns.tolist() == [
        "country",
        "cluster",
        "compliance_point",
        "question_id",
        "question_label",
        "public_disclosure",
        "findings",
        "assessments",
        "non_compliance_rate",
    ]
    q1 = out.set_index("question_id").loc["Q1"]
    assert (q1["findings"], q1["assessments"], bool(q1["public_disclosure"])) == (2, 3, True)
    assert q1["non_compliance_rate"] == pytest.approx(2 / 3)


def test_factory_score_is_non_compliant_cps_over_cps_assessed() -> None:
    frame = rows(
        ("A", 1, 1, "2023-03-01", *WAGES, "Q1", 1),
        ("A", 1, 1, "2023-03-01", *WAGES, "Q2", 1),
        ("A", 1, 1, "2023-03-01", *LEAVE, "Q3", 0),
        ("A", 1, 1, "2023-03-01", *EXITS, "Q4", 1),
    )
    out = non_compliance_rates(frame, "latest", window=WINDOW_2023, level="factory")
    assert out.columns.tolist() == [
        "country",
        "factory_id",
        "factory_name",
        "cps_non_compliant",
        "cps_assessed",
        "factory_score",
    ]
    assert out.iloc[0][["cps_non_compliant", "cps_assessed"]].tolist() == [2, 3]
    assert out.iloc[0]["factory_score"] == pytest.approx(2 / 3)


def test_rates_are_by_country() -> None:
    frame = rows(
        ("A", 1, 1, "2023-03-01", *WAGES, "Q1", 1), ("B", 2, 1, "2023-03-01", *WAGES, "Q1", 0)
    )
    frame.loc[1, "country"] = "Cambodia"
    out = non_compliance_rates(frame, "latest", window=WINDOW_2023)
    assert out.set_index("country")["non_compliance_rate"].to_dict() == {
        "Cambodia": 0.0,
        "Vietnam": 1.0,
    }


@pytest.mark.parametrize(
    ("first", "last"),
    [("2023-13", "2023-12"), ("2023", "2023-12"), ("2023-05", "2023-01"), ("23-01", "2023-02")],
)
def test_bad_windows_are_refused(first: str, last: str) -> None:
    with pytest.raises(UsageError):
        Window.months(first, last)


def test_window_covers_whole_months() -> None:
    w = Window.parse("2024-02:2024-02")
    assert (w.start, w.end) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))


def test_methods_need_their_arguments() -> None:
    frame = rows(("A", 1, 1, "2023-03-01", *WAGES, "Q1", 1))
    with pytest.raises(UsageError):
        non_compliance_rates(frame, "latest")
    with pytest.raises(UsageError):
        non_compliance_rates(frame, "panel")


def test_compare_assessments_flags_persistent_non_compliance() -> None:
    frame = rows(
        ("A", 1, 1, "2022-03-01", *WAGES, "Q1", 1),
        ("A", 1, 1, "2022-03-01", *LEAVE, "Q2", 1),
        ("A", 2, 2, "2023-03-01", *WAGES, "Q1", 1),
        ("A", 2, 2, "2023-03-01", *LEAVE, "Q2", 0),
        ("A", 2, 2, "2023-03-01", *EXITS, "Q3", 1),
    )
    out = compare_assessments(frame, "A").set_index("compliance_point")
    assert bool(out.loc[WAGES[0], "persistent"]) and not bool(out.loc[LEAVE[0], "persistent"])
    assert out.loc[EXITS[0], "latest"] == 1 and pd.isna(out.loc[EXITS[0], "previous"])


# -- the manual's other selections: a cycle in a window, the latest by cycle, pooled countries --


def test_cycle_in_a_window_counts_the_cycles_assessments_starting_in_it() -> None:
    frame = rows(
        ("A", 1, 1, "2021-03-01", *WAGES, "Q1", 1),
        ("A", 5, 2, "2022-11-30", *WAGES, "Q1", 1),  # cycle 2, before the window
        ("B", 2, 1, "2022-05-01", *WAGES, "Q1", 0),
        ("B", 6, 2, "2023-01-01", *WAGES, "Q1", 0),  # cycle 2, first day of the window
        ("C", 3, 2, "2023-12-31", *WAGES, "Q1", 1),  # cycle 2, last day of the window
        ("D", 4, 1, "2023-06-01", *WAGES, "Q1", 1),  # in the window, cycle 1
    )
    # cycle 2 in 2023: B (compliant) and C (not): 2 assessed, 1 non-compliant
    assert cp_rate(frame, WAGES[0], method="cycle", cycle=2) == (2, 1, 0.5)
    # without a window: A too, 3 assessed, 2 non-compliant
    assert cp_rate(frame, WAGES[0], method="cycle", cycle=2, window=None)[:2] == (3, 2)


def test_latest_by_cycle_breaks_the_latest_assessments_down_by_their_cycle() -> None:
    frame = rows(
        ("A", 1, 1, "2023-02-01", *WAGES, "Q1", 1),
        ("A", 4, 2, "2023-10-01", *WAGES, "Q1", 0),  # A's latest in 2023: cycle 2
        ("B", 2, 1, "2023-03-01", *WAGES, "Q1", 1),  # B's latest in 2023: cycle 1
        ("C", 3, 1, "2023-04-01", *WAGES, "Q1", 0),  # C's latest in 2023: cycle 1
        ("C", 7, 2, "2024-04-01", *WAGES, "Q1", 1),  # after the window
    )
    out = non_compliance_rates(frame, "latest", window=WINDOW_2023, by_cycle=True)
    assert out.columns.tolist() == CP_BY_CYCLE
    got = out.set_index("cycle")[["factories_assessed", "factories_non_compliant"]]
    assert got.to_dict("index") == {
        1: {"factories_assessed": 2, "factories_non_compliant": 1},  # B and C
        2: {"factories_assessed": 1, "factories_non_compliant": 0},  # A
    }
    scores = non_compliance_rates(
        frame, "latest", window=WINDOW_2023, by_cycle=True, level="factory"
    )
    assert dict(zip(scores["factory_id"], scores["cycle"], strict=True)) == {
        "A": 2,
        "B": 1,
        "C": 1,
    }


def two_countries() -> pd.DataFrame:
    frame = rows(
        ("A", 1, 1, "2023-03-01", *WAGES, "Q1", 1),
        ("A", 1, 1, "2023-03-01", *WAGES, "Q2", 1),
        ("B", 2, 1, "2023-03-01", *WAGES, "Q1", 0),
        ("K", 3, 1, "2023-04-01", *WAGES, "Q1", 1),
        ("L", 4, 1, "2023-05-01", *WAGES, "Q1", 0),
        ("M", 5, 1, "2023-06-01", *WAGES, "Q1", 0),
    )
    frame.loc[frame["factory_id"].isin(["K", "L", "M"]), "country"] = "Cambodia"
    return frame


def test_pooled_rates_count_every_countrys_factories_together() -> None:
    frame = two_countries()
    by_country = non_compliance_rates(frame, "latest", window=WINDOW_2023)
    assert by_country["factories_assessed"].tolist() == [3, 2]  # Cambodia, Vietnam
    pooled = non_compliance_rates(frame, "latest", window=WINDOW_2023, pooled=True)
    # A and K non-compliant among A, B, K, L, M: 2 of 5, not the mean of 1/3 and 1/2
    assert pooled[["country", "factories_assessed", "factories_non_compliant"]].to_dict(
        "records"
    ) == [{"country": "All countries", "factories_assessed": 5, "factories_non_compliant": 2}]
    assert pooled["non_compliance_rate"].tolist() == [0.4]


def test_pooled_question_rates_are_findings_over_every_countrys_assessments() -> None:
    pooled = non_compliance_rates(
        two_countries(), "latest", window=WINDOW_2023, level="question", pooled=True
    )
    got = pooled.set_index("question_id")[["country", "findings", "assessments"]]
    # Q1: A and K found among five assessments; Q2: asked at A only
    assert got.to_dict("index") == {
        "Q1": {"country": "All countries", "findings": 2, "assessments": 5},
        "Q2": {"country": "All countries", "findings": 1, "assessments": 1},
    }


def test_pooled_cycle_rates_keep_their_cycle() -> None:
    out = non_compliance_rates(two_countries(), "cycle", cycle=1, pooled=True, level="cluster")
    assert out[["country", "cluster", "cycle", "factories_assessed"]].values.tolist() == [
        ["All countries", "Compensation", 1, 5]
    ]


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"method": "latest", "window": WINDOW_2023, "cycle": 2}, "--cycle"),
        ({"method": "cycle", "cycle": 1, "by_cycle": True}, "--by-cycle"),
        ({"method": "panel", "cycle": 2, "by_cycle": True}, "--by-cycle"),
        ({"method": "panel", "cycle": 2, "window": WINDOW_2023}, "--from and --to"),
        (
            {"method": "latest", "window": WINDOW_2023, "level": "factory", "pooled": True},
            "--country all",
        ),
    ],
)
def test_an_option_a_method_would_ignore_is_refused(kwargs: dict, named: str) -> None:
    frame = rows(("A", 1, 1, "2023-03-01", *WAGES, "Q1", 1))
    method = kwargs.pop("method")
    with pytest.raises(UsageError, match=named):
        non_compliance_rates(frame, method, **kwargs)


@pytest.mark.parametrize(("first", "last"), [("2023-01", None), (None, "2023-12")])
def test_a_window_needs_both_ends(first: str | None, last: str | None) -> None:
    with pytest.raises(UsageError, match="--from needs --to|--to needs --from"):
        Window.given(first, last)
    assert Window.given(None, None) is None
