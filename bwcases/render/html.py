"""HTML pieces for notebooks and briefs: every value escaped, never trusted."""

from __future__ import annotations

import html

import pandas as pd

SUPPRESSED = object()  # a cell that must not be shown (reports.suppression); drawn as a label


def is_suppressed(value: object) -> bool:
    """Whether a cell was suppressed."""
    return value is SUPPRESSED


def escape(value: object) -> str:
    """Text made safe to place in HTML."""
    return html.escape("" if value is None else str(value), quote=True)


def table(frame: pd.DataFrame, *, empty: str = "None", classes: str = "bw-table") -> str:
    """A frame as an HTML table with every cell escaped (or a line saying it is empty)."""
    if frame.empty:
        return f"<p class='bw-empty'>{escape(empty)}</p>"
    shown = frame.copy()
    for col in shown.columns:
        if shown[col].dtype == bool:
            shown[col] = shown[col].map({True: "✔", False: ""})
    return shown.to_html(index=False, escape=True, na_rep="–", border=0, classes=classes)


def figure_table(
    frame: pd.DataFrame,
    *,
    key: str,
    labels: dict[str, str],
    formats: dict[str, str] | None = None,
    empty: str = "None",
    marker: str = "suppressed",
    prefix: str = "",
) -> str:
    """A table whose cells carry data-figure="[PREFIX]ROWKEY.column", for programs that check them.

    Cells holding SUPPRESSED show `marker` instead of a number.
    """
    if frame.empty:
        return f"<p class='bw-empty'>{escape(empty)}</p>"
    formats = formats or {}
    head = "".join(f"<th scope='col'>{escape(label)}</th>" for label in labels.values())
    body = []
    for _, row in frame.iterrows():
        cells = []
        for col in labels:
            value = row[col]
            attr = f" data-figure='{escape(prefix)}{escape(row[key])}.{escape(col)}'"
            if is_suppressed(value):
                cells.append(f"<td{attr} class='bw-suppressed'>{escape(marker)}</td>")
            elif value is None or value is pd.NA or (isinstance(value, float) and value != value):
                cells.append(f"<td{attr}>–</td>")
            else:
                shown = format(value, formats[col]) if col in formats else value
                cells.append(f"<td{attr}>{escape(shown)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table class='bw-table'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )
