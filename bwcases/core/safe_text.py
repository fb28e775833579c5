"""Text made harmless where it lands: spreadsheet cells that would run formulas, terminals that
obey escape codes; and the control characters no input file may carry."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # spreadsheet_frame's alone: a cell or a terminal's text needs no pandas
    import pandas as pd

# C0 controls but tab, line feed and carriage return (the layout of multi-line cells), DEL and
# the C1 controls: never text a person typed. NUL breaks PostgreSQL; ESC and CSI steer terminals.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# OWASP's rule against CSV injection: a spreadsheet reads a cell that starts with one of these
# as a formula (=HYPERLINK(...), +cmd|...), so such a cell is written after a single quote, which
# makes it text. A plain number ("-12.5") is left as it is: it cannot be a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA = re.compile(r"(?![+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z)[=+\-@\t\r]")

# What a terminal obeys: CSI sequences (colours, cursor moves; 7- and 8-bit), OSC sequences
# (window titles, hyperlinks, the clipboard), then any control character but tab and newline.
_CSI = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]")
_OSC = re.compile(r"(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)")
_TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def spreadsheet_cell(value: Any) -> Any:
    """A cell as a spreadsheet must get it: text that would start a formula is quoted."""
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def spreadsheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame whose text cells and column names are safe to open in a spreadsheet."""
    import numpy as np
    import pandas as pd

    out = frame
    names = [spreadsheet_cell(c) for c in frame.columns]
    if names != list(frame.columns):
        out = frame.set_axis(names, axis=1)
    for i in range(frame.shape[1]):
        values = frame.iloc[:, i]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue  # numbers stay numbers, negative ones too
        try:
            starts = values.str.startswith(FORMULA_START, na=False).to_numpy(dtype=bool)
        except AttributeError:  # no text in the column
            continue
        if not starts.any():
            continue
        cells = values.to_numpy(dtype=object, copy=True)
        hits = np.flatnonzero(starts)
        cells[hits] = [spreadsheet_cell(v) for v in cells[hits]]
        if out is frame:
            out = frame.copy()
        out.isetitem(i, cells)
    return out


if TYPE_CHECKING:
    _DictWriter = csv.DictWriter[str]
else:
    _DictWriter = csv.DictWriter


class SpreadsheetDictWriter(_DictWriter):
    """csv.DictWriter whose text cells, header included, are safe to open in a spreadsheet."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: spreadsheet_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for rowdict in rowdicts:
            self.writerow(rowdict)


def for_terminal(text: str) -> str:
    """Text without escape sequences and control characters (but tab and newline)."""
    return _TERMINAL_CONTROL.sub("", _OSC.sub("", _CSI.sub("", text)))


def shortened(text: str, width: int = 80) -> str:
    """Text cut to about `width` characters, saying how long it was (for error messages)."""
    if len(text) <= width:
        return text
    return f"{text[: width - 20]}… ({len(text):,} characters)"
