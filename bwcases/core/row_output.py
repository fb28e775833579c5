"""Rows written as the CLI's emit writes a frame of them, byte for byte, without pandas: for
commands whose rows come straight from the store (rates)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from bwcases.core.safe_text import spreadsheet_cell

# What pandas' JSON writer escapes in a text (it writes other characters as they are).
_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n"}
_JSON_ESCAPES |= {"\r": "\\r", "\t": "\\t"}
_JSON_ESCAPES |= {chr(c): f"\\u{c:04x}" for c in range(0x20) if chr(c) not in _JSON_ESCAPES}
_JSON_TEXT = str.maketrans(_JSON_ESCAPES)
JSON_PLACES = 10  # the decimals pandas' to_json writes by default (double_precision)


def rows_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Rows as emit writes them in CSV: booleans yes/no, floats as pandas writes them (Python's
    repr), missing values empty, texts safe in a spreadsheet."""

    def cell(value: Any) -> Any:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, float):
            return repr(value)
        return spreadsheet_cell(value)

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([spreadsheet_cell(c) for c in columns])
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


def rows_json(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Rows as emit writes them in JSON (pandas' records, indent 1): booleans yes/no."""
    names = [f'"{_json_text(c)}":' for c in columns]
    records = []
    for row in rows:
        fields = ",\n".join(f"  {n}{_json_value(v)}" for n, v in zip(names, row, strict=True))
        records.append(" {\n" + fields + "\n }")
    return "[\n" + ",\n".join(records) + "\n]\n"


def _json_text(text: str) -> str:
    return text.translate(_JSON_TEXT)


def _json_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "null"
    if isinstance(value, bool):
        return '"yes"' if value else '"no"'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json_number(value)
    return f'"{_json_text(str(value))}"'


def json_number(value: float, places: int = JSON_PLACES) -> str:
    """A float as pandas' JSON writer spells it: `places` decimals at most, rounded in its own
    double arithmetic (a tie to the even digit), trailing zeros dropped; %g beyond 1e16 and
    below 1e-15."""
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{value} has no JSON spelling")
    magnitude = abs(value)
    if magnitude > 1e16 - 1 or (magnitude != 0.0 and magnitude < 1e-15):
        return f"%.{places}g" % value
    scale = float(10**places)
    whole = int(magnitude)
    scaled = (magnitude - whole) * scale
    fraction = int(scaled)
    rest = scaled - fraction
    if rest > 0.5 or (rest == 0.5 and (fraction == 0 or fraction & 1)):
        fraction += 1
    if fraction >= scale:
        fraction, whole = 0, whole + 1
    decimals = f"{fraction:0{places}d}".rstrip("0") if fraction else "0"
    return f"{'-' if value < 0 else ''}{whole}.{decimals}"
