"""Rates counted by the database are the pandas reference's figures, to the last bit."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import event

from bwcases.analysis.metrics import Window
from bwcases.analysis.queries import rates, rates_by_pandas
from bwcases.analysis.rate_rows import rate_query
from bwcases.cli import emit
from bwcases.core.catalogue import ALL_COUNTRIES
from bwcases.io.demo import fill_demo
from bwcases.io.importers import import_file
from bwcases.store import RateQuery, Store
from bwcases.store.rate_query import MERGE_ROWS
from bwcases.store.rates import RateStore, compiled_for_sqlite
from bwcases.store.sqlite_rates import COMPILED, SqliteRates
from tests.helpers import bw, write_csv

# What the demo portfolio never holds and the programme's exports do: spellings the catalogue
# merges ("systems", spaces inside names), an assessment with no NCQ row after one with, a
# factory renamed "(obsolete)" at its latest assessment, a question relabelled between two
# assessments, factories of cycles 1 and 2 assessed in the same window.
ODD_ROWS = [
    "Vietnam,1,ODD1,Odd One,900001,10/01/2025,NCQ,New label,ODD.Q.01,Overtime,Working Time,1,",
    "Vietnam,1,ODD1,Odd One,900001,10/01/2025,ncq,Fire exits?,ODD.Q.02,Worker Protection,SYSTEMS,0,Public Disclosure",
    "Vietnam,1,ODD1,Odd One,900001,10/01/2025,NCQ,Child work?,ODD.Q.03,hazardous  work,Child Labour,1,",
    "Vietnam,1,ODD1,Odd One,900001,10/01/2025,NCQ,Hours?,ODD.Q.04,Regular Hours,Working  Time,0,",
    "Vietnam,2,ODD1,Odd One,900002,10/06/2025,FGW,How many workers?,ODD.F.01,Worker Protection,Occupational Safety and Health,350,",
    "Vietnam,1,ODD2,Lotus,899990,01/02/2025,NCQ,Old label,ODD.Q.01,Overtime,Working Time,0,",
    "Vietnam,1,ODD2,Lotus,899990,01/02/2025,NCQ,Worst forms?,ODD.Q.05,Unconditional Worst Forms,Child Labour,1,",
    "Vietnam,2,ODD2,Lotus (obsolete),900004,01/08/2025,NCQ,New label,ODD.Q.01,Overtime,Working Time,1,",
    "Vietnam,1,ODD3,Third,900000,05/03/2024,NCQ,Oldest label,ODD.Q.01,Overtime,Working Time,1,",
    "Vietnam,2,ODD3,Third,900005,05/03/2025,NCQ,New label,ODD.Q.01,Overtime,Working Time,0,",
]

# Texts a spreadsheet would run as formulas, in the cells the rates name: a factory, a CP, a
# cluster (the command's CSV quotes them as emit does).
FORMULA_ROWS = [
    "Vietnam,1,=HYPERLINK(1),-Minus Co,900101,10/03/2025,NCQ,Q?,ODD.Q.07,+Odd CP,@Odd cluster,1,",
    'Vietnam,1,"=HYPERLINK(1)","Quoted, ""Co""",900102,10/04/2025,NCQ,Q?,ODD.Q.07,+Odd CP,@Odd cluster,0,',
]

WINDOWS = {
    "two years": Window.months("2024-01", "2025-12"),
    "all time": Window.months("2019-01", "2026-12"),
    "none held": Window.months("2010-01", "2010-12"),
}
LEVELS = ["cp", "cluster", "question", "factory"]


def _options() -> Iterator[dict[str, Any]]:
    """Every kind of call the CLI accepts: methods, windows, cycles, --by-cycle."""
    for window, by_cycle in itertools.product(WINDOWS.values(), (False, True)):
        yield {"method": "latest", "window": window, "by_cycle": by_cycle}
    for cycle, window in itertools.product((1, 2), (None, WINDOWS["two years"])):
        yield {"method": "cycle", "cycle": cycle, "window": window}
    for cycle in (1, 3, 9):
        yield {"method": "panel", "cycle": cycle}


@pytest.fixture(params=[(12, 1), (45, 5)], ids=["12 factories", "45 factories"])
def portfolio(request: pytest.FixtureRequest, store: Store, tmp_path: Path) -> Store:
    """A demo portfolio of a size and seed, with the odd rows beside it."""
    factories, seed = request.param
    fill_demo(store, factories=factories, seed=seed)
    import_file(store, "assessments", write_csv(tmp_path / "odd.csv", ODD_ROWS))
    return store


def test_rates_in_the_database_are_the_pandas_figures(portfolio: Store) -> None:
    differences = []
    calls = 0
    for options, level, country in itertools.product(_options(), LEVELS, (None, "all", "vn")):
        if country == "all" and level == "factory":
            continue  # refused by both (one row per factory)
        if (
            country is not None
            and level in ("cluster", "factory")
            and options["method"] != "latest"
        ):
            continue  # the country filter is the same code for every level: enough once
        expected = rates_by_pandas(portfolio, level=level, country=country, **options)
        got = rates(portfolio, level=level, country=country, **options)
        calls += 1
        try:
            # the reference's texts in a frame of no rows are typed by the way it got there
            # (object or str); the database's are str always
            check_dtype = not expected.empty
            pd.testing.assert_frame_equal(got, expected, check_exact=True, check_dtype=check_dtype)
        except AssertionError as exc:
            differences.append(f"{options} {level} {country}: {exc}")
    assert not differences, "\n".join(differences[:5])
    assert calls > 100


def test_the_odd_rows_count_as_the_programme_says(portfolio: Store) -> None:
    window = WINDOWS["two years"]
    question = rates(portfolio, "latest", window=window, level="question", country="vn")
    odd = question[question["question_id"].str.startswith("ODD.")].set_index("question_id")
    # ODD1 counts its assessment of January (the June one asks no NCQ); ODD2 its February one
    # (the August one is under an obsolete name); ODD3 its latest, 2025: three assessments
    assert odd.loc["ODD.Q.01", ["findings", "assessments"]].tolist() == [1, 3]
    # the label as the earliest of those assessments spelt it (ODD2's, Quest.ID 899990)
    assert odd.loc["ODD.Q.01", "question_label"] == "Old label"
    assert odd.loc["ODD.Q.02", "cluster"] == "Occupational Safety and Health"
    assert bool(odd.loc["ODD.Q.02", "public_disclosure"])
    merged = "Hazardous Work and other Worst Forms"
    assert odd.loc["ODD.Q.03", "compliance_point"] == odd.loc["ODD.Q.05", "compliance_point"]
    assert odd.loc["ODD.Q.03", "compliance_point"] == merged
    assert odd.loc["ODD.Q.04", "cluster"] == "Working Time"  # one space, as the catalogue


def test_the_findings_are_read_once_by_the_database(portfolio: Store) -> None:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(portfolio.engine, "before_cursor_execute", seen)
    try:
        out = rates(portfolio, "panel", cycle=2, level="question", country="all")
    finally:
        event.remove(portfolio.engine, "before_cursor_execute", seen)
    assert len(out) > 0
    reading = [s for s in statements if "findings" in s]
    assert len(reading) == 1  # one query counts them all; nothing fetches them
    assert "GROUP BY" in reading[0]


def _arguments(options: dict[str, Any], level: str, country: str | None) -> list[str]:
    """The command's arguments for a call of rates()."""
    args = ["--method", options["method"], "--level", level]
    if options.get("window") is not None:
        window = options["window"]
        args += ["--from", f"{window.start:%Y-%m}", "--to", f"{window.end:%Y-%m}"]
    if options.get("cycle") is not None:
        args += ["--cycle", str(options["cycle"])]
    if options.get("by_cycle"):
        args.append("--by-cycle")
    if country is not None:
        args += ["--country", country]
    return args


def test_the_command_prints_the_librarys_frame_as_emit_writes_it(
    portfolio: Store, tmp_path: Path
) -> None:
    # the command writes CSV from the store's rows, without pandas: byte for byte emit's CSV of
    # the frame rates() returns, for every method, level and breakdown (JSON and tables too)
    import_file(portfolio, "assessments", write_csv(tmp_path / "formula.csv", FORMULA_ROWS))
    expected_file = tmp_path / "expected"
    differences = []
    calls = 0
    for options, level, country in itertools.product(_options(), LEVELS, (None, "all", "vn")):
        if country == "all" and level == "factory":
            continue
        formats = ["csv"] if options["method"] != "latest" else ["csv", "json", "table"]
        for fmt in formats:
            got = bw("rates", "--db", portfolio.url, *_arguments(options, level, country),
                     "--format", fmt)  # fmt: skip
            assert got.exit_code == 0, got.stderr
            emit(rates(portfolio, level=level, country=country, **options), fmt, expected_file)
            calls += 1
            if got.stdout != expected_file.read_bytes().decode("utf-8"):
                differences.append(f"{options} {level} {country} {fmt}")
    assert not differences, "\n".join(differences[:5])
    assert calls > 150


def test_the_commands_csv_quotes_what_a_spreadsheet_would_run(
    portfolio: Store, tmp_path: Path
) -> None:
    import_file(portfolio, "assessments", write_csv(tmp_path / "formula.csv", FORMULA_ROWS))
    args = ["--db", portfolio.url, "--from", "2025-01", "--to", "2025-12", "--format", "csv"]
    scores = bw("rates", *args, "--level", "factory").stdout
    assert 'Vietnam,\'=HYPERLINK(1),"Quoted, ""Co""",0,1,0.0\n' in scores
    cps = bw("rates", *args).stdout
    assert "Vietnam,'@Odd cluster,'+Odd CP,1,0,0.0\n" in cps


@pytest.mark.parametrize("country", [None, "vn"], ids=["every country", "one country"])
@pytest.mark.parametrize(
    ("fmt", "start"),
    [("csv", "country,cluster,compliance_point,"), ("json", '[\n {\n  "country":')],
)
def test_the_command_imports_no_pandas_for_every_countrys_rates(
    portfolio: Store, fmt: str, start: str, country: str | None
) -> None:
    # what keeps the command's memory flat (pandas and pyarrow are most of it) and its start
    # short; on SQLite, SQLAlchemy is not imported either (the statements compiled ahead)
    script = (
        "import sys\n"
        "from bwcases.cli import main\n"
        "main(sys.argv[1:], standalone_mode=False)\n"
        "heavy = {'pandas', 'numpy', 'pyarrow', 'sqlalchemy'}\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & heavy)\n"
        "print('loaded:', loaded, file=sys.stderr)\n"
    )
    args = ["rates", "--db", portfolio.url, "--from", "2024-01", "--to", "2025-12"]
    args += ["--country", country] if country else []
    done = subprocess.run(
        [sys.executable, "-c", script, *args, "--format", fmt],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.startswith(start)
    expected = [] if portfolio.is_sqlite else ["sqlalchemy"]
    assert f"loaded: {expected}" in done.stderr


# -- on SQLite, the statements compiled ahead and run by sqlite3 ------------------------------


def test_the_statements_compiled_ahead_are_what_sqlalchemy_compiles_today() -> None:
    shipped = json.loads(COMPILED.read_text(encoding="utf-8"))
    assert shipped == compiled_for_sqlite(), "write them again: python -m bwcases.store.rates"


def _row_queries() -> Iterator[RateQuery]:
    """Every kind of call the command prints as rows (levels but question's), each country."""
    for options, level, country in itertools.product(
        _options(), ("cp", "cluster", "factory"), (None, ALL_COUNTRIES, "Vietnam")
    ):
        if country == ALL_COUNTRIES and level == "factory":
            continue
        window, cycle = options.get("window"), options.get("cycle")
        by_cycle = options.get("by_cycle", False)
        yield rate_query(
            options["method"], window=window, cycle=cycle, country=country, level=level,
            by_cycle=by_cycle,
        )  # fmt: skip


@pytest.fixture
def sqlite_portfolio(sqlite_store: Store, tmp_path: Path) -> Store:
    """The 12-factory portfolio with the odd rows, in an SQLite file."""
    fill_demo(sqlite_store, factories=12, seed=1)
    import_file(sqlite_store, "assessments", write_csv(tmp_path / "odd.csv", ODD_ROWS))
    return sqlite_store


def test_sqlite3_gives_sqlalchemys_rows_for_every_kind_of_call(
    sqlite_portfolio: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = list(_row_queries())
    expected = {q: sqlite_portfolio.rates_table(q) for q in queries}
    assert sum(len(t.rows) for t in expected.values()) > 1000

    def refused(*_args: Any) -> None:
        raise AssertionError("RateStore was asked")

    monkeypatch.setattr(RateStore, "rates_table", refused)
    with SqliteRates.open(sqlite_portfolio.url) as direct:
        assert direct is not None
        assert direct.countries() == sqlite_portfolio.countries()
        differences = [q for q in queries if direct.rates_table(q) != expected[q]]
    assert not differences, differences[:3]


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[RateQuery]:
    """The queries RateStore (SQLAlchemy's path) is asked from now on, answered as ever."""
    queries = []
    through_sqlalchemy = RateStore.rates_table

    def spied(store: RateStore, query: RateQuery) -> Any:
        queries.append(query)
        return through_sqlalchemy(store, query)

    monkeypatch.setattr(RateStore, "rates_table", spied)
    return queries


def test_more_merges_than_the_statements_carry_are_counted_through_sqlalchemy(
    sqlite_store: Store, tmp_path: Path, asked: list[RateQuery]
) -> None:
    # the catalogue counts "Systems" in any case as OSH: 70 spellings are 70 merges
    spellings = ["".join(c) for c in itertools.product(*zip("systems", "SYSTEMS", strict=True))]
    rows = [
        f"Vietnam,1,ODD1,Odd One,900001,10/01/2025,NCQ,Q?,ODD.Q.{i:02d},Worker Protection,"
        f"{spelling},{i % 3 == 0:d},"
        for i, spelling in enumerate(spellings[: MERGE_ROWS + 6])
    ]
    fill_demo(sqlite_store, factories=3, seed=1)
    import_file(sqlite_store, "assessments", write_csv(tmp_path / "spellings.csv", rows))
    window = WINDOWS["two years"]
    query = rate_query("latest", window=window, cycle=None, country=None, level="cp",
                       by_cycle=False)  # fmt: skip
    expected = sqlite_store.rates_table(query)
    counted = [r for r in expected.rows if r[2] == "Worker Protection" and r[0] == "Vietnam"]
    assert [r[1] for r in counted] == ["Occupational Safety and Health"]
    pd.testing.assert_frame_equal(
        rates(sqlite_store, "latest", window=window),
        rates_by_pandas(sqlite_store, "latest", window=window),
        check_exact=True,
    )
    asked.clear()
    with SqliteRates.open(sqlite_store.url) as direct:
        assert direct is not None
        assert direct.rates_table(query) == expected
    assert asked == [query]


def test_what_sqlite3_cannot_answer_is_left_to_sqlalchemy(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asked: list[RateQuery]
) -> None:
    path = Path(sqlite_store.url.removeprefix("sqlite:///"))
    monkeypatch.chdir(path.parent)
    for name in (path.name, str(path), sqlite_store.url):  # a relative path is the same file
        opened = SqliteRates.open(name)
        assert opened is not None
        opened.dispose()
    assert SqliteRates.open("postgresql://someone@localhost/cases") is None
    assert SqliteRates.open(f"{sqlite_store.url}?timeout=5") is None  # options SQLAlchemy reads
    missing = tmp_path / "new" / "cases.sqlite"
    assert SqliteRates.open(str(missing)) is None
    assert not missing.parent.exists()  # nothing made: the store makes a new file its own way
    bad = tmp_path / "bad.sqlite"
    bad.write_text("not a database")
    assert SqliteRates.open(str(bad)) is None
    got = bw("rates", "--db", str(bad), "--from", "2024-01", "--to", "2025-12")
    assert got.exit_code != 0
    assert f"cannot use the store sqlite:///{bad} (file is not a database)" in got.stderr
    half = RateQuery("cycle", start=dt.date(2025, 1, 1), cycle=1)  # no statement of its shape
    with SqliteRates.open(sqlite_store.url) as direct:
        assert direct is not None
        direct.rates_table(half)
    assert asked == [half]
    sqlite_store.dispose()
    with sqlite3.connect(path) as conn:  # a store of an older migration: the store upgrades it
        conn.execute("UPDATE alembic_version SET version_num = '0006'")
    conn.close()
    assert SqliteRates.open(sqlite_store.url) is None
