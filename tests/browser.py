"""Helpers for tests that serve the apps with Voilà and drive Debian's chromium."""

from __future__ import annotations

import shutil
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bwcases.web.serve import start_server, stop_server
from tests.helpers import PG_GIVEN

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

needs_chromium = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason=f"no chromium at {CHROMIUM}"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless chromium, once per test module (each test opens a context of its own)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


SERVING: set[Path] = set()  # the logs of the Voilà servers running now
SIGNED_IN: weakref.WeakSet[Page] = weakref.WeakSet()  # the pages a test signed in with
CLOSED_ON_FAILURE: list[tuple[str, str]] = []  # what pages showed as a failure closed them


@contextmanager
def served(store_url: str, log_path: Path, *, preheat: bool = True) -> Iterator[str]:
    """Voilà on a free localhost port over the store; yields its base URL (ending in /)."""
    with log_path.open("wb") as log:
        proc, url = start_server(store_url, log=log, preheat=preheat)
        SERVING.add(log_path)
        try:
            yield url.split("/voila/", 1)[0] + "/"
        finally:
            SERVING.discard(log_path)
            stop_server(proc)


def _tail(path: Path, lines: int = 60) -> str:
    return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])


ACTIVITY = """SELECT pid, datname, state, wait_event_type, wait_event, now() - xact_start AS open_for,
left(query, 160) FROM pg_stat_activity
WHERE backend_type = 'client backend' AND state <> 'idle' AND pid <> pg_backend_pid()"""


def _database_activity() -> str:
    """What the PostgreSQL test server's connections are doing, but the idle ones."""
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_GIVEN)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(ACTIVITY)).all()
        return "\n".join(" | ".join(str(v) for v in row) for row in rows) or "(all idle)"
    except Exception as exc:  # the report of a failure must not fail itself
        return f"could not be read: {exc}"
    finally:
        engine.dispose()


def _shown(page: Page) -> tuple[str, str]:
    """A page's address and its text, as the person saw it when the test failed."""
    try:
        return page.url, page.locator("body").inner_text(timeout=2_000)[-3_000:]
    except Exception as exc:  # closed already
        return "closed", str(exc).splitlines()[0]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test while Voilà serves: the end of each server's log (its kernels' too) and
    what the database is doing, in the report, for a failure seen only on another machine."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    closed = CLOSED_ON_FAILURE[:]
    CLOSED_ON_FAILURE.clear()
    if report.when != "call" or not report.failed or not SERVING:
        return
    for path in sorted(SERVING):
        report.sections.append((f"Voilà log {path} (end)", _tail(path)))
    shown = [_shown(page) for page in list(SIGNED_IN) if not page.is_closed()]
    for url, text in [*closed, *shown]:
        report.sections.append((f"What the page showed ({url})", text))
    if PG_GIVEN:
        report.sections.append(("PostgreSQL activity", _database_activity()))


def sign_in(page: Page, base: str, name: str, password: str, lang: str = "") -> None:
    """Sign in through the login form (the browser keeps the session cookie)."""
    SIGNED_IN.add(page)
    page.goto(f"{base}login" + (f"?lang={lang}" if lang else ""))
    page.fill("#username", name)
    page.fill("#password", password)
    # signed in once the answer starts: the page it leads to may take a while on a busy machine
    with page.expect_navigation(wait_until="commit", timeout=90_000):
        page.click("button[type=submit]")


@contextmanager
def chromium_page(width: int = 1280, height: int = 900) -> Iterator[Page]:
    """A page in headless chromium (Playwright's sync API)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            try:
                yield page
            except BaseException:
                CLOSED_ON_FAILURE.append(_shown(page))
                raise
        finally:
            browser.close()


APP_TIMEOUT_MS = 90_000  # a cold kernel on a busy test machine
VIEWPORTS = {"desktop": (1280, 900), "tablet": (768, 1024), "phone": (390, 844)}
TARGET_PX = 44  # a finger's target on tablets and phones

# what a touch target is, and (JavaScript) its box: a checkbox's is its label's
TARGETS = """() => {
  const found = [];
  for (const el of document.querySelectorAll(
      'button, select, input[type=checkbox], .lm-TabBar-tab')) {
    const own = el.getBoundingClientRect();
    if (!own.width || !own.height || getComputedStyle(el).visibility === 'hidden') continue;
    const box = (el.type === 'checkbox' && el.closest('label') || el).getBoundingClientRect();
    const name = (el.getAttribute('aria-label') || el.textContent || el.className).trim();
    found.push({what: `${el.tagName.toLowerCase()} "${name.slice(0, 40)}"`,
                width: box.width, height: box.height});
  }
  return found;
}"""

# what reaches past the right edge of the window (the outermost of them)
OVERFLOW = """() => {
  const width = window.innerWidth;
  if (document.scrollingElement.scrollWidth <= width) return [];
  const wide = [...document.querySelectorAll('body *')].filter(
      (el) => el.getBoundingClientRect().right > width + 1 &&
              !el.parentElement.closest('.bw-scroll'));
  return wide.filter((el) => !wide.includes(el.parentElement)).slice(0, 8).map(
      (el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} ` +
              `${Math.round(el.getBoundingClientRect().right)}px`);
}"""


def small_targets(page: Page, selector: str = "") -> list[str]:
    """The touch targets on show (TARGETS, or the elements `selector` finds) under 44 px."""
    if selector:
        found = page.locator(selector).evaluate_all(
            "els => els.filter((e) => e.getClientRects().length).map((e) => {"
            " const r = e.getBoundingClientRect();"
            ' return {what: `${e.tagName.toLowerCase()} "${e.textContent.trim().slice(0, 40)}"`,'
            " width: r.width, height: r.height}; })"
        )
    else:
        found = page.evaluate(TARGETS)
    return [
        f"{t['what']} {t['width']:.0f}×{t['height']:.0f}"
        for t in found
        if min(t["width"], t["height"]) < TARGET_PX - 0.5
    ]
