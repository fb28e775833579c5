"""Translations of the fixed texts people read, through gettext catalogues built with Babel."""

# `python -m bwcases.core.i18n` extracts the messages from the source, merges them into every
# catalogue (bwcases/locale/LANG/LC_MESSAGES/bwcases.po) and compiles the .mo files; it does the
# same for the domain's names (bwcases-domain.po) and lists, per language, the names still shown
# in English. `--questions EXPORT.csv` adds the CAT questions of an assessment export to those.

from __future__ import annotations

import argparse
import csv
import gettext
import sys
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bwcases.core.catalogue import (
    CLUSTERS,
    COMPLIANCE_POINTS,
    COUNTRIES,
    OLDER_CLUSTERS,
    OLDER_COMPLIANCE_POINTS,
)
from bwcases.core.errors import UsageError
from bwcases.core.formats import ASSESSMENT_COLUMNS

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


# -- the domain's names: clusters, compliance points, countries, CAT questions ------------

# They come from the store as the exports spell them (English), so the source marks none of
# them: their catalogue is made from core.catalogue and from the CAT questions of exports, each
# name under its kind as the message context (msgctxt), since a name may be two kinds at once.
NAMES = "bwcases-domain"
CLUSTER, COMPLIANCE_POINT, COUNTRY, QUESTION = "cluster", "compliance point", "country", "question"
NAME_KINDS = (CLUSTER, COMPLIANCE_POINT, COUNTRY, QUESTION)


@lru_cache(maxsize=16)
def _names(lang: str) -> gettext.NullTranslations:
    return gettext.translation(NAMES, LOCALES, languages=[lang], fallback=True)


def domain_name(kind: str, name: str, lang: str = DEFAULT) -> str:
    """A cluster's, compliance point's, country's or CAT question's name in a language; as
    stored (English) where the language's catalogue has none."""
    if kind not in NAME_KINDS:
        raise ValueError(f"kind {kind!r} is not one of: {', '.join(NAME_KINDS)}")
    lang = language(lang)
    if lang == DEFAULT or not name:
        return name
    return _names(lang).pgettext(kind, name)


def catalogue_names() -> list[tuple[str, str]]:
    """The names core.catalogue defines, as (kind, English name), in its order."""
    names = [(CLUSTER, cluster) for cluster in (*CLUSTERS, *OLDER_CLUSTERS)]
    cps = [cp for points in COMPLIANCE_POINTS.values() for cp in points]
    names += [(COMPLIANCE_POINT, cp) for cp in (*cps, *OLDER_COMPLIANCE_POINTS)]
    return names + [(COUNTRY, country) for country in COUNTRIES]


def export_questions(path: Path) -> list[str]:
    """The CAT questions (Q.Label), each once, of an assessment export in the programme's
    format (CSV, as `bwcases export assessments` writes it)."""
    column = next(k for k, v in ASSESSMENT_COLUMNS.items() if v == "question_label")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = csv.DictReader(f)
        if column not in (rows.fieldnames or []):
            raise UsageError(f"{path}: no column {column!r}; give an assessment export (CSV)")
        labels = ((row.get(column) or "").strip() for row in rows)
        return list(dict.fromkeys(label for label in labels if label))


# -- building the catalogues (Babel: needed to maintain translations, not to run) ---------


def catalogue_path(lang: str, suffix: str = ".po", domain: str = DOMAIN) -> Path:
    """Where a language's catalogue (of the texts, or of the domain's NAMES) lives."""
    return LOCALES / lang / "LC_MESSAGES" / f"{domain}{suffix}"


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


def read_catalogue(lang: str, domain: str = DOMAIN) -> Catalog:
    """A language's catalogue as stored (an empty one where there is none yet)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    path = catalogue_path(lang, domain=domain)
    if not path.exists():
        return Catalog(locale=lang, domain=domain)
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=domain)


def names_template(questions: Iterable[str] = ()) -> Catalog:
    """The domain's names as a catalogue template: core.catalogue's, then the CAT questions
    the catalogues hold already and those given."""
    from babel.messages.catalog import Catalog

    template = Catalog(project="bwcases", domain=NAMES)
    for kind, name in catalogue_names():
        template.add(name, context=kind)
    held = [
        str(message.id)
        for lang in TRANSLATED
        for message in read_catalogue(lang, NAMES)
        if message.id and message.context == QUESTION
    ]
    for question in dict.fromkeys([*held, *questions]):
        template.add(question, context=QUESTION)
    return template


def missing_names(lang: str, template: Catalog | None = None) -> list[tuple[str, str]]:
    """The domain's names (kind, English name) a language's catalogue does not translate."""
    template = template or names_template()
    catalogue = read_catalogue(lang, NAMES)
    out = []
    for message in template:
        if not message.id:
            continue
        held = catalogue.get(message.id, context=message.context)
        if held is None or not held.string or held.fuzzy:
            out.append((str(message.context), str(message.id)))
    return out


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


def write_catalogue(lang: str, catalogue: Catalog, domain: str = DOMAIN) -> None:
    """Store a language's catalogue (.po, without source lines that churn) and compile it (.mo)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import write_po

    catalogue.project, catalogue.version = "bwcases", ""
    catalogue.copyright_holder = "the bwcases authors"
    catalogue.fuzzy = False
    path = catalogue_path(lang, domain=domain)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalogue, width=100, no_location=True, ignore_obsolete=True)
    with catalogue_path(lang, ".mo", domain).open("wb") as f:
        write_mo(f, catalogue)


def update_catalogues(questions: Iterable[str] = ()) -> None:
    """Merge the source's messages, and the domain's names with these CAT questions, into
    every catalogue and compile them."""
    templates = {DOMAIN: extract(), NAMES: names_template(questions)}
    for domain, template in templates.items():
        for lang in TRANSLATED:
            catalogue = read_catalogue(lang, domain)
            catalogue.update(template, no_fuzzy_matching=True)
            write_catalogue(lang, catalogue, domain)
    translator.cache_clear()
    _names.cache_clear()


def main(argv: list[str] | None = None) -> int:
    """Update and compile the catalogues; list what each language still misses (the texts:
    exit status 1) and the domain's names it shows in English."""
    parser = argparse.ArgumentParser(prog="python -m bwcases.core.i18n", description=main.__doc__)
    parser.add_argument(
        "--questions",
        action="append",
        type=Path,
        default=[],
        metavar="EXPORT.csv",
        help="add the CAT questions of an assessment export to the names to translate",
    )
    args = parser.parse_args(argv)
    try:
        questions = [q for path in args.questions for q in export_questions(path)]
    except (OSError, UnicodeDecodeError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    update_catalogues(questions)
    status = 0
    template, names = extract(), names_template()
    for lang in TRANSLATED:
        gaps = missing(lang, template)
        print(f"{lang}: {len(template) - len(gaps)} of {len(template)} messages translated")
        status |= bool(gaps)
        absent = missing_names(lang, names)
        shown = f"{lang}: {len(names) - len(absent)} of {len(names)} names translated"
        print(shown + ("; in English still:" if absent else ""))
        for kind, name in absent:
            print(f"  {kind}: {name}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


# a plan item with no issue to show, in an app and in a digest (core.links.item_name)
PLAN_ITEM = N_("Plan item #{id}")

# what a page says, from the server or from its app, when it could not be drawn
TROUBLE_LOADING = N_(
    "This page could not be loaded. Try again in a moment; if it keeps failing, tell the "
    "programme's data team."
)
