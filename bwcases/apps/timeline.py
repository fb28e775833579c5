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
    quiet,
    replace_options,
    set_if_offered,
    set_quietly,
    shared_layout,
    status_move,
)
from bwcases.apps.drafts import DraftKeeper
from bwcases.apps.overview import assessment_table
from bwcases.apps.remediation import changes_text
from bwcases.apps.request import PageRequest
from bwcases.core.domain import VisitKind
from bwcases.core.errors import BwcasesError
from bwcases.core.i18n import COMPLIANCE_POINT, COUNTRY, DEFAULT, N_, domain_name, is_rtl
from bwcases.store import Store

EVENT_COLUMNS = ["date", "kind", "what", "by"]
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
    return problems


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
        rows.append(
            {"date": v["date"], "kind": "visit", "what": "\n".join(parts), "by": v["updated_by"]}
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
    out = pd.DataFrame(rows)
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
        }
        self.save = widgets.Button(button_style="primary", layout=shared_layout())
        self.save.add_class("bw-once")
        self.message = html()
        self.message.add_class("bw-form-message")
        self.form = widgets.VBox()
        self.keeper = DraftKeeper(self, DRAFTS, self.fields, self.form)
        self.keeper.on_edit = self._on_edit
        self.form.children = (
            html(),
            self.keeper.offer,
            self.keeper.ask,
            *self.fields.values(),
            self.message,
            self.keeper.status,
            self.save,
        )
        self.form.add_class("bw-box")
        self.show = widgets.Dropdown(layout=widgets.Layout(width="320px"))
        self.timeline = html()
        self.details = widgets.VBox([self.summary, self.form, self.show, self.timeline])
        self.details.layout.display = "none"
        self.content = [self.picker, self.details]
        self.picker.factory.observe(self._on_factory, names="value")
        self.show.observe(lambda _c: self.draw_timeline(), names="value")
        self.save.on_click(self._on_save)

    def relabel(self) -> None:
        """Put every text in the page's language and redraw."""
        _ = self._
        self.picker.relabel(_, self.rtl)
        for field in self.fields.values():
            field.relabel(_)
        replace_options(self.fields["kind"].control, options(KIND_LABELS, _))
        self.keeper.relabel()
        replace_options(self.show, options(KINDS, _))
        self.show.description = _("Show")
        self.save.description = _("Save")
        self.form.children[0].value = heading(_("Record a visit or a PICC meeting"))
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
        self.clear_form()
        self.load()
        self.draw()
        self.details.layout.display = None
        if editable:
            self.keeper.open(f"new:{self.factory_id}")

    def clear_form(self) -> None:
        """An empty form for the next visit (dated today)."""
        for key, field in self.fields.items():
            if key == "date":
                field.set(self.today)
            elif key != "kind":
                field.set("")
            field.show_error(None)

    def _on_edit(self) -> None:
        if "bw-error" not in self.message.value:
            self.message.value = ""  # she is on to the next change

    @guarded
    def _on_save(self, _button: Any) -> None:
        # busy() answers every click: the page holds a clicked button until the kernel does
        with busy(self.save, self._("Saving…")):
            if self.keeper.just_saved:  # a second click of the same save: it is done
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
        for key, field in self.fields.items():
            field.show_error(problems.get(key))
        if problems:
            self.message.value = notice_html(
                _("Nothing was saved: correct the marked fields."), "error"
            )
            return False
        try:
            self.store.add_visit(
                {"factory_id": self.factory_id, **values},
                actor=self.person.name if self.person else "",
                draft=(DRAFTS, f"new:{self.factory_id}"),
            )
        except BwcasesError as exc:
            self.message.value = notice_html(failure_text(self, exc), "error")
            return False
        self.keeper.saved()  # before anything else: a pending draft must not outlive the save
        self.keeper.close()
        self.clear_form()
        self.keeper.open(f"new:{self.factory_id}")
        self.keeper.saved()
        self.load()
        self.draw()
        self.message.value = notice_html(_("Saved."), "success")
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
        lines = pieces().lines  # Markup: the lines of what happened, each escaped
        rows = [  # text, escaped by the table
            [fmt_date(e["date"]), kind_names[e["kind"]], lines(e["what"]), e["by"] or ""]
            for e in shown.head(MAX_EVENTS).to_dict("records")
        ]
        more = len(shown) - len(rows)
        tail = muted(_("{n} older events are not shown.").format(n=more)) if more > 0 else ""
        header = [_("Date"), _("Event"), _("What happened"), _("By")]
        table = pieces().table(header, rows, _("Nothing yet."), cards=True)  # cards on a phone
        self.timeline.value = heading(_("Timeline")) + str(table) + tail


def case_timeline(store: Store, request: PageRequest | None = None) -> CaseTimeline:
    """The app, for the person who asked for the page (or built ahead, for .answer(request))."""
    return CaseTimeline(store, request)
