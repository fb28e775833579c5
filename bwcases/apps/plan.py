"""The Improvement Plan app: a factory's latest non-compliances and the plan items for them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ipywidgets as widgets
import pandas as pd

from bwcases.apps.common import (
    ANY,
    NOBODY,
    AppShell,
    as_date,
    busy,
    failure_text,
    fmt_date,
    guarded,
    heading,
    html,
    iso,
    notice_html,
    quiet,
    replace_options,
    set_if_offered,
    set_quietly,
    shared_layout,
)
from bwcases.apps.drafts import DraftKeeper
from bwcases.apps.findings_tree import (
    TREE_COLUMNS,
    UNPLANNED,
    VIEWS,
    Assessed,
    choices,
    draw_tree,
    items_by_question,
    latest_non_compliance,
    question_html,
)
from bwcases.apps.forms import ITEM_LABELS, ItemForm, same, validate_item
from bwcases.apps.picklist import PickList, PickRow, Placement, Slot
from bwcases.apps.proposals import ProposalPanel
from bwcases.apps.proposals import style as proposal_style
from bwcases.apps.request import PageRequest
from bwcases.core.domain import ItemSource, Merge, Status, merge_fields
from bwcases.core.errors import BwcasesError, ConflictError, ValidationError
from bwcases.core.i18n import COUNTRY, N_, domain_name
from bwcases.render.templating import macros
from bwcases.store import Store
from bwcases.store.proposals import PROPOSABLE

DRAFTS = "plan_item"  # the form's name among a person's drafts


class ImprovementPlan(AppShell):
    """Choose a factory, read its latest non-compliances, and plan what fixes each one."""

    title = N_("Improvement Plan")
    page = "improvement_plan.ipynb"

    def build(self) -> None:
        """Create the findings, the chooser and the item form."""
        self.tree = pd.DataFrame(columns=TREE_COLUMNS)
        self.assessed: Assessed | None = None
        self.items = pd.DataFrame()
        self.item_id: int | None = None
        self.version: int | None = None
        self.target: dict[str, Any] = {}
        self.base: dict[str, Any] = {}  # the item as she opened it: what a merge compares with
        self.merge: Merge | None = None  # a merge waiting for her choices
        self.summary = html()
        self.choice = widgets.Dropdown(layout=widgets.Layout(width="100%", max_width="760px"))
        self.choice.add_class("bw-stack")
        self.choice.style.description_width = "initial"
        self.choice.add_class("bw-work-on")
        self.chosen = ANY  # what the form holds (the chooser may move before she is asked)
        self.form = ItemForm()
        self.form.layout.display = "none"
        self.keeper = DraftKeeper(self, DRAFTS, self.form.fields, self.form)
        self.keeper.on_edit = self._on_edit
        self.form.head.children = (*self.form.head.children, self.keeper.offer, self.keeper.ask)
        self.form.foot.children = (*self.form.foot.children, self.keeper.status)
        # the chooser: a row per finding and per other item, the form opening under the row
        # she picked, or under "Work on" when she chose there
        self.findings = PickList(self._on_pick)
        self.slot = Slot(layout=shared_layout())
        self.place = Placement(self.form, self.form.head, self.keeper.ask, self.slot)
        # a factory person's proposals: new items under the summary, an item's in its form
        self.new_items = ProposalPanel(self, self._on_reviewed, level=3)  # under the factory
        self.item_proposals = ProposalPanel(self, self._on_reviewed)
        self.form.head.children = (*self.form.head.children, self.item_proposals)
        self.details = widgets.VBox(
            [self.summary, self.new_items, self.choice, self.slot, self.findings]
        )
        self.details.layout.display = "none"
        style = str(macros(VIEWS).style()) + proposal_style()
        self.content = [html(style), self.picker, self.details]
        self.add_class("bw-plan")  # the app's own style
        self.picker.factory.observe(self._on_factory, names="value")
        self.choice.observe(self._on_choice, names="value")
        self.keeper.ask.layout.observe(self._on_asked, names="display")
        self.form.save.on_click(self._on_save)
        self.form.cancel.on_click(self._on_close)
        self.form.conflict.mine.on_click(self._on_apply_mine)
        self.form.conflict.theirs.on_click(self._on_take_theirs)

    def warm_up(self) -> None:
        """Also the findings query and the tree's arithmetic, on nothing."""
        super().warm_up()
        findings = self.store.findings_frame(factory_ids=[NOBODY], ncq_only=True)
        latest_non_compliance(findings)

    def relabel(self) -> None:
        """Put every text in the page's language and redraw."""
        _ = self._
        self.picker.relabel(_, self.rtl)
        self.form.relabel(_)
        self.keeper.relabel()
        self.choice.description = _("Work on")
        self.form.save.description = self._save_label()
        if self.factory_id:
            self.draw()
            self._draw_target()
            self.new_items.draw()
            self.item_proposals.draw()
        elif not self.notice.value or "bw-info" in self.notice.value:
            self.say(_("Choose a factory of your portfolio."))

    # -- what a person does ------------------------------------------------------------------

    @guarded
    def _on_factory(self, change: dict[str, Any]) -> None:
        if quiet(change):
            return
        old, new = str(change["old"] or ""), str(change["new"] or "")
        self.ask_here(self.slot)
        self.keeper.leave(
            lambda: self.open_factory(new), lambda: set_if_offered(self.picker.factory, old)
        )

    def open_factory(self, factory_id: str) -> None:
        """Show a factory's findings and plan (the form closed)."""
        set_quietly(self.picker.factory, factory_id)
        self.factory_id = factory_id
        self.nav.value = self.nav_html()
        self.close_form()
        if not self.factory_id:
            self.details.layout.display = "none"
            self.say(self._("Choose a factory of your portfolio."))
            return
        self.load()
        self.say("")
        self.draw()
        self.new_items.show(self.factory_id, None)
        self.details.layout.display = None

    @guarded
    def _on_choice(self, change: dict[str, Any]) -> None:
        if quiet(change):
            return
        value = str(change["new"] or "")
        self.ask_here(self.slot)
        self.keeper.leave(
            lambda: self._choose(value), lambda: set_if_offered(self.choice, self.chosen)
        )

    def _choose(self, value: str) -> None:
        set_quietly(self.choice, value)
        if value:
            self.start_editing(value)
            self.put_form(self.slot)
        else:
            self.close_form()

    @guarded
    def _on_pick(self, key: str) -> None:
        row = self.rows.get(key)
        if row is None:  # a click that reached the kernel after a redraw
            return
        if key == self.chosen and self.form.layout.display is None:
            if self.place.form_at is row:  # its form is open under it: a second click closes
                self.ask_here(row)
                self.keeper.leave(self.close_form)
            else:  # open under "Work on": it moves here, as she left it
                self.put_form(row)
            return
        self.ask_here(row)
        self.keeper.leave(lambda: self._open_at(key, row))

    def _open_at(self, value: str, row: PickRow) -> None:
        set_if_offered(self.choice, value)
        self.start_editing(value)
        self.put_form(row)

    def _on_asked(self, change: dict[str, Any]) -> None:
        if change["new"] == "none" and self.place.ask_at is not None:  # answered
            self.place.ask_here(None)  # back in the form

    @property
    def rows(self) -> dict[str, PickRow]:
        """The chooser's rows, by the "Work on" value each opens."""
        return self.findings.rows

    def ask_here(self, place: Slot | PickRow) -> None:
        """Ask about unsaved changes where she acted, when the form is elsewhere."""
        if self.keeper.dirty:
            self.place.ask_here(place)

    def put_form(self, place: Slot | PickRow) -> None:
        """Show the form under a row of the chooser, or under "Work on"."""
        self.place.put_form(place)
        self._draw_target()  # its heading's level follows

    def mark(self) -> None:
        """Show in the chooser which row is open."""
        self.findings.mark(self.chosen if self.form.layout.display is None else ANY)

    def close_form(self) -> None:
        """Hide the form (its unsaved text kept as her draft) and forget what it held."""
        self.keeper.close()
        set_if_offered(self.choice, ANY)
        self.chosen = ANY
        self.form.layout.display = "none"
        self.target, self.base, self.merge = {}, {}, None
        self.put_form(self.slot)
        self.mark()

    def start_editing(self, value: str) -> None:
        """Open the form on a finding ("finding:QID"), an item ("item:ID") or a new issue."""
        self.keeper.close()
        self.chosen, self.merge = value, None
        kind, _sep, key = value.partition(":")
        linked = items_by_question(self.items, self.latest_quest)
        if kind == "finding" and key in linked:
            kind, key = "item", str(linked[key]["item_id"])
        if kind == "item":
            self.target = self.store.plan_item(int(key))
            self.item_id, self.version = int(key), int(self.target["version"])
            values = dict(self.target)
        elif kind == "finding":
            row = self.tree[self.tree["question_id"] == key].iloc[0].to_dict()
            assert self.assessed is not None
            self.target = {
                "source": ItemSource.FINDING.value,
                "quest_id": self.assessed.quest_id,
                "question_id": key,
                "compliance_point": row["compliance_point"],
                "finding": row,
            }
            self.item_id, self.version = None, None
            # the issue is what she found at this factory, written by her; the CAT question
            # it answers is shown above the field as context, never copied into it
            values = {"compliance_point": row["compliance_point"]}
        else:
            self.target = {"source": ItemSource.SELF_DIAGNOSIS.value, "quest_id": None}
            self.item_id, self.version = None, None
            values = {}
        stored = Status(self.target.get("status") or Status.PENDING.value)
        self_diagnosis = self.target.get("source") == ItemSource.SELF_DIAGNOSIS.value
        self.form.load(values, stored_status=stored, self_diagnosis=self_diagnosis)
        self.base = self.form.values()
        factory = self.picker.row(self.factory_id)
        proposing = self.may_propose(factory)
        editable = self.may_edit(factory) or proposing
        self.form.set_editable(editable)
        # her status moves by progress updates, proposed in the tracker
        self.form.fields["status"].control.disabled = not editable or proposing
        self.form.save.description = self._save_label()
        if self.item_id is not None:
            self.item_proposals.show(self.factory_id, self.item_id)
        else:
            self.item_proposals.clear()
        self._draw_target()
        self.form.layout.display = None
        self.mark()
        if editable:
            self.keeper.open(self.draft_key)

    @property
    def draft_key(self) -> str:
        """What her draft of the open form is kept under: the item, or what it is new for."""
        if self.item_id is not None:
            return f"item:{self.item_id}"
        if self.target.get("question_id"):
            t = self.target
            return f"finding:{self.factory_id}:{t['quest_id']}:{t['question_id']}"
        return f"new:{self.factory_id}"

    def _on_edit(self) -> None:
        if "bw-success" in self.form.message.value or "bw-info" in self.form.message.value:
            self.form.message.value = ""  # she is on to the next change

    @guarded
    def _on_save(self, _button: Any) -> None:
        # busy() answers every click: the page holds a clicked button until the kernel does
        with busy(self.form.save, self._("Saving…")):
            if self.keeper.just_saved:  # a second click of the same save: it is done
                self.form.message.value = notice_html(self._("Saved."), "success")
                return
            self.save(expected_version=self.version)

    @guarded
    def _on_apply_mine(self, _button: Any) -> None:
        with busy(self.form.conflict.mine, self._("Saving…")):
            if self.merge is None:
                return
            current = self.form.conflict.current
            values = {**self.merge.values, **self.form.conflict.chosen()}
            self.save(expected_version=int(current["version"]), values=values)

    @guarded
    def _on_take_theirs(self, _button: Any) -> None:
        assert self.item_id is not None
        self.keeper.discard()
        self.start_editing(f"item:{self.item_id}")
        self.form.message.value = notice_html(self._("The stored version is in the form now."))

    @guarded
    def _on_close(self, _button: Any) -> None:
        self.keeper.leave(self.close_form)

    def save(
        self, *, expected_version: int | None, values: dict[str, Any] | None = None, tries: int = 3
    ) -> bool:
        """Validate and save the form in one transaction; the form keeps its text on failure."""
        # `values`: what a merge settled (the form's otherwise)
        _ = self._
        factory = self.picker.row(self.factory_id)
        proposing = self.may_propose(factory)
        if not (proposing or self.may_edit(factory)):
            self.form.message.value = notice_html(
                _("You can read this plan but not change it."), "error"
            )
            return False
        values = dict(values) if values is not None else self.form.values()
        if self.target.get("source") == ItemSource.FINDING.value:
            values["compliance_point"] = self.target["compliance_point"]
        problems = validate_item(
            values,
            old_status=self.form.stored_status,
            reason=self.form.reason,
            earliest_due=self.earliest_due(),
            _=_,
        )
        self.form.show_errors(problems)
        if problems:
            self.form.message.value = notice_html(
                _("Nothing was saved: correct the marked fields."), "error"
            )
            return False
        if proposing:
            return self.propose(values)
        if self.item_id is None:
            values.update(
                factory_id=self.factory_id,
                source=self.target["source"],
                quest_id=self.target.get("quest_id"),
                question_id=self.target.get("question_id"),
            )
        try:
            self.item_id, self.version = self.store.save_plan_item(
                self.item_id,
                values,
                expected_version=expected_version,
                actor=self.person.name if self.person else "",
                reason=self.form.reason,
                draft=(DRAFTS, self.draft_key),
            )
        except ConflictError as exc:
            return self._merge(values, exc, tries)
        except BwcasesError as exc:
            return self._refused(exc)
        self._saved(_("Saved."))
        return True

    def _refused(self, exc: BwcasesError) -> bool:
        """Show why the store refused the item: its fields marked if it was a validation error."""
        if isinstance(exc, ValidationError):
            self.form.show_errors(exc.fields)
            self.form.message.value = notice_html(str(exc), "error")
        else:
            self.form.message.value = notice_html(failure_text(self, exc), "error")
        return False

    def propose(self, values: dict[str, Any]) -> bool:
        """A factory person's item, new or changed: a proposal for the advisor to review."""
        _ = self._
        assert self.person is not None
        values = {key: value for key, value in values.items() if key in PROPOSABLE}
        if self.item_id is not None and all(
            same(key, value, self.target.get(key)) for key, value in values.items()
        ):
            self.form.message.value = notice_html(
                _("Nothing was changed: there is nothing to propose."), "info"
            )
            return False
        if self.item_id is None:
            values.update(
                source=self.target["source"],
                quest_id=self.target.get("quest_id"),
                question_id=self.target.get("question_id"),
            )
        try:
            self.store.propose_item(
                self.person.name,
                self.factory_id,
                values,
                item_id=self.item_id,
                base_version=self.version,
                draft=(DRAFTS, self.draft_key),
            )
        except ConflictError as exc:
            # what she proposes is read against the item as it is now: her text stays
            self.version = int(exc.current["version"])
            if self.item_id is not None:
                self.target = self.store.plan_item(self.item_id)
                self._draw_target()
            self.form.message.value = notice_html(
                " ".join(
                    (self._changed_by(exc.current), _("Check the form and propose it again."))
                ),
                "error",
            )
            return False
        except BwcasesError as exc:
            return self._refused(exc)
        self.keeper.saved()
        if self.item_id is None:
            self.close_form()
            self.new_items.show(self.factory_id, None)
            self.say(_("Proposed — waiting for review."), "success")
        else:
            self.item_proposals.show(self.factory_id, self.item_id)
            self.form.message.value = notice_html(_("Proposed — waiting for review."), "success")
        return True

    def _save_label(self) -> str:
        """The form's button: a factory person's save is a proposal."""
        if self.factory_id and self.may_propose(self.picker.row(self.factory_id)):
            return self._("Propose")
        return self._("Save")

    @guarded
    def _on_reviewed(self, item_id: int | None) -> None:
        """A proposal was accepted or sent back: show the plan as it is now."""
        self.load()
        self.draw()
        self.new_items.show(self.factory_id, None)
        if self.item_id is not None:
            self.start_editing(f"item:{self.item_id}")

    def _saved(self, text: str) -> None:
        assert self.item_id is not None
        self.keeper.saved()  # before anything else: a pending draft must not outlive the save
        self.load()
        self.draw()
        self.start_editing(f"item:{self.item_id}")
        self.chosen = self.choice_of(self.item_id)
        set_quietly(self.choice, self.chosen)
        held = self.place.form_at
        if isinstance(held, PickRow) and held.key != self.chosen:  # a new issue: now an item
            self.put_form(self.rows.get(self.chosen, self.slot))
        self.mark()
        self.keeper.saved()
        self.form.message.value = notice_html(text, "success")

    def _merge(self, values: dict[str, Any], conflict: ConflictError, tries: int) -> bool:
        """Save her changes over theirs field by field; ask only about fields both changed."""
        _ = self._
        current = conflict.current
        theirs = {key: current.get(key) for key in values}
        theirs["due_date"] = as_date(theirs.get("due_date"))  # stored as ISO text in the error
        merge = merge_fields(self.base, values, theirs, same)
        who = self._changed_by(current)
        self.base = theirs
        if merge.conflicts or tries <= 1:
            self.merge = merge
            self.form.conflict.show({**current, **theirs}, values, merge.conflicts, who, _)
            self.form.message.value = notice_html(
                _("Not saved yet: you both changed the fields below. Choose which version stays."),
                "error",
            )
            return False
        if not self.save(
            expected_version=int(current["version"]), values=merge.values, tries=tries - 1
        ):
            return False
        if merge.theirs:
            fields = ", ".join(_(ITEM_LABELS.get(k, k)) for k in merge.theirs)
            kept = _("Their changes to {fields} are kept.").format(fields=fields)
            text = " ".join((_("Saved."), who, kept))
            self.form.message.value = notice_html(text, "success")
        return True

    def _changed_by(self, current: dict[str, Any]) -> str:
        """Who changed the item meanwhile, as she reads it (herself on another device too)."""
        _ = self._
        name = str(current.get("updated_by") or "")
        if self.person is not None and name == self.person.name:
            return _("You changed this item meanwhile, on another device or in another tab.")
        return _("{name} changed this item meanwhile.").format(name=name or _("Someone else"))

    def earliest_due(self) -> dt.date | None:
        """The date a due date may not precede: the item's assessment (or the latest)."""
        quest = self.target.get("quest_id")
        if quest is not None and not pd.isna(quest):
            dates = self.store.known_assessments([int(quest)])
            if int(quest) in dates:
                return as_date(dates[int(quest)][1])
        return self.assessed.start_date if self.assessed else None

    # -- reading and drawing -----------------------------------------------------------------

    def load(self) -> None:
        """Read the factory's findings and plan items from the store."""
        findings = self.store.findings_frame(factory_ids=[self.factory_id], ncq_only=True)
        self.tree, self.assessed = latest_non_compliance(findings)
        self.items = self.store.plan_items_frame(factory_ids=[self.factory_id])

    def draw(self) -> None:
        """Show the factory, its non-compliances by cluster, CP and question, and the choices."""
        _ = self._
        factory = self.picker.row(self.factory_id)
        country = domain_name(COUNTRY, str(factory.get("country", "")), self.lang)
        facts = [str(factory.get("factory_id", "")), country]
        assessed = ""
        if self.assessed is not None:
            a = self.assessed
            assessed = _("Latest assessment: cycle {cycle}, {date} ({quest}).").format(
                cycle=a.cycle, date=fmt_date(a.start_date), quest=f"Quest.ID {a.quest_id}"
            )
            if a.previous_date:
                assessed += " " + _("Compared with the assessment of {date}.").format(
                    date=fmt_date(a.previous_date)
                )
        counts = []
        if self.assessed is not None:
            linked = items_by_question(self.items, self.assessed.quest_id)
            unplanned = sum(str(q) not in linked for q in self.tree["question_id"])
            counts = [
                (_("Non-compliant questions: {n}").format(n=len(self.tree)), "badge-count"),
                (_("No plan yet: {n}").format(n=unplanned), UNPLANNED),
            ]
        self.summary.value = str(
            macros(VIEWS).summary(
                factory.get("factory_name", ""),
                facts,
                assessed,
                _("No assessment with findings is stored for this factory yet."),
                counts,
            )
        )
        draw_tree(self)
        replace_options(self.choice, choices(self))

    @property
    def latest_quest(self) -> int | None:
        """The latest assessment's Quest.ID, if the factory has one."""
        return self.assessed.quest_id if self.assessed else None

    def choice_of(self, item_id: int) -> str:
        """The chooser's value that stands for an item (its finding's, when it has one)."""
        linked = items_by_question(self.items, self.latest_quest)
        for qid, row in linked.items():
            if int(row["item_id"]) == item_id:
                return f"finding:{qid}"
        return f"item:{item_id}"

    def _draw_target(self) -> None:
        _ = self._
        t = self.target
        if not t:
            return
        if t.get("item_id"):
            text = _("Plan item #{id}, version {version}, last changed by {name}.").format(
                id=t["item_id"], version=self.version, name=t.get("updated_by") or "–"
            )
        elif t.get("source") == ItemSource.FINDING.value:
            text = _("New plan item for the finding {question}").format(
                question=iso(str(t["question_id"]), self.rtl)
            )
        else:
            text = _("New plan item for an issue from the factory's self-diagnosis.")
        # under "Work on" the form heads the factory's page; in the tree, its row's heading
        held = self.place.form_at
        level = held.level + 1 if isinstance(held, PickRow) else 3
        self.form.context.value = heading(text, min(level, 6)) + question_html(self)


def improvement_plan(store: Store, request: PageRequest | None = None) -> ImprovementPlan:
    """The app, for the person who asked for the page (or built ahead, for .answer(request))."""
    return ImprovementPlan(store, request)
