"""The server's own plain pages (sign in, sign out, change password, busy): their shell and
their language."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from jupyter_server.base.handlers import JupyterHandler
from tornado import web

from bwcases.core.i18n import is_rtl, language, negotiate
from bwcases.render.templating import render


def page_language(handler: web.RequestHandler) -> str:
    """The language of a sign-in page: ?lang=, the lang of the page asked for, the browser's."""
    asked = handler.get_argument("lang", "")
    if not asked:
        query = urlsplit(handler.get_argument("next", "")).query
        asked = parse_qs(query).get("lang", [""])[-1]
    if asked:
        return language(asked)
    return negotiate(handler.request.headers.get("Accept-Language"))


def page(template: str, lang: str, title: str, **context: Any) -> str:
    """One of these pages (templates web/TEMPLATE.html.j2 of bwcases.render), filled in."""
    direction = "rtl" if is_rtl(lang) else "ltr"
    return render(f"web/{template}.html.j2", lang=lang, dir=direction, title=title, **context)


def write_page(
    handler: JupyterHandler, template: str, lang: str, title: str, **context: Any
) -> None:
    """Send one of these pages, never kept by a cache."""
    handler.set_header("Cache-Control", "no-store")
    handler.write(page(template, lang, title, **context))


def xsrf(handler: JupyterHandler) -> str:
    """The token a page's form posts back (Tornado checks it against the _xsrf cookie)."""
    token: bytes = handler.xsrf_token
    return token.decode("ascii")
