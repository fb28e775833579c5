"""Rendering executed briefs: self-contained HTML with the brief template, PDF with WeasyPrint."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bwcases.paths import TEMPLATES

BRIEF_TEMPLATE = "brief"

_exporters: dict[str, Any] = {}


def to_html(nb: Any, template: str | None = None) -> str:
    """A notebook as HTML: with a template from templates/ (no code), or nbconvert's own."""
    key = template or ""
    if key not in _exporters:
        from nbconvert import HTMLExporter

        if template:
            _exporters[key] = HTMLExporter(
                template_name=template, extra_template_basedirs=[str(TEMPLATES)]
            )
        else:
            _exporters[key] = HTMLExporter(
                exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
            )
    nb.metadata.setdefault("bwcases", {})["rendered_at"] = dt.datetime.now(dt.UTC).isoformat(
        timespec="seconds"
    )
    body, _ = _exporters[key].from_notebook_node(nb)
    return str(body)


def to_pdf(html: str, path: str | Path) -> None:
    """Write HTML as a PDF (WeasyPrint: no browser involved, nothing fetched)."""
    from weasyprint import HTML

    def no_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"briefs fetch nothing ({url})")

    HTML(string=html, url_fetcher=no_fetch).write_pdf(str(path))
