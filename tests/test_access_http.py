"""Taking access away, over the served apps: a deactivated person's open sessions, file
downloads and running pages stop at her next request, and she cannot sign in again."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from bwcases.auth.people import COOKIE_NAME, token_hash
from bwcases.core.domain import Status
from bwcases.store import Store, Upload
from bwcases.web.kernel_owners import SIGNED_OUT
from bwcases.web.serve import start_server, stop_server
from tests.browser import APP_TIMEOUT_MS, chromium_page, needs_chromium, sign_in
from tests.helpers import (
    BACKENDS,
    PASSWORD,
    PDF,
    bw,
    fill_advisor_case,
    kernels,
    password_hash,
    served_store_url,
    settles,
)
from tests.test_evidence_http import call, session

pytestmark = [pytest.mark.slow]

MINUTES = Upload("minutes May.pdf", "application/pdf", PDF + b"%minutes")
EVIDENCE = Upload("store room.pdf", "application/pdf", PDF + b"%evidence")
PROPOSED = Upload("fire drill.pdf", "application/pdf", PDF + b"%proposed")
PAGE = "/voila/render/case_timeline.ipynb?factory=VN001"


@dataclass(frozen=True)
class Served:
    base: str
    pid: int
    store: Store
    files: tuple[tuple[str, bytes], ...]  # Lan's files: (address, content)


@pytest.fixture(scope="module", params=BACKENDS)
def case(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """The apps served (no preheated kernels) over the advisor case, with a PICC meeting's
    minutes, a progress update's evidence and a factory person's proposal of VN001, Lan's."""
    folder = tmp_path_factory.mktemp("access")
    store = fill_advisor_case(
        Store(served_store_url(str(request.param), folder, "bwcases_test_access")), folder
    )
    store.add_user(
        "Rina Akter",
        role="factory",
        country="Vietnam",
        factory="VN001",
        password_hash=password_hash(),
        actor="test",
    )
    meeting = store.add_visit(
        {"factory_id": "VN001", "date": dt.date(2024, 5, 14), "kind": "PICC meeting"},
        "Lan Nguyen",
        minutes=MINUTES,
    )
    item = store.plan_item(2)  # VN001's
    store.add_progress(
        2,
        date=dt.date.today(),
        note="Boxes moved",
        new_status=Status.IN_PROGRESS,
        expected_version=int(item["version"]),
        actor="Lan Nguyen",
        files=[EVIDENCE],
    )
    updates = store.progress_updates_frame(factory_ids=["VN001"])
    update_id = int(updates.loc[updates["item_id"] == 2, "id"].iloc[0])
    item = store.plan_item(2)
    proposal = store.propose_progress(
        "Rina Akter",
        2,
        status=Status(item["status"]),
        note="The photo of it",
        base_version=int(item["version"]),
        files=[PROPOSED],
    )
    files = (
        (f"/minutes/{meeting}", MINUTES.content),
        (f"/evidence/{update_id}/{EVIDENCE.sha256}", EVIDENCE.content),
        (f"/proposal-evidence/{proposal}/{PROPOSED.sha256}", PROPOSED.content),
    )
    log = folder / "voila.log"
    with log.open("wb") as out:
        proc, url = start_server(store.url, log=out, preheat=False)
        try:
            yield Served(url.split("/voila/", 1)[0] + "/", proc.pid, store, files)
        finally:
            stop_server(proc)
            store.dispose()


def open_page(base: str, cookie: str) -> str:
    """Open an app page as the signed-in browser; the id of its kernel."""
    status, _headers, body = call(base, "GET", PAGE, cookie=cookie)
    assert status == 200
    found = re.search(r'"kernelId": "([0-9a-f-]{36})"', body.decode())
    assert found, "the page names no kernel"
    return found[1]


def message(kind: str) -> str:
    """A kernel message as a page sends it (Jupyter's JSON websocket protocol)."""
    header = {
        "msg_id": uuid.uuid4().hex,
        "session": "test",
        "username": "",
        "msg_type": kind,
        "version": "5.3",
        "date": dt.datetime.now(dt.UTC).isoformat(),
    }
    body = {"header": header, "parent_header": {}, "metadata": {}, "content": {}}
    return json.dumps({**body, "channel": "shell", "buffers": []})


async def connect(base: str, kernel: str, cookie: str) -> WebSocketClientConnection:
    """The page's websocket to its kernel."""
    url = f"{base.replace('http', 'ws', 1)}api/kernels/{kernel}/channels?session_id=test"
    return await websocket_connect(HTTPRequest(url, headers={"Cookie": cookie}))


async def ask(ws: WebSocketClientConnection) -> dict[str, Any] | None:
    """Ask the kernel who it is: its reply, or None when the websocket was closed instead."""
    await ws.write_message(message("kernel_info_request"))
    while (answer := await asyncio.wait_for(ws.read_message(), 120)) is not None:
        found = json.loads(answer)
        if found["header"]["msg_type"] == "kernel_info_reply":
            return dict(found)
    return None


def sign_in_status(base: str, name: str) -> int:
    status, headers, form = call(base, "GET", "/login")
    xsrf_cookie = (headers.get("Set-Cookie") or "").split(";")[0]
    xsrf = form.decode().split('name="_xsrf" value="', 1)[1].split('"', 1)[0]
    body = urlencode({"_xsrf": xsrf, "username": name, "password": PASSWORD, "next": "/login"})
    return call(base, "POST", "/login", body, xsrf_cookie)[0]


def test_a_deactivated_advisor_s_sessions_files_and_pages_stop(case: Served) -> None:
    lan, minh = session(case.base, "Lan Nguyen"), session(case.base, "Minh Tran")
    for path, content in case.files:
        status, _headers, body = call(case.base, "GET", path, cookie=lan)
        assert (status, body) == (200, content), path
    hers, his = open_page(case.base, lan), open_page(case.base, minh)

    async def pages() -> tuple[Any, ...]:
        lan_ws = await connect(case.base, hers, lan)
        minh_ws = await connect(case.base, his, minh)
        before = await ask(lan_ws)
        done = bw("--db", case.store.url, "users", "deactivate", "Lan Nguyen")
        after = await ask(lan_ws)
        others = await ask(minh_ws)  # his page goes on
        minh_ws.close()
        return before, done, after, lan_ws.close_code, others

    before, done, after, close_code, others = asyncio.run(pages())
    assert before is not None and before["content"]["status"] == "ok"
    assert done.exit_code == 0, done.stderr
    assert after is None and close_code == SIGNED_OUT  # her page's next click is refused
    assert others is not None and others["content"]["status"] == "ok"
    for path, content in (*case.files, ("/password", b"")):
        status, headers, body = call(case.base, "GET", path, cookie=lan)
        assert status == 302 and headers["Location"].startswith("/login"), path
        assert not content or content not in body
    assert call(case.base, "GET", f"/api/kernels/{hers}", cookie=lan)[0] == 403
    assert sign_in_status(case.base, "Lan Nguyen") == 401
    assert settles(case.pid, 1) == 1  # her page's kernel stopped; his runs
    bw("--db", case.store.url, "users", "activate", "Lan Nguyen")
    assert call(case.base, "GET", "/password", cookie=lan)[0] == 302  # that session stays ended
    assert sign_in_status(case.base, "Lan Nguyen") == 302


def _token(cookie: str) -> str:
    return next(c.split("=", 1)[1] for c in cookie.split("; ") if c.startswith(COOKIE_NAME))


def test_a_page_of_an_ended_session_stops_alone(case: Served) -> None:
    # Minh changed his password on his phone (his laptop's session ended, the phone's kept):
    # the laptop page's next click stops that page, not the one he works in on his phone
    laptop, phone = session(case.base, "Minh Tran"), session(case.base, "Minh Tran")
    on_laptop, on_phone = open_page(case.base, laptop), open_page(case.base, phone)
    running = kernels(case.pid)

    async def pages() -> tuple[Any, ...]:
        laptop_ws = await connect(case.base, on_laptop, laptop)
        phone_ws = await connect(case.base, on_phone, phone)
        case.store.end_session(token_hash(_token(laptop)))
        stale = await ask(laptop_ws)
        await asyncio.sleep(1)  # what the stale page set going has had time to stop
        working = await ask(phone_ws)
        phone_ws.close()
        return stale, laptop_ws.close_code, working

    stale, close_code, working = asyncio.run(pages())
    assert stale is None and close_code == SIGNED_OUT
    assert working is not None and working["content"]["status"] == "ok"
    assert settles(case.pid, running - 1) == running - 1  # the laptop's page alone stopped
    assert call(case.base, "GET", f"/api/kernels/{on_phone}", cookie=phone)[0] == 200


def test_activating_someone_already_active_signs_nobody_out(case: Served) -> None:
    minh = session(case.base, "Minh Tran")
    done = bw("--db", case.store.url, "users", "activate", "Minh Tran")
    assert done.exit_code == 0 and "already active" in done.output
    assert call(case.base, "GET", "/password", cookie=minh)[0] == 200


@needs_chromium
@pytest.mark.browser
def test_her_open_page_says_it_can_no_longer_save(case: Served) -> None:
    with chromium_page() as page:
        sign_in(page, case.base, "Hoa Le", PASSWORD)
        page.goto(f"{case.base}{PAGE.lstrip('/')}", timeout=APP_TIMEOUT_MS)
        search = page.get_by_placeholder("Factory name or ID")
        search.wait_for(timeout=APP_TIMEOUT_MS)
        done = bw("--db", case.store.url, "users", "deactivate", "Hoa Le")
        assert done.exit_code == 0, done.stderr
        search.fill("VN")  # her next keystroke reaches the server, not her kernel
        lost = page.get_by_text("The connection to the server is lost")
        lost.wait_for(timeout=60_000)
        page.reload()
        assert "/login" in page.url
    bw("--db", case.store.url, "users", "activate", "Hoa Le")
