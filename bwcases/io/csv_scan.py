"""A CSV's bytes scanned, fast, for what Arrow's lenient parser would read otherwise than the
careful reader (Python's csv, strict): where the fast reader must hand over."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np

MAX_VALUE_CHARS = 131_072  # csv's default field_size_limit, which the careful reader keeps

_QUOTE, _CR, _LF, _TAB, _DEL = ord('"'), ord("\r"), ord("\n"), ord("\t"), 0x7F
_WINDOW = MAX_VALUE_CHARS // 4  # a longer run without a line end fills one of these windows


class Scan(NamedTuple):
    """The records after the header both parsers read the same (None: all of them), and whether
    those may hold a control character."""

    records: int | None
    control: bool


def scan(blocks: Callable[[], Iterator[bytes]], sep: str) -> Scan:
    """Scan a CSV given as UTF-8 blocks (after any BOM) for the first record read leniently.

    Counting quotes tells which bytes are inside a quoted value. The careful reader refuses a
    quote that closes a value and is followed by anything but a separator, a line end or another
    quote (`"Name "quoted" inside"`), and a value longer than MAX_VALUE_CHARS; Arrow reads both.
    A quote in the middle of an unquoted value is read the same by both, but it upsets the
    count, so its record is handed over too.
    """
    stop, control = _first_doubt(blocks(), ord(sep))
    if stop is None:
        return Scan(None, control)
    return Scan(max(_record_ends(blocks(), stop) - 1, 0), control)  # less the header


def _around(a: np.ndarray, at: np.ndarray, prev: int, nxt: int) -> tuple[np.ndarray, np.ndarray]:
    """The bytes before and after the positions `at` of a block, `prev` and `nxt` beyond it."""
    last = len(a) - 1
    before = np.where(at > 0, a[np.maximum(at - 1, 0)], prev)
    after = np.where(at < last, a[np.minimum(at + 1, last)], nxt)
    return before, after


def _c1(a: np.ndarray, prev: int, nxt: int) -> bool:
    """Whether a block of UTF-8 holds a C1 control (U+0080..U+009F: C2 80..C2 9F)."""
    after = _around(a, np.flatnonzero(a == 0xC2), prev, nxt)[1]
    return bool(((after >= 0x80) & (after < 0xA0)).any())


def _first_doubt(blocks: Iterator[bytes], sep: int) -> tuple[int | None, bool]:
    """Where the first value the two parsers may read differently starts (an offset in the
    bytes), and whether a control character may come before it."""
    quotes = 0  # quotes before the block
    open_at: int | None = None  # where a quoted value still open at the block's start began
    last = -1  # where the last separator or line end is (or a little before)
    offset = 0  # where the block starts
    prev = _LF  # the byte before the block: a file starts as a line does
    control = False
    data = next(blocks, b"")
    while data:
        following = next(blocks, b"")
        a = np.frombuffer(data, dtype=np.uint8)
        n = len(a)
        nxt = following[0] if following else _LF
        doubts: list[int] = []  # offsets in the block; negative: in a block before
        # control characters: C0 but tab and line ends, DEL, and C1 (U+0080..U+009F: C2 80..9F)
        low = np.flatnonzero(a < 0x20)
        kinds = a[low]
        control = (
            control
            or bool(((kinds != _TAB) & (kinds != _LF) & (kinds != _CR)).any())
            or b"\x7f" in data
            or (b"\xc2" in data and _c1(a, prev, nxt))
        )
        # quotes: each where the careful reader accepts it; no quoted value too long
        q = np.flatnonzero(a == _QUOTE)
        starts = np.empty(0, dtype=np.int64)
        if len(q):
            before, after = _around(a, q, prev, nxt)
            opening = (quotes + np.arange(len(q))) % 2 == 0
            edge_before = (before == sep) | (before == _CR) | (before == _LF)
            edge_after = (after == sep) | (after == _CR) | (after == _LF)
            bad = (opening & ~edge_before & (before != _QUOTE)) | (
                ~opening & ~edge_after & (after != _QUOTE)
            )
            if bad.any():
                doubts.append(int(q[np.argmax(bad)]))
            starts = q[opening & (before != _QUOTE)]  # a doubled quote is inside a value
            ends = q[~opening & (after != _QUOTE)]
            quotes += len(q)
        else:
            ends = starts
        if open_at is not None:
            starts = np.concatenate(([open_at - offset], starts))
        paired = min(len(starts), len(ends))  # fewer only after a bad quote
        long = np.flatnonzero(ends[:paired] - starts[:paired] > MAX_VALUE_CHARS)
        if len(long):
            doubts.append(int(starts[long[0]]))
        open_at = offset + int(starts[-1]) if len(starts) > len(ends) else None
        if open_at is not None and offset + n - open_at > MAX_VALUE_CHARS:
            doubts.append(open_at - offset)
        # runs without a separator or line end: one value, too long
        lines = low[(kinds == _LF) | (kinds == _CR) | (kinds == sep)]
        covered = np.zeros((n + _WINDOW - 1) // _WINDOW, dtype=bool)
        covered[lines // _WINDOW] = True
        # every window holding a line end (as in any real file): no run longer than two windows
        marks = lines if covered.all() else np.flatnonzero((a == sep) | (a == _LF) | (a == _CR))
        gaps = np.diff(np.concatenate(([last - offset], marks))) - 1
        long = np.flatnonzero(gaps > MAX_VALUE_CHARS)
        if len(long):
            doubts.append(int(marks[long[0]]))
        if len(marks):
            last = offset + int(marks[-1])
        if doubts:
            return offset + min(doubts), control
        prev = int(a[-1])
        offset += n
        data = following
    if offset - last - 1 > MAX_VALUE_CHARS:
        return offset, control
    if open_at is not None:  # a quote left open to the end: Arrow would take it all as text
        return open_at, control
    return None, control


def _record_ends(blocks: Iterator[bytes], stop: int) -> int:
    """How many records end before the offset `stop` (line ends outside quotes)."""
    quotes = 0
    ends = 0
    offset = 0
    data = next(blocks, b"")
    while data:
        following = next(blocks, b"")
        a = np.frombuffer(data, dtype=np.uint8)
        q = np.flatnonzero(a == _QUOTE)
        lines = np.flatnonzero((a == _LF) | (a == _CR))
        lines = lines[lines < stop - offset]
        lines = lines[(quotes + np.searchsorted(q, lines)) % 2 == 0]
        _, after = _around(a, lines, _LF, following[0] if following else _LF)
        ends += int(np.count_nonzero((a[lines] == _LF) | (after != _LF)))  # CRLF ends once
        if stop <= offset + len(a):
            break
        quotes += len(q)
        offset += len(a)
        data = following
    return ends
