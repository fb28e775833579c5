"""Sample sizes as the manual tabulates them: worked by hand on small exports."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from bwcases.analysis.counts import sample_sizes
from bwcases.analysis.metrics import Window
from bwcases.core.errors import UsageError
from tests.helpers import bw, write_csv
from tests.test_metrics import WAGES, rows

MW = "CMP.MW.01,Minimum Wages/Piece Rate Wages,Compensation"
FGW = "FGW.01,Employment Contracts,Contracts and Human Resources"
# (country, cycle, factory, name, Quest.ID, start date): an NCQ row each, and more rows where
# an assessment asked more (they count once)
ASSESSMENTS = [
    ("Vietnam", 1, "VN1", "Alpha", 101, "10/02/2022"),
    ("Vietnam", 2, "VN1", "Alpha", 150, "05/03/2023"),
    ("Vietnam", 3, "VN1", "Alpha", 190, "01/02/2024"),
    ("Vietnam", 1, "VN2", "Beta", 120, "20/03/2023"),
    ("Vietnam", 2, "VN2", "Beta", 180, "15/01/2024"),
    ("Vietnam", 1, "VN3", "Gamma (Obsolete)", 130, "01/04/2023"),  # retired: never counted
    ("Vietnam", 1, "VN4", "Delta", 140, "01/06/2023"),
    ("Cambodia", 1, "KH1", "Khmer One", 160, "01/07/2023"),
    ("Cambodia", 2, "KH1", "Khmer One", 170, "01/08/2024"),
    ("Cambodia", 1, "KH2", "Khmer Two", 175, "10/12/2022"),
]
COUNTS_EXPORT = [
    f"{country},{cycle},{fid},{name},{quest},{date},NCQ,Q?,{MW},1,"
    for country, cycle, fid, name, quest, date in ASSESSMENTS
] + [
    "Vietnam,1,VN4,Delta,140,01/06/2023,NCQ,Q?,CMP.MW.01,Minimum Wages/Piece Rate Wages,"
    "Compensation,1,",  # the same row again
    f"Vietnam,1,VN4,Delta,140,01/06/2023,FGW,How many?,{FGW},900,",
    "Vietnam,1,VN4,Delta,140,01/06/2023,NCQ,Q?,WT.OT.01,Overtime,Working Time,0,",
]

# Worked by hand from ASSESSMENTS
PER_CYCLE = {
    ("Vietnam", "1"): "3",  # VN1@101, VN2@120, VN4@140 (not VN3, retired)
    ("Vietnam", "2"): "2",  # VN1@150, VN2@180
    ("Vietnam", "3"): "1",  # VN1@190
    ("Cambodia", "1"): "2",  # KH1@160, KH2@175
    ("Cambodia", "2"): "1",  # KH1@170
}
PER_CYCLE_2023 = {
    ("Vietnam", "1"): "2",  # VN2@120, VN4@140
    ("Vietnam", "2"): "1",  # VN1@150
    ("Cambodia", "1"): "1",  # KH1@160
}


def table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def counts_url(store_url: str, tmp_path: Path) -> str:
    export = write_csv(tmp_path / "assessments.csv", COUNTS_EXPORT)
    done = bw("--db", store_url, "import", "assessments", str(export))
    assert done.exit_code == 0, done.stderr
    return store_url


def counts(url: str, *args: str) -> list[dict[str, str]]:
    out = bw("counts", "--db", url, *args, "--format", "csv")
    assert out.exit_code == 0, out.stderr
    return table(out.stdout)


def test_assessments_per_cycle(counts_url: str) -> None:
    got = counts(counts_url, "assessments")
    assert list(got[0]) == ["country", "cycle", "assessments"]
    assert {(r["country"], r["cycle"]): r["assessments"] for r in got} == PER_CYCLE
    in_2023 = counts(counts_url, "assessments", "--from", "2023-01", "--to", "2023-12")
    assert {(r["country"], r["cycle"]): r["assessments"] for r in in_2023} == PER_CYCLE_2023
    pooled = counts(counts_url, "assessments", "--country", "all")
    assert [(r["country"], r["cycle"], r["assessments"]) for r in pooled] == [
        ("All countries", "1", "5"),
        ("All countries", "2", "3"),
        ("All countries", "3", "1"),
    ]
    second = counts(counts_url, "assessments", "--cycle", "2", "--country", "vn")
    assert [(r["country"], r["cycle"], r["assessments"]) for r in second] == [("Vietnam", "2", "2")]


def test_factories_by_country_and_cycle_wide(counts_url: str) -> None:
    got = counts(counts_url, "factories")
    assert got == [
        {"country": "Cambodia", "cycle_1": "2", "cycle_2": "1", "cycle_3": "0"},
        {"country": "Vietnam", "cycle_1": "3", "cycle_2": "2", "cycle_3": "1"},
    ]
    # factories in cycle 1 per country
    assert counts(counts_url, "factories", "--cycle", "1") == [
        {"country": "Cambodia", "cycle_1": "2"},
        {"country": "Vietnam", "cycle_1": "3"},
    ]
    assert counts(counts_url, "factories", "--country", "ALL") == [
        {"country": "All countries", "cycle_1": "5", "cycle_2": "3", "cycle_3": "1"}
    ]


def test_assessment_dates_per_country(counts_url: str) -> None:
    assert counts(counts_url, "dates") == [
        {
            "country": "Cambodia",
            "first_assessment": "2022-12-10",
            "last_assessment": "2024-08-01",
            "assessments": "3",
        },
        {
            "country": "Vietnam",
            "first_assessment": "2022-02-10",  # VN1@101
            "last_assessment": "2024-02-01",  # VN1@190
            "assessments": "6",
        },
    ]
    in_2023 = counts(counts_url, "dates", "--from", "2023-01", "--to", "2023-12")
    # Vietnam: VN1@150 to VN4@140 (VN3's April assessment is a retired record's)
    assert [(r["country"], r["first_assessment"], r["last_assessment"]) for r in in_2023] == [
        ("Cambodia", "2023-07-01", "2023-07-01"),
        ("Vietnam", "2023-03-05", "2023-06-01"),
    ]
    as_json = bw("counts", "dates", "--db", counts_url, "--country", "KH", "--format", "json")
    assert json.loads(as_json.stdout) == [
        {
            "country": "Cambodia",
            "first_assessment": "2022-12-10",
            "last_assessment": "2024-08-01",
            "assessments": 3,
        }
    ]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["factories", "--country", "Narnia"], "--country 'Narnia' is not a country"),
        (["assessments", "--cycle", "0"], "--cycle 0"),
        (["dates", "--from", "2023-01"], "--from needs --to"),
        (["dates", "--from", "2023-13", "--to", "2024-01"], "--from '2023-13'"),
    ],
)
def test_counts_refuse_bad_options(counts_url: str, args: list[str], said: str) -> None:
    out = bw("counts", "--db", counts_url, *args)
    assert out.exit_code == 2 and out.stdout == ""
    assert out.stderr.startswith("bwcases: ") and said in out.stderr


def test_an_empty_store_counts_nothing(store_url: str) -> None:
    for kind in ("assessments", "factories", "dates"):
        out = bw("counts", kind, "--db", store_url, "--format", "csv")
        assert out.exit_code == 0, out.stderr
        assert len(out.stdout.splitlines()) == 1  # the header alone


# -- the library, on findings frames ------------------------------------------------------


def test_a_findings_frame_counts_each_assessment_once() -> None:
    frame = rows(
        ("A", 5, 1, "2023-03-01", *WAGES, "Q1", 1),
        ("A", 5, 1, "2023-03-01", *WAGES, "Q2", 0),
        ("A", 5, 1, "2023-03-01", *WAGES, "Q2", 0),
        ("B", 5, 1, "2023-04-01", *WAGES, "Q1", 1),  # another factory's Quest.ID 5
        ("B", 9, 2, "2024-04-01", *WAGES, "Q1", 1),
        ("C", 7, 1, "2023-04-01", *WAGES, "Q1", 1, "NCQ", "Old (Obsolete)"),
    )
    per_cycle = sample_sizes(frame, "assessments")
    assert per_cycle.to_dict("records") == [
        {"country": "Vietnam", "cycle": 1, "assessments": 2},  # A@5 and B@5
        {"country": "Vietnam", "cycle": 2, "assessments": 1},
    ]
    wide = sample_sizes(frame, "factories", window=Window.months("2023-01", "2023-12"))
    assert wide.to_dict("records") == [{"country": "Vietnam", "cycle_1": 2}]
    dates = sample_sizes(frame, "dates", cycle=1).iloc[0]
    assert (str(dates["first_assessment"]), str(dates["last_assessment"])) == (
        "2023-03-01",
        "2023-04-01",
    )


def test_the_library_refuses_a_cycle_below_one() -> None:
    frame = rows(("A", 5, 1, "2023-03-01", *WAGES, "Q1", 1))
    with pytest.raises(UsageError, match="--cycle 0"):
        sample_sizes(frame, "assessments", cycle=0)
