"""The Improvement Plan item form, its validation, and the panel that shows a conflict."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from bwcases.apps.common import (
    PRIORITY_LABELS,
    STATUS_LABELS,
    Field,
    as_date,
    esc,
    fmt_date,
    heading,
    html,
    html_table,
    label_of,
    move_problem,
    options,
    replace_options,
    shared_layout,
)
from bwcases.catalogue import COMPLIANCE_POINTS
from bwcases.domain import ITEM_TEXT_LIMITS as TEXT_LIMITS
from bwcases.domain import Priority, Status
from bwcases.i18n import N_

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
    if due is not None and earliest_due is not None and due < earliest_due:
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
    """Both versions of an item someone else changed meanwhile, and what to do about it."""

    def __init__(self) -> None:
        self.text = html()
        self.mine = widgets.Button(button_style="warning", layout=shared_layout("auto"))
        self.theirs = widgets.Button(layout=shared_layout("auto"))
        buttons = widgets.HBox([self.mine, self.theirs], layout=shared_layout())
        super().__init__([self.text, buttons])
        self.add_class("bw-box")
        self.add_class("bw-conflict")
        self.current: dict[str, Any] = {}
        self.yours: dict[str, Any] = {}
        self.hide()

    def relabel(self, _: Translate) -> None:
        """Put the texts in the page's language."""
        self.mine.description = _("Apply my version again")
        self.theirs.description = _("Use the stored version")
        if self.current:
            self.show(self.current, self.yours, _)

    def show(self, current: dict[str, Any], yours: dict[str, Any], _: Translate) -> None:
        """Show the stored version beside hers, the differing fields marked."""
        self.current, self.yours = current, yours
        rows = []
        for key, label in ITEM_LABELS.items():
            if key not in yours:
                continue
            differ = not same(key, current.get(key), yours.get(key))
            css = ' class="bw-changed"' if differ else ""
            rows.append(
                [
                    esc(_(label)),
                    f"<span{css}>{esc(shown(key, current.get(key), _))}</span>",
                    f"<span{css}>{esc(shown(key, yours.get(key), _))}</span>",
                ]
            )
        who = current.get("updated_by") or _("someone else")
        intro = _(
            "{name} changed this item while you were editing it. Nothing of yours was saved "
            "and nothing of theirs was overwritten. Compare the two versions, then apply yours "
            "again or use the stored one."
        ).format(name=who)
        table = html_table([_("Field"), _("Stored now"), _("Yours")], rows)
        self.text.value = (
            heading(_("Changed meanwhile"), 4) + f"<p>{esc(intro)}</p>"
            f'<div class="bw-diff">{table}</div>'
        )
        self.layout.display = None

    def hide(self) -> None:
        """Hide the panel (the conflict is resolved)."""
        self.current, self.yours = {}, {}
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
            "issue": Field("issue", widgets.Textarea, N_("Issue"), True, rows=3),
            "root_cause": Field("root_cause", widgets.Textarea, N_("Root cause"), rows=2),
            "action": Field("action", widgets.Textarea, N_("Action"), True, rows=3),
            "responsible": Field("responsible", widgets.Text, N_("Responsible person"), True),
            "due_date": Field("due_date", widgets.DatePicker, N_("Due date"), True),
            "priority": Field("priority", widgets.Dropdown, N_("Priority")),
            "status": Field("status", widgets.Dropdown, N_("Status")),
            "reason": Field(
                "reason", widgets.Text, N_("Reason for reopening"), True, hideable=True
            ),
            "picc_agreed": Field(
                "picc_agreed", widgets.Checkbox, N_("Agreed by the PICC"), indent=False
            ),
            "notes": Field("notes", widgets.Textarea, N_("Notes"), rows=2),
        }
        self.save = widgets.Button(button_style="primary")  # own layout: hidden alone
        self.cancel = widgets.Button(layout=shared_layout())
        self.message = html()
        self.conflict = ConflictPanel()
        self.stored_status = Status.PENDING
        self._: Translate = str
        super().__init__(
            [
                self.context,
                *self.fields.values(),
                self.message,
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
        for key, labels in (("priority", PRIORITY_LABELS), ("status", STATUS_LABELS)):
            replace_options(self.fields[key].control, options(labels, _))
        self.save.description = _("Save")
        self.cancel.description = _("Close")
        self.conflict.relabel(_)

    def load(self, values: dict[str, Any], *, stored_status: Status, self_diagnosis: bool) -> None:
        """Fill the form with an item's values (a new item's defaults) and clear old errors."""
        self.stored_status = stored_status
        defaults = {"priority": Priority.MEDIUM.value, "status": stored_status.value}
        for key, field in self.fields.items():
            value = values.get(key, defaults.get(key))
            if key == "due_date":
                value = as_date(value)
            elif key == "picc_agreed":
                value = bool(value)
            elif value is None:
                value = "" if key not in ("priority", "status") else defaults[key]
            field.control.value = value
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
            value = field.control.value
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

    def _show_reason(self) -> None:
        reopening = (
            self.stored_status is Status.COMPLETED
            and self.fields["status"].control.value != Status.COMPLETED.value
        )
        self.fields["reason"].layout.display = None if reopening else "none"
