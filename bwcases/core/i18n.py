"""Translations of the fixed texts people read, through gettext catalogues built with Babel."""

# `python -m bwcases.core.i18n` extracts the messages from the source, merges them into every
# catalogue (bwcases/locale/LANG/LC_MESSAGES/bwcases.po) and compiles the .mo files.

from __future__ import annotations

import gettext
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

PACKAGE = Path(__file__).resolve().parents[1]
LOCALES = PACKAGE / "locale"
DOMAIN = "bwcases"
DEFAULT = "en"
# Each language by its own name, as the language picker shows it.
LANGUAGES = {
    "en": "English",
    "vi": "Tiếng Việt",
    "id": "Bahasa Indonesia",
    "km": "ខ្មែរ",
    "ar": "العربية",
}
TRANSLATED = [code for code in LANGUAGES if code != DEFAULT]  # English is the source
RIGHT_TO_LEFT = {"ar"}
# The modules whose texts people read; `_()` and `N_()` mark the messages.
SOURCES = ("apps", "auth", "core/i18n.py", "reports", "web")
KEYWORDS = {"_": None, "N_": None}


def N_(message: str) -> str:
    """Mark a text for translation where it is defined; it is translated where it is shown."""
    return message


def language(asked: str | None) -> str:
    """The supported language a code asks for ("vi-VN" -> "vi"), else English."""
    code = (asked or "").strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else DEFAULT


def negotiate(accept_language: str | None) -> str:
    """The supported language a browser's Accept-Language header prefers most."""
    ranked: list[tuple[float, int, str]] = []
    for n, part in enumerate((accept_language or "").split(",")):
        code, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if code and language(code) == code.split("-")[0].lower():
            ranked.append((-quality, n, language(code)))
    return min(ranked)[2] if ranked else DEFAULT


def is_rtl(lang: str) -> bool:
    """Whether a language is written right to left."""
    return language(lang) in RIGHT_TO_LEFT


class Isolating(str):
    """A right-to-left text whose .format() sets each value apart with Unicode isolates."""

    # so that a name, a date or an ID in Latin letters keeps its order in an Arabic sentence

    def format(self, *args: object, **kwargs: object) -> str:  # type: ignore[override]
        """The text with every value isolated (FSI … PDI)."""

        def iso(value: object) -> str:
            return f"\u2068{value}\u2069"

        return str.format(self, *map(iso, args), **{k: iso(v) for k, v in kwargs.items()})


@lru_cache(maxsize=32)
def translator(lang: str = DEFAULT) -> Callable[[str], str]:
    """The gettext function of a language (English where a text has no translation)."""
    found = gettext.translation(DOMAIN, LOCALES, languages=[language(lang)], fallback=True)
    if is_rtl(lang):
        return lambda message: Isolating(found.gettext(message))
    return found.gettext


# -- building the catalogues (Babel: needed to maintain translations, not to run) ---------


def catalogue_path(lang: str, suffix: str = ".po") -> Path:
    """Where a language's catalogue lives."""
    return LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def extract() -> Catalog:
    """Every marked message of the source, as a Babel catalogue template."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    template = Catalog(project="bwcases", domain=DOMAIN)
    files: list[Path] = []
    for source in SOURCES:
        path = PACKAGE / source
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    for path in files:
        for lineno, message, comments, _context in extract_from_file(
            "python", str(path), keywords=KEYWORDS
        ):
            where = (str(path.relative_to(PACKAGE.parent)), lineno)
            template.add(message, locations=[where], auto_comments=comments)
    return template


def read_catalogue(lang: str) -> Catalog:
    """A language's catalogue as stored."""
    from babel.messages.pofile import read_po

    with catalogue_path(lang).open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def missing(lang: str, template: Catalog | None = None) -> list[str]:
    """Messages of the source the language's catalogue does not translate."""
    template = template or extract()
    catalogue = read_catalogue(lang)
    out = []
    for message in template:
        if not message.id:
            continue
        held = catalogue.get(message.id)
        if held is None or not held.string or held.fuzzy:
            out.append(str(message.id))
    return out


def write_catalogue(lang: str, catalogue: Catalog) -> None:
    """Store a language's catalogue (.po, without source lines that churn) and compile it (.mo)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import write_po

    catalogue.project, catalogue.version = "bwcases", ""
    catalogue.copyright_holder = "the bwcases authors"
    catalogue.fuzzy = False
    path = catalogue_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalogue, width=100, no_location=True, ignore_obsolete=True)
    with catalogue_path(lang, ".mo").open("wb") as f:
        write_mo(f, catalogue)


def update_catalogues() -> None:
    """Merge the source's messages into every catalogue and compile them."""
    from babel.messages.catalog import Catalog

    template = extract()
    for lang in TRANSLATED:
        exists = catalogue_path(lang).exists()
        catalogue = read_catalogue(lang) if exists else Catalog(locale=lang, domain=DOMAIN)
        catalogue.update(template, no_fuzzy_matching=True)
        write_catalogue(lang, catalogue)
    translator.cache_clear()


def main(argv: list[str] | None = None) -> int:
    """Update and compile the catalogues; list what each language still misses."""
    del argv
    update_catalogues()
    status = 0
    template = extract()
    for lang in TRANSLATED:
        gaps = missing(lang, template)
        print(f"{lang}: {len(template) - len(gaps)} of {len(template)} messages translated")
        status |= bool(gaps)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


# what a page says, from the server or from its app, when it could not be drawn
TROUBLE_LOADING = N_(
    "This page could not be loaded. Try again in a moment; if it keeps failing, tell the "
    "programme's data team."
)
