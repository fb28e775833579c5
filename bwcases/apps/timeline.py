"""The case timeline: advisory visits and PICC meetings, with assessments and plan changes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import ipywidgets as widgets
import pandas as pd

from bwcases.apps.common import (
    BAD_DATE,
    KIND_LABELS,
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
    iso_html,
    label_of,
    muted,
    notice_html,
    options,
    pieces,
    problems_shown,
    quiet,
    replace_options,
    set_if_offered,
    set_quietly,
    shared_layout,
    status_move,
)
from bwcases.apps.drafts import DraftKeeper
from bwcases.apps.evidence import ACCEPT, check_upload
from bwcases.apps.overview import assessment_table
from bwcases.apps.picc import PiccRegister
from bwcases.apps.picc import views as picc_views
from bwcases.apps.remediation import changes_text
from bwcases.apps.request import PageRequest
from bwcases.core.domain import VisitKind
from bwcases.core.errors import BwcasesError, ConflictError
from bwcases.core.i18n import COMPLIANCE_POINT, COUNTRY, DEFAULT, N_, domain_name, is_rtl
from bwcases.store import Store, Upload

# a visit's id and its minutes' file name ("" for none), for the link to the minutes
EVENT_COLUMNS = ["date", "kind", "what", "by", "visit_id", "minutes"]
KINDS = {
    "all": N_("Everything"),
    "visit": N_("Visits and meetings"),
    "assessment": N_("Assessments"),
    "plan": N_("Plan changes"),
}
# Audit entries that only restate a status move are shown by its progress update instead.
MOVE_KEYS = {"status", "completed_on", "verification", "verified_by", "version", "updated_by"}
MOVE_KEYS |= {"updated_at"}
MAX_EVENTS = 300
DRAFTS = "visit"  # the form's name among a person's drafts
VISIT_TEXT_LIMIT = 5000  # as a plan item's texts (domain.ITEM_TEXT_LIMITS)
MINUTES_PATH = "minutes"  # the server's address of a meeting's minutes (web.evidence)
NEW = ""  # the correction chooser's value: a new visit, not a correction


def validate_visit(values: dict[str, Any], *, today: dt.date, _: Any) -> dict[str, str]:
    """What is wrong with a visit or meeting, by field, in the person's language."""
    problems = {}
    if values.get("date") is None:
        problems["date"] = _("Fill in this field.")
    elif isinstance(values["date"], str):
        problems["date"] = _(BAD_DATE)
    elif values["date"] > today:
        problems["date"] = _("The date cannot be in the future.")
    if not str(values.get("topics") or "").strip():
        problems["topics"] = _("Fill in this field.")
    if values.get("kind") not in {k.value for k in VisitKind}:
        problems["kind"] = _("Fill in this field.")
    for key in ("attendees", "topics", "follow_ups", "decisions"):
        if len(str(values.get(key) or "")) > VISIT_TEXT_LIMIT:
            problems[key] = _("At most {n} characters.").format(n=VISIT_TEXT_LIMIT)
    return problems


def minutes_url(base_url: str, visit_id: int) -> str:
    """The server's address of a meeting's minutes file."""
    return f"{base_url}{MINUTES_PATH}/{int(visit_id)}"


def timeline_events(
    assessments: pd.DataFrame,
    visits: pd.DataFrame,
    items: pd.DataFrame,
    updates: pd.DataFrame,
    audit: pd.DataFrame,
    _: Any,
    lang: str = DEFAULT,
) -> pd.DataFrame:
    """Every event of a case, newest first: date, kind, what happened (text) and by whom."""
    rtl = is_rtl(lang)
    rows: list[dict[str, Any]] = []
    for a in assessments.to_dict("records"):
        what = _("Assessment, cycle {cycle} ({quest})").format(
            cycle=a["cycle"], quest=f"Quest.ID {a['quest_id']}"
        )
        if not pd.isna(a["cps_assessed"]):
            what += ": " + _("{n} of {m} CPs non-compliant").format(
                n=a["cps_non_compliant"], m=a["cps_assessed"]
            )
        rows.append({"date": a["start_date"], "kind": "assessment", "what": what, "by": ""})
    for v in visits.to_dict("records"):
        # what she typed keeps its own direction after the label (a Latin note in Arabic)
        # (each line: a line is where the page's bidi algorithm starts over)
        topics = "\n".join(iso(line, rtl) for line in str(v["topics"]).split("\n"))
        parts = [label_of(KIND_LABELS, v["kind"], _) + ": " + topics]
        if v["attendees"]:
            parts.append(_("Attendees: {names}").format(names=v["attendees"]))
        if v["follow_ups"]:
            parts.append(_("Follow-ups: {text}").format(text=v["follow_ups"]))
        if v.get("decisions"):
            parts.append(_("Decisions: {text}").format(text=v["decisions"]))
        rows.append(
            {
                "date": v["date"],
                "kind": "visit",
                "what": "\n".join(parts),
                "by": v["updated_by"],
                "visit_id": int(v["id"]),
                "minutes": v.get("minutes_filename") or "",
            }
        )
    labels = {
        int(
            i["item_id"]
        ): f"#{i['item_id']} {domain_name(COMPLIANCE_POINT, i['compliance_point'], lang)}"
        for i in items.to_dict("records")
    }
    for u in updates.to_dict("records"):
        item = labels.get(int(u["item_id"]), f"#{u['item_id']}")
        move = status_move(u["old_status"], u["new_status"], _, rtl)
        what = _("Plan item {item}: {move}").format(item=item, move=move)
        if u["note"]:
            what += f"\n{u['note']}"
        rows.append({"date": u["date"], "kind": "plan", "what": what, "by": u["author"]})
    for e in audit.to_dict("records"):
        item = labels.get(int(e["record_id"]), f"#{e['record_id']}")
        if e["action"] == "update":
            after = {k: v for k, v in json.loads(e["after"] or "{}").items() if k not in MOVE_KEYS}
            if not after:
                continue
            before = json.dumps(
                {k: v for k, v in json.loads(e["before"] or "{}").items() if k in after}
            )
            text = changes_text("update", before, json.dumps(after), _, rtl)
            what = _("Plan item {item} changed: {changes}").format(item=item, changes=text)
        elif e["action"] in ("insert", "import"):
            what = _("Plan item {item} opened").format(item=item)
        else:
            continue
        rows.append({"date": e["at"], "kind": "plan", "what": what, "by": e["actor"]})
    if not rows:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    out = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    out["minutes"] = [name if isinstance(name, str) else "" for name in out["minutes"]]
    out["date"] = [as_date(d) for d in out["date"]]
    order = {"assessment": 0, "visit": 1, "plan": 2}
    out["rank"] = out["kind"].map(order)
    out = out.sort_values(["date", "rank"], ascending=[False, True], kind="stable")
    return out[EVENT_COLUMNS].reset_index(drop=True)


class CaseTimeline(AppShell):
    """Record advisory visits and PICC meetings; read the whole case on one timeline."""

    title = N_("Case timeline")
    page = "case_timeline.ipynb"

    def build(self) -> None:
        """Create the visit form and the timeline."""
        self.events = pd.DataFrame(columns=EVENT_COLUMNS)
        self.summary = html()
        self.fields = {
            "date": Field("date", "date", N_("Date"), True),
            "kind": Field("kind", widgets.Dropdown, N_("Kind"), True),
            "attendees": Field("attendees", widgets.Textarea, N_("Attendees"), rows=2),
            "topics": Field("topics", widgets.Textarea, N_("Topics"), True, rows=3),
            "follow_ups": Field("follow_ups", widgets.Textarea, N_("Follow-ups"), rows=2),
            "decisions": Field(
                "decisions",
                widgets.Textarea,
                N_("Decisions (of a PICC meeting)"),
                rows=2,
                limit=VISIT_TEXT_LIMIT,
            ),
        }
        # a meeting's minutes: one file, kept with the evidence (drafts keep no files)
        self.minutes = Field("minutes", widgets.FileUpload, N_("Minutes (a file)"), accept=ACCEPT)
        self.minutes.control.add_class("bw-minutes-choose")
        self.minutes_file: Upload | None = None
        self.minutes_note = html()
        self.resetting_minutes = False
        # her own visits and meetings, to correct one (only its author may)
        # its own layout: hidden when she has none (a shared layout hides all its widgets)
        self.correct = widgets.Dropdown(options=[("…", NEW)], layout=widgets.Layout(width="100%"))
        self.correct.add_class("bw-stack")
        self.correct.add_class("bw-visit-correct")
        self.correct.style.description_width = "initial"
        self.editing: dict[str, Any] = {}  # the visit the form corrects; nothing: a new one
        self.save = widgets.Button(button_style="primary", layout=shared_layout())
        self.save.add_class("bw-once")
        self.message = html()
        self.message.add_class("bw-form-message")
        self.form = widgets.VBox()
        self.keeper = DraftKeeper(self, DRAFTS, self.fields, self.form)
        self.keeper.on_edit = self._on_edit
        self.form.children = (
            html(),
            self.correct,
            self.keeper.offer,
            self.keeper.ask,
            *self.fields.values(),
            self.minutes,
            self.minutes_note,
            self.message,
            self.keeper.status,
            self.save,
        )
        self.form.add_class("bw-box")
        self.form.add_class("bw-visit-form")
        self.picc = PiccRegister(self)
        self.show = widgets.Dropdown(layout=widgets.Layout(width="320px"))
        self.timeline = html()
        self.details = widgets.VBox([self.summary, self.form, self.picc, self.show, self.timeline])
        self.details.layout.display = "none"
        self.content = [self.picker, self.details]
        self.picker.factory.observe(self._on_factory, names="value")
        self.show.observe(lambda _c: self.draw_timeline(), names="value")
        self.save.on_click(self._on_save)
        self.correct.observe(self._on_correct, names="value")
        self.minutes.control.observe(self._on_minutes, names="value")

    def relabel(self) -> None:
        """Put every text in the page's language and redraw."""
        _ = self._
        self.picker.relabel(_, self.rtl)
        for field in self.fields.values():
            field.relabel(_)
        replace_options(self.fields["kind"].control, options(KIND_LABELS, _))
        self.minutes.relabel(_)
        self.correct.description = _("Correct one you recorded")
        self.show_minutes_note()
        self.picc.relabel()
        self.keeper.relabel()
        replace_options(self.show, options(KINDS, _))
        self.show.description = _("Show")
        self.save.description = _("Save")
        self.form_heading()
        if self.factory_id:
            self.draw()
        else:
            self.say(_("Choose a factory of your portfolio."))

    @guarded
    def _on_factory(self, change: dict[str, Any]) -> None:
        if quiet(change):
            return
        old, new = str(change["old"] or ""), str(change["new"] or "")

        self.keeper.leave(
            lambda: self.open_factory(new), lambda: set_if_offered(self.picker.factory, old)
        )

    def open_factory(self, factory_id: str) -> None:
        """Show a factory's timeline, with an empty form (or her draft of it) to record a visit."""
        set_quietly(self.picker.factory, factory_id)
        self.keeper.close()
        self.factory_id = factory_id
        self.nav.value = self.nav_html()
        if not self.factory_id:
            self.details.layout.display = "none"
            self.say(self._("Choose a factory of your portfolio."))
            return
        self.say("")
        editable = self.may_edit(self.picker.row(self.factory_id))
        self.form.layout.display = None if editable else "none"
        self.editing = {}
        self.clear_form()
        self.load()
        self.draw()
        self.picc.show_factory(self.factory_id)
        self.details.layout.display = None
        if editable:
            self.keeper.open(f"new:{self.factory_id}")

    def form_heading(self) -> None:
        """The form's heading: a new visit, or the correction of one."""
        _ = self._
        if self.editing:
            text = _("Correct the record of {date} ({kind})").format(
                kind=label_of(KIND_LABELS, self.editing["kind"], _),
                date=fmt_date(self.editing["date"]),
            )
        else:
            text = _("Record a visit or a PICC meeting")
        self.form.children[0].value = heading(text)

    def clear_form(self) -> None:
        """An empty form for the next visit (dated today)."""
        for key, field in self.fields.items():
            if key == "date":
                field.set(self.today)
            elif key != "kind":
                field.set("")
            field.show_error(None)
        self.clear_minutes()

    def clear_minutes(self) -> None:
        """Forget the minutes file chosen (stored, or the form shows another visit)."""
        self.minutes_file = None
        self.minutes.show_error(None)
        if self.minutes.control.value:
            self.resetting_minutes = True
            try:
                self.minutes.control.value = ()
            finally:
                self.resetting_minutes = False
        self.show_minutes_note()

    def show_minutes_note(self) -> None:
        """Which minutes file the save stores, or which one the corrected meeting has."""
        _ = self._
        if self.minutes_file is not None:
            text = _("Minutes to store: {name}").format(name=self.minutes_file.filename)
        elif self.editing.get("minutes_filename"):
            text = _("Minutes stored: {name}").format(name=self.editing["minutes_filename"])
        else:
            text = ""
        self.minutes_note.value = muted(text) if text else ""

    @guarded
    def _on_minutes(self, change: dict[str, Any]) -> None:
        if self.resetting_minutes:
            return
        files = list(change["new"] or ())
        self.minutes_file = None
        problem = None
        if files:
            checked = check_upload(files[-1], self._)
            if isinstance(checked, str):
                problem = checked
            else:
                self.minutes_file = checked
        self.minutes.show_error(problem)
        self.show_minutes_note()
        self._on_edit()

    @guarded
    def _on_correct(self, change: dict[str, Any]) -> None:
        if quiet(change):
            return
        old, new = str(change["old"] or ""), str(change["new"] or "")

        def go() -> None:
            set_quietly(self.correct, new)
            self.open_visit(int(new) if new else None)

        self.keeper.leave(go, lambda: set_if_offered(self.correct, old))

    def open_visit(self, visit_id: int | None) -> None:
        """Fill the form with one of her visits to correct it (None: an empty form)."""
        self.keeper.close()
        self.message.value = ""
        self.editing = self.store.visit(visit_id) if visit_id is not None else {}
        set_quietly(self.correct, str(visit_id) if visit_id is not None else NEW)
        self.clear_form()
        for key, field in self.fields.items():
            if self.editing:
                field.set(self.editing[key])
        self.form_heading()
        self.show_minutes_note()
        key = f"visit:{visit_id}" if visit_id is not None else f"new:{self.factory_id}"
        self.keeper.open(key)

    def offer_corrections(self) -> None:
        """Her own visits and meetings of the factory, to correct one."""
        _ = self._
        visits = self._parts[1]
        name = self.person.name if self.person else None
        mine = visits[visits["updated_by"] == name] if len(visits) and name else visits.head(0)
        choices = [
            (
                f"{fmt_date(v['date'])} — {label_of(KIND_LABELS, v['kind'], _)}: "
                f"{iso(cut(str(v['topics']), 50), self.rtl)}",
                str(int(v["id"])),
            )
            for v in mine.to_dict("records")
        ]
        replace_options(self.correct, [(_("None: record a new one"), NEW), *choices])
        self.correct.layout.display = None if choices else "none"

    def _on_edit(self) -> None:
        if "bw-error" not in self.message.value:
            self.message.value = ""  # she is on to the next change

    @guarded
    def _on_save(self, _button: Any) -> None:
        # busy() answers every click: the page holds a clicked button until the kernel does
        with busy(self.save, self._("Saving…")):
            if self.keeper.just_saved and self.minutes_file is None:  # a second click: done
                self.message.value = notice_html(self._("Saved."), "success")
                return
            self.record_visit()

    def record_visit(self) -> bool:
        """Validate and save the visit or meeting; the form keeps its text on failure."""
        _ = self._
        if not self.may_edit(self.picker.row(self.factory_id)):
            return False
        values = {k: f.get() for k, f in self.fields.items()}
        values = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
        problems = validate_visit(values, today=self.today, _=_)
        if not problems_shown(self.fields, problems, self.message, _):
            return False
        if self.minutes.error.value:  # a file chosen that cannot be stored
            self.message.value = notice_html(
                _("Nothing was saved: correct the marked fields."), "error"
            )
            return False
        actor = self.person.name if self.person else ""
        try:
            if self.editing:
                visit_id = int(self.editing["id"])
                changed = {k: v for k, v in values.items() if v != self.editing.get(k)}
                self.store.update_visit(
                    visit_id,
                    changed,
                    expected_version=int(self.editing["version"]),
                    actor=actor,
                    minutes=self.minutes_file,
                    draft=(DRAFTS, f"visit:{visit_id}"),
                )
            else:
                self.store.add_visit(
                    {"factory_id": self.factory_id, **values},
                    actor=actor,
                    draft=(DRAFTS, f"new:{self.factory_id}"),
                    minutes=self.minutes_file,
                )
        except BwcasesError as exc:
            self.message.value = notice_html(failure_text(self, exc), "error")
            if isinstance(exc, ConflictError) and self.editing:
                # what is stored now, for her next save; her input stays in the form
                self.editing = self.store.visit(int(self.editing["id"]))
            return False
        corrected = bool(self.editing)
        self.keeper.saved()  # before anything else: a pending draft must not outlive the save
        self.load()
        self.draw()
        self.open_visit(None)
        self.keeper.saved()
        self.message.value = notice_html(
            _("The correction was saved.") if corrected else _("Saved."), "success"
        )
        return True

    def load(self) -> None:
        """Read the factory's case from the store and put it in date order."""
        ids = [self.factory_id]
        findings = self.store.findings_frame(factory_ids=ids, ncq_only=True)
        assessments = assessment_table(self.store.assessments_frame(factory_ids=ids), findings)
        self._parts = (
            assessments,
            self.store.visits_frame(factory_ids=ids),
            self.store.plan_items_frame(factory_ids=ids),
            self.store.progress_updates_frame(factory_ids=ids),
            self.store.plan_audit(self.factory_id),
        )

    def draw(self) -> None:
        """Show the factory and its timeline."""
        factory = self.picker.row(self.factory_id)
        country = domain_name(COUNTRY, str(factory.get("country", "")), self.lang)
        facts = [iso_html(self.factory_id, self.rtl), iso_html(country, self.rtl)]
        self.summary.value = str(pieces().factory_head(factory.get("factory_name", ""), facts))
        self.events = timeline_events(*self._parts, self._, self.lang)
        self.offer_corrections()
        self.draw_timeline()

    def draw_timeline(self) -> None:
        """The events of the chosen kind, newest first."""
        _ = self._
        shown = self.events
        if self.show.value and self.show.value != "all":
            shown = shown[shown["kind"] == self.show.value]
        kind_names = {
            "assessment": _("Assessment"),
            "visit": _("Visit or meeting"),
            "plan": _("Plan"),
        }
        rows = [  # text, escaped by the table; what happened: Markup (what_html)
            [fmt_date(e["date"]), kind_names[e["kind"]], self.what_html(e), e["by"] or ""]
            for e in shown.head(MAX_EVENTS).to_dict("records")
        ]
        more = len(shown) - len(rows)
        tail = muted(_("{n} older events are not shown.").format(n=more)) if more > 0 else ""
        header = [_("Date"), _("Event"), _("What happened"), _("By")]
        table = pieces().table(header, rows, _("Nothing yet."), cards=True)  # cards on a phone
        self.timeline.value = heading(_("Timeline")) + str(table) + tail

    def what_html(self, event: dict[str, Any]) -> Any:
        """What happened, its lines escaped, with the link to a meeting's minutes."""
        link = ""
        if event["minutes"]:
            url = minutes_url(self.request.base_url, int(event["visit_id"]))
            text = self._("Minutes: {name}").format(name=event["minutes"])
            link = picc_views().minutes_link(url, text)
        return picc_views().event(pieces().lines(event["what"]), link)


def case_timeline(store: Store, request: PageRequest | None = None) -> CaseTimeline:
    """The app, for the person who asked for the page (or built ahead, for .answer(request))."""
    return CaseTimeline(store, request)
