"""The work queue: plan items across her portfolio, filtered, sorted, paged and exported."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import ipywidgets as widgets
import pandas as pd
from openpyxl import Workbook

from bwcases.apps.common import (
    ANY,
    PRIORITY_LABELS,
    STATUS_LABELS,
    VERIFICATION_LABELS,
    AppShell,
    as_date,
    busy,
    cut,
    domain_label,
    factory_options,
    fmt_date,
    guarded,
    html,
    iso,
    label_of,
    options,
    quiet,
    replace_options,
    shared_layout,
    stacked,
)
from bwcases.apps.evidence import download_link
from bwcases.apps.proposals import to_review_html
from bwcases.apps.request import PageRequest
from bwcases.core.domain import Verification
from bwcases.core.formats import DATE_FORMAT
from bwcases.core.i18n import CLUSTER, COMPLIANCE_POINT, DEFAULT, N_, domain_name
from bwcases.core.links import item_name, item_url
from bwcases.core.safe_text import spreadsheet_cell
from bwcases.render.templating import macros
from bwcases.store import QueueFilters, Store, WorkQueue

PAGE_SIZE = 50  # rows a page shows; the pages go on as long as the list does
VIEWS = "apps/queue.html.j2"
DUE_WITHIN_DAYS = (7, 14, 30, 60, 90)
SORT_LABELS = {
    "due_date": N_("Due date"),
    "factory": N_("Factory"),
    "status": N_("Status"),
    "last_update": N_("Last update"),
}
# The verification filter: staff's queue of fixes to verify, and the fixes sent back.
VERIFICATION_FILTERS = {
    Verification.AWAITING.value: VERIFICATION_LABELS[Verification.AWAITING.value],
    Verification.REJECTED.value: VERIFICATION_LABELS[Verification.REJECTED.value],
    Verification.VERIFIED.value: VERIFICATION_LABELS[Verification.VERIFIED.value],
}
# What an export holds, column by column: (header, the cell from a queue row, the translator and
# the language, in which the statuses and the domain's names are written, as on the page)
Cell = Callable[[dict[str, Any], Callable[[str], str], str], Any]
EXPORT_COLUMNS: list[tuple[str, Cell]] = [
    (N_("Factory ID"), lambda r, _, lang: r["factory_id"]),
    (N_("Factory"), lambda r, _, lang: r["factory_name"]),
    (N_("Advisor"), lambda r, _, lang: r["advisor"] or ""),
    (N_("Item"), lambda r, _, lang: int(r["item_id"])),
    (N_("Cluster"), lambda r, _, lang: domain_name(CLUSTER, r["cluster"] or "", lang)),
    (
        N_("Compliance point"),
        lambda r, _, lang: domain_name(COMPLIANCE_POINT, r["compliance_point"], lang),
    ),
    (N_("Issue"), lambda r, _, lang: r["issue"]),
    (N_("Action"), lambda r, _, lang: r["action"]),
    (N_("Responsible person"), lambda r, _, lang: r["responsible"]),
    (N_("Due date"), lambda r, _, lang: as_date(r["due_date"])),
    (N_("Priority"), lambda r, _, lang: label_of(PRIORITY_LABELS, r["priority"], _)),
    (N_("Status"), lambda r, _, lang: label_of(STATUS_LABELS, r["status"], _)),
    (N_("Verification"), lambda r, _, lang: _verification(r["verification"], _)),
    (N_("Overdue"), lambda r, _, lang: _("Yes") if r["overdue"] else ""),
    (N_("Last update"), lambda r, _, lang: as_date(r["last_update"])),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def views() -> Any:
    """The queue's views (bwcases.render's apps/queue.html.j2), each a macro."""
    return macros(VIEWS)


def _verification(value: Any, _: Callable[[str], str]) -> str:
    return label_of(VERIFICATION_LABELS, value, _) if value in VERIFICATION_LABELS else ""


def export_rows(
    items: pd.DataFrame, _: Callable[[str], str], lang: str = DEFAULT
) -> list[list[Any]]:
    """The queue's items as an export's rows, the header first (in her language)."""
    header = [_(title) for title, _cell in EXPORT_COLUMNS]
    records = items.to_dict("records")
    rows = [[cell(r, _, lang) for _title, cell in EXPORT_COLUMNS] for r in records]
    return [header, *rows]


def xlsx_bytes(rows: list[list[Any]], sheet: str) -> bytes:
    """A workbook of one sheet with these rows; no text cell a spreadsheet would run."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet[:31]  # Excel's longest sheet name
    for row in rows:
        ws.append([spreadsheet_cell(v) for v in row])
    for cells in ws.iter_rows(min_row=2):
        for c in cells:
            if isinstance(c.value, dt.date):
                c.number_format = "dd/mm/yyyy"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]]) -> bytes:
    """CSV of these rows, UTF-8 with the mark spreadsheets need to read it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(
            [
                v.strftime(DATE_FORMAT) if isinstance(v, dt.date) else spreadsheet_cell(v)
                for v in row
            ]
        )
    return out.getvalue().encode("utf-8-sig")


class WorkQueueApp(AppShell):
    """The plan items she works on across her portfolio: filter, sort, page, open, export."""

    title = N_("Work queue")
    page = "work_queue.ipynb"

    def build(self) -> None:
        """Create the filters, the list, its pages and the export."""
        self.queue = self.everything = WorkQueue(pd.DataFrame(), {})
        self.ready = False  # her portfolio is read
        self.staff = False  # she sees a country (staff, read-only), not one advisor's factories
        self.page_no = 0
        self.filters = {
            "status": stacked(widgets.Dropdown(options=[("…", ANY)]), "200px"),
            "verification": stacked(widgets.Dropdown(options=[("…", ANY)]), "220px"),
            "due_within": stacked(widgets.Dropdown(options=[("…", ANY)]), "180px"),
            "cluster": stacked(widgets.Dropdown(options=[("…", ANY)]), "300px"),
            "compliance_point": stacked(widgets.Dropdown(options=[("…", ANY)]), "320px"),
            "responsible": stacked(widgets.Text(continuous_update=False), "240px"),
            "factory_id": stacked(widgets.Dropdown(options=[("…", ANY)]), "320px"),
            "advisor": stacked(widgets.Dropdown(options=[("…", ANY)]), "240px"),
            "sort": stacked(widgets.Dropdown(options=[("…", "due_date")]), "200px"),
        }
        # its own layout: it is hidden alone (stacked() shares one layout per width)
        self.filters["advisor"].layout = widgets.Layout(width="240px")
        self.overdue = widgets.Checkbox(value=False, indent=False, layout=shared_layout("auto"))
        wrap = widgets.Layout(flex_flow="row wrap", align_items="flex-end", grid_gap="8px 14px")
        self.filter_box = widgets.Box([*self.filters.values(), self.overdue], layout=wrap)
        self.filter_box.add_class("bw-queue-filters")
        # on a phone the filters fold under this button (its text says which way it goes)
        self.filters_open = False
        self.toggle = widgets.Button(layout=shared_layout("auto"))
        self.toggle.add_class("bw-queue-toggle")
        self.to_review = html()  # proposals of factories' own people, for their reviewers
        self.pending = pd.DataFrame()
        self.counts = html()
        self.table = html()
        self.shown = html()
        self.previous = widgets.Button(layout=shared_layout("auto"))
        self.next = widgets.Button(layout=shared_layout("auto"))
        pager = widgets.HBox([self.previous, self.shown, self.next], layout=wrap)
        pager.add_class("bw-pager")
        self.xlsx = widgets.Button(layout=shared_layout("auto"))
        self.csv = widgets.Button(layout=shared_layout("auto"))
        self.link = html()
        export = widgets.HBox([self.xlsx, self.csv, self.link], layout=wrap)
        style = html(str(views().style()))
        self.content = [
            style,
            self.to_review,
            self.toggle,
            self.filter_box,
            self.counts,
            self.table,
            pager,
            export,
        ]
        self.toggle.on_click(lambda _b: self._on_toggle())
        for control in [*self.filters.values(), self.overdue]:
            control.observe(self._on_filter, names="value")
        self.previous.on_click(lambda _b: self._on_page(-1))
        self.next.on_click(lambda _b: self._on_page(1))
        self.xlsx.on_click(lambda _b: self._on_export("xlsx"))
        self.csv.on_click(lambda _b: self._on_export("csv"))

    def start(self) -> None:
        """Read her portfolio and the items of its factories."""
        self.today = dt.date.today()
        self.register = self.portfolio()
        ids = set(self.register["factory_id"].astype(str))
        self.factory_id = self.request.factory_id if self.request.factory_id in ids else ""
        self.nav.value = self.nav_html()
        # staff see a country; an advisor, or a factory's own person, a portfolio of her own
        self.staff = self.person is not None and "country" in self.person.scope()
        # an advisor has one portfolio: the advisor filter is for staff, who see a country
        self.filters["advisor"].layout.display = None if self.staff else "none"
        self.everything = self.read(QueueFilters())  # what the choices offer
        if self.person is not None and self.person.can_edit:  # who may review, reviews
            self.pending = self.store.proposals_to_review(**self.person.scope())
        self.ready = True
        self.relabel()
        self.refresh()

    def relabel(self) -> None:
        """Put every text in the page's language and redraw."""
        _ = self._
        labels = {
            "status": _("Status"),
            "verification": _("Verification"),
            "due_within": _("Due within"),
            "cluster": _("Cluster"),
            "compliance_point": _("Compliance point"),
            "responsible": _("Responsible person contains"),
            "factory_id": _("Factory"),
            "advisor": _("Advisor"),
            "sort": _("Sort by"),
        }
        for key, text in labels.items():
            self.filters[key].description = text
        self.filters["responsible"].placeholder = _("Part of a name")
        self.overdue.description = _("Overdue only")
        self.previous.description = _("Previous page")
        self.next.description = _("Next page")
        self.xlsx.description = _("Export to Excel (XLSX)")
        self.csv.description = _("Export to CSV")
        self.offer_choices()
        self.label_toggle()
        if self.ready:
            self.to_review.value = to_review_html(self, self.pending)
            self.draw()

    def offer_choices(self) -> None:
        """The filters' options in her language, from her portfolio and its items."""
        _ = self._
        f = self.filters
        replace_options(f["status"], [(_("Any status"), ANY), *options(STATUS_LABELS, _)])
        replace_options(f["verification"], [(_("Any"), ANY), *options(VERIFICATION_FILTERS, _)])
        days = [(_("{n} days").format(n=n), str(n)) for n in DUE_WITHIN_DAYS]
        replace_options(f["due_within"], [(_("Any time"), ANY), *days])
        replace_options(f["sort"], options(SORT_LABELS, _))
        items = self.everything.items
        # each name in her language, in the order of those names
        clusters = sorted(
            (domain_label(CLUSTER, c, self.lang), c) for c in set(items.get("cluster", [])) if c
        )
        cps = sorted(
            (domain_label(COMPLIANCE_POINT, p, self.lang), p)
            for p in set(items.get("compliance_point", []))
        )
        replace_options(f["cluster"], [(_("Any cluster"), ANY), *clusters])
        replace_options(f["compliance_point"], [(_("Any compliance point"), ANY), *cps])
        if len(self.register):
            factories = [
                (iso(label, self.rtl), value) for label, value in factory_options(self.register)
            ]
            advisors = sorted({str(a) for a in self.register["advisor"].dropna() if a})
        else:
            factories, advisors = [], []
        replace_options(f["factory_id"], [(_("All factories"), ANY), *factories])
        replace_options(
            f["advisor"], [(_("All advisors"), ANY), *((iso(a, self.rtl), a) for a in advisors)]
        )

    # -- what a person does ------------------------------------------------------------------

    @guarded
    def _on_filter(self, change: dict[str, Any]) -> None:
        if quiet(change) or not self.ready:
            return
        if change["owner"] is self.filters["factory_id"] and change["new"]:
            self.factory_id = str(change["new"])  # the other apps' links open her choice
            self.nav.value = self.nav_html()
        self.page_no = 0
        self.label_toggle()
        self.refresh()

    @guarded
    def _on_toggle(self) -> None:
        self.fold(not self.filters_open)

    def fold(self, open_: bool) -> None:
        """Unfold the filters (open_) or fold them under their button (on a phone)."""
        self.filters_open = open_
        if open_:
            self.filter_box.add_class("bw-open")
        else:
            self.filter_box.remove_class("bw-open")
        self.label_toggle()

    def active_filters(self) -> int:
        """How many filters she set (the sort order is not one)."""
        chosen = self.chosen()
        values = [getattr(chosen, f.name) for f in fields(chosen) if f.name != "sort"]
        return sum(1 for value in values if str(value or "").strip())  # False, None, "": unset

    def label_toggle(self) -> None:
        """Say on the filters' button whether it shows or hides them, and how many are set."""
        _ = self._
        text = _("Hide filters ({n} set)") if self.filters_open else _("Show filters ({n} set)")
        self.toggle.description = text.format(n=self.active_filters())

    @guarded
    def _on_page(self, step: int) -> None:
        last = max(0, (len(self.queue.items) - 1) // PAGE_SIZE)
        self.page_no = min(max(0, self.page_no + step), last)
        self.draw()

    @guarded
    def _on_export(self, kind: str) -> None:
        button = self.xlsx if kind == "xlsx" else self.csv
        with busy(button, self._("Preparing…")):
            self.link.value = self.export_link(kind)

    # -- reading and drawing -----------------------------------------------------------------

    def chosen(self) -> QueueFilters:
        """The filters as she set them."""
        f = self.filters
        days = str(f["due_within"].value or "")
        return QueueFilters(
            status=str(f["status"].value or ""),
            overdue=bool(self.overdue.value),
            due_within=int(days) if days else None,
            verification=str(f["verification"].value or ""),
            cluster=str(f["cluster"].value or ""),
            compliance_point=str(f["compliance_point"].value or ""),
            responsible=str(f["responsible"].value or ""),
            factory_id=str(f["factory_id"].value or ""),
            advisor=str(f["advisor"].value or "") if self.staff else "",
            sort=str(f["sort"].value or "due_date"),
        )

    def read(self, filters: QueueFilters) -> WorkQueue:
        """The items of her portfolio that pass the filters."""
        assert self.person is not None
        return self.store.work_queue(**self.person.scope(), filters=filters, today=self.today)

    def refresh(self) -> None:
        """Read the list again with the filters she set, and show its first page."""
        self.queue = self.read(self.chosen())
        self.link.value = ""
        self.draw()

    def draw(self) -> None:
        """Show the counts, the page of items, which rows they are and the page buttons."""
        _ = self._
        items, total = self.queue.items, len(self.queue.items)
        figures = [
            (_(label), self.queue.counts.get(status, 0), False)
            for status, label in STATUS_LABELS.items()
        ]
        overdue = int(items["overdue"].sum()) if total else 0
        figures.append((_("Overdue"), overdue, overdue > 0))
        self.counts.value = str(views().counts(_("Items by status"), figures))
        start = self.page_no * PAGE_SIZE
        page = items.iloc[start : start + PAGE_SIZE]
        header = [
            _("Factory"),
            "#",
            _("Compliance point"),
            _("Issue"),
            _("Responsible person"),
            _("Due date"),
            _("Status"),
            _("Last update"),
        ]
        rows = [self.row(r) for r in page.to_dict("records")]
        empty = _("No plan items match these filters.")
        self.table.value = str(views().items(header, rows, empty))
        if total:
            text = _("Rows {first}–{last} of {n}").format(
                first=start + 1, last=start + len(page), n=total
            )
        else:
            text = _("Rows 0 of 0")
        self.shown.value = str(views().shown(text))
        self.previous.disabled = self.page_no == 0
        self.next.disabled = start + PAGE_SIZE >= total

    def row(self, r: dict[str, Any]) -> list[Any]:
        """One item's cells: the issue opens it in the tracker."""
        _ = self._
        url = item_url(self.request.base_url, r["factory_id"], r["item_id"], self.lang)
        issue = cut(r["issue"], 90) or item_name(r["item_id"], _)
        flags = [(_("Overdue"), "overdue")] if r["overdue"] else []
        verification = r.get("verification")
        if verification == Verification.AWAITING.value:
            flags.append((_("Awaiting verification"), "public"))
        elif verification == Verification.REJECTED.value:
            flags.append((_("Sent back"), "persistent"))
        status = label_of(STATUS_LABELS, r["status"], _)
        return [
            iso(f"{r['factory_id']} — {r['factory_name']}", self.rtl),
            f"#{r['item_id']}",
            domain_name(COMPLIANCE_POINT, r["compliance_point"], self.lang),
            views().item_link(url, issue),
            r["responsible"],
            fmt_date(r["due_date"]),
            views().status(status, flags),
            fmt_date(r["last_update"]),
        ]

    def export_link(self, kind: str) -> str:
        """A link that saves the whole filtered list (every page) as XLSX or CSV."""
        _ = self._
        rows = export_rows(self.queue.items, _, self.lang)
        name = f"work-queue-{self.today.isoformat()}.{kind}"
        if kind == "xlsx":
            content, media_type = xlsx_bytes(rows, _("Work queue")), XLSX
        else:
            content, media_type = csv_bytes(rows), "text/csv"
        label = _("Save {name} ({n} items)").format(name=name, n=len(rows) - 1)
        return download_link(name, media_type, content, label)


def work_queue(store: Store, request: PageRequest | None = None) -> WorkQueueApp:
    """The app, for the person who asked for the page (or built ahead, for .answer(request))."""
    return WorkQueueApp(store, request)
