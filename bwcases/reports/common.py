"""What every brief shares: its header record, page direction, and section helpers."""

from __future__ import annotations

from typing import Any

from bwcases.core.i18n import is_rtl
from bwcases.render.templating import Markup, macros

BRIEF_MIME = "application/vnd.bwcases.brief+json"
PIECES = "reports/brief.html.j2"  # the macros of a brief's body


def direction(lang: str) -> str:
    """Text direction of a language: rtl or ltr."""
    return "rtl" if is_rtl(lang) else "ltr"


def header_record(title: str, subject: str, period: str, lang: str) -> dict[str, Any]:
    """The brief's header, recorded so the template can place it."""
    return {
        "title": title,
        "subject": subject,
        "period": period,
        "lang": lang,
        "dir": direction(lang),
    }


def section(title: str, *parts: str, note: str = "") -> str:
    """An HTML section: a heading, an optional note, then its parts (already HTML)."""
    return str(macros(PIECES).section(title, note, Markup("".join(parts))))


def percent(value: Any) -> str:
    """A fraction as a whole percentage, or a dash."""
    if value is None or value != value:
        return "–"
    return f"{float(value):.0%}"


def para(text: str) -> str:
    """A paragraph of plain text."""
    return str(macros(PIECES).para(text))


def heading(text: str) -> str:
    """A sub-heading of a section."""
    return str(macros(PIECES).heading(text))
