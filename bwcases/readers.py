"""Tabular input files (CSV or XLSX) read as text, a chunk at a time, with row numbers."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from bwcases.errors import InputError, Problem

CHUNK_ROWS = 50_000
ROW = "row"  # the row number a person sees in a spreadsheet (the header is row 1)

_HEAD_BYTES = 65536
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f]")  # never in a text file
_SAVE_AS_UTF8 = "save the file as 'CSV UTF-8' and import it again"


class Chunk(NamedTuple):
    """Records of a file as text, and the problems of the rows that could not be read."""

    rows: pd.DataFrame
    problems: list[Problem]


class Table:
    """A CSV or XLSX file of records with a header row; every value is read as text."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = self.path.name
        if not self.path.is_file():
            raise self._fail(f"no such file: {self.path}")
        with self.path.open("rb") as fh:
            head = fh.read(_HEAD_BYTES)
        self.kind, self.encoding = self._sniff(head)
        self.sep = ","
        self.header = self._read_header()
        named = [c for c in self.header if c]
        twice = sorted({c for c in named if named.count(c) > 1})
        if twice:
            raise InputError(
                [Problem(self.name, 1, c, None, "appears twice in the header") for c in twice]
            )

    def _fail(self, reason: str, row: int | None = None) -> InputError:
        return InputError([Problem(self.name, row, None, None, reason)])

    def _sniff(self, head: bytes) -> tuple[str, str]:
        """The kind of file (csv or xlsx) and the text encoding of a CSV."""
        if not head.strip(b" \t\r\n" + codecs.BOM_UTF8):
            raise self._fail("the file is empty")
        if head.startswith(b"PK\x03\x04"):
            return "xlsx", ""
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise self._fail("is an old Excel .xls workbook; save it as .xlsx or 'CSV UTF-8'")
        if head.startswith(_UTF16_BOMS):
            return "csv", "utf-16"
        if _CONTROL.search(head):
            raise self._fail(
                "is neither a text file (CSV) nor an Excel workbook (XLSX); if it is a CSV "
                f"in UTF-16 without a byte order mark, {_SAVE_AS_UTF8}"
            )
        return "csv", "utf-8"

    def _read_header(self) -> list[str]:
        if self.kind == "xlsx":
            rows = self._xlsx_rows()
            try:
                first = next(rows, None)
            finally:
                rows.close()
            if first is None:
                raise self._fail("the workbook's first sheet is empty")
            return [_cell_text(v) for v in first[1]]
        lines = self._lines()
        try:
            line = next(lines)[1]
        finally:
            lines.close()
        counts = {sep: line.count(sep) for sep in (",", ";", "\t")}
        self.sep = max(counts, key=lambda sep: counts[sep])
        fields = next(csv.reader([line], delimiter=self.sep), [])
        return [f.strip() for f in fields]

    def require(self, columns: Iterable[str]) -> None:
        """Raise InputError naming every required column the header lacks."""
        missing = [c for c in columns if c not in self.header]
        if missing:
            has = ", ".join(repr(c) for c in self.header if c) or "nothing"
            raise InputError(
                [
                    Problem(self.name, 1, c, None, f"the column is missing (the header has {has})")
                    for c in missing
                ]
            )

    def chunks(self, size: int | None = None) -> Iterator[Chunk]:
        """The records, `size` at a time, as text, with the spreadsheet row number in `row`."""
        size = size or CHUNK_ROWS
        done = 0
        if self.kind == "csv":
            # pandas' C parser reads a clean file many times faster; at the first thing it
            # cannot read exactly, the careful reader takes over after the records yielded.
            fast = self._fast_csv_chunks(size)
            while True:
                try:
                    chunk = next(fast)
                except StopIteration:
                    return
                except (pd.errors.ParserError, UnicodeDecodeError, ValueError):
                    break
                done += len(chunk.rows)
                yield chunk
        yield from self._careful_chunks(size, skip=done)

    def _fast_csv_chunks(self, size: int) -> Iterator[Chunk]:
        named = [c for c in self.header if c]
        if len(named) != len(self.header):
            raise ValueError("unnamed columns: read carefully")
        reader = pd.read_csv(
            self.path,
            sep=self.sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            index_col=False,
            encoding="utf-8-sig" if self.encoding == "utf-8" else self.encoding,
            encoding_errors="strict",
            chunksize=size,
            engine="c",
        )
        start = 2  # the header is row 1; every record after it is one spreadsheet row
        with reader:
            for frame in reader:
                if list(frame.columns) != self.header:
                    raise ValueError("header read differently: read carefully")
                rows = range(start, start + len(frame))
                start += len(frame)
                frame.insert(0, ROW, rows)
                blank = (frame[self.header] == "").all(axis=1)
                if blank.any():  # else no copy
                    frame = frame[~blank].reset_index(drop=True)
                yield Chunk(frame, [])

    def _careful_chunks(self, size: int, skip: int = 0) -> Iterator[Chunk]:
        """Records read one by one, each problem named; the first `skip` records are passed."""
        records = self._xlsx_records() if self.kind == "xlsx" else self._csv_records()
        numbers: list[int] = []
        batch: list[list[str]] = []
        problems: list[Problem] = []
        width = len(self.header)
        for row, values in records:
            if skip:
                skip -= 1
                continue
            if isinstance(values, Problem):
                problems.append(values)
                continue
            if len(values) != width:
                if any(v.strip() for v in values[width:]):
                    reason = f"has {len(values)} values but the header names {width} columns"
                    problems.append(Problem(self.name, row, None, None, reason))
                    continue
                values = values[:width] + [""] * (width - len(values))
            numbers.append(row)
            batch.append(values)
            if len(batch) >= size:
                yield self._chunk(numbers, batch, problems)
                numbers, batch, problems = [], [], []
        if batch or problems:
            yield self._chunk(numbers, batch, problems)

    def _chunk(self, numbers: list[int], batch: list[list[str]], problems: list[Problem]) -> Chunk:
        named = [i for i, c in enumerate(self.header) if c]
        frame = pd.DataFrame(batch, columns=range(len(self.header)))[named]
        frame.columns = [self.header[i] for i in named]
        frame.insert(0, ROW, numbers)
        return Chunk(frame, problems)

    # -- CSV -------------------------------------------------------------------------------

    def _lines(self) -> Generator[tuple[bool, str], None, None]:
        """Lines of text, each with whether it was decoded as the encoding says."""
        if self.encoding == "utf-16":  # the BOM makes the encoding certain: decode strictly
            with self.path.open("r", encoding="utf-16", newline="") as text:
                for line in text:
                    yield True, line
            return
        with self.path.open("rb") as fh:
            first = True
            for raw in fh:
                if first and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8) :]
                first = False
                try:
                    yield True, raw.decode("utf-8")
                except UnicodeDecodeError:
                    yield False, raw.decode("utf-8", "surrogateescape")

    def _csv_records(self) -> Iterator[tuple[int, list[str] | Problem]]:
        """Each record after the header with its row number, or the problem of its row."""
        bad_lines: deque[int] = deque()  # numbers of lines read but not yet parsed that failed

        def text(lines: Iterator[tuple[bool, str]]) -> Iterator[str]:
            for number, (ok, line) in enumerate(lines, start=1):
                if not ok:
                    bad_lines.append(number)
                yield line

        lines = self._lines()
        reader = csv.reader(text(lines), delimiter=self.sep, strict=True)
        row = 0
        try:
            for values in reader:
                row += 1
                undecoded = bool(bad_lines) and bad_lines[0] <= reader.line_num
                if undecoded:
                    while bad_lines and bad_lines[0] <= reader.line_num:
                        bad_lines.popleft()
                if row == 1 or not values or not any(values):
                    continue
                yield row, self._undecoded(row, values) if undecoded else values
        except csv.Error as exc:
            reason = (
                f"cannot be read as CSV: {exc} (is a quote left open?); nothing after it was read"
            )
            yield row + 1, Problem(self.name, row + 1, None, None, reason)
        except UnicodeDecodeError as exc:
            reason = f"is not UTF-16 text ({exc.reason}); {_SAVE_AS_UTF8}"
            yield row + 1, Problem(self.name, row + 1, None, None, reason)
        finally:
            lines.close()

    def _undecoded(self, row: int, values: list[str]) -> Problem:
        """The problem of a row with bytes that are not UTF-8 (most likely Latin-1)."""
        for i, value in enumerate(values):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                column = self.header[i] if i < len(self.header) else None
                shown = value.encode("utf-8", "surrogateescape").decode("cp1252", "replace")
                return Problem(
                    self.name,
                    row,
                    column,
                    shown,
                    f"is not UTF-8 text (the file may be Latin-1 or Windows-1252); {_SAVE_AS_UTF8}",
                )
        return Problem(self.name, row, None, None, f"is not UTF-8 text; {_SAVE_AS_UTF8}")

    # -- XLSX ------------------------------------------------------------------------------

    def _xlsx_rows(self) -> Generator[tuple[int, tuple[Any, ...]], None, None]:
        """Non-empty rows of the first sheet with their row numbers."""
        from openpyxl import load_workbook

        with self.path.open("rb") as fh:
            try:
                book = load_workbook(fh, read_only=True, data_only=True)
                sheet = book.worksheets[0]
            except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
                raise self._fail(f"cannot be opened as an Excel workbook: {exc}") from None
            try:
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                    if any(v is not None and str(v).strip() for v in values):
                        yield number, values
            finally:
                book.close()

    def _xlsx_records(self) -> Iterator[tuple[int, list[str] | Problem]]:
        rows = self._xlsx_rows()
        try:
            next(rows, None)  # the header
            for number, values in rows:
                yield number, [_cell_text(v) for v in values]
        finally:
            rows.close()


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text an export would carry."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
