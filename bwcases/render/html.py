"""HTML pieces for notebooks and briefs: every value escaped, never trusted."""

from __future__ import annotations

import unicodedata
from typing import Any

import pandas as pd

from bwcases.render.templating import escape, macros

__all__ = ["SUPPRESSED", "escape", "figure_table", "is_suppressed", "isolate", "table"]

SUPPRESSED = object()  # a cell that must not be shown (reports.suppression); drawn as a label
MISSING = "–"
TICK = "✔"
TABLES = "tables.html.j2"
LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"


def isolate(text: Any) -> str:
    """Text set apart from what surrounds it, so that in a right-to-left page a number keeps
    its sign on its left and a Latin name its full stop at its end.

    Left-to-right text (numbers, Latin names) gets LRI…PDI; text holding right-to-left letters
    FSI…PDI, its direction its own."""
    text = str(text)
    rtl = any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)
    return f"{FSI if rtl else LRI}{text}{PDI}"


def is_suppressed(value: object) -> bool:
    """Whether a cell was suppressed."""
    return value is SUPPRESSED


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (pd.api.types.is_scalar(value) and pd.isna(value))


def _cells(column: pd.Series, rtl: bool = False) -> list[str]:
    if column.dtype == bool:
        return [TICK if value else "" for value in column]
    shown = isolate if rtl else str
    return [MISSING if _missing(value) else shown(value) for value in column]


def table(
    frame: pd.DataFrame, *, empty: str = "None", classes: str = "bw-table", rtl: bool = False
) -> str:
    """A frame as an HTML table with every cell escaped (or a line saying it is empty); `rtl`:
    each cell isolated (a right-to-left page)."""
    if frame.empty:
        return str(macros(TABLES).empty(empty))
    columns = [_cells(frame.iloc[:, i], rtl) for i in range(frame.shape[1])]
    rows = list(zip(*columns, strict=True))
    return str(macros(TABLES).table(list(frame.columns), rows, classes))


def figure_table(
    frame: pd.DataFrame,
    *,
    key: str,
    labels: dict[str, str],
    formats: dict[str, str] | None = None,
    empty: str = "None",
    marker: str = "suppressed",
    prefix: str = "",
    rtl: bool = False,
) -> str:
    """A table whose cells carry data-figure="[PREFIX]ROWKEY.column", for programs that check them.

    Cells holding SUPPRESSED show `marker` instead of a number; `rtl`: each cell isolated (a
    right-to-left page).
    """
    if frame.empty:
        return str(macros(TABLES).empty(empty))
    formats = formats or {}
    rows = []
    for record in frame.to_dict("records"):
        cells = []
        for col in labels:
            value, figure = record[col], f"{prefix}{record[key]}.{col}"
            if is_suppressed(value):
                cells.append((figure, marker, True))
            elif _missing(value):
                cells.append((figure, MISSING, False))
            else:
                shown = format(value, formats[col]) if col in formats else value
                cells.append((figure, isolate(shown) if rtl else shown, False))
        rows.append(cells)
    return str(macros(TABLES).figure_table(list(labels.values()), rows))
