"""Reading CSV and XLSX files: encodings, separators, row numbers, files that are not tables."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

import bwcases.readers
from bwcases.errors import InputError
from bwcases.readers import ROW, Table

HEADER = "ID,Name,Date"
LINES = ["F1,Café Saigon,15/03/2023", 'F2,"Knit, Ltd",01/02/2024']


def records(table: Table) -> tuple[pd.DataFrame, list[str]]:
    """Every record of a table and the problems of its unreadable rows, as text."""
    frames, problems = [], []
    for chunk in table.chunks():
        frames.append(chunk.rows)
        problems += [str(p) for p in chunk.problems]
    return pd.concat(frames, ignore_index=True), problems


def error_of(path: Path) -> str:
    with pytest.raises(InputError) as err:
        records(Table(path))
    return str(err.value)


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda t: t.encode("utf-8"), id="utf-8"),
        pytest.param(lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), id="utf-8-bom"),
        pytest.param(lambda t: t.encode("utf-16"), id="utf-16-bom"),
        pytest.param(lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), id="utf-16-be-bom"),
        pytest.param(lambda t: t.replace("\n", "\r\n").encode("utf-8"), id="crlf"),
    ],
)
def test_text_encodings_read_the_same(tmp_path: Path, encode) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(encode("\n".join([HEADER, *LINES]) + "\n"))
    table = Table(path)
    rows, problems = records(table)
    assert table.header == ["ID", "Name", "Date"]
    assert problems == []
    assert rows.to_dict("records") == [
        {ROW: 2, "ID": "F1", "Name": "Café Saigon", "Date": "15/03/2023"},
        {ROW: 3, "ID": "F2", "Name": "Knit, Ltd", "Date": "01/02/2024"},
    ]


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_separated_files_are_read(tmp_path: Path, sep: str) -> None:
    path = tmp_path / "t.csv"
    text = "ID;Name;Date\nF1;Knit, Ltd;15/03/2023\n".replace(";", sep)
    path.write_text(text, encoding="utf-8")
    rows, _ = records(Table(path))
    assert rows.loc[0, "Name"] == "Knit, Ltd"
    assert rows.loc[0, "Date"] == "15/03/2023"


def test_row_numbers_are_the_rows_a_spreadsheet_shows(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        'ID,Name,Date\nF1,A,1\n\nF2,"two\nlines",2\nF3,,\n,,\nF4,D,4\n', encoding="utf-8"
    )
    rows, problems = records(Table(path))
    assert problems == []
    assert list(zip(rows[ROW], rows["ID"], strict=True)) == [
        (2, "F1"),
        (4, "F2"),
        (5, "F3"),
        (7, "F4"),
    ]
    assert rows.loc[1, "Name"] == "two\nlines"
    assert rows.loc[2, "Name"] == ""


def test_short_rows_are_padded_and_rows_with_extra_values_are_problems(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("ID,Name,Date\nF1,A\nF2,B,2,surplus\nF3,C,3,,\n", encoding="utf-8")
    rows, problems = records(Table(path))
    assert list(rows["ID"]) == ["F1", "F3"]
    assert rows.loc[0, "Date"] == ""
    assert problems == ["t.csv row 3: has 4 values but the header names 3 columns"]


def test_latin1_rows_are_named_with_the_value_as_it_was_meant(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("\n".join([HEADER, "F0,Plain,1", *LINES]).encode("latin-1"))
    rows, problems = records(Table(path))
    assert list(rows["ID"]) == ["F0", "F2"]
    assert len(problems) == 1
    assert problems[0].startswith("t.csv row 3, column Name: 'Café Saigon' is not UTF-8 text")
    assert "Latin-1" in problems[0] and "CSV UTF-8" in problems[0]


def test_a_quote_left_open_is_a_problem_at_its_row(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('ID,Name,Date\nF1,A,1\nF2,"B,2\nF3,C,3\n', encoding="utf-8")
    rows, problems = records(Table(path))
    assert list(rows["ID"]) == ["F1"]
    assert problems[0].startswith("t.csv row 3: cannot be read as CSV")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "t.csv: the file is empty"),
        (b" \r\n\r\n", "t.csv: the file is empty"),
        (codecs.BOM_UTF8, "t.csv: the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "t.csv: is neither a text file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "t.csv: is an old Excel .xls workbook"),
        (b"PK\x03\x04 not really a zip", "t.csv: cannot be opened as an Excel workbook"),
        ("ID\x00,Name\n".encode("utf-16-le"), "t.csv: is neither a text file"),
        (b"ID,Name,ID\nF1,A,F1\n", "t.csv row 1, column ID: appears twice in the header"),
    ],
    ids=["0-bytes", "blank", "bom-only", "png", "xls", "bad-zip", "utf16-no-bom", "dup-column"],
)
def test_files_that_are_not_tables_are_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    assert error_of(path).startswith(message)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert "no such file" in error_of(tmp_path / "nope.csv")


def test_require_names_each_missing_column_and_what_the_header_has(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("ID,Name\nF1,A\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        Table(path).require(["ID", "Date", "Status"])
    assert [(p.row, p.column) for p in err.value.problems] == [(1, "Date"), (1, "Status")]
    assert "t.csv row 1, column Date: the column is missing (the header has 'ID', 'Name')" in str(
        err.value
    )


def test_chunks_follow_chunk_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.csv"
    path.write_text("ID\n" + "".join(f"F{i}\n" for i in range(25)), encoding="utf-8")
    monkeypatch.setattr(bwcases.readers, "CHUNK_ROWS", 10)
    sizes = [len(c.rows) for c in Table(path).chunks()]
    assert sizes == [10, 10, 5]
    assert [len(c.rows) for c in Table(path).chunks(size=7)] == [7, 7, 7, 4]


def test_xlsx_cells_read_as_an_export_would_spell_them(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ID", "Name", "Date", "Count"])
    sheet.append(["F1", " Café Saigon ", dt.datetime(2023, 3, 15), 1250.0])
    sheet.append([None, None, None, None])  # an empty row keeps its number
    sheet.append(["F2", "Knit", dt.date(2024, 2, 1), 2.5])
    path = tmp_path / "t.xlsx"
    book.save(path)
    rows, problems = records(Table(path))
    assert problems == []
    assert rows.to_dict("records") == [
        {ROW: 2, "ID": "F1", "Name": "Café Saigon", "Date": "15/03/2023", "Count": "1250"},
        {ROW: 4, "ID": "F2", "Name": "Knit", "Date": "01/02/2024", "Count": "2.5"},
    ]
