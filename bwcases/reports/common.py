"""What every brief shares: its header record, page direction, and section helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from bwcases.analysis.metrics import Window
from bwcases.core.i18n import is_rtl, language, translator
from bwcases.render.html import isolate
from bwcases.render.templating import Markup, macros

BRIEF_MIME = "application/vnd.bwcases.brief+json"
PIECES = "reports/brief.html.j2"  # the macros of a brief's body


def direction(lang: str) -> str:
    """Text direction of a language: rtl or ltr."""
    return "rtl" if is_rtl(lang) else "ltr"


def header_record(title: str, subject: str, period: Window | str, lang: str) -> dict[str, Any]:
    """The brief's header and provenance in the reader's words, recorded so the template can
    place them (the technical identity comes from the notebook's metadata)."""
    from bwcases import __version__

    _ = translator(lang)
    window = Window.parse(period) if isinstance(period, str) else period
    today = dt.date.today()
    return {
        "title": title,
        "subject": isolate(subject) if is_rtl(lang) else subject,  # a Latin name in Arabic
        "period": period_words(window, lang),
        "lang": lang,
        "dir": direction(lang),
        "provenance": _("Data as of {as_of}, rendered {today}, bwcases {version}.").format(
            as_of=long_date(window.end, lang), today=long_date(today, lang), version=__version__
        ),
        "labels": {
            "data": _("Data"),
            "parameters": _("Parameters"),
            "rendered": _("Rendered"),
        },
    }


def period_words(window: Window, lang: str) -> str:
    """A period in the reader's language: "January 2024 – June 2026"."""
    from babel.dates import format_skeleton

    def month(day: dt.date) -> str:
        return str(format_skeleton("yMMMM", day, locale=_locale(lang)))

    return f"{month(window.start)} – {month(window.end)}"


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


MINUS = "\u2212"  # a real minus sign: a hyphen reads as a dash in a table


def long_date(day: Any, lang: str) -> str:
    """A day in the reader's language's long form ("30 June 2026"), or a dash."""
    from babel.dates import format_date

    if day is None or day != day or day is pd.NaT:
        return "–"
    return str(format_date(pd.Timestamp(day).date(), format="long", locale=_locale(lang)))


def points(change: Any) -> str:
    """A change between two shares in whole percentage points, signed ("−11", "+5", "0")."""
    if change is None or change != change:
        return "–"
    n = round(float(change) * 100)
    return f"+{n}" if n > 0 else f"{MINUS}{-n}" if n < 0 else "0"


def _locale(lang: str) -> str:
    """The locale whose dates a brief in `lang` writes: the programme's English is British
    ("30 June 2026")."""
    code = language(lang)
    return "en_GB" if code == "en" else code
