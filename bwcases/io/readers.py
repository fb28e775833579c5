"""Tabular input files (CSV or XLSX) read as text, a chunk at a time, with row numbers."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import zipfile
from collections import Counter, deque
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

from bwcases.core.errors import InputError, Problem
from bwcases.core.formats import DATE_FORMAT
from bwcases.core.safe_text import CONTROL, shortened
from bwcases.io import csv_scan
from bwcases.io.csv_scan import MAX_VALUE_CHARS

CHUNK_ROWS = 100_000  # a chunk is codes (a few MB); fewer of them, less per-chunk work
ROW = "row"  # the row number a person sees in a spreadsheet (the header is row 1)

# A table of the programme's has a few dozen columns (the assessment export 13); a header wider
# than this, or one that does not end within the first 64 KB, is refused before it is parsed.
MAX_COLUMNS = 500
_HEAD_BYTES = 65536

# An XLSX file is a zip: its directory says how large each part unpacks, and that is checked
# before anything is parsed (a zip bomb of a few KB unpacks to GBs). The limits leave room for
# the largest real export: Excel's 1,048,576 rows of 13 columns are about 0.5 GB of sheet XML
# with shared strings, 0.8-1.2 GB with inline strings (as openpyxl and other tools write them),
# and real sheets compress 10-25 to 1 (a sheet of one repeated value: 23 to 1).
MAX_ROWS = 1_048_576  # Excel's own limit
MAX_SHEET_BYTES = 2 << 30  # read as a stream, never whole
MAX_SHARED_STRINGS_BYTES = 256 << 20  # held in memory whole; an export's distinct texts: a few MB
MAX_PART_BYTES = 64 << 20  # styles, the workbook, relationships: parsed whole, KBs in practice
_WHOLE_PARTS = ("[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml", "xl/theme/", "docProps/")
MAX_WORKBOOK_BYTES = 4 << 30  # every part of the zip, unpacked
MAX_RATIO = 100  # deflate bombs reach 1000 to 1
_RATIO_FROM = 1 << 20  # smaller parts may compress oddly and cannot hurt

_BLOCK_BYTES = 1 << 22  # what the scan of a CSV reads at a time
# What Arrow's CSV reader parses at a time. It reads blocks ahead (tens of them, whatever
# use_threads says), so a block is small; a record longer than one makes it fail, and the
# careful reader takes over.
_PARSE_BYTES = 1 << 20
# ArrowInvalid (a row of another width, bytes that are not UTF-8) is a ValueError
_FAST_FAILS = (pa.ArrowException, UnicodeDecodeError, ValueError)
_TEXT = pa.string()
_DISTINCT = pa.dictionary(pa.int32(), pa.string())
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1f]")  # never in a text file
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
        self._raw_header: list[str] = []  # the column names as the file spells them
        if self.kind == "xlsx":
            self._check_zip()
            self.header = self._xlsx_header()
        else:
            self.header = self._csv_header(head)
        if len(self.header) > MAX_COLUMNS:
            raise self._fail(
                f"the header names more than {MAX_COLUMNS} columns, more than a table of the "
                "programme's has; is this the right file?",
                row=1,
            )
        problems = [
            Problem(self.name, 1, None, shortened(c), "is a column name with a control character")
            for c in self.header
            if CONTROL.search(c)
        ]
        counts = Counter(c for c in self.header if c)
        problems += [
            Problem(self.name, 1, c, None, "appears twice in the header")
            for c in sorted(c for c, n in counts.items() if n > 1)
        ]
        if problems:
            raise InputError(problems)

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
        if _BINARY.search(head):
            raise self._fail(
                "is neither a text file (CSV) nor an Excel workbook (XLSX); if it is a CSV "
                f"in UTF-16 without a byte order mark, {_SAVE_AS_UTF8}"
            )
        return "csv", "utf-8"

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

    def chunks(self, size: int | None = None, *, distinct: bool = False) -> Iterator[Chunk]:
        """The records, at most `size` at a time, as text, with the spreadsheet row number in
        `row`; with `distinct`, each column as a pandas Categorical (its distinct values and
        each row's code), so that a check can run once per value."""
        size = size or CHUNK_ROWS
        done = 0
        if self.kind == "csv":
            # Arrow's CSV parser reads a clean file many times faster, but it is lenient where
            # the careful reader is not; the careful reader takes over after the records yielded
            # at the first thing the scan of the bytes or the parser finds it cannot read exactly.
            scan = self._scan()
            fast = self._fast_csv_chunks(size, scan.records, distinct)
            while True:
                try:
                    chunk = next(fast)
                except StopIteration:
                    if scan.records is None:
                        return
                    break
                except _FAST_FAILS:
                    break
                done += len(chunk.rows)
                yield self._without_control(chunk) if scan.control else chunk
        for chunk in self._careful_chunks(size, skip=done):
            chunk = self._without_control(chunk)
            if distinct:
                text = chunk.rows.columns.drop(ROW)
                chunk = chunk._replace(rows=chunk.rows.astype(dict.fromkeys(text, "category")))
            yield chunk

    def _without_control(self, chunk: Chunk) -> Chunk:
        """The chunk without its rows that hold a control character, each row a problem."""
        rows, problems = chunk.rows, list(chunk.problems)
        bad = np.zeros(len(rows), dtype=bool)
        for column in rows.columns.drop(ROW):
            hit = rows[column].str.contains(CONTROL, na=False).to_numpy(dtype=bool) & ~bad
            for i in np.flatnonzero(hit):
                value = str(rows[column].iat[i])
                char = CONTROL.search(value)
                code = f"U+{ord(char.group()):04X}" if char else "a control character"
                reason = f"holds the control character {code}, which is not text; remove it"
                problems.append(
                    Problem(self.name, int(rows[ROW].iat[i]), column, shortened(value), reason)
                )
            bad |= hit
        if not bad.any():
            return chunk
        return Chunk(rows[~bad].reset_index(drop=True), problems)

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

    def _csv_header(self, head: bytes) -> list[str]:
        """The column names of a CSV, from its first line, which ends within `head`."""
        if self.encoding == "utf-16":
            text = head.decode("utf-16", "replace")
        else:
            text = head.removeprefix(codecs.BOM_UTF8).decode("utf-8", "surrogateescape")
        end = re.search("[\r\n]", text)
        if end is None and len(head) == _HEAD_BYTES:
            raise self._fail(
                f"the header does not end within the first {_HEAD_BYTES // 1024} KB of the "
                "file; is this a table with one row of column names?",
                row=1,
            )
        line = text[: end.start()] if end else text
        counts = {sep: line.count(sep) for sep in (",", ";", "\t")}
        self.sep = max(counts, key=lambda sep: counts[sep])
        fields = next(csv.reader([line], delimiter=self.sep), [])
        self._raw_header = fields
        return [f.strip() for f in fields]

    def _blocks(self) -> Iterator[bytes]:
        """The bytes of the file after any BOM, as UTF-8, a few MB at a time."""
        if self.encoding == "utf-16":
            with self.path.open("r", encoding="utf-16", newline="") as text:
                while chars := text.read(_BLOCK_BYTES // 2):
                    yield chars.encode("utf-8", "surrogatepass")
            return
        with self.path.open("rb") as fh:
            first = fh.read(_BLOCK_BYTES).removeprefix(codecs.BOM_UTF8)
            if first:
                yield first
            while part := fh.read(_BLOCK_BYTES):
                yield part

    def _scan(self) -> csv_scan.Scan:
        """How many records the fast parser reads as the careful one would."""
        try:
            return csv_scan.scan(self._blocks, self.sep)
        except UnicodeDecodeError:  # only the careful reader says where
            return csv_scan.Scan(0, True)

    def _fast_csv_chunks(
        self, size: int, records: int | None, distinct: bool = False
    ) -> Iterator[Chunk]:
        """The first `records` records (None: all) as Arrow's CSV parser reads them."""
        if not all(self.header):
            raise ValueError("unnamed columns: read carefully")
        if records == 0:
            return
        reader = pa_csv.open_csv(
            self.path,
            read_options=pa_csv.ReadOptions(
                use_threads=False,  # parsed in this thread: the CPU is shared
                block_size=_PARSE_BYTES,
                encoding="utf8" if self.encoding == "utf-8" else self.encoding,
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=self.sep,
                newlines_in_values=True,
                ignore_empty_lines=False,  # a blank line keeps its row number
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(self._raw_header, _DISTINCT if distinct else _TEXT),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
        if reader.schema.names != self._raw_header:
            raise ValueError("header read differently: read carefully")
        start = 2  # the header is row 1; every record after it is one spreadsheet row
        for table in _sized(_first(reader, records), size):
            rows = np.arange(start, start + table.num_rows)
            start += table.num_rows
            table = table.combine_chunks()  # one dictionary per column
            blank = np.logical_and.reduce([_empty(c.chunk(0)) for c in table.columns])
            if blank.any():
                table, rows = table.filter(pa.array(~blank)), rows[~blank]
            frame = table.rename_columns(self.header).to_pandas()
            frame.insert(0, ROW, rows)
            yield Chunk(frame, [])

    def _lines(self) -> Generator[tuple[bool, str], None, None]:
        """Lines of text (ended by LF, CR or CRLF), each with whether it was decoded as the
        encoding says."""
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
                # a CR alone ends a line too (old Mac files), as it does for Arrow's parser
                for part in raw.splitlines(keepends=True) if b"\r" in raw else (raw,):
                    try:
                        yield True, part.decode("utf-8")
                    except UnicodeDecodeError:
                        yield False, part.decode("utf-8", "surrogateescape")

    def _csv_records(self) -> Iterator[tuple[int, list[str] | Problem]]:
        """Each record after the header with its row number, or the problem of its row."""
        bad_lines: deque[int] = deque()  # numbers of lines read but not yet parsed that failed

        def text(lines: Iterator[tuple[bool, str]]) -> Iterator[str]:
            for number, (ok, line) in enumerate(lines, start=1):
                if not ok:
                    bad_lines.append(number)
                yield line

        lines = self._lines()
        csv.field_size_limit(MAX_VALUE_CHARS)
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
            if str(exc).startswith("field larger than field limit"):
                reason = (
                    f"has a value longer than {MAX_VALUE_CHARS:,} characters (is a quote left "
                    "open?); nothing after it was read"
                )
            else:
                reason = (
                    f"cannot be read as CSV: {exc} (is a quote left open?); nothing after it "
                    "was read"
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
                shown = shortened(shown)
                return Problem(
                    self.name,
                    row,
                    column,
                    shown,
                    f"is not UTF-8 text (the file may be Latin-1 or Windows-1252); {_SAVE_AS_UTF8}",
                )
        return Problem(self.name, row, None, None, f"is not UTF-8 text; {_SAVE_AS_UTF8}")

    # -- XLSX ------------------------------------------------------------------------------

    def _check_zip(self) -> None:
        """Refuse a workbook whose parts would unpack too large, before any is parsed."""
        try:
            with zipfile.ZipFile(self.path) as zf:
                parts = zf.infolist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise self._fail(f"cannot be opened as an Excel workbook: {exc}") from None
        total = sum(p.file_size for p in parts)
        if total > MAX_WORKBOOK_BYTES:
            raise self._fail(
                f"unpacks to {_size(total)}, more than the {_size(MAX_WORKBOOK_BYTES)} a "
                "workbook may; save the first sheet as 'CSV UTF-8' and import that"
            )
        for part in parts:
            name = part.filename
            if name.lower().endswith("sharedstrings.xml"):
                limit = MAX_SHARED_STRINGS_BYTES
            elif name.endswith(".rels") or name.startswith(_WHOLE_PARTS):
                limit = MAX_PART_BYTES
            else:  # sheets, read as streams; images and the like, never read
                limit = MAX_SHEET_BYTES
            if part.file_size > limit:
                raise self._fail(
                    f"has a part ({name}) that unpacks to {_size(part.file_size)}, more than the "
                    f"{_size(limit)} allowed; save the first sheet as 'CSV UTF-8' and import that"
                )
            ratio = part.file_size / max(part.compress_size, 1)
            if part.file_size > _RATIO_FROM and ratio > MAX_RATIO:
                raise self._fail(
                    f"has a part ({name}) compressed {ratio:,.0f} to 1, which no spreadsheet "
                    f"writes (at most {MAX_RATIO} to 1 is read): it looks like a zip bomb"
                )

    def _xlsx_header(self) -> list[str]:
        rows = self._xlsx_rows(MAX_COLUMNS + 1)  # one more: a wider header is refused
        try:
            first = next(rows, None)
        finally:
            rows.close()
        if first is None:
            raise self._fail("the workbook's first sheet is empty")
        values = list(first[1])
        while values and values[-1] is None:
            values.pop()
        return [_cell_text(v) for v in values]

    def _xlsx_rows(self, width: int) -> Generator[tuple[int, tuple[Any, ...]], None, None]:
        """Non-empty rows of the first sheet with their row numbers, `width` cells each."""
        from openpyxl import load_workbook

        with self.path.open("rb") as fh:
            try:
                book = load_workbook(fh, read_only=True, data_only=True)
                sheet = book.worksheets[0]
            except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
                raise self._fail(f"cannot be opened as an Excel workbook: {exc}") from None
            # The sheet's stated size may be wrong, or claim every row and column: openpyxl would
            # pad each row to it. Rows are read as they are, cut to the width asked.
            sheet.reset_dimensions()
            try:
                rows = sheet.iter_rows(max_col=width, values_only=True)
                for number, values in enumerate(rows, start=1):
                    if number > MAX_ROWS:
                        raise self._fail(
                            f"has more than {MAX_ROWS:,} rows, more than Excel's sheets can hold",
                            row=number,
                        )
                    if values.count(None) < len(values) and any(
                        v is not None and str(v).strip() for v in values
                    ):
                        yield number, values
            finally:
                book.close()

    def _xlsx_records(self) -> Iterator[tuple[int, list[str] | Problem]]:
        # Cells right of the header's last column belong to no column: they are not read.
        rows = self._xlsx_rows(len(self.header))
        try:
            next(rows, None)  # the header
            for number, values in rows:
                yield number, [_cell_text(v) for v in values]
        finally:
            rows.close()


def _first(batches: Iterable[pa.RecordBatch], records: int | None) -> Iterator[pa.RecordBatch]:
    """The batches up to the first `records` rows (None: all)."""
    for batch in batches:
        if records is not None:
            batch = batch.slice(0, records)
            records -= len(batch)
        if len(batch):
            yield batch
        if records == 0:
            return


def _sized(batches: Iterable[pa.RecordBatch], size: int) -> Iterator[pa.Table]:
    """The rows of the batches, `size` at a time (the last part fewer)."""
    pending: list[pa.RecordBatch] = []
    have = 0
    for batch in batches:
        at = 0
        while have + len(batch) - at >= size:
            pending.append(batch.slice(at, size - have))
            at += size - have
            yield pa.Table.from_batches(pending)
            pending, have = [], 0
        if at < len(batch):
            pending.append(batch.slice(at))
            have += len(batch) - at
    if pending:
        yield pa.Table.from_batches(pending)


def _empty(column: pa.Array) -> np.ndarray:
    """Where a column of text read by Arrow is empty."""
    if isinstance(column, pa.DictionaryArray):  # the test once per distinct value
        per_value = pc.equal(column.dictionary, "").to_numpy(zero_copy_only=False)
        return per_value[column.indices.to_numpy(zero_copy_only=False)]
    return pc.equal(column, "").to_numpy(zero_copy_only=False)


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text an export would carry."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime(DATE_FORMAT)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _size(n: int) -> str:
    """A number of bytes as a person reads it."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n} bytes"
