"""A headless Chromium kept running to print PDFs, driven through Playwright.

Starting Chromium costs more than printing a 30-page brief with it (0.75 s against 0.4 s on two
cores), so a process starts it once, ahead of its first PDF where it knows one is coming (a brief,
a batch with PDFs), and prints every PDF on it. Playwright's objects belong to the thread that
made them: one thread of the printer's own (`JobThread`) does all the driving, and callers hand
it jobs.

Prints go to one page, kept open in a browser context with scripts off: a new context for every
print cost more than the print itself (12 factory reports printed: 6 s against 2.1 s), and two
or more prints at once on one Chromium were no faster than one after the other. The page is
answered from memory at an address of its own, and every other request, of any page, is refused.
With scripts off and nothing fetched, a print leaves nothing the next could read; the page is
made anew after a crash, after a failed print, and every `PAGE_PRINTS` prints.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import signal
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from bwcases.core import procs
from bwcases.core.errors import BwcasesError
from bwcases.core.jobs import JobThread

PAGE_URL = "https://print.bwcases.invalid/"  # answered by the printer, asked of no network
PAGE_PRINTS = 200  # prints on one page before a new one: what a renderer keeps stays bounded


class Printer:
    """One Chromium and the thread that drives it; `print` from any thread."""

    def __init__(self, exe: str, flags: tuple[str, ...], timeout_s: float) -> None:
        self.exe, self.flags, self.timeout_s = exe, flags, timeout_s
        self._playwright: Any = None
        self._browser: Any = None
        self._driver: set[int] = set()  # Playwright's driver process, Chromium's parent
        self._page: Any = None  # the page every print goes to, in a context of its own
        self._html = ""  # what the page is answered with, for the print under way
        self._prints = 0  # prints on the page
        self.broken = False  # killed (a launch or print that failed): a new printer takes over
        self._jobs = JobThread("bwcases-printer")
        self._launching = self._jobs.submit(self._launch)  # started now, told at the first print

    def print(self, html: str, path: Path) -> None:
        """Write `html` as a PDF at `path`; refused with what Chromium said, or after the
        timeout (Chromium and its helpers then stopped)."""
        try:  # a launch has a timeout of its own, and stops what it started when it fails
            self._launching.result(timeout=self.timeout_s + 30)
            data = self._jobs.submit(self._print, html).result(timeout=self.timeout_s)
        except FutureTimeout:
            self.kill()
            raise BwcasesError(self._timed_out()) from None
        except Exception as exc:
            raise BwcasesError(self._said(str(exc))) from None
        path.write_bytes(data)

    def close(self) -> None:
        """Stop Chromium and the thread, once the jobs handed over are done."""
        self._jobs.submit(self._stop)
        if not self._jobs.stop(timeout=0 if self.broken else 10):
            self.kill()

    def kill(self) -> None:
        """Stop Chromium, its helpers and Playwright's driver at once, from any thread; they are
        gone when it returns."""
        self.broken = True
        killed = _descendants(self._driver)
        groups = set(killed.values()) - {os.getpgrp()}  # Chromium leads a group of its own
        for pid in killed:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for group in groups:  # with the helpers it started meanwhile
            with contextlib.suppress(OSError):
                os.killpg(group, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(
            procs.running(pid)
            for pid, (_, group) in procs.processes().items()
            if pid in killed or group in groups
        ):
            time.sleep(0.01)

    def _timed_out(self) -> str:
        return f"Chromium ({self.exe}) printed no PDF in {self.timeout_s:g} s"

    def _said(self, message: str) -> str:
        """Playwright's report of a Chromium that did not start or print, as one line: its exit
        status and the last line it wrote."""
        if re.search(r"Timeout \d+ms exceeded", message):
            return self._timed_out()
        status = re.search(r"exitCode=(-?\d+)", message)
        written = re.findall(r"\[pid=\d+\]\[err\] (.*)", message)
        last = written[-1].strip() if written else message.strip().splitlines()[0]
        if status is None:  # a print that failed, Chromium still running
            return f"Chromium ({self.exe}) printed no PDF: {last}"
        return f"Chromium ({self.exe}) printed no PDF (exit status {status.group(1)}): {last}"

    def _stop(self) -> None:
        with contextlib.suppress(Exception):  # a browser killed already
            if self._playwright is not None:
                self._playwright.stop()

    def _launch(self) -> None:
        from playwright.sync_api import sync_playwright

        if self._browser is not None and self._browser.is_connected():
            return
        try:
            if self._playwright is None:
                before = _drivers()
                self._playwright = sync_playwright().start()
                self._driver = _drivers() - before
            self._page = None  # of a browser gone
            self._browser = self._playwright.chromium.launch(
                executable_path=self.exe,
                args=list(self.flags),
                timeout=self.timeout_s * 1000,
                handle_sigint=False,  # Ctrl-C is the command's to handle; it stops the printer
                handle_sigterm=False,
                handle_sighup=False,
            )
            self._new_page()  # ready for the first print too
        except BaseException:
            self.kill()  # a launch that timed out leaves Chromium running: this printer is done
            raise

    def _print(self, html: str) -> bytes:
        """Print on the running Chromium. A Chromium, or a page, that crashed since the last
        print is made anew, and the print tried once more."""
        self._launch()
        reused = self._page is not None and self._prints < PAGE_PRINTS
        try:
            return self._print_once(html)
        except Exception:
            if self._browser.is_connected() and not reused:  # failed on a new page: its own
                raise
        self._launch()
        return self._print_once(html)

    def _print_once(self, html: str) -> bytes:
        if self._page is None or self._prints >= PAGE_PRINTS:
            self._new_page()
        self._html, self._prints = html, self._prints + 1
        try:
            self._page.goto(PAGE_URL, wait_until="load", timeout=self.timeout_s * 1000)
            data: bytes = self._page.pdf(
                prefer_css_page_size=True,  # the brief's @page rules: A4 and its margins
                print_background=True,
                tagged=True,  # headings, tables and reading order for screen readers
                outline=True,  # the headings as bookmarks of a 60-page PDF
            )
        except Exception:
            self._drop_page()  # the next print starts on a new page
            raise
        finally:
            self._html = ""
        return data

    def _new_page(self) -> None:
        self._drop_page()
        context = self._browser.new_context(java_script_enabled=False)
        context.route("**/*", self._answer)
        self._page = context.new_page()
        self._prints = 0

    def _drop_page(self) -> None:
        page, self._page = self._page, None
        if page is not None:
            with contextlib.suppress(Exception):  # a browser that crashed with it
                page.context.close()

    def _answer(self, route: Any) -> None:
        """The printed page itself, from memory; no other address of any scheme is asked."""
        if route.request.url == PAGE_URL and self._html:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=self._html)
        else:
            route.abort()


def _drivers() -> set[int]:
    """Playwright's drivers: children of this process (the printer's, and those of any other
    Playwright it uses)."""
    me = os.getpid()
    children = [pid for pid, (parent, _group) in procs.processes().items() if parent == me]
    return {
        pid
        for pid in children
        if "run-driver" in (line := procs.cmdline(pid)) and "playwright" in line
    }


def _descendants(roots: set[int]) -> dict[int, int]:
    """These processes and all theirs: pid -> process group."""
    processes = procs.processes()
    found, frontier = {}, [pid for pid in roots if pid in processes]
    while frontier:
        pid = frontier.pop()
        found[pid] = processes[pid][1]
        frontier += [child for child, (parent, _) in processes.items() if parent == pid]
    return found


_printer: Printer | None = None
_printer_lock = threading.Lock()


def printer(exe: str, flags: tuple[str, ...], timeout_s: float) -> Printer:
    """This process's printer for a Chromium: started on the first call (a new one if the last
    was killed or was for another Chromium), kept for every later print."""
    global _printer
    with _printer_lock:
        if _printer is not None and (_printer.broken or _printer.exe != exe):
            _printer.close()
            _printer = None
        if _printer is None:
            _printer = Printer(exe, flags, timeout_s)
        return _printer


def close_printer() -> None:
    """Stop this process's printer (at exit, or when a process is done with PDFs)."""
    global _printer
    with _printer_lock:
        if _printer is not None:
            _printer.close()
            _printer = None


def _kill_printer() -> None:
    """At exit: Chromium killed, not asked to close (0.3 s of a command's end), as kernels are."""
    if _printer is not None:
        _printer.kill()


atexit.register(_kill_printer)
