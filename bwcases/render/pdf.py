"""Rendering executed briefs: self-contained HTML with the brief template, PDF with WeasyPrint."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bwcases.core.paths import TEMPLATES

BRIEF_TEMPLATE = "brief"

_exporters: dict[str, Any] = {}


def to_html(nb: Any, template: str | None = None) -> str:
    """A notebook as HTML for readers: no code, no notes for analysts, no recorded figures."""
    key = template or ""
    if key not in _exporters:
        from nbconvert import HTMLExporter
        from nbconvert.preprocessors import TagRemovePreprocessor

        if template:
            exporter = HTMLExporter(
                template_name=template, extra_template_basedirs=[str(TEMPLATES)]
            )
        else:
            exporter = HTMLExporter(
                exclude_input=True,
                exclude_input_prompt=True,
                exclude_output_prompt=True,
                exclude_markdown=True,  # notes for analysts, not for readers
            )
        # Cells tagged remove-output record figures for programs; readers do not see them.
        exporter.register_preprocessor(
            TagRemovePreprocessor(remove_all_outputs_tags={"remove-output"}), enabled=True
        )
        _exporters[key] = exporter
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
