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


def is_rtl_text(text: Any) -> bool:
    """Whether a text holds right-to-left letters (Arabic, Hebrew)."""
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in str(text))


def isolate(text: Any) -> str:
    """Text set apart from what surrounds it in a sentence, so that in a right-to-left page a
    number keeps its sign on its left and a Latin name its full stop at its end.

    Left-to-right text (numbers, Latin names) gets LRI…PDI; text holding right-to-left letters
    FSI…PDI, its direction its own."""
    text = str(text)
    return f"{FSI if is_rtl_text(text) else LRI}{text}{PDI}"


def cell_dir(text: Any, rtl: bool) -> str:
    """A table cell's own direction in a right-to-left page: ltr for a number or a Latin name
    (each of its lines then reads left to right, however it wraps), else the page's."""
    return "ltr" if rtl and not is_rtl_text(text) else ""


def is_suppressed(value: object) -> bool:
    """Whether a cell was suppressed."""
    return value is SUPPRESSED


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (pd.api.types.is_scalar(value) and pd.isna(value))


def _cells(column: pd.Series, rtl: bool = False) -> list[tuple[str, str]]:
    if column.dtype == bool:
        return [(TICK if value else "", "") for value in column]
    texts = [MISSING if _missing(value) else str(value) for value in column]
    return [(text, cell_dir(text, rtl)) for text in texts]


def table(
    frame: pd.DataFrame, *, empty: str = "None", classes: str = "bw-table", rtl: bool = False
) -> str:
    """A frame as an HTML table with every cell escaped (or a line saying it is empty); `rtl`:
    a right-to-left page, where a left-to-right cell says so (see `cell_dir`)."""
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

    Cells holding SUPPRESSED show `marker` instead of a number; `rtl`: a right-to-left page,
    where a left-to-right cell says so (see `cell_dir`).
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
                cells.append((figure, marker, True, cell_dir(marker, rtl)))
            elif _missing(value):
                cells.append((figure, MISSING, False, ""))
            else:
                shown = format(value, formats[col]) if col in formats else value
                cells.append((figure, shown, False, cell_dir(shown, rtl)))
        rows.append(cells)
    return str(macros(TABLES).figure_table(list(labels.values()), rows))
