"""The remediation tracker: plan table, progress with evidence, verification, history."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import pandas as pd
from markupsafe import Markup

from bwcases.analysis.persistence import persistent_items
from bwcases.apps.comments import CommentThread
from bwcases.apps.common import (
    ANY,
    PRIORITY_LABELS,
    STATE_BADGES,
    STATUS_LABELS,
    VERIFICATION_LABELS,
    AppShell,
    Field,
    busy,
    cut,
    domain_label,
    fmt_date,
    guarded,
    heading,
    html,
    iso,
    label_of,
    notice_html,
    options,
    quiet,
    replace_options,
    set_if_offered,
    shared_layout,
    status_move,
)
from bwcases.apps.drafts import DraftKeeper
from bwcases.apps.evidence import ACCEPT, ChosenFiles, stored_files
from bwcases.apps.evidence import views as evidence_views
from bwcases.apps.plan_offline import PlanWorkbookPanel
from bwcases.apps.proposals import ProposalPanel
from bwcases.apps.proposals import style as proposal_style
from bwcases.apps.remediation import changes_text, plan_table
from bwcases.apps.request import PageRequest
from bwcases.apps.tracker_progress import DRAFTS, record_progress, verify_item
from bwcases.apps.tracker_tables import (
    ALL,
    OPEN,
    OVERDUE,
    SHOWN,
    plan_html,
    portfolio_html,
    show_masks,
    views,
)
from bwcases.core import links
from bwcases.core.domain import Status, Verification, next_statuses
from bwcases.core.i18n import COMPLIANCE_POINT, N_
from bwcases.store import Store

NOTE_LIMIT = 5000  # as an item's own texts (domain.ITEM_TEXT_LIMITS)


class RemediationTracker(AppShell):
    """Follow each item of a factory's plan until it is fixed; see the portfolio's problems."""

    title = N_("Remediation tracker")
    page = links.TRACKER_PAGE

    def build(self) -> None:
        """Create the two tabs and the item's panels."""
        self.items = pd.DataFrame()
        self.table = pd.DataFrame()
        self.item: dict[str, Any] = {}
        self.updates = pd.DataFrame()
        self.stored: list[dict[str, str]] = []  # the open item's files, as the views show them
        self.summary = html()
        self.plan = html()
        self.choice = widgets.Dropdown(layout=widgets.Layout(width="100%", max_width="640px"))
        self.choice.add_class("bw-stack")
        self.choice.style.description_width = "initial"
        self.show = widgets.Dropdown(options=[("…", ALL)], layout=shared_layout("260px"))
        self.show.add_class("bw-stack")
        self.show.style.description_width = "initial"
        find = widgets.HBox([self.choice, self.show], layout=shared_layout())
        find.add_class("bw-tracker-find")
        self.detail = html()
        self.files = html()
        self.evidence = widgets.VBox([self.files], layout=shared_layout())
        self.fields = {
            "date": Field("date", "date", N_("Date"), True),
            "status": Field("status", widgets.Dropdown, N_("New status")),
            "note": Field("note", widgets.Textarea, N_("Note"), True, rows=3, limit=NOTE_LIMIT),
            "without_evidence": Field(
                "without_evidence",
                widgets.Text,
                N_("Accepted without evidence because"),
                hideable=True,
                limit=NOTE_LIMIT,
            ),
            "files": Field(
                "files", widgets.FileUpload, N_("Evidence files"), accept=ACCEPT, multiple=True
            ),
        }
        self.fields["files"].control.add_class("bw-evidence-choose")
        self.chosen = ChosenFiles(self.fields["files"].control)
        self.chosen.on_remove = self._on_remove_file
        self.record = widgets.Button(button_style="primary")
        self.record.add_class("bw-once")
        self.record_message = html()
        self.record_message.add_class("bw-form-message")
        self.progress = widgets.VBox(layout=shared_layout())
        self.keeper = DraftKeeper(self, DRAFTS, self.fields, self.progress)
        self.keeper.on_edit = self._on_edit
        self.keeper.files_chosen = lambda: len(self.chosen.uploads)
        self.progress.children = (
            html(),
            self.keeper.offer,
            self.keeper.ask,
            *self.fields.values(),
            self.chosen,
            self.record_message,
            self.keeper.status,
            self.record,
        )
        self.progress.add_class("bw-box")
        self.fields["status"].control.observe(lambda _c: self._show_without(), names="value")
        self.evidence_count = 0
        self.verify_evidence = html()
        self.verify_note = Field("verify_note", widgets.Text, N_("Note"))
        self.verify = widgets.Button(button_style="success", layout=shared_layout())
        self.reject = widgets.Button(button_style="warning", layout=shared_layout())
        for button in (self.verify, self.reject):
            button.add_class("bw-once")
        self.verify_message = html()
        self.verification = widgets.VBox(
            [
                html(),
                self.verify_evidence,
                self.verify_note,
                widgets.HBox([self.verify, self.reject], layout=shared_layout()),
                self.verify_message,
            ]
        )
        self.verification.add_class("bw-box")
        self.history = html()
        self.item_message = html()  # what an action on the item did: shown whatever box hides
        # a factory person's proposals of the item: hers to follow, the reviewer's to decide
        self.proposals = ProposalPanel(self, self._on_reviewed)
        self.comments = CommentThread(self)  # the item's thread, internal or shared
        self.item_box = widgets.VBox(
            [
                self.detail,
                self.item_message,
                self.proposals,
                self.verification,
                self.progress,
                self.evidence,
                self.comments,
                self.history,
            ]
        )
        # what she looks for first: the chooser and the filter, then the item, then the plan
        self.offline = PlanWorkbookPanel(self, self._on_plan_imported)  # the plan in a workbook
        self.factory_box = widgets.VBox(
            [self.summary, find, self.item_box, self.plan, self.offline], layout=shared_layout()
        )
        self.portfolio_view = html()
        self.tabs = widgets.Tab(children=[self.factory_box, self.portfolio_view])
        self.content = [html(str(views().style()) + proposal_style()), self.picker, self.tabs]
        self._show_item_box(False)
        self.picker.factory.observe(self._on_factory, names="value")
        self.choice.observe(self._on_choice, names="value")
        self.show.observe(self._on_show, names="value")
        self.fields["files"].control.observe(self._on_files, names="value")
        self.record.on_click(self._on_record)
        self.verify.on_click(lambda _b: self._on_verify(True))
        self.reject.on_click(lambda _b: self._on_verify(False))
        self.tabs.observe(self._on_tab, names="selected_index")

    def relabel(self) -> None:
        """Put every text in the page's language and redraw."""
        _ = self._
        self.picker.relabel(_, self.rtl)
        self.tabs.titles = (_("Factory plan"), _("Overdue and persistent items"))
        self.choice.description = _("Item")
        self.show.description = _("Show")
        for field in [*self.fields.values(), self.verify_note]:
            field.relabel(_)
        self.fields["files"].control.description = _("Evidence files")
        self.chosen.relabel(_)
        self.keeper.relabel()
        self.comments.relabel()
        self.offline.relabel()
        self._offer_statuses()
        self.record.description = self._record_label()
        self.verify.description = _("Verify the fix")
        self.reject.description = _("Send back")
        self.progress.children[0].value = heading(_("Record progress"))
        self.verification.children[0].value = heading(_("Verification"))
        if self.factory_id:
            self.draw()
            if self.item:
                self.proposals.draw()
        else:
            self.say(_("Choose a factory of your portfolio."))
        if self.tabs.selected_index == 1:
            self.draw_portfolio()

    def start(self) -> None:
        """Open the factory the page asked for, and the item it asked for when it is in its plan,
        with the plan's filter the address names (a row's link keeps hers)."""
        if self.request.show in SHOWN:  # before the factory is drawn: it keeps an offered value
            replace_options(self.show, [("…", self.request.show)])
        super().start()
        asked = self.request.item_id
        if asked is None or not self.factory_id:
            return
        offered = {v for _label, v in self.choice.options}
        if str(asked) in offered:  # the factory's plan, of her portfolio: nothing else
            self.choice.value = str(asked)
        else:
            self.say(
                self._("Item #{id} is not in this factory's plan.").format(id=asked), "warning"
            )

    # -- what a person does ------------------------------------------------------------------

    @guarded
    def _on_factory(self, change: dict[str, Any]) -> None:
        if quiet(change):
            return
        self.factory_id = str(change["new"] or "")
        self.nav.value = self.nav_html()
        self.item = {}
        self._show_item_box(False)
        self.offline.show(self.factory_id, self.picker.row(self.factory_id))
        if not self.factory_id:
            self.summary.value = self.plan.value = ""
            replace_options(self.choice, [])
            self.say(self._("Choose a factory of your portfolio."))
            return
        self.say("")
        self.load()
        self.draw()

    @guarded
    def _on_choice(self, change: dict[str, Any]) -> None:
        if quiet(change):
            return
        old, new = str(change["old"] or ""), str(change["new"] or "")

        def go() -> None:
            set_if_offered(self.choice, new)  # none when she left the factory
            self.open_item(int(new) if new else None)

        self.keeper.leave(go, lambda: set_if_offered(self.choice, old))

    def _on_edit(self) -> None:
        for message in (self.record_message, self.item_message):
            if "bw-error" not in message.value:
                message.value = ""  # she is on to the next change

    @guarded
    def _on_tab(self, change: dict[str, Any]) -> None:
        if change["new"] == 1:
            self.draw_portfolio()

    @guarded
    def _on_show(self, change: dict[str, Any]) -> None:
        if quiet(change) or not self.factory_id:
            return
        self.draw_plan()  # the open item is unchanged

    @guarded
    def _on_files(self, change: dict[str, Any]) -> None:
        if self.chosen.giving_names:
            return
        self.chosen.take(change["new"])
        self._show_files_problem()

    @guarded
    def _on_remove_file(self, index: int) -> None:
        self.chosen.remove(index)
        self._show_files_problem()

    def _show_files_problem(self) -> None:
        """Say at once why a chosen file cannot be stored (it is listed with the reason too)."""
        self.fields["files"].show_error(self.chosen.problem)
        self._on_edit()

    @guarded
    def _on_record(self, _button: Any) -> None:
        # busy() answers every click: the page holds a clicked button until the kernel does
        with busy(self.record, self._("Saving…")):
            if self.keeper.just_saved:  # a second click of the same update: it is recorded
                done = self._("The update was recorded.")
                self.record_message.value = notice_html(done, "success")
                return
            self.record_progress()

    @guarded
    def _on_verify(self, verified: bool) -> None:
        with busy(self.verify if verified else self.reject, self._("Saving…")):
            if self.item.get("verification") != Verification.AWAITING.value:
                return  # a second click: the first one's confirmation is shown already
            self.verify_item(verified)

    def open_item(self, item_id: int | None) -> None:
        """Show one item: its details, history, evidence and the forms to move it on."""
        self.keeper.close()
        self.chosen.clear()
        self.fields["files"].show_error(None)
        if item_id is None:
            self.item = {}
            self._show_item_box(False)
            if self.factory_id:
                self.draw_plan()
            return
        self.item = self.store.plan_item(item_id)
        factory = self.picker.row(self.factory_id)
        editable = self.may_edit(factory) or self.may_propose(factory)
        self.record.description = self._record_label()
        self._offer_statuses()
        self.fields["date"].set(self.today)
        self.fields["status"].control.value = self.item["status"]
        self.fields["note"].control.value = ""
        self.fields["without_evidence"].control.value = ""
        for field in self.fields.values():
            field.show_error(None)
            field.control.disabled = not editable
        self.record.layout.display = None if editable else "none"
        self.record_message.value = self.item_message.value = ""
        self.verify_message.value = ""
        self._show_item_box(True)
        self.draw_plan()  # its row marked as the open one
        self.draw_item()
        self.comments.show_item(item_id, self.factory_id)
        self.proposals.show(self.factory_id, item_id)
        self._show_without()
        if editable:
            self.keeper.open(f"item:{item_id}")

    def _record_label(self) -> str:
        """The progress form's button: a factory person's update is a proposal."""
        if self.factory_id and self.may_propose(self.picker.row(self.factory_id)):
            return self._("Propose the update")
        return self._("Record the update")

    @guarded
    def _on_plan_imported(self) -> None:
        """A workbook brought back changed the plan: show it as it is now."""
        self.load()
        if self.item:
            self.open_item(int(self.item["item_id"]))
        else:
            self.draw()

    def _on_reviewed(self, item_id: int | None) -> None:
        """A proposal was accepted or sent back: show the item as it is now."""
        self.load()
        self.open_item(item_id or int(self.item["item_id"]))

    def _offer_statuses(self) -> None:
        """Only the statuses the open item may move to."""
        stored = Status(self.item["status"]) if self.item else Status.PENDING
        labels = {s.value: STATUS_LABELS[s.value] for s in next_statuses(stored)}
        replace_options(self.fields["status"].control, options(labels, self._))

    def _show_without(self) -> None:
        # programme staff may accept a completion without evidence, by writing why
        completing = (
            bool(self.item)
            and self.fields["status"].control.value == Status.COMPLETED.value
            and self.item["status"] != Status.COMPLETED.value
        )
        staff = bool(self.person and self.person.can_verify)
        self.fields["without_evidence"].layout.display = None if completing and staff else "none"

    def record_progress(self) -> bool:
        """Validate and save an update with its files; the form keeps its input on failure."""
        return record_progress(self)

    def verify_item(self, verified: bool) -> bool:
        """Programme staff verify the fix of a completed public-disclosure item, or send it back."""
        return verify_item(self, verified)

    # -- reading and drawing -----------------------------------------------------------------

    def load(self) -> None:
        """Read the factory's plan, progress updates and findings from the store."""
        ids = [self.factory_id]
        items = self.store.plan_items_frame(factory_ids=ids)
        updates = self.store.progress_updates_frame(factory_ids=ids)
        flags = persistent_items(
            items,
            self.store.non_compliant_findings(ids),
            assessments=self.store.assessments_frame(factory_ids=ids),
        )
        self.items = items
        self.table = plan_table(items, updates, flags, self.today)
        self.updates = updates

    def draw(self) -> None:
        """Show the factory's plan, the item chooser and the open item."""
        self.draw_plan()
        if self.item:
            self.draw_item()

    def draw_plan(self) -> None:
        """Show the factory's summary, its plan (the items the filter shows) and the chooser."""
        _ = self._
        factory = self.picker.row(self.factory_id)
        rows = self.table
        masks = show_masks(rows)  # each filter's rows, found once for its count and its table
        counts = {show: int(mask.sum()) for show, mask in masks.items()}
        facts = _("Items: {n} · open: {open} · overdue: {overdue}").format(
            n=counts[ALL], open=counts[OPEN], overdue=counts[OVERDUE]
        )
        name = factory.get("factory_name", "")
        self.summary.value = str(views().summary(name, [iso(self.factory_id, self.rtl), facts]))
        replace_options(
            self.show, [(_(label).format(n=counts[show]), show) for show, label in SHOWN.items()]
        )
        shown = rows[masks.get(str(self.show.value), masks[ALL])]
        self.plan.value = plan_html(self, shown, hidden=len(rows) - len(shown))
        listed = shown
        if self.item and int(self.item["item_id"]) not in set(shown["item_id"]):
            listed = rows[rows["item_id"] == int(self.item["item_id"])]  # the open one stays
            listed = pd.concat([listed, shown]) if len(shown) else listed
        choices = [(_("Choose an item…"), ANY)] + [
            (
                f"#{r['item_id']} {self.cp_name(r)}: {iso(cut(str(r['issue']), 70), self.rtl)}",
                str(r["item_id"]),
            )
            for r in listed.to_dict("records")
        ]
        replace_options(self.choice, choices)

    def item_url(self, item_id: int) -> str:
        """The address of this page with an item open and the plan filtered as now (its row's
        link)."""
        shown = str(self.show.value or ALL)
        more = {} if shown == ALL else {"show": shown}  # the plain address while all are shown
        return links.item_url(self.request.base_url, self.factory_id, item_id, self.lang, **more)

    def cp_name(self, row: dict[str, Any]) -> str:
        """An item's compliance point in her language (set apart in a right-to-left page)."""
        return domain_label(COMPLIANCE_POINT, row["compliance_point"], self.lang)

    def badge(self, labels: dict[str, str], value: Any) -> Markup:
        """A status or a verification as a badge of its colour (nothing for none)."""
        if value not in labels:
            return Markup()
        kind = STATE_BADGES.get(str(value), "")
        return Markup(views().badge(label_of(labels, value, self._), kind))

    def draw_item(self) -> None:
        """Show the chosen item's details, evidence, verification and history."""
        _ = self._
        it = self.item
        picc = _("Yes") if it.get("picc_agreed") else _("No")
        status = self.badge(STATUS_LABELS, it["status"])
        facts: list[tuple[str, Any]] = [
            (_("Issue"), it["issue"]),
            (_("Action"), it["action"]),
            (_("Responsible person"), it["responsible"]),
            (_("Due date"), fmt_date(it["due_date"])),
            (_("Root cause"), it.get("root_cause") or "–"),
            (_("Priority"), label_of(PRIORITY_LABELS, it.get("priority"), _)),
            (_("Agreed by the PICC"), picc),
            (_("Status"), status),
        ]
        if it.get("verification") in VERIFICATION_LABELS:
            who = f" ({it['verified_by']})" if it.get("verified_by") else ""
            verification = self.badge(VERIFICATION_LABELS, it["verification"]) + who
            facts.append((_("Verification"), verification))
        title = links.item_name(it["item_id"], _) + ": " + self.cp_name(it)
        self.detail.value = str(views().item(title, facts))
        awaiting = it.get("verification") == Verification.AWAITING.value
        staff = bool(
            self.person
            and self.person.can_verify
            and self.person.covers(self.picker.row(self.factory_id))
        )
        self.verification.layout.display = None if awaiting and staff else "none"
        self.draw_evidence()
        self.history.value = self.history_html()

    def item_updates(self) -> pd.DataFrame:
        """The open item's progress updates."""
        if not len(self.updates):
            return self.updates
        return self.updates[self.updates["item_id"] == int(self.item["item_id"])]

    def draw_evidence(self) -> None:
        """Show the item's evidence files: each with its picture, its link and its update."""
        _ = self._
        files = self.store.evidence_frame([int(self.item["item_id"])])
        self.stored = stored_files(files, self.item_updates(), self.request.base_url, _)
        title, empty = _("Evidence files"), _("No evidence files yet.")
        self.files.value = str(evidence_views().stored(title, self.stored, empty))
        self.evidence_count = len(files)
        # what staff verify against, in the box where they verify
        warning = (
            _(
                "No evidence file was recorded for this item. Verify it only if you saw the "
                "fix yourself, and say so in the note."
            )
            if files.empty
            else ""
        )
        self.verify_evidence.value = str(
            evidence_views().verified_against(title, self.stored, empty, warning)
        )

    def history_html(self) -> str:
        """The item's progress updates, each with its files, and its audit trail."""
        _ = self._
        item_id = int(self.item["item_id"])
        files_of: dict[str, list[dict[str, str]]] = {}
        for f in self.stored:
            files_of.setdefault(f["update_id"], []).append(f)
        updates = {
            "title": _("Progress updates"),
            "header": [_("Date"), _("By"), _("Status"), _("Note"), _("Files")],
            "rows": [
                [
                    fmt_date(u["date"]),
                    u["author"],
                    status_move(u["old_status"], u["new_status"], _, self.rtl),
                    u["note"],
                    evidence_views().update_files(files_of.get(str(int(u["id"])), [])),
                ]
                for u in self.item_updates().to_dict("records")
            ],
        }
        trail = self.store.history("plan_items", item_id)
        changes = {
            "title": _("Changes (audit trail)"),
            "header": [_("Date"), _("By"), _("Change")],
            "rows": [
                [
                    fmt_date(a["at"]),
                    a["actor"],
                    changes_text(a["action"], a["before"], a["after"], _, self.rtl),
                ]
                for a in trail.to_dict("records")
            ],
        }
        return str(views().history(_("History"), updates, changes, _("None yet.")))

    def draw_portfolio(self) -> None:
        """The overdue and persistent open items of every factory of the portfolio."""
        self.portfolio_view.value = portfolio_html(self)

    def _show_item_box(self, shown_: bool) -> None:
        self.item_box.layout.display = None if shown_ else "none"


def remediation_tracker(store: Store, request: PageRequest | None = None) -> RemediationTracker:
    """The app, for the person who asked for the page (or built ahead, for .answer(request))."""
    return RemediationTracker(store, request)
