"""The served apps under attack and under load: sign-in throttling, sign-out, changing one's
password, and kernels bounded per person and per server; by HTTP requests as a script would."""

from __future__ import annotations

import http.client
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from bwcases.auth.accounts import ACCOUNT_FREE, ADDRESS_FREE, add_user
from bwcases.auth.people import COOKIE_NAME
from bwcases.store import Store
from bwcases.web.limits import APPS, Limits
from bwcases.web.serve import start_server, stop_server
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, sign_in
from tests.helpers import BACKENDS, PASSWORD, fill_advisor_case, kernels, served_store_url, settles

pytestmark = [pytest.mark.slow]
LIMITS = Limits(pages_per_person=2, max_pages=3, trusted_proxy=True)
POOL = len(APPS)  # one preheated kernel per app
APP = "voila/render/case_timeline.ipynb?factory=VN001"


@dataclass
class Server:
    base: str
    pid: int
    store: Store
    log: Path


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The apps served with small limits, behind a (pretended) trusted proxy."""
    folder = tmp_path_factory.mktemp("limits")
    store = fill_advisor_case(
        Store(served_store_url(backend, folder, "bwcases_test_limits")), folder
    )
    for name in ("Đặng Thị Ánh", "Farhana Akter", "Rahim Uddin", "Nasrin Sultana"):
        add_user(store, name, role="staff", country="Vietnam", password=PASSWORD)
    log = folder / "voila.log"
    with log.open("wb") as out:
        proc, url = start_server(store.url, log=out, limits=LIMITS)
        try:
            yield Server(url.split("/voila/", 1)[0] + "/", proc.pid, store, log)
        finally:
            stop_server(proc)
            store.dispose()


@dataclass
class Client:
    """A browser as a script plays it: its own cookies, one client address."""

    base: str
    address: str
    jar: dict[str, str] = field(default_factory=dict)
    xsrf: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # of the last answer

    def send(
        self, method: str, path: str, form: dict[str, str] | None = None, **headers: str
    ) -> tuple[int, dict[str, str], str]:
        parts = urlsplit(self.base)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=120)
        sent = {"X-Forwarded-For": self.address, **headers}
        if self.jar:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        body = None
        if form is not None:
            body = urlencode({"_xsrf": self.xsrf, **form})
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, f"/{path}", body=body, headers=sent)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
            for value in resp.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    self.jar[name] = morsel.value
            self.headers = {k.lower(): v for k, v in resp.getheaders()}
            return resp.status, self.headers, text
        finally:
            conn.close()

    def sign_in(self, name: str, password: str = PASSWORD, **headers: str) -> tuple[int, str]:
        if not self.xsrf:
            _, _, page = self.send("GET", "login")
            self.xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page)[1]  # type: ignore[index]
        form = {"username": name, "password": password}
        status, _, page = self.send("POST", "login", form, **headers)
        return status, page

    def signed_in(self) -> bool:
        return self.send("GET", "password")[0] == 200  # a page behind sign-in, with no kernel


def alert(page: str) -> str:
    found = re.search(r'role="alert">([^<]*)<', page)
    return found[1] if found else ""


def test_guessing_a_password_gets_a_few_tries_a_minute(server: Server) -> None:
    guesser = Client(server.base, "198.51.100.1")
    spellings = ["Farhana Akter", "farhana  akter", "FARHANA\tAKTER"]  # one person
    began = time.monotonic()
    statuses = [guesser.sign_in(spellings[i % 3], f"guess {i}")[0] for i in range(40)]
    took = time.monotonic() - began
    # after ACCOUNT_FREE failures, waits of 1, 2, 4… s: only as many more as fit in the time
    # the 40 tries took (seconds on a quiet machine, more on a busy one); the rest not checked
    assert ACCOUNT_FREE <= statuses.count(401) <= ACCOUNT_FREE + math.log2(took + 1) + 1
    assert set(statuses) == {401, 429} and statuses.count(429) >= 30
    # she, elsewhere, waits seconds (not a quarter of an hour), then signs in
    farhana = Client(server.base, "203.0.113.5")
    status, page = farhana.sign_in("Farhana Akter")
    if status == 429:
        assert re.search(r"Wait \d+ seconds", alert(page))
        time.sleep(int(farhana.headers["retry-after"]) + 0.5)
        status, page = farhana.sign_in("Farhana Akter")
    assert status == 302 and farhana.signed_in()


def test_one_address_trying_many_names_waits(server: Server) -> None:
    sprayer = Client(server.base, "198.51.100.2")
    statuses = [sprayer.sign_in(f"Person {i}", "Summer2024!")[0] for i in range(ADDRESS_FREE + 5)]
    assert statuses.count(401) == ADDRESS_FREE and statuses[-1] == 429
    assert sprayer.sign_in("Rahim Uddin")[0] == 429  # even a real one, from there
    assert Client(server.base, "203.0.113.6").sign_in("Rahim Uddin")[0] == 302


def test_a_name_with_accents_signs_in_as_typed_on_a_phone(server: Server) -> None:
    client = Client(server.base, "203.0.113.7")
    assert client.sign_in("đặng  thị ánh")[0] == 302 and client.signed_in()


def test_the_session_cookie_is_secure_behind_a_tls_proxy(server: Server) -> None:
    cookies = {}
    for proto in ("https", "http"):
        client = Client(server.base, "203.0.113.8")
        assert client.sign_in("Lan Nguyen", **{"X-Forwarded-Proto": proto})[0] == 302
        cookies[proto] = client.headers["set-cookie"]
    assert COOKIE_NAME in cookies["https"] and "Secure" in cookies["https"]
    assert COOKIE_NAME in cookies["http"] and "Secure" not in cookies["http"]


def test_sign_out_is_a_post_and_closes_her_pages(server: Server) -> None:
    minh = Client(server.base, "203.0.113.10")
    assert minh.sign_in("Minh Tran")[0] == 302
    before = settles(server.pid, POOL)
    assert minh.send("GET", APP)[0] == 200
    assert settles(server.pid, before + 1) == before + 1  # her page's kernel
    status, _, page = minh.send("GET", "logout")  # a link or an image cannot sign her out
    assert status == 200 and minh.signed_in()
    forged = Client(server.base, "203.0.113.10", jar=dict(minh.jar))
    assert forged.send("POST", "logout", {})[0] == 403  # no XSRF token: another site's form
    assert minh.signed_in()
    status, headers, _ = minh.send("POST", "logout", {})
    assert status == 302 and headers["location"].startswith("/login")
    assert not minh.signed_in()
    assert settles(server.pid, POOL) == POOL  # her page can no longer read anything


def test_a_person_who_loads_pages_in_a_loop_holds_at_most_her_share(server: Server) -> None:
    nasrin = Client(server.base, "203.0.113.11")
    assert nasrin.sign_in("Nasrin Sultana")[0] == 302
    for _ in range(5):
        assert nasrin.send("GET", APP)[0] == 200
        assert kernels(server.pid) <= POOL + LIMITS.pages_per_person + 1  # +1: a refill starting
    assert settles(server.pid, POOL + LIMITS.pages_per_person) == POOL + LIMITS.pages_per_person
    nasrin.send("POST", "logout", {})
    assert settles(server.pid, POOL) == POOL  # memory back to the preheated pool


def test_a_full_server_says_it_is_busy_in_her_language(server: Server) -> None:
    people = [Client(server.base, f"203.0.113.{20 + i}") for i in range(3)]
    for client, name in zip(people, ["Lan Nguyen", "Minh Tran", "Rahim Uddin"], strict=True):
        assert client.sign_in(name)[0] == 302
    lan, minh, rahim = people
    assert lan.send("GET", APP)[0] == 200 and lan.send("GET", APP)[0] == 200
    assert minh.send("GET", APP)[0] == 200  # the server holds max_pages now
    status, headers, page = rahim.send("GET", f"{APP}&lang=vi")
    assert status == 503 and "Máy chủ đang bận" in page and headers["retry-after"]
    assert lan.send("GET", APP)[0] == 200  # her own third page replaces her oldest
    for client in people:
        client.send("POST", "logout", {})
    assert settles(server.pid, POOL) == POOL


def test_she_changes_her_password_and_her_other_devices_sign_out(server: Server) -> None:
    laptop, phone = Client(server.base, "203.0.113.30"), Client(server.base, "203.0.113.31")
    assert laptop.sign_in("Farhana Akter")[0] == 302 and phone.sign_in("Farhana Akter")[0] == 302
    new = "mango lanterns drift north"

    def change(current: str, password: str, again: str) -> tuple[int, str]:
        status, _, page = laptop.send(
            "POST", "password", {"current": current, "new": password, "again": again}
        )
        return status, page

    assert change("wrong one entirely", new, new)[0] == 400
    status, page = change(PASSWORD, new, new + "x")
    assert status == 400 and "differ" in alert(page)
    status, page = change(PASSWORD, "password1234", "password1234")
    assert status == 400 and "too easy" in alert(page)
    status, page = change(PASSWORD, new, new)
    assert status == 200 and "was changed" in page
    assert laptop.signed_in() and not phone.signed_in()
    assert Client(server.base, "203.0.113.32").sign_in("Farhana Akter")[0] == 401
    assert Client(server.base, "203.0.113.33").sign_in("Farhana Akter", new)[0] == 302
    assert laptop.send("GET", "password")[0] == 200
    assert Client(server.base, "203.0.113.34").send("GET", "password")[0] == 302  # signed out


@pytest.fixture(scope="module")
def short_grace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The apps with a kernel grace of 6 s (culling stops kernels; the store plays no part)."""
    folder = tmp_path_factory.mktemp("grace")
    store = fill_advisor_case(Store(f"sqlite:///{folder / 'cases.sqlite'}"), folder)
    log = folder / "voila.log"
    with log.open("wb") as out:
        proc, url = start_server(store.url, log=out, limits=Limits(kernel_grace=0.1))
        try:
            yield Server(url.split("/voila/", 1)[0] + "/", proc.pid, store, log)
        finally:
            stop_server(proc)
            store.dispose()


def test_a_kernel_whose_page_is_gone_is_stopped_after_the_grace(short_grace: Server) -> None:
    lan = Client(short_grace.base, "203.0.113.40")
    assert lan.sign_in("Lan Nguyen")[0] == 302
    assert settles(short_grace.pid, POOL) == POOL
    # pages asked for and never connected: a tab closed offline, a browser that died
    assert lan.send("GET", APP)[0] == 200 and lan.send("GET", APP)[0] == 200
    assert kernels(short_grace.pid) > POOL
    assert settles(short_grace.pid, POOL, seconds=90) == POOL  # the preheated pool stays
    assert "culling kernel" in short_grace.log.read_text().lower()


@needs_chromium
@pytest.mark.browser
def test_a_tab_closed_offline_leaves_a_draft_and_its_kernel_stops(short_grace: Server) -> None:
    from playwright.sync_api import sync_playwright

    assert settles(short_grace.pid, POOL) == POOL
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            sign_in(page, short_grace.base, "Lan Nguyen", PASSWORD)
            page.goto(f"{short_grace.base}voila/render/case_timeline.ipynb?factory=VN001")
            topics = page.get_by_label("Topics *", exact=True)
            topics.fill("Fire drill with the night shift", timeout=90_000)
            page.get_by_text("Draft kept at").wait_for()
            found = re.search(r'"kernelId": "([0-9a-f-]{36})"', page.content())
            assert found, "the page names no kernel"
            kernel = f"/api/kernels/{found[1]}"
            cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
            context.set_offline(True)  # the link drops; she closes the tab
            page.close()
            time.sleep(1)
            assert status(short_grace, kernel, cookie) == 200  # nobody could tell the server
        finally:
            browser.close()
    deadline = time.monotonic() + 90
    while status(short_grace, kernel, cookie) != 404:  # stopped after the grace
        assert time.monotonic() < deadline, "the closed tab's kernel still runs"
        time.sleep(0.5)
    draft = short_grace.store.draft("Lan Nguyen", "visit", "new:VN001")
    assert draft is not None and draft[0]["topics"] == "Fire drill with the night shift"


def status(server: Server, path: str, cookie: str) -> int:
    """The HTTP status of a GET on the server, as the signed-in person."""
    parts = urlsplit(server.base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    try:
        conn.request("GET", path, headers={"Cookie": cookie})
        return conn.getresponse().status
    finally:
        conn.close()
