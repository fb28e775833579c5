"""The Improvement Plan item form, its validation, and the panel that shows a conflict."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from bwcases.apps.common import (
    BAD_DATE,
    PRIORITY_LABELS,
    STATUS_LABELS,
    Field,
    as_date,
    cut,
    fmt_date,
    heading,
    html,
    label_of,
    move_problem,
    muted,
    options,
    pieces,
    replace_options,
    shared_layout,
)
from bwcases.core.catalogue import COMPLIANCE_POINTS
from bwcases.core.domain import ITEM_TEXT_LIMITS as TEXT_LIMITS
from bwcases.core.domain import Priority, Status, next_statuses
from bwcases.core.i18n import N_

Translate = Callable[[str], str]
# What a person edits on an item, in the order the form and the conflict panel show it.
ITEM_LABELS = {
    "compliance_point": N_("Compliance point"),
    "issue": N_("Issue"),
    "root_cause": N_("Root cause"),
    "action": N_("Action"),
    "responsible": N_("Responsible person"),
    "due_date": N_("Due date"),
    "priority": N_("Priority"),
    "status": N_("Status"),
    "picc_agreed": N_("Agreed by the PICC"),
    "notes": N_("Notes"),
}
REQUIRED = ("compliance_point", "issue", "action", "responsible", "due_date")


def validate_item(
    values: dict[str, Any],
    *,
    old_status: Status,
    reason: str,
    earliest_due: dt.date | None,
    _: Translate,
) -> dict[str, str]:
    """What is wrong with an item's values, by field, in the person's language."""
    problems: dict[str, str] = {}
    for key in REQUIRED:
        value = values.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems[key] = _("Fill in this field.")
    for key, limit in TEXT_LIMITS.items():
        if len(str(values.get(key) or "")) > limit:
            problems[key] = _("At most {n} characters.").format(n=limit)
    due = values.get("due_date")
    if isinstance(due, str):
        problems["due_date"] = _(BAD_DATE)
    elif due is not None and earliest_due is not None and due < earliest_due:
        problems["due_date"] = _("The due date cannot be before the assessment of {date}.").format(
            date=fmt_date(earliest_due)
        )
    new = Status(values.get("status") or old_status.value)
    problems.update(move_problem(old_status, new, reason, "reason", _))
    return problems


def shown(key: str, value: Any, _: Translate) -> str:
    """A field's value as a person reads it."""
    if value is None or value == "":
        return "–"
    if key == "due_date":
        return fmt_date(value)
    if key == "status":
        return label_of(STATUS_LABELS, value, _)
    if key == "priority":
        return label_of(PRIORITY_LABELS, value, _)
    if key == "picc_agreed":
        return _("yes") if value in (True, "true", 1) else _("no")
    return str(value)


def same(key: str, a: Any, b: Any) -> bool:
    """Whether two values of a field are the same (dates may come as text)."""
    if key == "due_date":
        return as_date(a) == as_date(b)
    if key == "picc_agreed":
        return bool(a) == bool(b)
    return (a or "") == (b or "")


class ConflictPanel(widgets.VBox):
    """The fields both she and someone else changed meanwhile: choose, per field, whose stays."""

    def __init__(self) -> None:
        self.text = html()
        self.choices: dict[str, widgets.RadioButtons] = {}
        self.rows = widgets.VBox(layout=shared_layout())
        self.mine = widgets.Button(button_style="primary", layout=shared_layout("auto"))
        self.mine.add_class("bw-once")
        self.theirs = widgets.Button(layout=shared_layout("auto"))
        buttons = widgets.HBox([self.mine, self.theirs], layout=shared_layout())
        super().__init__([self.text, self.rows, buttons])
        self.add_class("bw-box")
        self.add_class("bw-conflict")
        self.current: dict[str, Any] = {}
        self.yours: dict[str, Any] = {}
        self.conflicts: tuple[str, ...] = ()
        self.who = ""
        self.hide()

    def relabel(self, _: Translate) -> None:
        """Put the texts in the page's language."""
        self.mine.description = _("Save with these choices")
        self.theirs.description = _("Use the stored version")
        if self.current:
            self.show(self.current, self.yours, self.conflicts, self.who, _)

    def show(
        self,
        current: dict[str, Any],
        yours: dict[str, Any],
        conflicts: tuple[str, ...],
        who: str,
        _: Translate,
    ) -> None:
        """Each field both changed, the stored value beside hers, with a choice of which stays."""
        kept = {key: radio.value for key, radio in self.choices.items()}
        self.current, self.yours, self.conflicts, self.who = current, yours, conflicts, who
        rows: list[widgets.Widget] = []
        self.choices = {}
        for key in conflicts:
            label = _(ITEM_LABELS.get(key, key))
            radio = widgets.RadioButtons(
                options=[
                    (
                        _("Stored now: {value}").format(
                            value=cut(shown(key, current.get(key), _), 120)
                        ),
                        "theirs",
                    ),
                    (
                        _("Mine: {value}").format(value=cut(shown(key, yours.get(key), _), 120)),
                        "mine",
                    ),
                ],
                value=kept.get(key, "mine"),
                description=label,
                layout=shared_layout("100%"),
                style={"description_width": "initial"},
            )
            radio.add_class("bw-stack")
            self.choices[key] = radio
            rows.append(radio)
        self.rows.children = tuple(rows)
        intro = (
            who
            + " "
            + _(
                "Your changes to the other fields and theirs are both kept. Choose, for each field "
                "below, which version stays, then save."
            )
        )
        self.text.value = heading(_("Changed meanwhile"), 4) + str(pieces().para(intro))
        self.layout.display = None

    def chosen(self) -> dict[str, Any]:
        """The value chosen for each field both changed."""
        return {
            key: self.yours.get(key) if radio.value == "mine" else self.current.get(key)
            for key, radio in self.choices.items()
        }

    def hide(self) -> None:
        """Hide the panel (the conflict is resolved)."""
        self.current, self.yours, self.conflicts, self.who = {}, {}, (), ""
        self.choices = {}
        self.rows.children = ()
        self.text.value = ""
        self.layout.display = "none"


class ItemForm(widgets.VBox):
    """The fields of an Improvement Plan item, each with its error message next to it."""

    def __init__(self) -> None:
        cps = [
            (f"{cp} ({cluster})", cp) for cluster, cps in COMPLIANCE_POINTS.items() for cp in cps
        ]
        self.context = html()
        self.fields: dict[str, Field] = {
            "compliance_point": Field(
                "compliance_point",
                widgets.Dropdown,
                N_("Compliance point"),
                True,
                hideable=True,
                options=[("", ""), *cps],
            ),
            "issue": Field(
                "issue", widgets.Textarea, N_("Issue"), True, rows=3, limit=TEXT_LIMITS["issue"]
            ),
            "root_cause": Field(
                "root_cause",
                widgets.Textarea,
                N_("Root cause"),
                rows=2,
                limit=TEXT_LIMITS["root_cause"],
            ),
            "action": Field(
                "action", widgets.Textarea, N_("Action"), True, rows=3, limit=TEXT_LIMITS["action"]
            ),
            "responsible": Field(
                "responsible",
                widgets.Text,
                N_("Responsible person"),
                True,
                limit=TEXT_LIMITS["responsible"],
            ),
            "due_date": Field("due_date", "date", N_("Due date"), True),
            "priority": Field("priority", widgets.Dropdown, N_("Priority")),
            "status": Field("status", widgets.Dropdown, N_("Status")),
            "reason": Field(
                "reason", widgets.Text, N_("Reason for reopening"), True, hideable=True
            ),
            "picc_agreed": Field(
                "picc_agreed", widgets.Checkbox, N_("Agreed by the PICC"), indent=False
            ),
            "notes": Field(
                "notes", widgets.Textarea, N_("Notes"), rows=2, limit=TEXT_LIMITS["notes"]
            ),
        }
        self.fields["issue"].control.add_class("bw-issue")
        self.fields["notes"].control.add_class("bw-notes")
        # how an item is completed (not from this form); own layout: hidden alone
        self.completing = widgets.HTML(layout=widgets.Layout())
        self.save = widgets.Button(button_style="primary")  # own layout: hidden alone
        self.save.add_class("bw-save")
        self.save.add_class("bw-once")
        self.cancel = widgets.Button(layout=shared_layout())
        self.message = html()
        self.message.add_class("bw-form-message")
        self.conflict = ConflictPanel()
        self.stored_status = Status.PENDING
        self._: Translate = str
        self.head = widgets.VBox([self.context], layout=shared_layout())  # + the draft panels
        self.foot = widgets.VBox([self.message], layout=shared_layout())  # + the draft's status
        super().__init__(
            [
                self.head,
                *self.fields.values(),
                self.completing,
                self.foot,
                widgets.HBox([self.save, self.cancel], layout=shared_layout()),
                self.conflict,
            ]
        )
        self.add_class("bw-box")
        self.fields["status"].control.observe(lambda _c: self._show_reason(), names="value")

    def relabel(self, _: Translate) -> None:
        """Put the labels and choices in the page's language."""
        self._ = _
        for field in self.fields.values():
            field.relabel(_)
        replace_options(self.fields["priority"].control, options(PRIORITY_LABELS, _))
        self._offer_statuses()
        self.completing.value = muted(
            _(
                "An item is completed in the remediation tracker, with a note and at least "
                "one evidence file."
            )
        )
        self.save.description = _("Save")
        self.cancel.description = _("Close")
        self.conflict.relabel(_)

    def load(self, values: dict[str, Any], *, stored_status: Status, self_diagnosis: bool) -> None:
        """Fill the form with an item's values (a new item's defaults) and clear old errors."""
        self.stored_status = stored_status
        self._offer_statuses()
        defaults = {"priority": Priority.MEDIUM.value, "status": stored_status.value}
        for key, field in self.fields.items():
            value = values.get(key, defaults.get(key))
            if key == "due_date":
                value = as_date(value)
            elif key == "picc_agreed":
                value = bool(value)
            elif value is None:
                value = "" if key not in ("priority", "status") else defaults[key]
            field.set(value)
            field.show_error(None)
        self.fields["compliance_point"].layout.display = None if self_diagnosis else "none"
        self.fields["reason"].control.value = ""
        self.message.value = ""
        self.conflict.hide()
        self._show_reason()

    def values(self) -> dict[str, Any]:
        """What the form holds, as an item's fields (text trimmed)."""
        out: dict[str, Any] = {}
        for key, field in self.fields.items():
            if key == "reason":
                continue
            value = field.get()
            out[key] = value.strip() if isinstance(value, str) else value
        return out

    @property
    def reason(self) -> str:
        """Why a completed item is reopened (empty otherwise)."""
        return str(self.fields["reason"].control.value).strip()

    def show_errors(self, problems: dict[str, str]) -> None:
        """Show each problem next to its field; clear the others."""
        for key, field in self.fields.items():
            field.show_error(problems.get(key))

    def set_editable(self, editable: bool) -> None:
        """Let the person change the item, or only read it."""
        for field in self.fields.values():
            field.control.disabled = not editable
        self.save.layout.display = None if editable else "none"

    def _offer_statuses(self) -> None:
        # only the moves the item may make; completing needs evidence: the tracker's update
        offered = [
            s
            for s in next_statuses(self.stored_status)
            if s is not Status.COMPLETED or self.stored_status is Status.COMPLETED
        ]
        labels = {s.value: STATUS_LABELS[s.value] for s in offered}
        replace_options(self.fields["status"].control, options(labels, self._))
        can_complete = Status.COMPLETED in next_statuses(self.stored_status)
        self.completing.layout.display = (
            None if can_complete and self.stored_status is not Status.COMPLETED else "none"
        )

    def _show_reason(self) -> None:
        reopening = (
            self.stored_status is Status.COMPLETED
            and self.fields["status"].control.value != Status.COMPLETED.value
        )
        self.fields["reason"].layout.display = None if reopening else "none"
