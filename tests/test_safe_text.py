"""Text made harmless: spreadsheet cells that would run formulas, terminal escape codes."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from bwcases.core.safe_text import (
    SpreadsheetDictWriter,
    for_terminal,
    shortened,
    spreadsheet_cell,
    spreadsheet_frame,
)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("-1e5", "-1e5"),
        ("Saigon = Garments", "Saigon = Garments"),
        ("'=already quoted", "'=already quoted"),
        ("", ""),
        (-12.5, -12.5),
        (None, None),
    ],
)
def test_a_cell_that_would_start_a_formula_is_quoted(value: object, written: object) -> None:
    assert spreadsheet_cell(value) == written


def test_a_frame_keeps_its_numbers_and_quotes_its_formulas() -> None:
    frame = pd.DataFrame(
        {
            "name": ["=1+1", "Knit", None],
            "label": pd.Series(["@x", "-", "ok"], dtype="string"),
            "kind": pd.Categorical(["+a", "b", "+a"]),
            "rate": [-0.5, 0.25, 1.0],
            "count": [-3, 0, 7],
            "=formula": ["a", "b", "c"],
        }
    )
    out = spreadsheet_frame(frame)
    text = out.to_csv(index=False, lineterminator="\n")
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "label", "kind", "rate", "count", "'=formula"],
        ["'=1+1", "'@x", "'+a", "-0.5", "-3", "a"],
        ["Knit", "'-", "b", "0.25", "0", "b"],
        ["", "ok", "'+a", "1.0", "7", "c"],
    ]
    assert out["rate"].dtype == float and out["count"].dtype == frame["count"].dtype
    assert frame.loc[0, "name"] == "=1+1"  # the caller's frame is left as it was


def test_a_frame_without_formulas_is_the_same_frame() -> None:
    frame = pd.DataFrame({"name": ["Knit"], "n": [-1]})
    assert spreadsheet_frame(frame) is frame


def test_the_dict_writer_quotes_header_and_cells() -> None:
    out = io.StringIO()
    writer = SpreadsheetDictWriter(out, ["item", "=figure"], lineterminator="\n")
    writer.writeheader()
    writer.writerow({"item": "VN001", "=figure": "=2*3"})
    writer.writerows([{"item": "-VN002", "=figure": -4.5}])
    assert out.getvalue() == "item,'=figure\nVN001,'=2*3\n'-VN002,-4.5\n"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Red\x1b[31m Mill\x1b[0m", "Red Mill"),
        ("Mill\x1b]0;owned\x07", "Mill"),
        ("Mill\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\", "Milllink"),
        ("Mill\x9b2J", "Mill"),
        ("a\x00b\x07c\x08d\re\x7ff\x85g", "abcdefg"),
        ("line one\n\tline two", "line one\n\tline two"),
        ("Mill\x1b", "Mill"),
    ],
)
def test_terminal_text_has_no_escape_codes(text: str, shown: str) -> None:
    assert for_terminal(text) == shown


def test_shortened_says_how_long_the_text_was() -> None:
    assert shortened("x" * 80) == "x" * 80
    assert shortened("x" * 5001) == "x" * 60 + "… (5,001 characters)"
