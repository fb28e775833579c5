"""The remediation tracker: plan table, progress with evidence, verification, history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import pandas as pd

from bwcases.analysis.persistence import persistent_items
from bwcases.apps.common import (
    ANY,
    STATUS_LABELS,
    VERIFICATION_LABELS,
    AppShell,
    Field,
    as_date,
    busy,
    cut,
    failure_text,
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
    set_quietly,
    shared_layout,
    status_move,
)
from bwcases.apps.drafts import DraftKeeper
from bwcases.apps.evidence import ACCEPT, check_uploads, download_link, size_text
from bwcases.apps.remediation import changes_text, plan_table, validate_progress
from bwcases.apps.request import PageRequest
from bwcases.core.domain import Status, Verification, next_statuses
from bwcases.core.errors import BwcasesError, ConflictError, ValidationError
from bwcases.core.i18n import N_
from bwcases.render.templating import macros
from bwcases.store import Store

MAX_PORTFOLIO_ROWS = 300
DRAFTS = "progress"  # the form's name among a person's drafts
NOTE_LIMIT = 5000  # as an item's own texts (domain.ITEM_TEXT_LIMITS)
VIEWS = "apps/tracker.html.j2"  # the summary, plan, item, evidence, history and portfolio


def views() -> Any:
    """The tracker's views (bwcases.render's apps/tracker.html.j2), each a macro."""
    return macros(VIEWS)


def item_flags(row: dict[str, Any], _: Callable[[str], str]) -> list[tuple[str, str]]:
    """An item's flags, (text, kind): overdue, persistent."""
    flags = [(_("Overdue"), "overdue")] if row["overdue"] else []
    if row["persistent"]:
        flags.append((_("Persistent"), "persistent"))
    return flags


class RemediationTracker(AppShell):
    """Follow each item of a factory's plan until it is fixed; see the portfolio's problems."""

    title = N_("Remediation tracker")
    page = "remediation_tracker.ipynb"

    def build(self) -> None:
        """Create the two tabs and the item's panels."""
        self.items = pd.DataFrame()
        self.table = pd.DataFrame()
        self.item: dict[str, Any] = {}
        self.updates = pd.DataFrame()
        self.file_names: dict[str, str] = {}
        self.summary = html()
        self.plan = html()
        self.choice = widgets.Dropdown(layout=widgets.Layout(width="100%", max_width="760px"))
        self.choice.add_class("bw-stack")
        self.choice.style.description_width = "initial"
        self.detail = html()
        self.files = html()
        self.file_choice = widgets.Dropdown(layout=widgets.Layout(width="auto"))
        self.download = widgets.Button(layout=widgets.Layout(width="auto"))
        self.link = html()
        files = widgets.HBox([self.file_choice, self.download, self.link], layout=shared_layout())
        self.evidence = widgets.VBox([self.files, files], layout=shared_layout())
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
        self.record = widgets.Button(button_style="primary")
        self.record.add_class("bw-once")
        self.record_message = html()
        self.record_message.add_class("bw-form-message")
        self.progress = widgets.VBox(layout=shared_layout())
        self.keeper = DraftKeeper(self, DRAFTS, self.fields, self.progress)
        self.keeper.on_edit = self._on_edit
        self.progress.children = (
            html(),
            self.keeper.offer,
            self.keeper.ask,
            *self.fields.values(),
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
        self.item_box = widgets.VBox(
            [
                self.detail,
                self.item_message,
                self.verification,
                self.progress,
                self.evidence,
                self.history,
            ]
        )
        self.factory_box = widgets.VBox(
            [self.summary, self.plan, self.choice, self.item_box], layout=shared_layout()
        )
        self.portfolio_view = html()
        self.tabs = widgets.Tab(children=[self.factory_box, self.portfolio_view])
        self.content = [self.picker, self.tabs]
        self._show_item_box(False)
        self.picker.factory.observe(self._on_factory, names="value")
        self.choice.observe(self._on_choice, names="value")
        self.record.on_click(self._on_record)
        self.download.on_click(self._on_download)
        self.verify.on_click(lambda _b: self._on_verify(True))
        self.reject.on_click(lambda _b: self._on_verify(False))
        self.tabs.observe(self._on_tab, names="selected_index")

    def relabel(self) -> None:
        """Put every text in the page's language and redraw."""
        _ = self._
        self.picker.relabel(_, self.rtl)
        self.tabs.titles = (_("Factory plan"), _("Overdue and persistent items"))
        self.choice.description = _("Item")
        for field in [*self.fields.values(), self.verify_note]:
            field.relabel(_)
        self.fields["files"].control.description = _("Evidence files")
        self.keeper.relabel()
        self._offer_statuses()
        self.record.description = _("Record the update")
        self.download.description = _("Download")
        self.verify.description = _("Verify the fix")
        self.reject.description = _("Send back")
        self.progress.children[0].value = heading(_("Record progress"))
        self.verification.children[0].value = heading(_("Verification"))
        if self.factory_id:
            self.draw()
        else:
            self.say(_("Choose a factory of your portfolio."))
        if self.tabs.selected_index == 1:
            self.draw_portfolio()

    def start(self) -> None:
        """Open the factory the page asked for, and the item it asked for when it is in its plan."""
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
            set_quietly(self.choice, new)
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
    def _on_download(self, _button: Any) -> None:
        sha = self.file_choice.value
        if not sha:
            return
        filename = self.file_names.get(sha, "evidence")
        content, media_type = self.store.evidence_file(sha)
        self.link.value = download_link(
            filename, media_type, content, self._("Save {name}").format(name=filename)
        )

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
        self.link.value = ""
        if item_id is None:
            self.item = {}
            self._show_item_box(False)
            return
        self.item = self.store.plan_item(item_id)
        editable = self.may_edit(self.picker.row(self.factory_id))
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
        self.draw_item()
        self._show_without()
        if editable:
            self.keeper.open(f"item:{item_id}")

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
        _ = self._
        if not self.item or not self.may_edit(self.picker.row(self.factory_id)):
            return False
        values = {k: f.get() for k, f in self.fields.items()}
        staff = bool(self.person and self.person.can_verify)
        without = str(values["without_evidence"]).strip() if staff else ""
        values["without_evidence"] = without
        uploads, bad_files = check_uploads(self.fields["files"].control.value, _)
        problems = validate_progress(
            values,
            old_status=Status(self.item["status"]),
            opened_on=as_date(self.item.get("opened_on")),
            today=self.today,
            evidence=self.evidence_count + len(uploads),
            _=_,
        )
        if bad_files:
            problems["files"] = bad_files
        for key, field in self.fields.items():
            field.show_error(problems.get(key))
        if problems:
            self.record_message.value = notice_html(
                _("Nothing was saved: correct the marked fields."), "error"
            )
            return False
        item_id = int(self.item["item_id"])
        version = int(self.item["version"])
        try:
            for attempt in (1, 2):
                try:
                    self.store.add_progress(
                        item_id,
                        date=values["date"],
                        note=str(values["note"]).strip(),
                        new_status=Status(values["status"]),
                        expected_version=version,
                        actor=self.person.name if self.person else "",
                        files=uploads,
                        without_evidence=without,
                        draft=(DRAFTS, f"item:{item_id}"),
                    )
                    break
                except ConflictError as exc:
                    # someone changed the item's texts meanwhile: her update stands unless
                    # the status it moves from changed too
                    if attempt == 2 or exc.current.get("status") != self.item["status"]:
                        raise
                    version = int(exc.current["version"])
        except ConflictError as exc:
            self.item = self.store.plan_item(item_id)
            self.draw_item()
            self.record_message.value = notice_html(
                _(
                    "Not saved: {name} changed this item meanwhile (it is now {status}). "
                    "Your update is still in the form: check it and record it again."
                ).format(
                    name=exc.current.get("updated_by") or _("someone else"),
                    status=label_of(STATUS_LABELS, self.item["status"], _),
                ),
                "error",
            )
            return False
        except ValidationError as exc:
            for key, field in self.fields.items():
                field.show_error(exc.fields.get(key))
            self.record_message.value = notice_html(str(exc), "error")
            return False
        except BwcasesError as exc:
            self.record_message.value = notice_html(failure_text(self, exc), "error")
            return False
        self.keeper.saved()  # before anything else: a pending draft must not outlive the save
        self.fields["files"].control.value = ()
        self.load()
        self.draw()
        self.open_item(item_id)
        self.keeper.saved()
        done = _("The update was recorded.")
        if uploads:
            names = ", ".join(u.filename for u in uploads)
            done += " " + _("Files stored: {names}.").format(names=names)
        self.record_message.value = notice_html(done, "success")
        return True

    def verify_item(self, verified: bool) -> bool:
        """Programme staff verify the fix of a completed public-disclosure item, or send it back."""
        _ = self._
        if not (
            self.person
            and self.person.can_verify
            and self.person.covers(self.picker.row(self.factory_id))
        ):
            return False
        note = str(self.verify_note.control.value).strip()
        if not verified and not note:
            self.verify_note.show_error(_("Say why the fix is sent back."))
            return False
        if verified and not self.evidence_count and not note:
            self.verify_note.show_error(
                _("No evidence file was recorded: say why the fix is verified.")
            )
            return False
        self.verify_note.show_error(None)
        try:
            self.store.verify_item(
                int(self.item["item_id"]),
                verified=verified,
                note=note,
                expected_version=int(self.item["version"]),
                actor=self.person.name,
            )
        except BwcasesError as exc:
            self.verify_message.value = notice_html(failure_text(self, exc), "error")
            return False
        item_id = int(self.item["item_id"])
        self.verify_note.control.value = ""
        self.load()
        self.draw()
        self.open_item(item_id)
        done = (
            _("The fix is verified.") if verified else _("The item was sent back to In Progress.")
        )
        self.item_message.value = notice_html(done, "success")
        return True

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
        """Show the factory's plan and the item chooser."""
        _ = self._
        factory = self.picker.row(self.factory_id)
        rows = self.table
        open_items = int((rows["status"] != Status.COMPLETED.value).sum()) if len(rows) else 0
        overdue = int(rows["overdue"].sum()) if len(rows) else 0
        facts = _("Items: {n} · open: {open} · overdue: {overdue}").format(
            n=len(rows), open=open_items, overdue=overdue
        )
        name = factory.get("factory_name", "")
        self.summary.value = str(views().summary(name, [iso(self.factory_id, self.rtl), facts]))
        self.plan.value = self.plan_html(rows)
        choices = [(_("Choose an item…"), ANY)] + [
            (
                iso(
                    f"#{r['item_id']} {r['compliance_point']}: {cut(str(r['issue']), 70)}", self.rtl
                ),
                str(r["item_id"]),
            )
            for r in rows.to_dict("records")
        ]
        replace_options(self.choice, choices)
        if self.item:
            self.draw_item()

    def plan_html(self, rows: pd.DataFrame) -> str:
        """The plan as a table: status, due date, overdue, last update, verification."""
        _ = self._
        body = []
        for r in rows.to_dict("records"):
            last = ""
            if r.get("last_update") is not None and not pd.isna(r["last_update"]):
                last = f"{fmt_date(r['last_update'])} ({r['last_author']})"
            verification = r.get("verification")
            body.append(
                [
                    f"#{r['item_id']}",
                    r["compliance_point"],
                    r["issue"],
                    label_of(STATUS_LABELS, r["status"], _),
                    fmt_date(r["due_date"]),
                    views().flags(item_flags(r, _)),
                    last,
                    label_of(VERIFICATION_LABELS, verification, _)
                    if verification in VERIFICATION_LABELS
                    else "",
                ]
            )
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
        empty = _("This factory has no plan items yet.")
        return str(views().titled(_("Improvement Plan"), header, body, empty))

    def draw_item(self) -> None:
        """Show the chosen item's details, evidence, verification and history."""
        _ = self._
        it = self.item
        facts = [
            (_("Issue"), it["issue"]),
            (_("Action"), it["action"]),
            (_("Responsible person"), it["responsible"]),
            (_("Due date"), fmt_date(it["due_date"])),
            (_("Status"), label_of(STATUS_LABELS, it["status"], _)),
        ]
        if it.get("verification") in VERIFICATION_LABELS:
            who = f" ({it['verified_by']})" if it.get("verified_by") else ""
            facts.append(
                (_("Verification"), label_of(VERIFICATION_LABELS, it["verification"], _) + who)
            )
        title = _("Plan item #{id}").format(id=it["item_id"]) + ": " + it["compliance_point"]
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

    def draw_evidence(self) -> None:
        """List the item's evidence files and offer each for download."""
        _ = self._
        files = self.store.evidence_frame([int(self.item["item_id"])])
        rows = [
            [fmt_date(f["date"]), f["filename"], size_text(int(f["size"])), f["media_type"]]
            for f in files.to_dict("records")
        ]
        title, empty = _("Evidence files"), _("No evidence files yet.")
        header = [_("Date"), _("File"), _("Size"), _("Type")]
        self.files.value = str(views().titled(title, header, rows, empty))
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
        self.verify_evidence.value = str(views().evidence(title, header, rows, empty, warning))
        records = files.to_dict("records")
        self.file_names = {f["sha256"]: f["filename"] for f in reversed(records)}
        choices = [
            (iso(f"{f['filename']} ({fmt_date(f['date'])})", self.rtl), f["sha256"])
            for f in records
        ]
        replace_options(self.file_choice, choices)
        shown_controls = "flex" if choices else "none"
        self.file_choice.layout.display = self.download.layout.display = shown_controls

    def history_html(self) -> str:
        """The item's progress updates and its audit trail."""
        _ = self._
        item_id = int(self.item["item_id"])
        mine = (
            self.updates[self.updates["item_id"] == item_id] if len(self.updates) else self.updates
        )
        updates = {
            "title": _("Progress updates"),
            "header": [_("Date"), _("By"), _("Status"), _("Note")],
            "rows": [
                [
                    fmt_date(u["date"]),
                    u["author"],
                    status_move(u["old_status"], u["new_status"], _),
                    u["note"],
                ]
                for u in mine.to_dict("records")
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
                    changes_text(a["action"], a["before"], a["after"], _),
                ]
                for a in trail.to_dict("records")
            ],
        }
        return str(views().history(_("History"), updates, changes, _("None yet.")))

    def draw_portfolio(self) -> None:
        """The overdue and persistent open items of every factory of the portfolio."""
        _ = self._
        register = self.register
        scope = self.person.scope() if self.person else {}
        if scope.get("advisor"):
            items = self.store.plan_items_frame(factory_ids=list(register["factory_id"]))
        else:
            items = self.store.plan_items_frame(country=scope.get("country"))
        ids = sorted(items["factory_id"].unique()) if len(items) else []
        flags = persistent_items(
            items,
            self.store.non_compliant_findings(ids),
            assessments=self.store.assessments_frame(factory_ids=ids),
        )
        table = plan_table(items, pd.DataFrame(), flags, self.today) if len(items) else items
        if len(table):
            still_open = table["status"] != Status.COMPLETED.value
            table = table[table["overdue"] | (table["persistent"] & still_open)]
            # the longest overdue first; a country's list is long, the page stays light
            table = table.sort_values(["due_date", "factory_id"], na_position="last")
        hidden = max(0, len(table) - MAX_PORTFOLIO_ROWS)
        table = table.head(MAX_PORTFOLIO_ROWS)
        body = [
            [
                f"{r['factory_id']} — {r['factory_name']}",
                f"#{r['item_id']}",
                r["compliance_point"],
                r["issue"],
                label_of(STATUS_LABELS, r["status"], _),
                fmt_date(r["due_date"]),
                views().flags(item_flags(r, _)),
            ]
            for r in table.to_dict("records")
        ]
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
        self.portfolio_view.value = str(views().portfolio(intro, header, body, empty, more))

    def _show_item_box(self, shown_: bool) -> None:
        self.item_box.layout.display = None if shown_ else "none"


def remediation_tracker(store: Store, request: PageRequest | None = None) -> RemediationTracker:
    """The app, for the person who asked for the page (or built ahead, for .answer(request))."""
    return RemediationTracker(store, request)
