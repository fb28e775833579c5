"""Reading CSV and XLSX files: encodings, separators, row numbers, files that are not tables."""

from __future__ import annotations

import codecs
import datetime as dt
import random
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

import bwcases.io.readers
from bwcases.core.errors import InputError
from bwcases.io.readers import ROW, Table
from tests.helpers import sheet_xml, zip_workbook

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
    monkeypatch.setattr(bwcases.io.readers, "CHUNK_ROWS", 10)
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


# -- the fast CSV reader reads what the careful one reads, or hands over -----------------------


def _never(*args: object, **kwargs: object):
    raise ValueError("read carefully")
    yield


def both_ways(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[tuple, tuple]:
    """What the reader gives (the fast parser first), and what the careful reader alone gives;
    each its records and problems, or the error that refused the file."""

    def read() -> tuple:
        try:
            chunks = list(Table(path).chunks())
        except InputError as exc:
            return ("refused", str(exc))
        rows = [r for c in chunks for r in c.rows.to_dict("records")]
        return rows, [str(p) for c in chunks for p in c.problems]

    fast = read()
    with monkeypatch.context() as m:
        m.setattr(Table, "_fast_csv_chunks", _never)
        careful = read()
    return fast, careful


@pytest.mark.parametrize("block", [None, 7], ids=["one-block", "7-byte-blocks"])
@pytest.mark.parametrize(
    "bad",
    ['"Name "quoted" inside"', '"Knit"x', '""x', '"Knit, Ltd"  ', '"a,""b"""c'],
    ids=["quoted-inside", "after-closing-quote", "after-empty-quotes", "blanks-after", "escapes"],
)
def test_malformed_quoting_gives_the_careful_readers_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str, block: int | None
) -> None:
    if block:
        monkeypatch.setattr(bwcases.io.readers, "_BLOCK_BYTES", block, raising=False)
    monkeypatch.setattr(bwcases.io.readers, "CHUNK_ROWS", 4)
    good = [f'F{i},"Knit, ""Ltd"" {i}",0{i % 9 + 1}/02/2024' for i in range(10)]
    path = tmp_path / "t.csv"
    path.write_text("\n".join([HEADER, *good, "", f"F10,{bad},01/02/2024", *good]) + "\n")
    fast, careful = both_ways(path, monkeypatch)
    assert fast == careful
    rows, problems = fast
    assert [r[ROW] for r in rows] == list(range(2, 12))
    assert rows[1]["Name"] == 'Knit, "Ltd" 1'
    assert problems == [
        "t.csv row 13: cannot be read as CSV: ',' expected after '\"' (is a quote left open?); "
        "nothing after it was read"
    ]


@pytest.mark.parametrize(
    "value",
    [' "Knit"', 'Kn"it', '"Knit\r\nLtd"', '"Knit\rLtd"'],
    ids=["blank-before-quote", "quote-inside", "crlf-inside-quotes", "cr-inside-quotes"],
)
def test_quotes_both_readers_accept_are_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(f"{HEADER}\r\nF1,{value},1\r\nF2,B,2\r\n".encode())
    fast, careful = both_ways(path, monkeypatch)
    assert fast == careful
    assert fast[1] == [] and [r["ID"] for r in fast[0]] == ["F1", "F2"]


@pytest.mark.parametrize(
    "long",
    [
        '"' + "Knit, Ltd " * 20_000 + '"',
        "Knit_Ltd__" * 20_000,
        '"' + 'Knit ""Ltd"" ' * 15_000 + '"',
        '"' + "Knit\nLtd " * 20_000 + '"',
    ],
    ids=["commas-in-quotes", "unquoted", "doubled-quotes", "lines-in-quotes"],
)
@pytest.mark.parametrize("block", [None, 4096], ids=["one-block", "4-KB-blocks"])
def test_a_value_longer_than_csvs_limit_gives_the_careful_readers_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, long: str, block: int | None
) -> None:
    if block:
        monkeypatch.setattr(bwcases.io.readers, "_BLOCK_BYTES", block, raising=False)
    path = tmp_path / "t.csv"
    path.write_text("\n".join([HEADER, *LINES, f"F3,{long},1", "F4,D,4"]) + "\n")
    fast, careful = both_ways(path, monkeypatch)
    assert fast == careful
    assert [r["ID"] for r in fast[0]] == ["F1", "F2"]
    assert fast[1] == [
        "t.csv row 4: has a value longer than 131,072 characters (is a quote left open?); "
        "nothing after it was read"
    ]


def test_a_first_row_longer_than_the_header_is_named_not_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.csv"
    path.write_text("ID,Name,Date\n,,,surplus\nF2,B,2\n", encoding="utf-8")
    fast, careful = both_ways(path, monkeypatch)
    assert fast == careful
    assert fast[1] == ["t.csv row 2: has 4 values but the header names 3 columns"]


def test_random_files_read_as_the_careful_reader_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pieces = ["a", "é", " ", ",", ",,", '"', '""', "\n", "\r", "\r\n", "\n\n", "x\x00"]
    rng = random.Random(7)
    path = tmp_path / "t.csv"
    for _ in range(300):
        body = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
        path.write_bytes(("A,B,C\n" + body).encode())
        monkeypatch.setattr(
            bwcases.io.readers, "_BLOCK_BYTES", rng.choice([3, 7, 1 << 22]), raising=False
        )
        fast, careful = both_ways(path, monkeypatch)
        assert fast == careful, repr(body)


def test_a_file_whose_lines_end_with_cr_alone_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("\r".join([HEADER, *LINES, 'F3,"two\rlines",3']).encode() + b"\r")
    fast, careful = both_ways(path, monkeypatch)
    assert fast == careful
    assert fast[1] == []
    assert [(r[ROW], r["Name"]) for r in fast[0]] == [
        (2, "Café Saigon"),
        (3, "Knit, Ltd"),
        (4, "two\rlines"),
    ]


@pytest.mark.parametrize(
    ("char", "code"),
    [
        ("\x00", "U+0000"),
        ("\x1b", "U+001B"),
        ("\x0b", "U+000B"),
        ("\x7f", "U+007F"),
        ("\x9b", "U+009B"),
    ],
    ids=["nul", "esc", "vertical-tab", "del", "c1-csi"],
)
@pytest.mark.parametrize("reader", ["fast", "careful"])
def test_control_characters_are_refused_naming_row_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, char: str, code: str, reader: str
) -> None:
    if reader == "careful":
        monkeypatch.setattr(Table, "_fast_csv_chunks", _never)
    good = [f"F{i},Knit {i},01/02/2024" for i in range(3000)]  # 80 KB: past the sniffed head
    path = tmp_path / "t.csv"
    path.write_text("\n".join([HEADER, *good, f"F3000,Red{char}Mill,1", "F3001,D,4"]) + "\n")
    rows, problems = records(Table(path))
    assert len(rows) == 3001 and "F3000" not in set(rows["ID"])
    assert problems == [
        f"t.csv row 3002, column Name: {'Red' + char + 'Mill'!r} holds the control character "
        f"{code}, which is not text; remove it"
    ]


# -- limits: a header, a workbook -------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (",".join(f"c{i}" for i in range(200_000)), "the header does not end within the first"),
        (",".join(f"c{i}" for i in range(501)), "the header names more than 500 columns"),
        ("ID," + "N" * 70_000 + "\nF1,A\n", "the header does not end within the first 64 KB"),
    ],
    ids=["200000-columns", "501-columns", "70-KB-name"],
)
def test_a_header_too_wide_is_refused_at_once(tmp_path: Path, header: str, message: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(header + "\n" + "x\n" * 3)
    assert error_of(path).startswith(f"t.csv row 1: {message}")


def test_a_hand_made_workbook_reads(tmp_path: Path) -> None:
    path = zip_workbook(tmp_path / "t.xlsx", sheet_xml([["ID", "Name"], ["F1", "Knit"]]))
    rows, problems = records(Table(path))
    assert problems == [] and rows.to_dict("records") == [{ROW: 2, "ID": "F1", "Name": "Knit"}]


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    sheet = sheet_xml([[f"Column {i}" for i in range(13)], *[["Saigon Garments"] * 13] * 40_000])
    path = zip_workbook(tmp_path / "bomb.xlsx", sheet)
    assert len(sheet) > 25_000_000 and path.stat().st_size < 120_000
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as err:
            records(Table(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(err.value).startswith("bomb.xlsx: has a part (xl/worksheets/sheet1.xml) compressed ")
    assert "it looks like a zip bomb" in str(err.value)
    assert peak < 5_000_000, f"{peak >> 20} MiB"


def test_a_workbook_claiming_the_whole_sheet_reads_its_few_rows(tmp_path: Path) -> None:
    rows = [["ID", "Name"], ["F1", "Knit"], ["F2", "Mill"]]
    path = zip_workbook(tmp_path / "t.xlsx", sheet_xml(rows, dimension="A1:XFD1048576"))
    tracemalloc.start()
    try:
        read, problems = records(Table(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert problems == [] and list(read["ID"]) == ["F1", "F2"]
    assert peak < 5_000_000, f"{peak >> 20} MiB"


@pytest.mark.parametrize(
    ("limit", "part"),
    [
        ("MAX_SHEET_BYTES", "xl/worksheets/sheet1.xml"),
        ("MAX_SHARED_STRINGS_BYTES", "xl/sharedStrings.xml"),
        ("MAX_PART_BYTES", "xl/styles.xml"),
    ],
)
def test_workbook_parts_larger_than_their_limit_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str, part: str
) -> None:
    monkeypatch.setattr(bwcases.io.readers, limit, 1000)
    path = zip_workbook(
        tmp_path / "t.xlsx",
        sheet_xml([["ID", "Name"], *[[f"F{i}", "Knit"] for i in range(100)]]),
        xl__sharedStrings_xml=b"<sst>" + b" " * 2000 + b"</sst>",
        xl__styles_xml=b"<styleSheet>" + b" " * 2000 + b"</styleSheet>",
    )
    assert error_of(path).startswith(f"t.xlsx: has a part ({part}) that unpacks to")


def test_a_workbook_larger_than_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bwcases.io.readers, "MAX_WORKBOOK_BYTES", 3000)
    rows = [["ID", "Name"], *[[f"F{i}", "Knit"] for i in range(100)]]
    path = zip_workbook(tmp_path / "t.xlsx", sheet_xml(rows))
    assert error_of(path).startswith("t.xlsx: unpacks to ")


def test_a_sheet_with_more_rows_than_excel_holds_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bwcases.io.readers, "MAX_ROWS", 50)
    rows = [["ID", "Name"], *[[f"F{i}", "Knit"] for i in range(60)]]
    path = zip_workbook(tmp_path / "t.xlsx", sheet_xml(rows))
    assert error_of(path).startswith("t.xlsx row 51: has more than 50 rows")


def test_a_workbook_header_too_wide_is_refused(tmp_path: Path) -> None:
    path = zip_workbook(tmp_path / "t.xlsx", sheet_xml([[f"c{i}" for i in range(600)], ["x"]]))
    assert error_of(path).startswith("t.xlsx row 1: the header names more than 500 columns")


# -- the fast reader (Arrow's CSV parser) reads clean files itself, in codes when asked --------


def _careless(*args: object, **kwargs: object):
    raise AssertionError("the careful reader was asked")
    yield


def test_a_clean_file_is_read_by_the_fast_reader_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.csv"
    lines = [f'F{i},"Knit, Ltd {i % 3}",0{i % 9 + 1}/02/2024' for i in range(30)]
    path.write_text("\n".join([HEADER, *lines[:10], "", ",,", *lines[10:]]) + "\n")
    monkeypatch.setattr(bwcases.io.readers, "CHUNK_ROWS", 7)
    fast, careful = both_ways(path, monkeypatch)
    assert fast == careful
    monkeypatch.setattr(Table, "_careful_chunks", _careless)
    chunks = list(Table(path).chunks())
    # 32 records (two of them blank) seven at a time; a blank record keeps its row number
    assert [len(c.rows) for c in chunks] == [7, 5, 7, 7, 4]
    assert [r[ROW] for c in chunks for r in c.rows.to_dict("records")][9:12] == [11, 14, 15]


def test_columns_as_codes_hold_the_same_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.csv"
    lines = [f"F{i % 4}, Knit {i % 3} ,0{i % 9 + 1}/02/2024" for i in range(25)]
    path.write_text("\n".join([HEADER, *lines, "F9,Café\x7f,1"]) + "\n")
    monkeypatch.setattr(bwcases.io.readers, "CHUNK_ROWS", 10)
    for careful in (False, True):
        if careful:
            monkeypatch.setattr(Table, "_fast_csv_chunks", _never)
        plain = list(Table(path).chunks())
        coded = list(Table(path).chunks(distinct=True))
        assert [str(p) for c in coded for p in c.problems] == [
            str(p) for c in plain for p in c.problems
        ]
        assert len(coded) == 3
        for a, b in zip(plain, coded, strict=True):
            assert all(isinstance(b.rows[c].dtype, pd.CategoricalDtype) for c in ["ID", "Name"])
            assert b.rows.astype(object).to_dict("records") == a.rows.to_dict("records")
        assert len(set(coded[0].rows["Name"].cat.codes)) == 3  # one code per distinct value


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("F5000,Caf\xe9 Saigon,1", "t.csv row 5002, column Name: 'Café Saigon' is not UTF-8"),
        ("F5000,A", None),  # padded, as the careful reader pads it
        ("F5000,A,1,surplus", "t.csv row 5002: has 4 values but the header names 3 columns"),
        ('F5000,A,"1', "t.csv row 5042: cannot be read as CSV"),
    ],
    ids=["latin-1", "short-row", "long-row", "quote-open-to-the-end"],
)
def test_a_row_the_fast_reader_cannot_read_past_its_first_blocks_is_read_carefully(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str, problem: str | None
) -> None:
    good = [f"F{i},Knit {i},01/02/2024" for i in range(5000)]
    lines = [*good, *good[:40], bad] if bad.endswith('"1') else [*good, bad, *good[:40]]
    path = tmp_path / "t.csv"
    path.write_bytes(("\n".join([HEADER, *lines]) + "\n").encode("latin-1"))
    monkeypatch.setattr(bwcases.io.readers, "_PARSE_BYTES", 4096)  # many blocks before it
    fast, careful = both_ways(path, monkeypatch)
    assert fast == careful
    rows, problems = fast
    assert [r[ROW] for r in rows][:5000] == list(range(2, 5002))
    assert [p[: len(problem)] for p in problems] == ([problem] if problem else [])
