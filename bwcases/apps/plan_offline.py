"""The plan offline, in the tracker: the open factory's plan saved as a workbook in her language,
and a workbook brought back (a factory's own person's as her proposals)."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from bwcases.apps.common import (
    AppShell,
    busy,
    failure_text,
    guarded,
    heading,
    html,
    notice_html,
    pieces,
    shared_layout,
)
from bwcases.apps.evidence import clean_name, download_link
from bwcases.core.errors import BwcasesError, ImportConflictError, InputError
from bwcases.io.plan_workbook import import_plan_workbook
from bwcases.reports.plan_workbook import write_plan_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_BYTES = 20 * 1024 * 1024  # a plan of thousands of items is a few hundred KB


class PlanWorkbookPanel(widgets.VBox):
    """Save the open factory's plan as a workbook; bring an edited one back."""

    def __init__(self, app: AppShell, on_imported: Callable[[], None]) -> None:
        self.app = app
        self.on_imported = on_imported  # the plan is drawn again after a file changed it
        self.factory_id = ""
        self.writes = False  # whether she may bring a workbook back to the open factory
        self.head = html()
        self.save = widgets.Button(layout=shared_layout("auto"))
        self.save.add_class("bw-once")
        self.link = html()
        # layouts of their own: show() hides them, never the layout others share
        self.upload = widgets.FileUpload(
            accept=".xlsx", multiple=False, layout=widgets.Layout(width="auto")
        )
        self.message = html()
        self.message.add_class("bw-form-message")
        row = widgets.HBox([self.save, self.link], layout=shared_layout())
        super().__init__([self.head, row, self.upload, self.message], layout=widgets.Layout())
        self.add_class("bw-box")
        self.save.on_click(self._on_save)
        self.upload.observe(self._on_upload, names="value")

    @property
    def _(self) -> Callable[[str], str]:
        return self.app._

    @property
    def notice(self) -> widgets.HTML:  # where `guarded` says a failure
        return self.app.notice

    def relabel(self) -> None:
        """Put the texts in the page's language."""
        _ = self._
        self.head.value = heading(_("The plan offline, in Excel or LibreOffice"))
        self.save.description = _("Save the plan as a workbook")
        self.upload.description = _("Bring back a workbook")
        self.link.value = ""

    def show(self, factory_id: str, row: dict[str, Any]) -> None:
        """Offer the factory's plan; bringing one back only to who may change or propose."""
        self.factory_id = factory_id
        self.link.value = self.message.value = ""
        self.writes = bool(factory_id) and (self.app.may_edit(row) or self.app.may_propose(row))
        self.upload.layout.display = None if self.writes else "none"
        self.layout.display = None if factory_id else "none"

    @guarded
    def _on_save(self, _button: Any) -> None:
        if not self.factory_id:
            return
        _ = self._
        with busy(self.save, _("Preparing…")):
            out = io.BytesIO()
            count = write_plan_workbook(
                self.app.store, self.factory_id, out, lang=self.app.lang, today=self.app.today
            )
            name = f"plan-{clean_name(self.factory_id)}-{self.app.today.isoformat()}.xlsx"
            label = _("Save {name} ({n} items)").format(name=name, n=count)
            self.link.value = download_link(name, XLSX, out.getvalue(), label)

    @guarded
    def _on_upload(self, change: dict[str, Any]) -> None:
        files = list(change["new"] or ())
        person = self.app.person
        # a hidden upload still takes what a page sends it: who may write is decided here
        if not files or person is None or not self.factory_id or not self.writes:
            self.upload.value = ()
            return
        _ = self._
        chosen = files[0]
        name = clean_name(str(chosen.get("name") or "plan.xlsx"))
        content = bytes(chosen.get("content", b""))
        self.upload.value = ()  # the same file may be chosen again, after she corrects it
        if len(content) > MAX_BYTES or not content:
            self._say(_("{name} is empty or larger than 20 MB.").format(name=name), "error")
            return
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_bytes(content)
            try:
                summary = import_plan_workbook(
                    self.app.store, path, person.name, factory_id=self.factory_id
                )
            except InputError as exc:
                self._say(str(exc), "error")  # each problem by row, column and value
                return
            except ImportConflictError as exc:  # the command line's advice is not hers
                lines = [str(c) for c in exc.conflicts]
                lines.append(
                    _(
                        "These fields were changed in the app since the workbook was saved: "
                        "take the app's values into the workbook and bring it back. Nothing "
                        "was written."
                    )
                )
                self._say("\n".join(lines), "error")
                return
            except BwcasesError as exc:
                self._say(failure_text(self.app, exc), "error")
                return
        self._say(summary, "success")
        self.on_imported()

    def _say(self, text: str, kind: str) -> None:
        """A message, each of its lines on a line of its own, escaped."""
        self.message.value = notice_html(pieces().lines(text), kind)
