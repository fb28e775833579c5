"""Briefs for partners: rendered from notebooks, only what each reader may see."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from bwcases.analysis.methods import Window
from bwcases.core.errors import BwcasesError, UsageError
from bwcases.core.i18n import LANGUAGES
from bwcases.core.jobs import JobThread
from bwcases.core.paths import NOTEBOOKS
from bwcases.render.pdf import html_exporter, require_pdf_engine, start_printing
from bwcases.reports.subjects import require_buyer, require_country

if TYPE_CHECKING:  # the store, pandas and the reports are the kernel's business, not this module's
    from bwcases.batch.executor import Result, Task
    from bwcases.store import Store

KERNEL_NAME = "python3"


@dataclass(frozen=True)
class BriefKind:
    """A kind of brief: its notebook, the parameter naming its subject, and a check that
    refuses a subject or gives it as the store names it."""

    notebook: str
    parameter: str
    check: Callable[[Store, str], str]


def _require_buyer(store: Store, partner_id: str) -> str:
    require_buyer(store, partner_id)
    return partner_id


KINDS: dict[str, BriefKind] = {
    "partner": BriefKind("partner_brief.ipynb", "partner_id", _require_buyer),
    "governance": BriefKind("governance_brief.ipynb", "country", require_country),
}


def require_kind(kind: str) -> BriefKind:
    """A kind of brief by its name; refused naming the known ones."""
    if kind not in KINDS:
        raise UsageError(f"{kind!r} is not a kind of brief ({', '.join(KINDS)})")
    return KINDS[kind]


class BriefKernel:
    """A kernel for briefs, started and warmed up in a thread of its own while the caller goes
    on (imports, checks of the subject); the same thread then runs brief after brief on it."""

    def __init__(self, kind: str) -> None:
        from bwcases.batch.executor import prepare

        notebook = str(NOTEBOOKS / require_kind(kind).notebook)
        # A daemon: a command refused meanwhile (a partner not in the store) ends at once, its
        # kernel killed by the batch's exit handler, not warmed up first
        self._thread = JobThread(f"bwcases-{kind}-brief")
        # A kernel that fails to start is started again by the run, which reports what it said
        self._warm = self._thread.submit(prepare, KERNEL_NAME, notebook)

    def run(self, task: Task) -> Result:
        """Run a brief's task on the warm kernel (once its warm-up is done)."""
        from bwcases.batch.executor import run_task

        running = self._thread.submit(run_task, task)
        # What the run imports and compiles in this process, done here while the kernel warms
        # up and the notebook runs (this thread would only wait)
        import_module("bwcases.batch.engine")  # papermill, nbformat
        if task.html or task.pdf:
            html_exporter(task.template)  # nbconvert, the template compiled
        if task.pdf:
            # Chromium, ready for the PDF when the notebook is done: started once the kernel is
            # warm, as on two cores it would slow the warm-up down by as much as it takes
            with contextlib.suppress(Exception):  # a kernel that failed: the run says why
                self._warm.result()
            start_printing()
        return running.result()

    def close(self) -> None:
        """Stop the kernel and its thread."""
        from bwcases.batch.executor import release

        self._thread.submit(release).result()
        self._thread.stop()


_kernels: dict[str, BriefKernel] = {}
_kernels_lock = threading.Lock()


def brief_kernel(kind: str) -> BriefKernel:
    """This process's kernel for a kind of brief: started on the first call, kept for the next
    briefs (the batch's own isolation resets it between them), stopped when the process ends."""
    with _kernels_lock:
        if kind not in _kernels:
            _kernels[kind] = BriefKernel(kind)
        return _kernels[kind]


def close_kernels() -> None:
    """Stop this process's brief kernels (a long-lived process done with briefs, a test module)."""
    with _kernels_lock:
        while _kernels:
            _kernels.popitem()[1].close()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "brief"


def require_language(lang: str) -> str:
    """The language a brief is written in; refused unless bwcases has its texts."""
    if lang not in LANGUAGES:
        known = ", ".join(f"{code} ({name})" for code, name in LANGUAGES.items())
        raise UsageError(f"--lang {lang!r} is not a language of the briefs: {known}")
    return lang


def render_brief(
    store: Store,
    kind: str,
    subject: str,
    period: str,
    out_dir: str | Path,
    *,
    lang: str = "en",
    formats: tuple[str, ...] = ("html", "pdf"),
    keep_notebook: bool = False,
    kernel: BriefKernel | None = None,
) -> dict[str, Path]:
    """Execute a brief's notebook for one subject and period; returns the files written.

    Only the formats asked for are left in `out_dir` (and the executed notebook with
    `keep_notebook`, or when the run failed: it shows the failing cell); the files being
    written live in a folder of their own, removed however the run ends. The brief runs on
    `kernel`, by default this process's for its kind (`brief_kernel`).
    """
    brief = require_kind(kind)
    if "pdf" in formats:
        require_pdf_engine()  # a missing Chromium said before the notebook runs, not after
    kernel = kernel or brief_kernel(kind)
    from bwcases import __version__
    from bwcases.batch.executor import Task

    lang = require_language(lang)
    subject = brief.check(store, subject)
    window = Window.parse(period)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{kind}-brief-{_slug(subject)}-{window.start:%Y-%m}_{window.end:%Y-%m}"
    stem += "" if lang == "en" else f"-{_slug(lang)}"
    params = {brief.parameter: subject, "period": str(window), "lang": lang}
    paths = {fmt: out / f"{stem}.{fmt}" for fmt in ("ipynb", *formats)}
    scratch = Path(tempfile.mkdtemp(prefix=".bwcases-brief-", dir=out))
    try:
        # written in the scratch folder, moved into place once all is well: a failed run leaves
        # no page that looks like a brief, nor replaces a good one of the same name
        made = {fmt: scratch / path.name for fmt, path in paths.items()}
        task = Task(
            item=subject,
            notebook=str(NOTEBOOKS / brief.notebook),
            parameters={**params, "db": store.url},
            ipynb=str(made["ipynb"]),
            html=str(made["html"]) if "html" in made else None,
            pdf=str(made["pdf"]) if "pdf" in made else None,
            template="brief",
            scratch=str(scratch / "parts"),
            metadata={
                "item": subject,
                "parameters": params,
                "snapshot": store.snapshot_id(),
                "code_version": __version__,
            },
        )
        result = kernel.run(task)
        if result.status != "ok":
            if made["ipynb"].exists():
                os.replace(made["ipynb"], paths["ipynb"])
            raise BwcasesError(
                f"the {kind} brief for {subject} failed ({result.error}); "
                f"the executed notebook is kept at {paths['ipynb']}"
            )
        for fmt, path in paths.items():
            if fmt != "ipynb" or keep_notebook:
                os.replace(made[fmt], path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not keep_notebook:
        del paths["ipynb"]
    return paths
