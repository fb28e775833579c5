"""Briefs for partners: rendered from notebooks, only what each reader may see."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bwcases.analysis.metrics import Window
from bwcases.core.errors import BwcasesError, UsageError
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


def render_brief(
    store: Store,
    kind: str,
    subject: str,
    period: str,
    out_dir: str | Path,
    *,
    lang: str = "en",
    formats: tuple[str, ...] = ("html", "pdf"),
) -> dict[str, Path]:
    """Execute a brief's notebook for one subject and period; returns the files written."""
    from bwcases import __version__
    from bwcases.batch.executor import Task, run_task

    if kind not in KINDS:
        raise UsageError(f"{kind!r} is not a kind of brief ({', '.join(KINDS)})")
    brief = KINDS[kind]
    subject = brief.check(store, subject)
    window = Window.parse(period)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{kind}-brief-{_slug(subject)}-{window.start:%Y-%m}_{window.end:%Y-%m}"
    stem += "" if lang == "en" else f"-{_slug(lang)}"
    params = {brief.parameter: subject, "period": str(window), "lang": lang}
    paths = {fmt: out / f"{stem}.{fmt}" for fmt in ("ipynb", *formats)}
    task = Task(
        item=subject,
        notebook=str(NOTEBOOKS / brief.notebook),
        parameters={**params, "db": store.url},
        ipynb=str(paths["ipynb"]),
        html=str(paths["html"]) if "html" in paths else None,
        pdf=str(paths["pdf"]) if "pdf" in paths else None,
        template="brief",
        scratch=str(out / ".tmp"),
        metadata={
            "item": subject,
            "parameters": params,
            "snapshot": store.snapshot_id(),
            "code_version": __version__,
        },
    )
    result = run_task(task)
    if result.status != "ok":
        raise BwcasesError(
            f"the {kind} brief for {subject} failed ({result.error}); "
            f"the executed notebook is kept at {paths['ipynb']}"
        )
    return paths
