"""The factory's PICC register in the case timeline: its members, and the form to add, correct
or end one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd

from bwcases.apps.common import (
    ANY,
    BAD_DATE,
    Field,
    busy,
    failure_text,
    fmt_date,
    guarded,
    heading,
    html,
    label_of,
    notice_html,
    options,
    quiet,
    replace_options,
    set_quietly,
    shared_layout,
)
from bwcases.auth.people import Role
from bwcases.core.errors import BwcasesError, ConflictError, ValidationError
from bwcases.core.i18n import N_
from bwcases.render.templating import macros
from bwcases.store.picc import NAME_LIMIT

if TYPE_CHECKING:
    from bwcases.apps.common import AppShell

VIEWS = "apps/picc.html.j2"
SIDE_LABELS = {"worker": N_("Workers' side"), "management": N_("Management's side")}
GENDER_LABELS = {"female": N_("Woman"), "male": N_("Man"), "other": N_("Other")}
SELECTION_LABELS = {"elected": N_("Elected"), "appointed": N_("Appointed")}
MEMBER_LABELS = {
    "name": N_("Name"),
    "side": N_("Side"),
    "gender": N_("Gender"),
    "role": N_("Role on the committee"),
    "selection": N_("Elected or appointed"),
    "since": N_("Member since"),
}


def views() -> Any:
    """The register's views (bwcases.render's apps/picc.html.j2), each a macro."""
    return macros(VIEWS)


def validate_member(
    values: dict[str, Any], *, today: dt.date, _: Callable[[str], str]
) -> dict[str, str]:
    """What is wrong with a member's fields, by field, in the person's language."""
    problems = {}
    if not str(values.get("name") or "").strip():
        problems["name"] = _("Fill in this field.")
    for key in ("name", "role"):
        if len(str(values.get(key) or "")) > NAME_LIMIT:
            problems[key] = _("At most {n} characters.").format(n=NAME_LIMIT)
    since = values.get("since")
    if since is None:
        problems["since"] = _("Fill in this field.")
    elif isinstance(since, str):
        problems["since"] = _(BAD_DATE)
    elif since > today:
        problems["since"] = _("The date cannot be in the future.")
    return problems


def counts_text(register: pd.DataFrame, today: dt.date, _: Callable[[str], str]) -> str:
    """Who sits on the committee today, by side and by gender, in one sentence."""
    now = register[
        (register["since"] <= today)
        & register["until"].map(lambda d: d is None or pd.isna(d) or d > today)
    ]
    if now.empty:
        return ""
    by_side = now["side"].value_counts()
    by_gender = now["gender"].value_counts()
    return _(
        "Members now: {n}. Workers' side: {workers}, management's side: {managers}. "
        "Women: {women}, men: {men}, other: {other}."
    ).format(
        n=len(now),
        workers=int(by_side.get("worker", 0)),
        managers=int(by_side.get("management", 0)),
        women=int(by_gender.get("female", 0)),
        men=int(by_gender.get("male", 0)),
        other=int(by_gender.get("other", 0)),
    )


class PiccRegister(widgets.VBox):
    """A factory's PICC members, and for who may keep the register a form to add one, correct
    one (against the version she opened) or end a membership."""

    def __init__(self, app: AppShell) -> None:
        self.app = app
        self.factory_id = ""
        self.register = pd.DataFrame()
        self.member: dict[str, Any] = {}  # the member the form shows; nothing: a new one
        self.table = html()
        self.choice = widgets.Dropdown(options=[("…", ANY)], layout=shared_layout("100%"))
        self.choice.add_class("bw-stack")
        self.choice.add_class("bw-picc-choice")
        self.choice.style.description_width = "initial"
        self.fields = {
            "name": Field("name", widgets.Text, MEMBER_LABELS["name"], True, limit=NAME_LIMIT),
            "side": Field("side", widgets.Dropdown, MEMBER_LABELS["side"], True),
            "gender": Field("gender", widgets.Dropdown, MEMBER_LABELS["gender"], True),
            "role": Field("role", widgets.Text, MEMBER_LABELS["role"], limit=NAME_LIMIT),
            "selection": Field("selection", widgets.Dropdown, MEMBER_LABELS["selection"], True),
            "since": Field("since", "date", MEMBER_LABELS["since"], True),
        }
        self.save = widgets.Button(button_style="primary", layout=shared_layout("auto"))
        self.save.add_class("bw-once")
        self.save.add_class("bw-picc-save")
        self.until = Field("until", "date", N_("Membership ended on"), True, hideable=True)
        self.end = widgets.Button(layout=shared_layout("auto"))
        self.end.add_class("bw-once")
        self.end.add_class("bw-picc-end")
        self.ending = widgets.VBox([self.until, self.end])
        self.message = html()
        self.message.add_class("bw-form-message")
        self.form_head = html()
        self.form = widgets.VBox(
            [
                self.form_head,
                self.choice,
                *self.fields.values(),
                self.save,
                self.ending,
                self.message,
            ]
        )
        self.form.add_class("bw-box")
        super().__init__([html(str(views().style())), self.table, self.form])
        self.add_class("bw-picc")
        self.choice.observe(self._on_choice, names="value")
        self.save.on_click(self._on_save)
        self.end.on_click(self._on_end)

    # what @guarded needs of its owner: where to say it, in which language
    @property
    def notice(self) -> widgets.HTML:
        return self.app.notice

    def _(self, text: str) -> str:
        return str(self.app._(text))

    def may_keep(self) -> bool:
        """Whether the reader may change this factory's register: its advisor, programme staff,
        or the factory's own person."""
        person = self.app.person
        if person is None or not self.factory_id:
            return False
        covered = person.covers(self.app.picker.row(self.factory_id))
        return covered and (person.can_edit or person.role is Role.FACTORY)

    # -- drawing ---------------------------------------------------------------------------

    def relabel(self) -> None:
        """Put the texts in the page's language."""
        _ = self.app._
        for field in (*self.fields.values(), self.until):
            field.relabel(_)
        replace_options(self.fields["side"].control, options(SIDE_LABELS, _))
        replace_options(self.fields["gender"].control, options(GENDER_LABELS, _))
        replace_options(self.fields["selection"].control, options(SELECTION_LABELS, _))
        self.choice.description = _("Member")
        self.save.description = _("Keep in the register")
        self.end.description = _("End the membership")
        self.form_head.value = heading(_("Add or correct a PICC member"), 4)
        if self.factory_id:
            self.draw()

    def show_factory(self, factory_id: str) -> None:
        """Read a factory's register and show it, with an empty form for a new member."""
        self.factory_id = factory_id
        self.member = {}
        self.message.value = ""
        self.form.layout.display = None if self.may_keep() else "none"
        self.load()
        self.fill({})

    def load(self) -> None:
        """Read the register and draw it."""
        self.register = self.app.store.picc_register_frame(factory_ids=[self.factory_id])
        self.draw()

    def draw(self) -> None:
        """The register's table, who sits on it now, and the members to choose from."""
        _ = self.app._
        rows = [
            [
                m["name"],
                label_of(SIDE_LABELS, m["side"], _),
                label_of(GENDER_LABELS, m["gender"], _),
                m["role"] or "–",
                label_of(SELECTION_LABELS, m["selection"], _),
                fmt_date(m["since"]),
                fmt_date(m["until"]) or "–",
            ]
            for m in self.register.to_dict("records")
        ]
        header = [
            _("Name"),
            _("Side"),
            _("Gender"),
            _("Role on the committee"),
            _("Elected or appointed"),
            _("Member since"),
            _("Until"),
        ]
        counts = counts_text(self.register, self.app.today, _) if len(self.register) else ""
        empty = _("No PICC member is registered yet.")
        self.table.value = str(views().register(_("PICC register"), counts, header, rows, empty))
        members = [
            (f"{m['name']} — {label_of(SIDE_LABELS, m['side'], _)}", str(m["id"]))
            for m in self.register.to_dict("records")
        ]
        replace_options(self.choice, [(_("A new member"), ANY), *members])

    def fill(self, member: dict[str, Any]) -> None:
        """Show a member's fields in the form (a new member's: empty, since today)."""
        self.member = member
        set_quietly(self.choice, str(member["id"]) if member else ANY)
        defaults = {"side": "worker", "gender": "female", "selection": "elected"}
        for key, field in self.fields.items():
            value = member.get(key, defaults.get(key, ""))
            field.set(self.app.today if key == "since" and not member else value)
            field.show_error(None)
        self.until.set(self.app.today)
        self.until.show_error(None)
        current = bool(member) and (member.get("until") is None or pd.isna(member["until"]))
        self.ending.layout.display = None if current else "none"

    # -- what a person does ----------------------------------------------------------------

    @guarded
    def _on_choice(self, change: dict[str, Any]) -> None:
        if quiet(change):
            return
        self.message.value = ""
        chosen = str(change["new"] or "")
        self.fill(self.app.store.picc_member(int(chosen)) if chosen else {})

    @guarded
    def _on_save(self, _button: Any) -> None:
        with busy(self.save, self.app._("Saving…")):
            self.save_member()

    @guarded
    def _on_end(self, _button: Any) -> None:
        with busy(self.end, self.app._("Saving…")):
            self.end_member()

    def save_member(self) -> bool:
        """Validate and save the member (new, or corrected); the form keeps its input on
        failure."""
        _ = self.app._
        if not self.may_keep() or self.app.person is None:
            return False
        values = {k: f.get() for k, f in self.fields.items()}
        values = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
        problems = validate_member(values, today=self.app.today, _=_)
        if not self._shown(problems):
            return False
        actor = self.app.person.name
        try:
            if self.member:
                changed = {k: v for k, v in values.items() if v != self.member.get(k)}
                self.app.store.update_picc_member(
                    int(self.member["id"]),
                    changed,
                    expected_version=int(self.member["version"]),
                    actor=actor,
                )
                member_id = int(self.member["id"])
            else:
                member_id = self.app.store.add_picc_member(self.factory_id, values, actor)
        except BwcasesError as exc:
            return self._failed(exc)
        self.load()
        self.fill(self.app.store.picc_member(member_id))
        self.message.value = notice_html(_("The member was saved."), "success")
        return True

    def end_member(self) -> bool:
        """End the chosen member's membership on the day given."""
        _ = self.app._
        if not self.member or not self.may_keep() or self.app.person is None:
            return False
        until = self.until.get()
        problem = None
        if until is None:
            problem = _("Fill in this field.")
        elif isinstance(until, str):
            problem = _(BAD_DATE)
        elif until > self.app.today:
            problem = _("The date cannot be in the future.")
        self.until.show_error(problem)
        if problem:
            return False
        try:
            self.app.store.end_picc_member(
                int(self.member["id"]),
                until,
                expected_version=int(self.member["version"]),
                actor=self.app.person.name,
            )
        except BwcasesError as exc:
            return self._failed(exc)
        member_id = int(self.member["id"])
        self.load()
        self.fill(self.app.store.picc_member(member_id))
        self.message.value = notice_html(_("The membership was ended."), "success")
        return True

    def _shown(self, problems: dict[str, str]) -> bool:
        """Show each problem by its field; whether there were none."""
        for key, field in self.fields.items():
            field.show_error(problems.get(key))
        if problems:
            text = self.app._("Nothing was saved: correct the marked fields.")
            self.message.value = notice_html(text, "error")
        return not problems

    def _failed(self, exc: BwcasesError) -> bool:
        """Say why the store refused; a stale copy is reloaded to show what is stored now."""
        if isinstance(exc, ValidationError):
            for key, value in exc.fields.items():
                target = self.until if key == "until" else self.fields.get(key)
                if target is not None:
                    target.show_error(value)
        self.message.value = notice_html(failure_text(self.app, exc), "error")
        if isinstance(exc, ConflictError):
            self.load()  # the stored member beside her message; her input stays in the form
            set_quietly(self.choice, str(self.member.get("id", ANY)))
            self.member = self.app.store.picc_member(int(self.member["id"]))
        return False
