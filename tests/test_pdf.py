"""PDFs of briefs: printed by Chromium where it is installed, by WeasyPrint where it is not, and a
clear message when the chosen engine cannot run; nothing fetched by either."""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bwcases.core.errors import BwcasesError, UsageError
from bwcases.render import pdf
from bwcases.render.pdf import pdf_engine, require_pdf_engine, to_pdf
from tests.browser import needs_chromium

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title>
<style>@page {{ size: A4; margin: 18mm 16mm;
  @bottom-center {{ content: counter(page) " / " counter(pages); }} }}
h2 {{ break-before: page; }}</style>{extra}</head>
<body><h1>Partner brief</h1><p>Jamuna Apparels Ltd.</p><h2>Second page</h2><p>{body}</p></body></html>
"""


def info(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return dict(re.findall(r"^([^:]+):\s+(.*)$", out.stdout, re.M))


def text(path: Path) -> str:
    out = ["pdftotext", "-layout", str(path), "-"]
    return subprocess.run(out, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine without Chromium: the one named is not there."""
    monkeypatch.setenv(pdf.CHROMIUM_VARIABLE, str(tmp_path / "no-chromium"))
    monkeypatch.delenv(pdf.ENGINE_VARIABLE, raising=False)


def test_without_chromium_weasyprint_makes_the_pdf(no_chromium: None, tmp_path: Path) -> None:
    assert pdf_engine() == "weasyprint"
    to_pdf(PAGE.format(extra="", body="Second"), tmp_path / "b.pdf")
    made = info(tmp_path / "b.pdf")
    assert made["Producer"].startswith("WeasyPrint") and made["Pages"] == "2"
    assert "Jamuna Apparels Ltd." in text(tmp_path / "b.pdf")


def test_chromium_asked_for_but_missing_says_how_to_install_it(
    no_chromium: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(pdf.ENGINE_VARIABLE, "chromium")
    with pytest.raises(BwcasesError) as refused:
        require_pdf_engine()
    message = str(refused.value)
    assert "apt-get install chromium" in message
    assert "BWCASES_CHROMIUM" in message and "BWCASES_PDF_ENGINE=weasyprint" in message
    with pytest.raises(BwcasesError, match="apt-get install chromium"):
        to_pdf(PAGE.format(extra="", body=""), tmp_path / "b.pdf")
    assert not (tmp_path / "b.pdf").exists()


def test_an_unknown_engine_is_refused_naming_the_known(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pdf.ENGINE_VARIABLE, "prince")
    with pytest.raises(
        UsageError, match=r"BWCASES_PDF_ENGINE='prince'.*auto, chromium, weasyprint"
    ):
        pdf_engine()


def test_a_chromium_that_fails_is_reported_with_what_it_said(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv(pdf.CHROMIUM_VARIABLE, str(broken))
    monkeypatch.delenv(pdf.ENGINE_VARIABLE, raising=False)
    assert pdf_engine() == "chromium"
    with pytest.raises(BwcasesError, match=r"exit status 3\): cannot open display"):
        to_pdf(PAGE.format(extra="", body=""), tmp_path / "b.pdf")


def test_a_chromium_that_hangs_is_stopped_with_its_helpers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Chromium runs as several processes: a print that hangs must not leave its renderers
    hung = tmp_path / "chromium"
    seconds = f"299.{os.getpid()}"  # the helper known by its command line
    hung.write_text(f"#!/bin/sh\nsleep {seconds} &\nsleep 300\n")
    hung.chmod(0o755)
    monkeypatch.setenv(pdf.CHROMIUM_VARIABLE, str(hung))
    monkeypatch.setenv(pdf.ENGINE_VARIABLE, "chromium")
    monkeypatch.setattr(pdf, "PRINT_TIMEOUT_S", 1)
    with pytest.raises(BwcasesError, match="printed no PDF in 1 s"):
        to_pdf(PAGE.format(extra="", body=""), tmp_path / "b.pdf")
    helper = f"sleep\0{seconds}\0"
    left = [p for p in Path("/proc").glob("[0-9]*/cmdline") if _reads(p) == helper]
    assert left == []
    assert not (tmp_path / "b.pdf").exists()


def _reads(cmdline: Path) -> str:
    try:
        return cmdline.read_bytes().decode(errors="replace")
    except OSError:
        return ""


@needs_chromium
def test_chromium_prints_a4_pages_numbered_by_the_page_itself(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(pdf.CHROMIUM_VARIABLE, raising=False)
    monkeypatch.delenv(pdf.ENGINE_VARIABLE, raising=False)
    assert pdf_engine() == "chromium"
    to_pdf(PAGE.format(extra="", body="Second"), tmp_path / "b.pdf")
    made = info(tmp_path / "b.pdf")
    assert made["Producer"].startswith("Skia/PDF") and made["Pages"] == "2"
    assert "(A4)" in made["Page size"]
    printed = text(tmp_path / "b.pdf")
    assert "Jamuna Apparels Ltd." in printed
    assert re.findall(r"(\d) ?/ ?(\d)", printed) == [("1", "2"), ("2", "2")]
    assert "file://" not in printed  # no header or footer of the browser's own


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A web server on localhost that records the paths asked of it."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            asked.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", asked
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("engine", ["chromium", "weasyprint"])
def test_printing_fetches_nothing(
    engine: str,
    server: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    if engine == "chromium" and pdf.find_chromium() is None:
        pytest.skip("no chromium")
    monkeypatch.setenv(pdf.ENGINE_VARIABLE, engine)
    url, asked = server
    extra = f'<link rel="stylesheet" href="{url}/style.css"><script src="{url}/app.js"></script>'
    body = f'<img src="{url}/logo.png" alt=""><iframe src="{url}/frame"></iframe>'
    to_pdf(PAGE.format(extra=extra, body=body), tmp_path / "b.pdf")
    assert asked == []  # a refused address is a warning: the page is printed all the same
    assert "Jamuna Apparels Ltd." in text(tmp_path / "b.pdf")


@needs_chromium
@pytest.mark.parametrize("where", ["server", "file"])
def test_a_page_that_moves_elsewhere_prints_nothing_from_there(
    where: str, server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # a page that sends the printer elsewhere (an address by number, which no name rule stops,
    # or a file of the machine) is printed itself or not at all: nothing asked of the server,
    # no file of the machine printed
    secret = tmp_path / "secret.html"
    secret.write_text("<p>machine secret</p>", encoding="utf-8")
    url, asked = server
    target = f"{url}/moved" if where == "server" else secret.as_uri()
    monkeypatch.setenv(pdf.ENGINE_VARIABLE, "chromium")
    extra = f'<meta http-equiv="refresh" content="0; url={target}">'
    try:
        to_pdf(PAGE.format(extra=extra, body=""), tmp_path / "b.pdf")
    except BwcasesError:  # Chromium, sent to a file, may print nothing at all: refused
        printed = ""
    else:
        printed = text(tmp_path / "b.pdf")
        assert "Jamuna Apparels Ltd." in printed
    assert asked == [] and "machine secret" not in printed


def test_the_print_policy_comes_first_in_the_head() -> None:
    page = pdf.with_print_policy('<html><HEAD lang="x"><title>t</title></HEAD></html>')
    assert page.startswith('<html><HEAD lang="x">' + pdf.PRINT_POLICY + "<title>")
    assert pdf.with_print_policy("<p>x</p>") == pdf.PRINT_POLICY + "<p>x</p>"


@pytest.fixture
def chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    """PDFs printed by the machine's own Chromium, whatever the environment says."""
    monkeypatch.delenv(pdf.CHROMIUM_VARIABLE, raising=False)
    monkeypatch.setenv(pdf.ENGINE_VARIABLE, "chromium")


@needs_chromium
def test_one_chromium_prints_every_pdf_and_a_crashed_one_is_started_again(
    chromium: None, tmp_path: Path
) -> None:
    from bwcases.render import printer

    printer.close_printer()
    pdf.start_printing()
    to_pdf(PAGE.format(extra="", body="First"), tmp_path / "a.pdf")
    running = printer._printer
    assert running is not None
    browsers = [p for p in printer._descendants(running._driver) if p not in running._driver]
    assert browsers, "no Chromium under the printer's driver"
    to_pdf(PAGE.format(extra="", body="Second"), tmp_path / "b.pdf")
    assert printer._printer is running
    assert all(Path(f"/proc/{p}").exists() for p in browsers[:1])  # the same browser process
    for pid in browsers:  # Chromium crashes: the next print starts it again
        with contextlib.suppress(ProcessLookupError):  # a renderer that had ended
            os.kill(pid, 9)
    to_pdf(PAGE.format(extra="", body="Third"), tmp_path / "c.pdf")
    assert "Third" in text(tmp_path / "c.pdf")
    made = info(tmp_path / "c.pdf")
    assert made["Tagged"] == "yes" and made["Pages"] == "2"  # read aloud in order, by headings
    printer.close_printer()
    assert [p for p in running._driver if Path(f"/proc/{p}").exists()] == []


@needs_chromium
def test_each_pdf_is_its_own_page_and_a_crashed_page_is_made_anew(
    chromium: None, tmp_path: Path
) -> None:
    # prints share one page: each PDF holds its own HTML alone, and a renderer that crashed
    # between prints (the browser still running) takes no print with it
    from bwcases.core import procs
    from bwcases.render import printer

    printer.close_printer()
    for name in ("First", "Second"):
        to_pdf(PAGE.format(extra="", body=name), tmp_path / f"{name}.pdf")
    assert "First" not in text(tmp_path / "Second.pdf") and "Second" in text(
        tmp_path / "Second.pdf"
    )
    running = printer._printer
    assert running is not None
    renderers = [
        pid
        for pid in printer._descendants(running._driver)
        if "--type=renderer" in procs.cmdline(pid)
    ]
    assert renderers, "no renderer under the printer's Chromium"
    for pid in renderers:
        with contextlib.suppress(ProcessLookupError):  # one that had ended
            os.kill(pid, 9)
    to_pdf(PAGE.format(extra="", body="Third"), tmp_path / "Third.pdf")
    assert "Third" in text(tmp_path / "Third.pdf") and printer._printer is running
    printer.close_printer()


@needs_chromium
def test_scripts_of_a_printed_page_do_not_run(chromium: None, tmp_path: Path) -> None:
    extra = "<script>document.title = 'x'; document.write('<p>written by a script</p>')</script>"
    to_pdf(PAGE.format(extra=extra, body="Second"), tmp_path / "b.pdf")
    assert "written by a script" not in text(tmp_path / "b.pdf")
