"""HTML pieces for notebooks and briefs: every value escaped, never trusted."""

from __future__ import annotations

import html

import pandas as pd


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
