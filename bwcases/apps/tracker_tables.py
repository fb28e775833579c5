"""The tracker's tables: a factory's plan as its filter shows it, the portfolio's problems."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from bwcases.analysis.persistence import persistent_items
from bwcases.apps.common import STATUS_LABELS, VERIFICATION_LABELS, fmt_date
from bwcases.apps.remediation import plan_table
from bwcases.core import links
from bwcases.core.domain import Status
from bwcases.core.i18n import N_
from bwcases.render.templating import macros

if TYPE_CHECKING:
    from bwcases.apps.tracker import RemediationTracker

MAX_PORTFOLIO_ROWS = 300
VIEWS = "apps/tracker.html.j2"  # the summary, plan, item, history and portfolio
ALL, OPEN, OVERDUE = "all", "open", "overdue"  # which of the plan's items the table shows
SHOWN = {
    ALL: N_("All items ({n})"),
    OPEN: N_("Open items ({n})"),
    OVERDUE: N_("Overdue items ({n})"),
}


def views() -> Any:
    """The tracker's views (bwcases.render's apps/tracker.html.j2), each a macro."""
    return macros(VIEWS)


def show_masks(rows: pd.DataFrame) -> dict[str, pd.Series]:
    """The items each filter shows (all, the open ones, the overdue ones), as row masks."""
    if not len(rows):  # a factory without items: its frame may have no columns
        return {show: pd.Series(True, index=rows.index) for show in SHOWN}
    return {
        ALL: pd.Series(True, index=rows.index),
        OPEN: rows["status"] != Status.COMPLETED.value,
        OVERDUE: rows["overdue"].astype(bool),
    }


def item_flags(row: dict[str, Any], _: Callable[[str], str]) -> list[tuple[str, str]]:
    """An item's flags, (text, kind): overdue, persistent."""
    flags = [(_("Overdue"), "overdue")] if row["overdue"] else []
    if row["persistent"]:
        flags.append((_("Persistent"), "persistent"))
    return flags


def plan_html(app: RemediationTracker, rows: pd.DataFrame, hidden: int = 0) -> str:
    """The plan as a table whose rows open their item: status, due date, flags, last update,
    verification."""
    _ = app._
    open_id = int(app.item["item_id"]) if app.item else None
    body: list[list[Any]] = []
    current = None
    for r in rows.to_dict("records"):
        last = ""
        if r.get("last_update") is not None and not pd.isna(r["last_update"]):
            last = f"{fmt_date(r['last_update'])} ({r['last_author']})"
        item_id = int(r["item_id"])
        issue = str(r["issue"] or "").strip() or links.item_name(item_id, _)
        opens = views().open_link(app.item_url(item_id), issue, item_id == open_id)
        cells = [
            f"#{item_id}",
            app.cp_name(r),
            opens,
            app.badge(STATUS_LABELS, r["status"]),
            fmt_date(r["due_date"]),
            views().flags(item_flags(r, _)),
            last,
            app.badge(VERIFICATION_LABELS, r.get("verification")),
        ]
        if item_id == open_id:
            current = len(body)
        body.append(cells)
    header = [
        "#",
        _("Compliance point"),
        _("Issue"),
        _("Status"),
        _("Due date"),
        _("Flags"),
        _("Last update"),
        _("Verification"),
    ]
    if len(app.table):
        empty = _("No item of this plan is shown: choose All items.")
    else:
        empty = _("This factory has no plan items yet.")
    shown = _("{n} items are not shown.").format(n=hidden) if hidden else ""
    return str(views().plan(_("Improvement Plan"), header, body, empty, shown, current))


def portfolio_html(app: RemediationTracker) -> str:
    """The overdue and persistent open items of every factory of the portfolio."""
    _ = app._
    register = app.register
    scope = app.person.scope() if app.person else {}
    if "country" not in scope:  # an advisor's factories, or a factory person's own
        items = app.store.plan_items_frame(factory_ids=list(register["factory_id"]))
    else:
        items = app.store.plan_items_frame(country=scope.get("country"))
    ids = sorted(items["factory_id"].unique()) if len(items) else []
    flags = persistent_items(
        items,
        app.store.non_compliant_findings(ids),
        assessments=app.store.assessments_frame(factory_ids=ids),
    )
    table = plan_table(items, pd.DataFrame(), flags, app.today) if len(items) else items
    if len(table):
        still_open = table["status"] != Status.COMPLETED.value
        table = table[table["overdue"] | (table["persistent"] & still_open)]
        # the longest overdue first; a country's list is long, the page stays light
        table = table.sort_values(["due_date", "factory_id"], na_position="last")
    hidden = max(0, len(table) - MAX_PORTFOLIO_ROWS)
    table = table.head(MAX_PORTFOLIO_ROWS)
    base = app.request.base_url
    body = []
    for r in table.to_dict("records"):
        url = links.item_url(base, r["factory_id"], r["item_id"], app.lang)
        issue = str(r["issue"] or "").strip() or links.item_name(r["item_id"], _)
        body.append(
            [
                f"{r['factory_id']} — {r['factory_name']}",
                f"#{r['item_id']}",
                app.cp_name(r),
                views().open_link(url, issue),
                app.badge(STATUS_LABELS, r["status"]),
                fmt_date(r["due_date"]),
                views().flags(item_flags(r, _)),
            ]
        )
    header = [
        _("Factory"),
        "#",
        _("Compliance point"),
        _("Issue"),
        _("Status"),
        _("Due date"),
        _("Flags"),
    ]
    intro = _(
        "Open items that are overdue or whose non-compliance persisted, across your portfolio."
    )
    more = _("{n} more items are not shown.").format(n=hidden) if hidden else ""
    empty = _("No overdue or persistent items.")
    return str(views().portfolio(intro, header, body, empty, more))
