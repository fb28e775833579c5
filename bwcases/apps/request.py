"""Who asked for a page, for which factory and in which language (the kernel's view of it)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import parse_qs

from bwcases.auth.people import Person, cookie, person, person_for_token, token_from_cookies
from bwcases.core.i18n import DEFAULT, language, negotiate
from bwcases.store import Store

MAX_ID_LENGTH = 64  # factory IDs are at most this long in the store
MAX_ITEM_DIGITS = 18  # a plan item's number fits a 64-bit integer
_ITEM = re.compile(rf"[0-9]{{1,{MAX_ITEM_DIGITS}}}")  # ASCII: no other script's digits
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # never in an ID; PostgreSQL refuses "\x00"
_WORD = re.compile(r"[a-z]{1,20}")  # a filter's name (an app offers its own; others: none)


@dataclass(frozen=True)
class PageRequest:
    """A page asked for: the signed-in person (None: nobody), the factory, the plan item (None:
    none), the language, and the filter the page was left with ("": the app's first)."""

    person: Person | None
    factory_id: str = ""
    lang: str = DEFAULT
    base_url: str = "/"
    xsrf: str = ""  # the page's _xsrf cookie: the sign-out form posts it back
    item_id: int | None = None
    show: str = ""  # the tracker's "Show" as a row link of its plan keeps it (links.item_url)


def item_number(text: str) -> int | None:
    """A plan item's number as an address gives it (digits only), else None."""
    text = text.strip()
    return int(text) if _ITEM.fullmatch(text) else None


def filter_name(text: str) -> str:
    """A filter's name as an address gives it (a few lowercase letters), else ""."""
    text = text.strip()
    return text if _WORD.fullmatch(text) else ""


def in_voila() -> bool:
    """Whether this kernel serves a page for Voilà (rather than Jupyter or papermill)."""
    return "VOILA_PREHEAT" in os.environ


def _wait_for_request(store: Store) -> None:
    """A preheated kernel waits here until Voilà hands it a request (query, cookies)."""
    if os.environ.get("VOILA_PREHEAT") == "True":
        from voila.utils import wait_for_request

        person_for_token(store, "warm-up")  # the session query compiled before anyone waits
        wait_for_request()


def page_language(store: Store, who: Person | None, asked: str, browser: str) -> str:
    """The page's language: the one the address asks for, else the one she chose last in the
    apps (remembered in the store), else her browser's."""
    if asked:
        return language(asked)
    kept = store.language_of(who.name) if who is not None and who.name else None
    return language(kept) if kept else browser


def page_request(
    store: Store,
    *,
    user: str = "",
    factory_id: str = "",
    lang: str = "",
    item: str = "",
    show: str = "",
) -> PageRequest:
    """The request this page answers: who (in Voilà, from the session cookie), factory, item,
    language, filter."""
    # In Voilà the person comes only from the session cookie the sign-in page set, checked
    # against the store, never from the address or the notebook's parameters: nobody passes for
    # someone else by editing a URL. Outside Voilà (papermill, Jupyter) `user` names her.
    if in_voila():
        _wait_for_request(store)
        query = parse_qs(os.environ.get("QUERY_STRING", ""))
        who = person_for_token(store, token_from_cookies(os.environ.get("HTTP_COOKIE")))
        asked_factory = _CONTROL.sub("", query.get("factory", [""])[-1]).strip()
        asked_item = query.get("item", [""])[-1]
        asked_lang = query.get("lang", [""])[-1]
        asked_show = query.get("show", [""])[-1]
        browser = negotiate(os.environ.get("HTTP_ACCEPT_LANGUAGE"))
        base_url = os.environ.get("VOILA_BASE_URL", "/") or "/"
        xsrf = cookie(os.environ.get("HTTP_COOKIE"), "_xsrf") or ""
    else:
        who = person(store.user(user)) if user else None
        asked_factory, asked_lang, browser, base_url, xsrf = "", "", DEFAULT, "/", ""
        asked_item = asked_show = ""
    return PageRequest(
        person=who,
        factory_id=(asked_factory or factory_id.strip())[:MAX_ID_LENGTH],
        lang=page_language(store, who, asked_lang or lang, browser),
        base_url=base_url,
        xsrf=xsrf,
        item_id=item_number(asked_item or item),
        show=filter_name(asked_show or show),
    )
