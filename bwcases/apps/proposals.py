"""Proposals in the apps: a factory person follows hers, the reviewer accepts or sends back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import pandas as pd

from bwcases.apps.common import (
    PRIORITY_LABELS,
    STATUS_LABELS,
    AppShell,
    Field,
    busy,
    domain_label,
    failure_text,
    fmt_date,
    guarded,
    html,
    iso,
    label_of,
    notice_html,
    shared_layout,
    status_move,
)
from bwcases.apps.forms import ITEM_LABELS
from bwcases.core.domain import ProposalKind, ProposalState
from bwcases.core.errors import BwcasesError, ProposalConflictError
from bwcases.core.i18n import COMPLIANCE_POINT, N_
from bwcases.core.links import PLAN_PAGE, item_url, page_url
from bwcases.render.templating import macros
from bwcases.store.proposals import COMMENT_LIMIT

VIEWS = "apps/proposals.html.j2"
STATE_LABELS = {
    ProposalState.PENDING.value: N_("Proposed — waiting for review"),
    ProposalState.ACCEPTED.value: N_("Accepted"),
    ProposalState.SENT_BACK.value: N_("Sent back"),
}
KIND_CLASS = {
    ProposalState.PENDING.value: "pending",
    ProposalState.ACCEPTED.value: "accepted",
    ProposalState.SENT_BACK.value: "sent-back",
}


def views() -> Any:
    """The proposals' views (bwcases.render's apps/proposals.html.j2), each a macro."""
    return macros(VIEWS)


def style() -> str:
    """The proposals' styles, for an app's page."""
    return str(views().style())


def changes(row: dict[str, Any], app: AppShell) -> list[tuple[str, str, str | None]]:
    """What a proposal asks, as (label, proposed, before) texts in her language."""
    _ = app._
    values = row["values"]
    if row["kind"] == ProposalKind.PROGRESS.value:
        seen = str(values.get("seen_status") or "")
        move = status_move(seen, values["status"], _, app.rtl) if seen else ""
        out: list[tuple[str, str, str | None]] = [
            (_("Date"), fmt_date(values.get("date")), None),
            (_("New status"), move or label_of(STATUS_LABELS, values["status"], _), None),
            (_("Note"), str(values.get("note") or ""), None),
        ]
        return out  # its files are links of their own (file_links)
    seen, fields = values.get("seen"), values["fields"]
    return [
        (
            _(label),
            shown_value(key, fields[key], app),
            shown_value(key, seen[key], app) if seen is not None and key in seen else None,
        )
        for key, label in ITEM_LABELS.items()  # the form's order
        if key in fields
    ]


def still_open(proposals: pd.DataFrame) -> list[dict[str, Any]]:
    """Of proposals (newest first), the pending ones, and those sent back that no newer one
    answers: of the same item, or for a new item, hers of the same compliance point."""
    shown: list[dict[str, Any]] = []
    answered: set[Any] = set()
    for row in proposals.to_dict("records") if len(proposals) else []:
        new = pd.isna(row["item_id"])
        about = (row["proposed_by"], row["compliance_point"]) if new else int(row["item_id"])
        pending = row["state"] == ProposalState.PENDING.value
        unanswered = row["state"] == ProposalState.SENT_BACK.value and about not in answered
        if pending or unanswered:
            shown.append(row)
        answered.add(about)
    return shown


def file_links(row: dict[str, Any], base_url: str) -> list[tuple[str, str]]:
    """A proposal's files as (address, name): the server sends them to whose portfolio holds
    the factory (web.evidence.PROPOSAL_ROUTE)."""
    pid = int(row["proposal_id"])
    return [(f"{base_url}proposal-evidence/{pid}/{sha}", name) for sha, name in row["evidence"]]


def shown_value(key: str, value: Any, app: AppShell) -> str:
    """A proposed field's value as she reads it."""
    _ = app._
    if key == "due_date":
        return fmt_date(value) or "–"
    if key == "picc_agreed":
        return _("Yes") if value else _("No")
    if key == "priority":
        return label_of(PRIORITY_LABELS, value, _)
    if key == "compliance_point":
        return domain_label(COMPLIANCE_POINT, value, app.lang)
    return str(value if value is not None else "") or "–"


class ProposalPanel(widgets.VBox):
    """The proposals of one plan item, or the new items proposed for a factory (no item): each
    as she proposed it, with Accept and Send back (with a comment) for who may review it."""

    def __init__(
        self, app: AppShell, on_reviewed: Callable[[int | None], None], level: int = 4
    ) -> None:
        self.app = app
        self.level = level  # its heading's, one below the heading it comes under
        self.on_reviewed = on_reviewed  # with the item accepted (None: sent back)
        self.factory_id = ""
        self.item_id: int | None = None
        self.rows: list[dict[str, Any]] = []
        self.message = html()
        self.message.add_class("bw-form-message")
        super().__init__(layout=shared_layout())
        self.add_class("bw-proposals")

    @property
    def reviewer(self) -> bool:
        """Whether the signed-in person may review this factory's proposals."""
        return self.app.may_edit(self.app.picker.row(self.factory_id))

    def show(self, factory_id: str, item_id: int | None) -> None:
        """Read and draw the proposals still to act on, of an item or of new items."""
        self.factory_id, self.item_id = factory_id, item_id
        store = self.app.store
        if item_id is not None:
            df = store.proposals_frame(item_ids=[item_id])
        else:
            df = store.proposals_frame(factory_ids=[factory_id])
            df = df[df["item_id"].isna()]
        self.rows = still_open(df)
        self.draw()

    def clear(self) -> None:
        """Show nothing (no item open)."""
        self.item_id, self.rows = None, []
        self.message.value = ""
        self.draw()

    def draw(self) -> None:
        """Draw the proposals in the page's language (no heading when there is none)."""
        _ = self.app._
        if not self.rows:
            self.children = (self.message,)
            return
        title = _("Proposals of the factory") if self.item_id else _("New items proposed")
        boxes: list[widgets.Widget] = [html(str(views().title(title, self.level)))]
        for row in self.rows:
            boxes.append(self._box(row))
        self.children = (*boxes, self.message)

    def _box(self, row: dict[str, Any]) -> widgets.Widget:
        _ = self.app._
        meta = _("#{id}, proposed by {name} on {date}").format(
            id=row["proposal_id"], name=row["proposed_by"], date=fmt_date(row["proposed_at"])
        )
        if self.item_id is None:
            meta += " — " + domain_label(COMPLIANCE_POINT, row["compliance_point"], self.app.lang)
        comment = str(row["review_comment"] or "")
        sender = _("{name} sent it back:").format(name=row["reviewed_by"])
        card = html(
            str(
                views().proposal(
                    KIND_CLASS.get(row["state"], "pending"),
                    label_of(STATE_LABELS, row["state"], _),
                    meta,
                    changes(row, self.app),
                    _("Before:"),
                    sender if comment else "",
                    comment,
                    _("Evidence files"),
                    file_links(row, self.app.request.base_url),
                )
            )
        )
        if row["state"] != ProposalState.PENDING.value or not self.reviewer:
            return card
        return widgets.VBox([card, *self._review_controls(int(row["proposal_id"]))])

    def _review_controls(self, proposal_id: int) -> list[widgets.Widget]:
        _ = self.app._
        note = Field(
            f"comment_{proposal_id}",
            widgets.Textarea,
            N_("Comment (to send it back)"),
            rows=2,
            limit=COMMENT_LIMIT,
        )
        note.relabel(_)
        # the page's own colours: ipywidgets' success and warning miss a 4.5:1 contrast
        accept = widgets.Button(description=_("Accept"), button_style="primary")
        back = widgets.Button(description=_("Send back"))
        over = widgets.Button(description=_("Accept over their changes"))
        over.layout.display = "none"  # offered when someone changed the same fields meanwhile
        said = html()
        for button in (accept, back, over):
            button.add_class("bw-once")
        accept.on_click(lambda _b: self._accept(proposal_id, accept, over, said, False))
        over.on_click(lambda _b: self._accept(proposal_id, over, over, said, True))
        back.on_click(lambda _b: self._send_back(proposal_id, back, note, said))
        actions = widgets.HBox([accept, back, over])
        actions.add_class("bw-proposal-actions")
        return [note, actions, said]

    @guarded
    def _accept(self, proposal_id: int, button: Any, over: Any, said: Any, overwrite: bool) -> None:
        _ = self.app._
        person = self.app.person
        if person is None or not self.reviewer:
            return
        with busy(button, _("Saving…")):
            try:
                item_id, _version = self.app.store.accept_proposal(
                    proposal_id, reviewer=person.name, overwrite=overwrite, on=self.app.today
                )
            except ProposalConflictError as exc:
                fields = ", ".join(_(ITEM_LABELS.get(k, k)) for k in exc.fields)
                said.value = notice_html(
                    _(
                        "Not accepted yet: {fields} changed since it was proposed. Accept it "
                        "over their changes, or send it back."
                    ).format(fields=fields),
                    "error",
                )
                over.layout.display = None
                return
            except BwcasesError as exc:
                said.value = notice_html(failure_text(self.app, exc), "error")
                return
        self.on_reviewed(item_id)
        self.message.value = notice_html(
            _("Proposal #{id} was accepted.").format(id=proposal_id), "success"
        )

    @guarded
    def _send_back(self, proposal_id: int, button: Any, note: Field, said: Any) -> None:
        _ = self.app._
        person = self.app.person
        if person is None or not self.reviewer:
            return
        comment = str(note.control.value or "").strip()
        if not comment:
            note.show_error(_("Say why it is sent back: the factory reads it."))
            return
        note.show_error(None)
        with busy(button, _("Saving…")):
            try:
                self.app.store.send_back_proposal(
                    proposal_id, reviewer=person.name, comment=comment
                )
            except BwcasesError as exc:
                said.value = notice_html(failure_text(self.app, exc), "error")
                return
        self.on_reviewed(None)
        self.message.value = notice_html(
            _("Proposal #{id} was sent back.").format(id=proposal_id), "success"
        )


def to_review_html(app: AppShell, pending: pd.DataFrame) -> str:
    """The proposals waiting for her review, each linked to where she reviews it: the item in
    the tracker, a new item in the Improvement Plan (nothing when there is none)."""
    _ = app._
    if pending.empty:
        return ""
    rows = []
    for r in pending.to_dict("records"):
        base = app.request.base_url
        if pd.isna(r["item_id"]):
            url = page_url(base, PLAN_PAGE, factory=r["factory_id"], lang=app.lang)
            what = _("New item")
        else:
            item = int(r["item_id"])
            url = item_url(base, r["factory_id"], item, app.lang)
            what = _("Plan item #{id}").format(id=item)
        kind = _("Progress") if r["kind"] == ProposalKind.PROGRESS.value else _("Plan item")
        rows.append(
            [
                iso(f"{r['factory_id']} — {r['factory_name']}", app.rtl),
                views().review_link(url, what),
                domain_label(COMPLIANCE_POINT, r["compliance_point"], app.lang),
                kind,
                r["proposed_by"],
                fmt_date(r["proposed_at"]),
            ]
        )
    header = [
        _("Factory"),
        _("Review"),
        _("Compliance point"),
        _("Proposal"),
        _("Proposed by"),
        _("Date"),
    ]
    title = _("Proposals to review ({n})").format(n=len(rows))
    return str(views().to_review(title, header, rows))
