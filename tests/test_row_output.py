"""Rows written without pandas are emit's CSV and JSON of the same rows as a frame, byte for byte."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bwcases.cli import emit
from bwcases.core.row_output import json_number, rows_csv, rows_json

# Texts that CSV quotes, JSON escapes or a spreadsheet would run: all must come out as emit's.
TEXTS = [
    "Vietnam",
    "Việt Nam — Hà Nội",
    "=HYPERLINK(1)",
    "+Odd",
    "-12.5",
    "-Minus",
    "@cluster",
    'Quoted, "Co"',
    "a/b\\c",
    "tab\there",
    "two\nlines",
    "cr\rhere",
    "\u2028|\u2029",
    "<&>",
    "",
    None,
]
COLUMNS = ["country", "name", "public_disclosure", "cycle", "count", "rate"]
TYPES = {"public_disclosure": "bool", "cycle": "int64", "count": "int64", "rate": "float64"}


def _rows() -> list[tuple[Any, ...]]:
    fractions = [k / n for n in (1, 2, 3, 7, 11, 2048, 7825) for k in range(0, n + 1, 1 + n // 60)]
    texts = itertools.cycle(TEXTS)
    return [
        (next(texts), next(texts), i % 3 == 0, i % 4, i * 97, rate)
        for i, rate in enumerate([*fractions, 1e-20, 1e17, 123456.5, 0.00048828125])
    ]


def _emitted(rows: list[tuple[Any, ...]], fmt: str, path: Path) -> str:
    """What emit writes for the rows as a frame typed as the store types rates."""
    frame = pd.DataFrame(rows, columns=COLUMNS).astype(TYPES)
    if frame.empty:
        frame = frame.astype({c: "str" for c in COLUMNS if c not in TYPES})
    emit(frame, fmt, path)
    return path.read_bytes().decode("utf-8")  # as written: "\r" kept


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("size", ["rows", "no rows"])
def test_rows_are_written_as_emit_writes_their_frame(fmt: str, size: str, tmp_path: Path) -> None:
    rows = _rows() if size == "rows" else []
    write = rows_csv if fmt == "csv" else rows_json
    assert write(COLUMNS, rows) == _emitted(rows, fmt, tmp_path / "emitted")


def test_a_number_is_spelt_with_ten_decimals_at_most() -> None:
    assert json_number(1 / 3) == "0.3333333333"
    assert json_number(1.0) == "1.0"
    assert json_number(0.00048828125) == "0.0004882812"  # a tie: to the even digit, as pandas
    assert json_number(-0.25) == "-0.25"
    assert json_number(1e-20) == "1e-20"
