"""Briefs for partners: rendered from notebooks, only what each reader may see."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bwcases.analysis.metrics import Window
from bwcases.core.errors import BwcasesError, UsageError
from bwcases.core.i18n import LANGUAGES
from bwcases.core.paths import NOTEBOOKS
from bwcases.reports.governance import require_country
from bwcases.reports.partner import require_buyer
from bwcases.store import Store


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
) -> dict[str, Path]:
    """Execute a brief's notebook for one subject and period; returns the files written.

    Only the formats asked for are left in `out_dir` (and the executed notebook with
    `keep_notebook`, or when the run failed: it shows the failing cell); the files being
    written live in a folder of their own, removed however the run ends.
    """
    from bwcases import __version__
    from bwcases.batch.executor import Task, run_task

    if kind not in KINDS:
        raise UsageError(f"{kind!r} is not a kind of brief ({', '.join(KINDS)})")
    brief = KINDS[kind]
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
        result = run_task(task)
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
