"""Translations of the fixed texts people read, through gettext catalogues."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

LOCALES = Path(__file__).resolve().parent / "locale"
DOMAIN = "bwcases"


@lru_cache(maxsize=32)
def translator(lang: str = "en") -> Callable[[str], str]:
    """The gettext function of a language (English where a text has no translation)."""
    return gettext.translation(DOMAIN, LOCALES, languages=[lang], fallback=True).gettext
