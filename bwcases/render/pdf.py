"""Rendering executed briefs: self-contained HTML with the brief template, PDF with WeasyPrint."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bwcases.core.paths import TEMPLATES

BRIEF_TEMPLATE = "brief"
REPORT_TEMPLATE = "report"  # any other notebook: JupyterLab's look, standing alone

_exporters: dict[str, Any] = {}


def to_html(nb: Any, template: str | None = None) -> str:
    """A notebook as HTML for readers: no code, no notes for analysts, no recorded figures, and
    nothing fetched from elsewhere when it is opened (the report template, unless another is
    named)."""
    key = template or REPORT_TEMPLATE
    if key not in _exporters:
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
