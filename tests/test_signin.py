"""The identity provider the served apps sign in through: throttling by name and address; its
pages, in the person's language, with what she typed escaped."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from tornado import httputil, web

from bwcases.auth.accounts import ACCOUNT_FREE, ACCOUNT_WAIT
from bwcases.store import Store
from bwcases.web import signin
from bwcases.web.signin import LoginHandler, LogoutHandler, PasswordHandler, StoreIdentityProvider
from tests.helpers import PASSWORD, Clock, fill_advisor_case


@pytest.fixture
def people(store: Store, tmp_path: Path) -> Store:
    return fill_advisor_case(store, tmp_path)


def test_sign_in_waits_by_name_in_any_spelling_and_by_address(
    people: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = StoreIdentityProvider(store_url=people.url)
    clock = Clock()
    monkeypatch.setattr(provider.accounts, "clock", clock)
    monkeypatch.setattr(provider.addresses, "clock", clock)
    spellings = ["Lan Nguyen", "lan  nguyen", "LAN\tNGUYEN"]
    for i in range(ACCOUNT_FREE):
        assert provider.authenticate(spellings[i % 3], "wrong", f"10.0.0.{i}") is None
    # the right password from elsewhere waits too, without being checked
    assert provider.wait("Lan Nguyen", "10.9.9.9") > 0
    assert provider.authenticate("Lan Nguyen", PASSWORD, "10.9.9.9") is None
    clock.now += ACCOUNT_WAIT
    assert provider.authenticate("Lan Nguyen", PASSWORD, "10.9.9.9") is not None
    # one address trying many names waits after ADDRESS_FREE failures; others do not
    for i in range(20):
        provider.authenticate(f"made-up person {i}", "wrong", "192.0.2.7")
    assert provider.wait("Minh Tran", "192.0.2.7") > 0
    assert provider.authenticate("Minh Tran", PASSWORD, "192.0.2.8") is not None


def test_a_burst_of_tries_at_once_is_throttled_too(
    people: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = StoreIdentityProvider(store_url=people.url)
    checked: list[str] = []

    def slow_check(_store: Store, login: str, _password: str) -> None:
        checked.append(login)
        time.sleep(0.2)  # hashing takes a while: the other tries arrive meanwhile

    monkeypatch.setattr(signin, "sign_in", slow_check)
    start = threading.Barrier(12)

    def guess(i: int) -> None:
        start.wait()
        provider.authenticate("Lan Nguyen", f"guess {i}", f"198.51.100.{i}")

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(checked) == ACCOUNT_FREE


# -- the pages ----------------------------------------------------------------------------

EVIL = "<script>alert(1)</script>"
HOSTILE = f"{EVIL} \"'&"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &#34;&#39;&amp;"


class _Connection(httputil.HTTPConnection):
    def set_close_callback(self, callback: Any) -> None:
        """A page written here is never sent: nobody hangs up."""


def page_of(handler_class: type[web.RequestHandler], uri: str) -> tuple[Any, list[str]]:
    """A sign-in handler of a real Tornado application for a GET of `uri`, and what it writes."""
    sent: list[str] = []

    class Kept(handler_class):  # type: ignore[misc,valid-type]
        def write(self, chunk: Any) -> None:
            sent.append(chunk if isinstance(chunk, str) else chunk.decode())

    app = web.Application(base_url="/", cookie_secret="test")
    request = httputil.HTTPServerRequest(
        start_line=httputil.RequestStartLine("GET", uri, "HTTP/1.1"),
        headers=httputil.HTTPHeaders({"Host": "localhost"}),
        connection=_Connection(),
    )
    handler = Kept(app, request)
    handler.current_user = None
    return handler, sent


def test_the_sign_in_page_keeps_what_she_typed_as_text() -> None:
    handler, sent = page_of(LoginHandler, "/login?lang=ar&next=/voila/render/x%3Fa%3D%22%3E%3Cb%3E")
    handler._render({"error": HOSTILE}, login=HOSTILE)
    page = sent[0]
    assert '<html lang="ar" dir="rtl">' in page and "تسجيل الدخول" in page
    assert EVIL not in page and "<b>" not in page
    assert f'<p class="bw-error" role="alert">{ESCAPED}</p>' in page
    assert f'name="username" value="{ESCAPED}"' in page  # kept for her, escaped
    assert 'name="next" value="/voila/render/x?a=&#34;&gt;&lt;b&gt;"' in page
    assert 'href="?lang=vi&amp;next=/voila/render/x%3Fa%3D%22%3E%3Cb%3E"' in page
    xsrf = page.split('name="_xsrf" value="', 1)[1].split('"', 1)[0]
    assert xsrf == handler.xsrf_token.decode()  # the token Tornado checks the post against


def test_the_password_and_sign_out_pages_escape_their_messages() -> None:
    handler, sent = page_of(PasswordHandler, "/password?lang=en")
    handler._render(error=HOSTILE, done=HOSTILE, status=400)
    assert handler.get_status() == 400 and EVIL not in sent[0]
    assert f'<p class="bw-error" role="alert">{ESCAPED}</p>' in sent[0]
    assert f'<p class="bw-done" role="status">{ESCAPED}</p>' in sent[0]
    assert sent[0].count('minlength="12" aria-describedby="rule"') == 2  # the new ones only
    handler, sent = page_of(LogoutHandler, f"/logout?lang={EVIL}")
    handler.get()
    assert EVIL not in sent[0] and '<html lang="en" dir="ltr">' in sent[0]
