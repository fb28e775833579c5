"""Static charts for briefs: the same in HTML and PDF, fetched from nowhere.

Bars whose labels are words (`hbars`, `columns`) are drawn in HTML, so that the page shapes
their text in the reader's language and script (Arabic joined and right to left, Khmer), which
matplotlib cannot; the SVG chart (`stacked_bar`) shows only data values (factory IDs and
counts), and its title and legend are HTML around it (see `legend`).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

from bwcases.render.templating import macros
from bwcases.reports.common import PIECES

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

COLOURS = ["#1f5f8b", "#e07b39", "#7a9e3a", "#b03a48", "#6b5b95"]
plt.rcParams.update({"svg.fonttype": "path", "svg.hashsalt": "bwcases"})


def _svg(fig: plt.Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    # matplotlib's RDF block names its licence and itself by URL: nothing a reader needs
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    # Several charts share one page: give each its own element ids (matplotlib reuses them).
    prefix = "c" + hashlib.sha1(text.encode()).hexdigest()[:8] + "-"
    text = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", text)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', text)


def stacked_bar(labels: Sequence[str], parts: Mapping[str, Sequence[int]]) -> str:
    """Horizontal stacked bars (e.g. plan items by status for each factory)."""
    fig, ax = plt.subplots(figsize=(7.5, 0.4 * len(labels) + 1.2), dpi=100)
    left = [0] * len(labels)
    for i, (name, values) in enumerate(parts.items()):
        ax.barh(range(len(labels)), values, left=left, label=name, color=COLOURS[i % len(COLOURS)])
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(range(len(labels)), labels=list(labels))
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def keys(names: Sequence[str]) -> list[tuple[str, str]]:
    """Each series' name with its colour in the charts, in the order the series were given."""
    return [(name, COLOURS[i % len(COLOURS)]) for i, name in enumerate(names)]


def legend(names: Sequence[str]) -> str:
    """An HTML legend for a chart's series, in the chart's colours (the names are text)."""
    return str(macros(PIECES).legend(keys(names)))


def _share(value: Any) -> float:
    """A value as the length of its bar: 0..1, nothing for a missing or hidden one."""
    try:
        share = float(value)
    except (TypeError, ValueError):
        return 0.0
    return min(max(share, 0.0), 1.0) if share == share else 0.0


def hbars(
    labels: Sequence[str],
    series: Sequence[Sequence[Any]],
    texts: Sequence[Sequence[str]],
    *,
    title: str,
) -> str:
    """Horizontal bars of shares (0..1) in HTML: one row per label, one bar per series, each
    with its value written beside it (`texts`), in the series' colours (see `keys`)."""
    rows = []
    for i, label in enumerate(labels):
        bars = [
            (texts[j][i], _share(values[i]), COLOURS[j % len(COLOURS)])
            for j, values in enumerate(series)
        ]
        rows.append((label, bars))
    return str(macros(PIECES).hbars(rows, title))


def columns(
    labels: Sequence[str], shares: Sequence[Any], texts: Sequence[str], *, title: str
) -> str:
    """Vertical bars of shares (0..1) in HTML, over their labels (a trend over cycles)."""
    bars = [(label, text, _share(v)) for label, v, text in zip(labels, shares, texts, strict=True)]
    return str(macros(PIECES).columns(bars, title, COLOURS[0]))
