"""The server's own plain pages (sign in, sign out, change password, busy): their shell and
their language."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from jupyter_server.base.handlers import JupyterHandler
from tornado import web

from bwcases.core.i18n import is_rtl, language, negotiate
from bwcases.render.html import escape


def page_language(handler: web.RequestHandler) -> str:
    """The language of a sign-in page: ?lang=, the lang of the page asked for, the browser's."""
    asked = handler.get_argument("lang", "")
    if not asked:
        query = urlsplit(handler.get_argument("next", "")).query
        asked = parse_qs(query).get("lang", [""])[-1]
    if asked:
        return language(asked)
    return negotiate(handler.request.headers.get("Accept-Language"))


LOGIN_STYLE = """
body { font-family: system-ui, sans-serif; background: #f3f5f7; margin: 0; }
main { max-width: 380px; margin: 8vh auto; background: #fff; padding: 24px 28px;
  border: 1px solid #d0d7de; border-radius: 8px; }
h1 { font-size: 1.4em; margin: 0 0 4px; } p { color: #444; }
label { display: block; margin: 14px 0 4px; font-weight: 600; }
input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: 8px;
  font-size: 1em; border: 1px solid #8c959f; border-radius: 4px; }
button { margin-top: 18px; padding: 9px 20px; font-size: 1em; background: #0b5cad; color: #fff;
  border: 0; border-radius: 4px; cursor: pointer; min-height: 44px; }
.bw-error { background: #fdecea; border-inline-start: 4px solid #c62828; padding: 8px 10px; }
.bw-done { background: #e6f4ea; border-inline-start: 4px solid #1e7e34; padding: 8px 10px; }
nav { margin-top: 18px; font-size: 0.9em; } nav a { margin-inline-end: 10px; }
"""


def write_page(handler: JupyterHandler, lang: str, title: str, body: str) -> None:
    """One of the sign-in pages (sign in, sign out, change password) around its body's HTML."""
    direction = "rtl" if is_rtl(lang) else "ltr"
    handler.set_header("Cache-Control", "no-store")
    handler.write(
        f"""<!DOCTYPE html>
<html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · Better Work</title><style>{LOGIN_STYLE}</style></head>
<body><main>
<h1>{escape(title)}</h1>
{body}
</main></body></html>"""
    )


def notice(message: str, kind: str = "error") -> str:
    """A message at the top of such a page (an error, or "done")."""
    role = "alert" if kind == "error" else "status"
    return f'<p class="bw-{kind}" role="{role}">{escape(message)}</p>' if message else ""
