"""A plan item's comments: the thread as its reader may read it, and the form to add one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd

from bwcases.apps.common import (
    Field,
    busy,
    failure_text,
    fmt_date,
    guarded,
    html,
    muted,
    notice_html,
    replace_options,
    shared_layout,
)
from bwcases.auth.people import Role
from bwcases.core.errors import BwcasesError, ValidationError
from bwcases.core.i18n import N_
from bwcases.render.templating import macros
from bwcases.store.comments import COMMENT_LIMIT, INTERNAL, SHARED

if TYPE_CHECKING:
    from bwcases.apps.common import AppShell

VIEWS = "apps/comments.html.j2"
MARKERS = {INTERNAL: N_("Internal"), SHARED: N_("Shared with the factory")}
CHOICES = {
    INTERNAL: N_("Internal: programme staff and advisors only"),
    SHARED: N_("Shared: the factory reads it too"),
}


def views() -> Any:
    """The thread's views (bwcases.render's apps/comments.html.j2), each a macro."""
    return macros(VIEWS)


def when(at: Any, _: Any) -> str:
    """A comment's time as the apps write a day, with the hour (UTC: people are in many
    countries, and the server knows none of their clocks)."""
    stamp = pd.Timestamp(at)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return str(_("{date} at {time} UTC")).format(date=fmt_date(stamp), time=stamp.strftime("%H:%M"))


class CommentThread(widgets.VBox):
    """An item's comments, oldest first, and a form to add one: the factory's people read and
    write only shared comments; programme people choose, internal unless they say shared."""

    def __init__(self, app: AppShell) -> None:
        self.app = app
        self.item_id: int | None = None
        self.factory_id = ""
        self.thread = html()
        self.text = Field(
            "comment", widgets.Textarea, N_("Your comment"), True, rows=3, limit=COMMENT_LIMIT
        )
        self.text.control.add_class("bw-comment-input")
        # a layout of its own: it is hidden from some, and a shared layout hides all its widgets
        self.visibility = widgets.Dropdown(
            options=[("…", INTERNAL)], layout=widgets.Layout(width="100%")
        )
        self.visibility.add_class("bw-stack")
        self.visibility.add_class("bw-comment-visibility")
        self.visibility.style.description_width = "initial"
        # what a factory's person reads instead of the choice (hidden from others: its own layout)
        self.shared_only = widgets.HTML(layout=widgets.Layout())
        self.add = widgets.Button(button_style="primary", layout=shared_layout("auto"))
        self.add.add_class("bw-once")
        self.add.add_class("bw-comment-add")
        self.message = html()
        self.message.add_class("bw-form-message")
        self.form = widgets.VBox(
            [self.text, self.visibility, self.shared_only, self.add, self.message]
        )
        self.form.add_class("bw-comment-form")
        super().__init__([html(str(views().style())), self.thread, self.form])
        self.add_class("bw-box")
        self.add_class("bw-comments-box")
        self.add.on_click(self._on_add)

    # -- who she is ------------------------------------------------------------------------

    @property
    def from_factory(self) -> bool:
        """Whether the reader is the factory's own person (she reads and writes shared only)."""
        person = self.app.person
        return person is not None and person.role is Role.FACTORY

    def may_write(self) -> bool:
        """Whether the reader may comment on this factory's items."""
        person = self.app.person
        if person is None or not self.factory_id:
            return False
        factory = self.app.picker.row(self.factory_id)
        return person.covers(factory) and (person.can_edit or person.role is Role.FACTORY)

    # -- what the item shows ---------------------------------------------------------------

    def relabel(self) -> None:
        """Put the texts in the page's language."""
        _ = self.app._
        self.text.relabel(_)
        self.visibility.description = _("Who reads it")
        replace_options(self.visibility, [(_(label), key) for key, label in CHOICES.items()])
        self.shared_only.value = muted(
            _("Your comment is shared with the programme's staff and advisors.")
        )
        self.add.description = _("Add the comment")
        if self.item_id is not None:
            self.draw()

    def show_item(self, item_id: int | None, factory_id: str) -> None:
        """Show an item's thread with an empty form (nothing for no item)."""
        self.item_id, self.factory_id = item_id, factory_id
        self.text.set("")
        self.text.show_error(None)
        self.message.value = ""
        self.visibility.value = SHARED if self.from_factory else INTERNAL
        writable = item_id is not None and self.may_write()
        self.form.layout.display = None if writable else "none"
        self.visibility.layout.display = "none" if self.from_factory else None
        self.shared_only.layout.display = None if self.from_factory else "none"
        if item_id is not None:
            self.draw()

    def draw(self) -> None:
        """The thread as the reader may read it."""
        _ = self.app._
        if self.item_id is None or self.app.person is None:
            self.thread.value = ""
            return
        rows = self.app.store.comment_thread(self.item_id, self.app.person.name)
        shown = [
            {
                "author": c["author"],
                "when": when(c["at"], _),
                "marker": _(MARKERS.get(c["visibility"], c["visibility"])),
                "kind": c["visibility"],
                "text": c["text"],
            }
            for c in rows.to_dict("records")
        ]
        self.thread.value = str(views().thread(_("Comments"), shown, _("No comments yet.")))

    # -- adding one -------------------------------------------------------------------------

    @guarded
    def _on_add(self, _button: Any) -> None:
        with busy(self.add, self.app._("Saving…")):
            self.add_comment()

    @property
    def notice(self) -> widgets.HTML:
        """Where @guarded says that something went wrong: the app's notice."""
        return self.app.notice

    def _(self, text: str) -> str:  # what @guarded translates with
        return str(self.app._(text))

    def add_comment(self) -> bool:
        """Validate and save the comment; the form keeps its text on failure."""
        _ = self.app._
        if self.item_id is None or self.app.person is None or not self.may_write():
            return False
        text = str(self.text.control.value).strip()
        visibility = SHARED if self.from_factory else str(self.visibility.value)
        problem = None
        if not text:
            problem = _("Fill in this field.")
        elif len(text) > COMMENT_LIMIT:
            problem = _("At most {n} characters.").format(n=COMMENT_LIMIT)
        self.text.show_error(problem)
        if problem:
            self.message.value = notice_html(_("The comment was not added."), "error")
            return False
        try:
            self.app.store.add_comment(
                self.item_id, text, visibility=visibility, actor=self.app.person.name
            )
        except ValidationError as exc:
            self.text.show_error(exc.fields.get("text"))
            self.message.value = notice_html(str(exc), "error")
            return False
        except BwcasesError as exc:
            self.message.value = notice_html(failure_text(self.app, exc), "error")
            return False
        self.text.set("")
        self.draw()
        self.message.value = notice_html(_("The comment was added."), "success")
        return True
