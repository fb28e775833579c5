"""Rendering executed briefs: self-contained HTML with the brief template; PDF printed by Chromium
(one per process, kept running: `bwcases.render.printer`), or by WeasyPrint where no Chromium is
installed.

Chromium prints the 60-page partner brief in a fifth of WeasyPrint's time and half its CPU, and
none of WeasyPrint's options or the brief's CSS rules changed that (benchmarks/bench_brief.py).
WeasyPrint, a Python dependency, makes PDFs where Debian's `chromium` package is missing.
`BWCASES_PDF_ENGINE` (auto, chromium, weasyprint) and `BWCASES_CHROMIUM` (the browser's path)
choose otherwise.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bwcases.core.errors import BwcasesError, UsageError
from bwcases.core.paths import TEMPLATES
from bwcases.render.printer import printer

BRIEF_TEMPLATE = "brief"
REPORT_TEMPLATE = "report"  # any other notebook: JupyterLab's look, standing alone

ENGINE_VARIABLE = "BWCASES_PDF_ENGINE"
CHROMIUM_VARIABLE = "BWCASES_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_INSTALL = "Debian/Ubuntu: sudo apt-get install chromium"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # as root, and in containers without user namespaces, it starts no other way
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--disable-dev-shm-usage",  # a container's small /dev/shm does not end a long print
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: nothing fetched from elsewhere
)
PRINT_TIMEOUT_S = 300
# Printed pages load nothing and run nothing: the HTML is self-contained (styles inline, charts
# inline SVG, images as data: URLs); this policy makes sure of it while Chromium prints, beside
# the printer's own refusal of every request and its scripts turned off.
PRINT_POLICY = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "style-src 'unsafe-inline'; img-src data:; font-src data:\">"
)

HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)

_exporters: dict[str, Any] = {}
_exporters_lock = threading.Lock()


def html_exporter(template: str | None = None) -> Any:
    """nbconvert's exporter for a template (the report template unless another is named): made
    once, its template compiled, shared by every thread."""
    key = template or REPORT_TEMPLATE
    with _exporters_lock:
        if key not in _exporters:
            import nbformat
            from nbconvert import HTMLExporter
            from nbconvert.preprocessors import TagRemovePreprocessor

            exporter = HTMLExporter(
                template_name=key,
                extra_template_basedirs=[str(TEMPLATES)],
                exclude_input=True,
                exclude_input_prompt=True,
                exclude_output_prompt=True,
                exclude_markdown=True,  # notes for analysts, not for readers
            )
            # Cells tagged remove-output record figures for programs; readers do not see them.
            exporter.register_preprocessor(
                TagRemovePreprocessor(remove_all_outputs_tags={"remove-output"}), enabled=True
            )
            # a first, empty notebook compiles the templates and readies the filters
            exporter.from_notebook_node(nbformat.v4.new_notebook())
            _exporters[key] = exporter
        return _exporters[key]


def to_html(nb: Any, template: str | None = None) -> str:
    """A notebook as HTML for readers: no code, no notes for analysts, no recorded figures, and
    nothing fetched from elsewhere when it is opened (the report template, unless another is
    named)."""
    exporter = html_exporter(template)
    nb.metadata.setdefault("bwcases", {})["rendered_at"] = dt.datetime.now(dt.UTC).isoformat(
        timespec="seconds"
    )
    body, _ = exporter.from_notebook_node(nb)
    return str(body)


def find_chromium() -> str | None:
    """The Chromium to print with: `BWCASES_CHROMIUM`, else the first of its usual names on PATH."""
    named = os.environ.get(CHROMIUM_VARIABLE)
    if named:
        return shutil.which(named)
    return next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


def pdf_engine() -> str:
    """The engine `to_pdf` uses: `BWCASES_PDF_ENGINE`, or by default Chromium where it is found."""
    chosen = os.environ.get(ENGINE_VARIABLE, "auto").strip().lower() or "auto"
    if chosen == "auto":
        return "chromium" if find_chromium() else "weasyprint"
    if chosen not in PDF_ENGINES:
        known = ", ".join(["auto", *PDF_ENGINES])
        raise UsageError(f"{ENGINE_VARIABLE}={chosen!r} is not a PDF engine: {known}")
    return chosen


def require_pdf_engine() -> str:
    """The engine PDFs will be made with; refused now, before any work, if it cannot run."""
    engine = pdf_engine()
    if engine == "chromium" and find_chromium() is None:
        raise _no_chromium()
    return engine


def to_pdf(html: str, path: str | Path) -> None:
    """Write HTML as a PDF with the engine `pdf_engine` names; nothing is fetched."""
    PDF_ENGINES[pdf_engine()](html, Path(path))


def _no_chromium() -> BwcasesError:
    where = os.environ.get(CHROMIUM_VARIABLE) or " or ".join(CHROMIUM_NAMES)
    return BwcasesError(
        f"{ENGINE_VARIABLE}=chromium, but there is no Chromium ({where} not found): install it "
        f"({CHROMIUM_INSTALL}), set {CHROMIUM_VARIABLE} to its path, or set "
        f"{ENGINE_VARIABLE}=weasyprint"
    )


def with_print_policy(html: str) -> str:
    """The HTML with `PRINT_POLICY` first in its head (or, without a head, first of all)."""
    head = HEAD.search(html)
    at = head.end() if head else 0
    return html[:at] + PRINT_POLICY + html[at:]


def chromium_pdf(html: str, path: Path) -> None:
    """Print HTML to a PDF with this process's headless Chromium (started once), nothing fetched."""
    exe = find_chromium()
    if exe is None:
        raise _no_chromium()
    path.unlink(missing_ok=True)  # a PDF found there afterwards is this print's
    printer(exe, CHROMIUM_FLAGS, PRINT_TIMEOUT_S).print(with_print_policy(html), path)


def start_printing() -> None:
    """Start Chromium now, where PDFs will be printed by it, to have it ready for the first."""
    exe = find_chromium() if pdf_engine() == "chromium" else None
    if exe is not None:
        printer(exe, CHROMIUM_FLAGS, PRINT_TIMEOUT_S)


def weasyprint_pdf(html: str, path: Path) -> None:
    """Write HTML as a PDF with WeasyPrint: no browser involved, nothing fetched but data: URLs."""
    from weasyprint import HTML

    HTML(string=html, url_fetcher=_fetcher()).write_pdf(str(path))


def _fetcher() -> Any:
    """WeasyPrint's fetcher for data: URLs alone; what it refuses is a warning."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"})


PDF_ENGINES: dict[str, Callable[[str, Path], None]] = {
    "chromium": chromium_pdf,
    "weasyprint": weasyprint_pdf,
}
