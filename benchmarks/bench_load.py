"""Load on one `bwcases serve` server shared by a country team: save and page-open latency,
kernels and memory, with N advisors at once.

    .venv/bin/python benchmarks/bench_load.py [--advisors 1,10,20,40] [--minutes 2]
        [--interval 10] [--ramp 20] [--grace-minutes 0.5] [--portfolio 20] [--factories 2000]
        [--store-url URL] [--keep DIR]
    .venv/bin/python benchmarks/bench_load.py --quick     # smoke run: 1 and 5 advisors, 30 s

For each N (the first, 1 by default, is the baseline, measured in the same run) a fresh server
on localhost serves a demo store: an SQLite file, or --store-url (e.g. a PostgreSQL database),
filled with a demo portfolio when empty; the script adds users "Load Advisor NN" and makes
each the advisor of --portfolio factories. One page is opened and closed before anything is
timed (the server's first rendering). Then N advisors arrive over --ramp seconds and do what
the Improvement Plan page does in a browser: sign in with the login form, open
`voila/render/improvement_plan.ipynb?factory=<id>`, connect to the page's kernel websocket
(the page's subprotocol and cookies), read every widget's state in one request (the
`jupyter.widget.control` comm, as @jupyter-widgets/base-manager does; per widget when that does
not answer in 4 s), choose an open plan item in "Work on", then every ~--interval seconds
(jittered) type a new Notes text and click Save, timing the click -> the form's message says
"Saved" (a "bw-error" message, or none within 30 s, is a failed action). Widgets are found by
the classes the apps give them (bw-work-on, bw-notes, bw-save, bw-form-message), else by their
descriptions and places. Each advisor works --minutes from the moment her page is ready; then
every page's connection drops at once, as browsers that die (no close frame, no page-leave
request), and the server is watched until its --kernel-grace (short here) has stopped them.

Prints, per N beside the baseline: save latency p50/p95 and their ratio to the baseline,
page-open latency (GET page -> widget state loaded) p50/p95, failed actions, kernels alive (the
server's child processes), the machine's load, and memory: RSS of the server and all its
children with the preheated pool alone, at peak, per open page ((peak - pool) / N), after the
advisors leave and after the grace period (whether it is back to the pool's).
Targets: 20 concurrent advisors, p95 save <= 1 s, 0 failed actions.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import statistics
import struct
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from bwcases.auth.accounts import add_user
from bwcases.core.domain import ItemSource, Status
from bwcases.io.demo import fill_demo
from bwcases.store import Store
from bwcases.web.limits import APPS, Limits
from bwcases.web.serve import POOL_SIZE, start_server, stop_server

PASSWORD = "benchmark-password"
ADVISOR = "Load Advisor {:02d}"
ACTOR = "bench-load"
PAGE = "voila/render/improvement_plan.ipynb"
POOL = len(APPS) * POOL_SIZE  # preheated kernels the server keeps ready
SAVE_TIMEOUT = 30.0  # seconds after a click with no "Saved": a failed action
OPEN_TIMEOUT = 180.0  # seconds for a page (HTTP and widget state) before it counts as failed
STATES_TIMEOUT = 4.0  # the page's wait for all states in one reply (CONTROL_COMM_TIMEOUT)
WS_PROTOCOL = "v1.kernel.websocket.jupyter.org"  # what @jupyterlab/services asks for first
WIDGET_TARGET, CONTROL_TARGET = "jupyter.widget", "jupyter.widget.control"
TARGET_ADVISORS, TARGET_P95 = 20, 1.0
MB = 1024 * 1024
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


# -- the server's processes, from /proc ---------------------------------------------------------


def _processes() -> dict[int, tuple[int, float]]:
    """Every process's parent and CPU time so far (seconds)."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            out[int(stat.parent.name)] = (
                int(fields[1]),
                (int(fields[11]) + int(fields[12])) / TICK,
            )
        except (OSError, IndexError, ValueError):
            continue
    return out


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return 0  # gone meanwhile


def server_usage(pid: int) -> tuple[int, int, float]:
    """Kernels (the server's child processes), and RSS (bytes) and CPU time (s) of the server
    and all below it."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for child, (parent, _cpu) in processes.items():
        children.setdefault(parent, []).append(child)
    family, todo = [], [pid]
    while todo:
        family.append(todo.pop())
        todo.extend(children.get(family[-1], []))
    cpu = sum(processes[p][1] for p in family if p in processes)
    return len(children.get(pid, [])), sum(_rss(p) for p in family), cpu


@dataclass
class Usage:
    """Kernels and memory seen while the advisors work."""

    pid: int
    kernels_max: int = 0
    rss_max: int = 0
    load: float = 0.0  # the machine's 1-minute load average, at most

    async def watch(self, every: float = 1.0) -> None:
        while True:
            kernels, rss, _cpu = server_usage(self.pid)
            self.kernels_max = max(self.kernels_max, kernels)
            self.rss_max = max(self.rss_max, rss)
            self.load = max(self.load, os.getloadavg()[0])
            await asyncio.sleep(every)


def settled(pid: int, kernels: int, timeout: float) -> tuple[int, int, float]:
    """Wait until the server runs `kernels` kernels and rests (a preheated kernel is ready:
    no CPU used and memory steady for 3 s); (kernels, RSS, seconds waited)."""
    start = time.monotonic()
    seen: list[tuple[int, float]] = []
    while True:
        count, rss, cpu = server_usage(pid)
        seen = [*seen[-3:], (rss, cpu)] if count == kernels else []
        steady = len(seen) == 4 and (
            max(r for r, _ in seen) - min(r for r, _ in seen) < 0.01 * rss
            and seen[-1][1] - seen[0][1] < 0.1 * 3  # under a tenth of a core
        )
        if steady or time.monotonic() - start > timeout:
            return count, rss, time.monotonic() - start
        time.sleep(1)


# -- a browser page as a script plays it ---------------------------------------------------------


@dataclass
class Browser:
    """An advisor's browser: her cookies, and HTTP requests to the server."""

    base: str  # http://127.0.0.1:PORT/
    jar: dict[str, str] = field(default_factory=dict)

    async def fetch(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        """GET, or POST a form (with the _xsrf field); (status, body)."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.jar.items())}
        body = None
        if form is not None:
            body = urlencode({"_xsrf": self.jar.get("_xsrf", ""), **form})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = HTTPRequest(
            self.base + path,
            method="POST" if form is not None else "GET",
            headers=headers,
            body=body,
            follow_redirects=False,
            request_timeout=OPEN_TIMEOUT,
            decompress_response=True,
        )
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except HTTPClientError as exc:  # a time-out
            return exc.code, ""
        for value in response.headers.get_list("Set-Cookie"):
            for name, morsel in SimpleCookie(value).items():
                self.jar[name] = morsel.value
        return response.code, response.body.decode("utf-8", "replace")

    async def sign_in(self, name: str) -> None:
        """Sign in through the login form (its _xsrf cookie and field)."""
        await self.fetch("login")
        status, _ = await self.fetch("login", {"username": name, "password": PASSWORD})
        if status != 302:
            raise RuntimeError(f"{name} could not sign in: HTTP {status}")


def _v1_message(channel: str, parts: list[bytes]) -> bytes:
    """A kernel message in the websocket protocol v1 (jupyter_server's serialize_msg_to_ws_v1)."""
    head = channel.encode()
    offsets = [8 * (1 + 1 + len(parts) + 1)]
    offsets.append(offsets[-1] + len(head))
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    return b"".join(
        [struct.pack("<Q", len(offsets)), *(struct.pack("<Q", o) for o in offsets), head, *parts]
    )


def _v1_parts(data: bytes) -> tuple[str, list[bytes]]:
    count = struct.unpack_from("<Q", data)[0]
    offsets = list(struct.unpack_from(f"<{count}Q", data, 8))
    parts = [data[a:b] for a, b in zip(offsets, offsets[1:], strict=False)]
    return parts[0].decode(), parts[1:]


class PageKernel:
    """The page's connection to its kernel: messages out, widget states kept up to date."""

    def __init__(self, ws: WebSocketClientConnection, session: str) -> None:
        self.ws = ws
        self.session = session
        self.states: dict[str, dict[str, Any]] = {}  # widget id -> state
        self.changes: dict[str, int] = {}  # widget id -> updates received
        self.idle: set[str] = set()  # requests the kernel has finished
        self.replies: dict[str, dict[str, Any]] = {}  # request -> reply content
        self.bulk: dict[str, Any] | None = None  # update_states
        self.closed = False
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, browser: Browser, kernel_id: str) -> PageKernel:
        """Open the kernel's channels as @jupyterlab/services does in the page."""
        session = str(uuid.uuid4())
        url = browser.base.replace("http", "ws", 1)
        url += f"api/kernels/{kernel_id}/channels?session_id={session}"
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in browser.jar.items()),
            "Origin": browser.base.rstrip("/"),
        }
        ws = await websocket_connect(
            HTTPRequest(url, headers=headers, request_timeout=OPEN_TIMEOUT),
            subprotocols=[WS_PROTOCOL],
            compression_options={},  # permessage-deflate, as browsers offer it
            max_message_size=64 * MB,
        )
        kernel = cls(ws, session)
        await kernel.request("kernel_info_request", {})  # the page asks first, then the rest
        return kernel

    def send(self, msg_type: str, content: dict[str, Any], **metadata: Any) -> str:
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "username": "",
            "session": self.session,
            "date": dt.datetime.now(dt.UTC).isoformat(),
            "version": "5.2",
        }
        parts = [header, {}, metadata, content]
        data = _v1_message("shell", [json.dumps(p).encode() for p in parts])
        self.ws.write_message(data, binary=True)
        return msg_id

    async def request(self, msg_type: str, content: dict[str, Any]) -> dict[str, Any]:
        msg_id = self.send(msg_type, content)
        if not await self.until(lambda: msg_id in self.replies, OPEN_TIMEOUT):
            raise RuntimeError(f"no reply to {msg_type}")
        return self.replies.pop(msg_id)

    async def until(self, done: Callable[[], bool], timeout: float) -> bool:
        """Wait until done() (checked at every message), the connection ends or time is up."""
        if done():
            return True
        future = asyncio.get_running_loop().create_future()
        waiter = (done, future)
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            pass
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
        return done()

    async def _read(self) -> None:
        while (data := await self.ws.read_message()) is not None:
            if isinstance(data, bytes):
                _channel, parts = _v1_parts(data)
                header, parent, _meta, content = (json.loads(p) for p in parts[:4])
                self._take(header["msg_type"], parent.get("msg_id", ""), content)
            self._wake()
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        for done, future in self._waiters:
            if not future.done() and (self.closed or done()):
                future.set_result(None)

    def _take(self, kind: str, parent: str, content: dict[str, Any]) -> None:
        if kind == "status" and content.get("execution_state") == "idle":
            self.idle.add(parent)
        elif kind.endswith("_reply"):
            self.replies[parent] = content
        elif kind == "comm_open" and content.get("target_name") == WIDGET_TARGET:
            self._update(content["comm_id"], content.get("data", {}).get("state", {}))
        elif kind == "comm_msg":
            data = content.get("data", {})
            if data.get("method") == "update_states":
                self.bulk = data
            elif data.get("method") in ("update", "echo_update"):
                self._update(content["comm_id"], data.get("state", {}))
        elif kind == "comm_close":
            self.states.pop(content.get("comm_id", ""), None)

    def _update(self, widget: str, state: dict[str, Any]) -> None:
        self.states.setdefault(widget, {}).update(state)
        self.changes[widget] = self.changes.get(widget, 0) + 1

    async def load_widgets(self) -> None:
        """Every widget's state: in one request, else one request per widget (older kernels,
        or a kernel too busy to answer within the page's 4 s)."""
        control = uuid.uuid4().hex
        self.send(
            "comm_open",
            {"comm_id": control, "target_name": CONTROL_TARGET, "data": {}},
            version="1.0.0",
        )
        self.send("comm_msg", {"comm_id": control, "data": {"method": "request_states"}})
        if await self.until(lambda: self.bulk is not None, STATES_TIMEOUT):
            assert self.bulk is not None
            for widget, held in self.bulk["states"].items():
                self.states.setdefault(widget, {}).update(held["state"])
        else:
            info = await self.request("comm_info_request", {"target_name": WIDGET_TARGET})
            comms = list(info.get("comms", {}))
            for comm in comms:
                self.send("comm_msg", {"comm_id": comm, "data": {"method": "request_state"}})
            if not await self.until(
                lambda: all("_model_name" in self.states.get(c, {}) for c in comms), OPEN_TIMEOUT
            ):
                raise RuntimeError("the widgets' states did not arrive")
        self.send("comm_close", {"comm_id": control, "data": {}})

    def update(self, widget: str, **state: Any) -> str:
        """What a widget's view sends when a person changes it."""
        content = {"method": "update", "state": state, "buffer_paths": []}
        return self.send("comm_msg", {"comm_id": widget, "data": content})

    def click(self, button: str) -> str:
        content = {"method": "custom", "content": {"event": "click"}}
        return self.send("comm_msg", {"comm_id": button, "data": content})

    def drop(self) -> None:
        """End the connection as a browser that dies: no close frame, no page-leave request."""
        stream = getattr(self.ws.protocol, "stream", None)
        if stream is not None:
            stream.close()
        self._reader.cancel()


# -- the Improvement Plan's form, found by what it shows -----------------------------------------


def _text(state: dict[str, Any]) -> str:
    return " ".join(str(state.get("description") or "").split())


def in_page_order(states: dict[str, dict[str, Any]], root: str) -> list[str]:
    """Widget ids from the page's root down, in the order the page draws them."""
    out, todo, seen = [], [root], set()
    while todo:
        widget = todo.pop(0)
        if widget in seen or widget not in states:
            continue
        seen.add(widget)
        out.append(widget)
        kids = [str(c).removeprefix("IPY_MODEL_") for c in states[widget].get("children") or []]
        todo[:0] = kids  # depth first: a box's children before its next sibling
    return out


@dataclass(frozen=True)
class PlanForm:
    """The widgets an advisor uses: the chooser, the Notes field, Save and the form's message."""

    work_on: str
    notes: str
    save: str
    message: str

    @classmethod
    def find(cls, states: dict[str, dict[str, Any]], root: str) -> PlanForm:
        """By the classes the apps give them, else by their descriptions and places."""
        order = in_page_order(states, root)

        def first(css: str, model: str, label: Callable[[str], bool], after: int = 0) -> int:
            for i, w in enumerate(order):
                if css in (states[w].get("_dom_classes") or []):
                    return i
            for i, w in enumerate(order[after:], after):
                if states[w].get("_model_name") == model and label(_text(states[w]).casefold()):
                    return i
            raise LookupError(f"no {model} .{css} on the page")

        work_on = first("bw-work-on", "DropdownModel", lambda t: t.startswith("work on"))
        notes = first("bw-notes", "TextareaModel", lambda t: t.startswith("notes"))
        save = first(
            "bw-save", "ButtonModel", lambda t: t.startswith("sav") and t != "saved", notes
        )
        for i, w in enumerate(order):
            if "bw-form-message" in (states[w].get("_dom_classes") or []):
                message = i
                break
        else:  # the HTML shown last before the Save button: the form's message
            before = [i for i in range(save) if states[order[i]].get("_model_name") == "HTMLModel"]
            if not before:
                raise LookupError("no message near the Save button")
            message = before[-1]
        return cls(order[work_on], order[notes], order[save], order[message])


def open_item(labels: list[str]) -> int | None:
    """The chooser's option for a plan item still open (planned: Pending or In Progress)."""
    planned = [i for i, label in enumerate(labels) if i and "planned" in label.casefold()]
    items = [
        i for i, label in enumerate(labels) if i and label.lstrip("\u2066\u2067").startswith("#")
    ]
    for i in planned + items:
        if Status.COMPLETED.value.casefold() not in labels[i].casefold():
            return i
    return None


def page_says(html: str) -> str:
    """What a page without widgets shows instead: its cells' outputs, as text."""
    said = []
    for found in re.finditer(r'cell-output\+json">(.*?)</script>', html, re.S):
        output = json.loads(found[1])
        text = output.get("text") or output.get("evalue") or output.get("data", {})
        said.append(" ".join(str(text).split())[:200])
    return "; ".join(said) or "no output"


def outcome(message: str) -> str | None:
    """What the form's message says: 'saved', 'error', or nothing yet."""
    if "bw-error" in message:
        return "error"
    if "bw-success" in message or "Saved" in message:
        return "saved"
    return None


# -- one advisor -------------------------------------------------------------------------------


@dataclass
class Advisor:
    """One person of the team: sign in, open her factory's plan, save notes now and then."""

    name: str
    factory_id: str
    base: str
    opens: list[float] = field(default_factory=list)
    saves: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    browser: Browser | None = None
    kernel: PageKernel | None = None
    kernel_id: str = ""
    page: str = ""  # a page that came without its widgets, kept to be read

    async def work(self, arrive: float, minutes: float, interval: float) -> None:
        await asyncio.sleep(arrive)
        try:
            form = await self.open_page()
        except Exception as exc:  # the page never became usable: one failed action
            self.failures.append(f"{self.name}: page: {exc or type(exc).__name__}")
            return
        end = time.monotonic() + minutes * 60
        await asyncio.sleep(random.uniform(0, interval))  # people do not save in step
        count = 0
        while time.monotonic() < end and not self.kernel_gone():
            count += 1
            try:
                await self.save(form, count)
            except Exception as exc:  # the connection broke while sending
                self.failures.append(f"{self.name}: save {count}: {exc!r}")
                break
            await asyncio.sleep(interval * random.uniform(0.5, 1.5))
        if self.kernel_gone():
            self.failures.append(f"{self.name}: the page lost its kernel's connection")

    def kernel_gone(self) -> bool:
        return self.kernel is None or self.kernel.closed

    async def leave(self) -> None:
        """Close the page as a browser does: the page-leave request stops its kernel."""
        if self.browser and self.kernel_id:
            await self.browser.fetch(f"voila/api/shutdown/{self.kernel_id}", {})
        if self.kernel is not None:
            self.kernel.ws.close()

    async def open_page(self) -> PlanForm:
        """Sign in, open the page and load its widgets (timed), choose an open item."""
        browser = self.browser = Browser(self.base)
        await browser.sign_in(self.name)
        start = time.perf_counter()
        query = urlencode({"factory": self.factory_id, "lang": "en"})
        status, html = await browser.fetch(f"{PAGE}?{query}")
        if status != 200:
            raise RuntimeError(f"HTTP {status}")
        kernel_id = re.search(r'"kernelId": "([^"]+)"', html)
        root = re.search(r'widget-view\+json": \{"model_id": "([0-9a-f]+)"', html)
        if not (kernel_id and root):
            self.page = html
            raise RuntimeError(f"the page names no kernel or no widget: {page_says(html)}")
        self.kernel_id = kernel_id[1]
        self.kernel = kernel = await PageKernel.connect(browser, kernel_id[1])
        await kernel.load_widgets()
        self.opens.append(time.perf_counter() - start)
        form = PlanForm.find(kernel.states, root[1])
        choice = open_item(list(kernel.states[form.work_on].get("_options_labels") or []))
        if choice is None:
            raise RuntimeError(f"no open plan item to work on in {self.factory_id}")
        chosen = kernel.update(form.work_on, index=choice)
        if not await kernel.until(lambda: chosen in kernel.idle, OPEN_TIMEOUT):
            raise RuntimeError("choosing an item got no answer")
        return form

    async def save(self, form: PlanForm, count: int) -> None:
        """Type a new Notes text and click Save; time the click -> "Saved"."""
        kernel = self.kernel
        assert kernel is not None
        kernel.update(form.notes, value=f"{self.name}: note {count}, {dt.datetime.now():%H:%M:%S}")
        seen = kernel.changes.get(form.message, 0)

        def said() -> str | None:
            if kernel.changes.get(form.message, 0) == seen:
                return None  # the message from before the click
            return outcome(str(kernel.states[form.message].get("value") or ""))

        start = time.perf_counter()
        kernel.click(form.save)
        await kernel.until(lambda: said() is not None, SAVE_TIMEOUT)
        took = time.perf_counter() - start
        if said() == "saved":
            self.saves.append(took)
        else:
            message = re.sub(r"<[^>]+>", "", str(kernel.states[form.message].get("value")))
            what = f"says {message[:120]!r}" if said() else f"no message in {SAVE_TIMEOUT:.0f} s"
            self.failures.append(f"{self.name}: save {count}: {what}")


# -- one run: N advisors on a fresh server --------------------------------------------------------


@dataclass
class Run:
    """The figures of one run: N advisors on a fresh server."""

    advisors: int
    opens: list[float]
    saves: list[float]
    failures: list[str]
    pool_kernels: int
    pool_rss: int
    kernels_max: int
    peak_rss: int
    left_kernels: int
    left_rss: int
    grace_kernels: int
    grace_rss: int
    grace_wait: float
    load: float
    pages: list[str]  # pages that came without their widgets

    @property
    def actions(self) -> int:
        return len(self.saves) + len(self.failures) + len(self.opens)

    @property
    def per_page(self) -> float:
        return (self.peak_rss - self.pool_rss) / self.advisors

    @property
    def back_to_pool(self) -> bool:
        """The pages' kernels stopped, and what is left above the pool is less than a page."""
        return self.grace_kernels <= self.pool_kernels and (
            self.grace_rss - self.pool_rss < max(self.per_page, 0)
        )


async def warm_up(name: str, factory_id: str, base: str) -> None:
    """One page opened and closed before anything is timed (the server's first rendering)."""
    first = Advisor(name, factory_id, base)
    await first.open_page()
    await first.leave()


async def drive(
    team: list[tuple[str, str]], base: str, pid: int, args: argparse.Namespace
) -> tuple[list[Advisor], Usage, tuple[int, int]]:
    """The team at work, then gone at once; (advisors, what the server used, (kernels, RSS)
    5 s after they left)."""
    AsyncHTTPClient.configure(None, max_clients=len(team) + 10)
    usage = Usage(pid)
    watcher = asyncio.ensure_future(usage.watch())
    advisors = [Advisor(name, factory, base) for name, factory in team]
    ramp = min(args.ramp, args.minutes * 60) if len(team) > 1 else 0
    await asyncio.gather(
        *(a.work(ramp * i / len(team), args.minutes, args.interval) for i, a in enumerate(advisors))
    )
    watcher.cancel()
    for advisor in advisors:  # every browser dies at once
        if advisor.kernel is not None:
            advisor.kernel.drop()
    await asyncio.sleep(5)
    kernels, rss, _cpu = server_usage(pid)
    return advisors, usage, (kernels, rss)


def run(store_url: str, team: list[tuple[str, str]], work: Path, args: argparse.Namespace) -> Run:
    """N advisors against a fresh server, until its grace period has stopped their kernels."""
    n = len(team)
    limits = Limits(kernel_grace=args.grace_minutes)
    with (work / f"voila-{n}.log").open("wb") as log:
        proc, url = start_server(store_url, log=log, limits=limits, timeout=120)
        try:
            base = url.split("/voila/", 1)[0] + "/"
            settled(proc.pid, POOL, timeout=180)
            asyncio.run(warm_up(*team[0], base))
            pool_kernels, pool_rss, _ = settled(proc.pid, POOL, timeout=180)
            advisors, usage, (left_kernels, left_rss) = asyncio.run(
                drive(team, base, proc.pid, args)
            )
            grace_kernels, grace_rss, waited = settled(
                proc.pid, pool_kernels, timeout=args.grace_minutes * 60 * 2 + 120
            )
        finally:
            stop_server(proc)
    result = Run(
        advisors=n,
        opens=[t for a in advisors for t in a.opens],
        saves=[t for a in advisors for t in a.saves],
        failures=[f for a in advisors for f in a.failures],
        pages=[a.page for a in advisors if a.page],
        pool_kernels=pool_kernels,
        pool_rss=pool_rss,
        kernels_max=usage.kernels_max,
        peak_rss=max(usage.rss_max, left_rss),
        left_kernels=left_kernels,
        left_rss=left_rss,
        grace_kernels=grace_kernels,
        grace_rss=grace_rss,
        grace_wait=waited + 5,
        load=usage.load,
    )
    if result.pages:
        kept = work / f"page-without-widgets-{n}.html"
        kept.write_text(result.pages[0], encoding="utf-8")
        print(f"({len(result.pages)} pages came without their widgets: one is {kept})", end=" ")
    return result


# -- the store and the team -----------------------------------------------------------------------


def team_store(
    store: Store, advisors: int, portfolio: int, factories: int
) -> list[tuple[str, str]]:
    """Advisors who can sign in, each with a portfolio, and the factory whose plan she opens
    (one with an open item on its latest assessment)."""
    if store.factories_frame().empty:
        print(fill_demo(store, factories=factories, seed=1), flush=True)
    register = store.factories_frame()
    active = register.loc[register["status"] == "active", "factory_id"].astype(str).tolist()
    latest = store.assessments_frame().groupby("factory_id")["quest_id"].max()
    items = store.plan_items_frame()
    open_ = items[
        (items["status"] != Status.COMPLETED.value)
        & (items["source"] == ItemSource.FINDING.value)
        & (items["quest_id"] == items["factory_id"].map(latest))
    ]
    ready = sorted(set(open_["factory_id"].astype(str)) & set(active))
    if len(ready) < advisors:
        raise SystemExit(f"only {len(ready)} factories have an open plan item: fewer advisors")
    pages = ready[:advisors]
    rest = [f for f in active if f not in set(pages)]
    team, records = [], []
    for i, page in enumerate(pages):
        name = ADVISOR.format(i + 1)
        others = rest[i * (portfolio - 1) : (i + 1) * (portfolio - 1)]
        records += [{"factory_id": f, "advisor": name} for f in [page, *others]]
        add_user(store, name, role="advisor", password=PASSWORD, actor=ACTOR, replace=True)
        team.append((name, page))
    store.update_factories(records, actor=ACTOR)
    return team


# -- the report ---------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def report(runs: list[Run], args: argparse.Namespace, backend: str) -> None:
    base = runs[0]
    b50, b95 = pct(base.saves, 0.5), pct(base.saves, 0.95)
    print(
        f"\nOne server, {backend} store; Improvement Plan; each advisor saves every ~"
        f"{args.interval:g} s for {args.minutes:g} min from her page's opening; advisors arrive"
        f" over {args.ramp:g} s; kernel grace {args.grace_minutes:g} min. Baseline: "
        f"{base.advisors} advisor(s), same run.\n"
    )
    print(
        f"{'advisors':>8} {'saves':>6} {'save p50':>9} {'p95':>7} {'x base':>10} "
        f"{'open p50':>9} {'p95':>7} {'failed':>9} {'kernels':>8} {'load':>5}"
    )
    for r in runs:
        p50, p95 = pct(r.saves, 0.5), pct(r.saves, 0.95)
        print(
            f"{r.advisors:>8} {len(r.saves):>6} {p50:>8.2f}s {p95:>6.2f}s "
            f"{p50 / b50:>4.1f}/{p95 / b95:<4.1f} {pct(r.opens, 0.5):>9.2f}s "
            f"{pct(r.opens, 0.95):>6.2f}s {len(r.failures):>4}/{r.actions:<4} {r.kernels_max:>8}"
            f" {r.load:>5.1f}"
        )
    print(
        "(x base: p50/p95 over the baseline's; open: GET page -> widget state loaded; failed: of"
        " page opens and saves; kernels: most alive at once, the pool's included; load: the"
        f" machine's 1-minute load average, highest during the run, on {os.cpu_count()} cores)"
    )
    print(
        f"\nmemory, MB: RSS of the server and its children\n{'advisors':>8} {'pool':>6} "
        f"{'peak':>6} {'per page':>9} {'left':>12} {'after grace':>18}"
    )
    for r in runs:
        back = "back to the pool" if r.back_to_pool else "NOT back to the pool"
        print(
            f"{r.advisors:>8} {r.pool_rss / MB:>6.0f} {r.peak_rss / MB:>6.0f} "
            f"{r.per_page / MB:>9.0f} {r.left_rss / MB:>6.0f} ({r.left_kernels:>2} k) "
            f"{r.grace_rss / MB:>6.0f} ({r.grace_kernels:>2} k, {r.grace_wait:>3.0f} s): "
            f"{back}, {(r.grace_rss - r.pool_rss) / MB:+.0f}"
        )
    print(
        f"(pool: the {POOL} preheated kernels alone, before the advisors; per page: (peak - pool)"
        " / advisors; left: 5 s after every page's connection dropped; k: kernels; after grace:"
        " once the pages' kernels were stopped, and how long that took)"
    )
    for r in runs:
        for failure in r.failures[:5]:
            print(f"failed ({r.advisors} advisors): {failure}")
    met = [r.advisors for r in runs if pct(r.saves, 0.95) <= TARGET_P95 and not r.failures]
    if not any(r.advisors >= TARGET_ADVISORS for r in runs):
        verdict = "not run (see --advisors)"
    else:
        verdict = "met" if max(met, default=0) >= TARGET_ADVISORS else "missed"
    print(
        f"\ntargets: {TARGET_ADVISORS} concurrent advisors with p95 save <= {TARGET_P95:g} s and"
        f" 0 failed actions: {verdict} (both held with {', '.join(map(str, met)) or 'no'} advisors)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--advisors", default="1,10,20,40", help="comma-separated; first: baseline")
    parser.add_argument("--minutes", type=float, default=2.0, help="each advisor's work per run")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between saves")
    parser.add_argument("--ramp", type=float, default=20.0, help="seconds over which they arrive")
    parser.add_argument("--grace-minutes", type=float, default=0.5, help="serve --kernel-grace")
    parser.add_argument("--portfolio", type=int, default=20, help="factories per advisor")
    parser.add_argument("--factories", type=int, default=2000, help="demo portfolio when empty")
    parser.add_argument("--store-url", help="SQLAlchemy URL (default: an SQLite file in --keep)")
    parser.add_argument("--keep", type=Path, help="keep the store and servers' logs here")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 and 5 advisors, 30 s")
    args = parser.parse_args()
    if args.quick:
        args.advisors, args.minutes, args.ramp = "1,5", 0.5, 5.0
    counts = [int(n) for n in args.advisors.split(",")]
    work = args.keep or Path(tempfile.mkdtemp(prefix="bwcases-bench-load-"))
    work.mkdir(parents=True, exist_ok=True)
    store = Store(args.store_url or f"sqlite:///{work / 'cases.sqlite'}")
    team = team_store(store, max(counts), args.portfolio, args.factories)
    backend = store.url.split(":", 1)[0].split("+", 1)[0]
    store_url = store.url
    store.dispose()
    runs = []
    for n in counts:
        print(f"{n} advisor(s)...", end=" ", flush=True)
        began = time.monotonic()
        runs.append(run(store_url, team[:n], work, args))
        print(f"{time.monotonic() - began:.0f} s", flush=True)
    report(runs, args, backend)
    if not args.keep:
        print(f"(store and logs in {work}; pass --keep DIR to choose where)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
