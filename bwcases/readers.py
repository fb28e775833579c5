"""Tabular input files (CSV or XLSX) read as strings, a chunk at a time, with row numbers."""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from bwcases.errors import InputError, Problem

CHUNK_ROWS = 200_000
ROW = "row"  # the row number a person sees in a spreadsheet (the header is row 1)

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class Table:
    """A CSV or XLSX file of records; every value is read as text."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = self.path.name
        if not self.path.is_file():
            raise InputError([Problem(self.name, None, None, None, f"no such file: {self.path}")])
        with self.path.open("rb") as fh:
            head = fh.read(65536)
        self.kind, self.encoding = self._sniff(head)
        self.header = self._read_header()

    def _fail(self, reason: str, row: int | None = None) -> InputError:
        return InputError([Problem(self.name, row, None, None, reason)])

    def _sniff(self, head: bytes) -> tuple[str, str]:
        if not head.strip(b" \t\r\n\xef\xbb\xbf"):
            raise self._fail("the file is empty")
        if head.startswith(b"PK\x03\x04"):
            return "xlsx", ""
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise self._fail("is an old Excel .xls workbook; save it as .xlsx or CSV (UTF-8)")
        if head.startswith(_UTF16_BOMS):
            return "csv", "utf-16"
        if b"\x00" in head:
            raise self._fail("is not a text file (CSV) nor an Excel workbook (XLSX)")
        if head.startswith(codecs.BOM_UTF8):
            return "csv", "utf-8-sig"
        return "csv", "utf-8"

    def _read_header(self) -> list[str]:
        if self.kind == "xlsx":
            for _, values in self._xlsx_rows():
                return [str(v or "").strip() for v in values]
            raise self._fail("the workbook's first sheet is empty")
        with self.path.open("r", encoding=self.encoding, errors="replace", newline="") as fh:
            first = fh.readline()
        self.sep = ";" if first.count(";") > first.count(",") else ","
        return [c.strip().strip('"').strip() for c in first.rstrip("\r\n").split(self.sep)]

    def require(self, columns: Iterable[str]) -> None:
        """Raise InputError naming every required column the header lacks."""
        missing = [c for c in columns if c not in self.header]
        if missing:
            has = ", ".join(self.header) or "nothing"
            raise InputError(
                [
                    Problem(self.name, 1, c, None, f"the column is missing (the header has: {has})")
                    for c in missing
                ]
            )

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        """The records, `size` at a time, as text, with the spreadsheet row number in `row`."""
        if self.kind == "xlsx":
            yield from self._xlsx_chunks(size)
        else:
            yield from self._csv_chunks(size)

    def _csv_chunks(self, size: int) -> Iterator[pd.DataFrame]:
        reader = pd.read_csv(
            self.path,
            sep=self.sep,
            dtype=str,
            keep_default_na=False,
            encoding=self.encoding,
            chunksize=size,
            skipinitialspace=False,
        )
        start = 2
        try:
            with reader:
                for chunk in reader:
                    chunk.columns = [str(c).strip() for c in chunk.columns]
                    chunk.insert(0, ROW, range(start, start + len(chunk)))
                    start += len(chunk)
                    yield chunk.reset_index(drop=True)
        except UnicodeDecodeError as exc:
            raise self._encoding_error(exc) from None
        except pd.errors.ParserError as exc:
            raise self._fail(f"cannot be read as CSV: {exc}") from None

    def _encoding_error(self, exc: UnicodeDecodeError) -> InputError:
        """Find where the file stops being UTF-8 and say so."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        line, offset = 1, 0
        with self.path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as bad:
                    line += block[: bad.start].count(b"\n")
                    byte = block[bad.start : bad.start + 1].hex()
                    return self._fail(
                        f"is not UTF-8 (byte 0x{byte} at byte {offset + bad.start}); it may be "
                        "Latin-1 or Windows-1252: save it as 'CSV UTF-8' and import it again",
                        row=line,
                    )
                line += block.count(b"\n")
                offset += len(block)
        return self._fail(f"is not UTF-8: {exc.reason}")

    def _xlsx_rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        from openpyxl import load_workbook

        try:
            book = load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
            raise self._fail(f"cannot be opened as an Excel workbook: {exc}") from None
        try:
            sheet = book.worksheets[0]
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if any(v not in (None, "") for v in values):
                    yield number, values
        finally:
            book.close()

    def _xlsx_chunks(self, size: int) -> Iterator[pd.DataFrame]:
        rows = self._xlsx_rows()
        next(rows, None)  # the header
        width = len(self.header)
        batch: list[list[Any]] = []
        for number, values in rows:
            cells = [_cell_text(v) for v in values[:width]]
            batch.append([number, *cells, *[""] * (width - len(cells))])
            if len(batch) >= size:
                yield pd.DataFrame(batch, columns=[ROW, *self.header])
                batch = []
        if batch:
            yield pd.DataFrame(batch, columns=[ROW, *self.header])


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text an export would carry."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def problems_where(
    file: str, chunk: pd.DataFrame, bad: pd.Series, column: str, reason: str, limit: int = 50
) -> list[Problem]:
    """One problem per row where `bad` holds (the first `limit`)."""
    rows = chunk.loc[bad, [ROW, column]].head(limit)
    return [Problem(file, int(r), column, v, reason) for r, v in rows.itertuples(index=False)]
