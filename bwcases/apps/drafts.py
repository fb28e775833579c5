"""What a person types in a form, kept as a draft in the store and offered back on any device."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from bwcases.apps.common import Field, fmt_date, html, log, pieces, shared_layout
from bwcases.core.i18n import N_

if TYPE_CHECKING:
    from bwcases.apps.common import AppShell

DRAFT_DELAY = 2.0  # seconds after the last change: one write per pause, not per key
DIRTY = "bw-dirty"  # on the form while it holds unsaved changes: the page asks before leaving

KEPT = N_("Draft kept at {time}.")
NOT_KEPT = N_("The draft could not be kept: save soon, or copy what you typed.")


class DraftOffer(widgets.VBox):
    """A stored draft of what she is opening, to restore or discard."""

    def __init__(self) -> None:
        self.text = html()
        self.restore = widgets.Button(button_style="primary", layout=shared_layout("auto"))
        self.discard = widgets.Button(layout=shared_layout("auto"))
        super().__init__([self.text, widgets.HBox([self.restore, self.discard])])
        self.add_class("bw-box")
        self.add_class("bw-offer")
        self.layout = widgets.Layout(display="none")


class LeaveCheck(widgets.VBox):
    """Asks before a form with unsaved changes is left: stay, leave keeping a draft, discard."""

    def __init__(self) -> None:
        self.text = html()
        self.stay = widgets.Button(button_style="primary", layout=shared_layout("auto"))
        self.leave = widgets.Button(layout=shared_layout("auto"))
        self.drop = widgets.Button(button_style="danger", layout=shared_layout("auto"))
        super().__init__([self.text, widgets.HBox([self.stay, self.leave, self.drop])])
        self.add_class("bw-box")
        self.add_class("bw-ask")
        self.layout = widgets.Layout(display="none")


class DraftKeeper:
    """Keeps a form's unsaved changes as the person's draft, and asks before they are left."""

    # The draft reaches the store within DRAFT_DELAY of her last change, so a reload, a tablet
    # that drops a background tab, a closed laptop or a kernel stopped after its page went away
    # loses at most that. Keyed per person, form and item: it follows her to her other devices.

    def __init__(self, app: AppShell, form: str, fields: dict[str, Field], box: widgets.Box):
        self.app, self.form, self.fields, self.box = app, form, fields, box
        self.key: str | None = None
        self.baseline: dict[str, Any] = {}
        self.just_saved = False  # no change since the last save: a second click says "saved"
        self.stored: tuple[dict[str, Any], dt.datetime] | None = None
        self.offer = DraftOffer()
        self.ask = LeaveCheck()
        self.status = html()
        self.on_edit: Callable[[], None] = lambda: None
        # files chosen and not stored yet (drafts keep no files): leaving asks, and says so
        self.files_chosen: Callable[[], int] = lambda: 0
        self._timer: asyncio.TimerHandle | None = None
        self._then: Callable[[], None] | None = None
        for field in fields.values():
            if not isinstance(field.control, widgets.FileUpload):
                field.control.observe(self._on_change, names="value")
        self.offer.restore.on_click(lambda _b: self._guarded(self.restore))
        self.offer.discard.on_click(lambda _b: self._guarded(self.discard))
        self.ask.stay.on_click(lambda _b: self._guarded(self._stay))
        self.ask.leave.on_click(lambda _b: self._guarded(self._leave))
        self.ask.drop.on_click(lambda _b: self._guarded(self._drop))

    def relabel(self) -> None:
        """Put the panels' texts in the page's language."""
        _ = self.app._
        self.offer.discard.description = _("Discard it")
        self._ask_text()
        self.ask.stay.description = _("Back to my changes")
        self.ask.leave.description = _("Go on, keep my draft")
        self.ask.drop.description = _("Discard my changes")
        self._show_offer()

    # -- the form's life -----------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """What the form holds, as typed (files are not kept in drafts)."""
        return {
            key: field.control.value
            for key, field in self.fields.items()
            if not isinstance(field.control, widgets.FileUpload)
        }

    @property
    def dirty(self) -> bool:
        """Whether the form holds changes (or chosen files) that are not saved."""
        return self.key is not None and (self.values() != self.baseline or self.files_chosen() > 0)

    def close(self) -> None:
        """Stop following the form (before it is filled with something else)."""
        self.flush()
        self.key = None
        self.stored = None
        self.just_saved = False
        self.offer.layout.display = self.ask.layout.display = "none"
        self.status.value = ""
        self._mark()

    def open(self, key: str) -> None:
        """Follow the form, just filled, as the draft `key`; offer her stored draft of it."""
        self.key, self.baseline = key, self.values()
        self.just_saved = False
        self.stored = None
        if self.app.person is not None:
            stored = self.app.store.draft(self.app.person.name, self.form, key)
            if stored is not None and _typed(stored[0], self.baseline) != self.baseline:
                self.stored = stored
        self._show_offer()
        self._mark()

    def saved(self) -> None:
        """The form's content was saved (the store cleared the draft in the same transaction)."""
        self._cancel()
        self.baseline = self.values()
        self.just_saved = True
        self.stored = None
        self.offer.layout.display = "none"
        self.status.value = ""
        self._mark()

    def restore(self) -> None:
        """Put the stored draft in the form (it stays stored until she saves or discards)."""
        if self.stored is None:
            return
        values = _typed(self.stored[0], self.values())
        self.stored = None
        self.offer.layout.display = "none"
        for key, value in values.items():
            control = self.fields[key].control
            offered = getattr(control, "options", None)
            if offered is not None and value not in {v for _label, v in offered}:
                continue  # a choice the item no longer offers (its status moved meanwhile)
            if control.value != value:
                control.value = value

    def discard(self) -> None:
        """Forget her draft of what is open, and what the form holds beyond the stored item."""
        self._cancel()
        if self.key is not None and self.app.person is not None:
            self.app.store.discard_draft(self.app.person.name, self.form, self.key)
        self.stored = None
        self.offer.layout.display = "none"
        self.status.value = ""

    def flush(self) -> None:
        """Write a pending draft now."""
        if self._timer is not None:
            self._cancel()
            self._keep()

    def leave(self, go: Callable[[], None], stay: Callable[[], None] = lambda: None) -> None:
        """Do `go` when the form holds nothing unsaved; else undo with `stay` and ask first."""
        if not self.dirty:
            go()
            return
        stay()
        self.flush()
        self._then = go
        self._ask_text()  # what the question says depends on what is unsaved
        self.ask.layout.display = None

    # -- what happens on its own ---------------------------------------------------------

    def _on_change(self, change: dict[str, Any]) -> None:
        if self.key is None:
            return
        self.just_saved = False
        self.on_edit()
        for field in self.fields.values():
            if field.control is change["owner"]:
                field.show_error(None)
        self._mark()
        self._cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not in a kernel (tests, scripts): keep it at once
            self._keep()
            return
        self._timer = loop.call_later(DRAFT_DELAY, self._keep)

    def _keep(self) -> None:
        self._timer = None
        person = self.app.person
        if self.key is None or person is None:
            return
        _ = self.app._
        try:
            if self.values() == self.baseline:
                self.app.store.discard_draft(person.name, self.form, self.key)
                self.status.value = ""
                return
            at = self.app.store.save_draft(person.name, self.form, self.key, self.values())
        except Exception:  # the store's trouble: she is told, what she typed stays in the form
            log.exception("keeping a draft failed (%s on %s)", person.name, self.key)
            self.status.value = str(pieces().remark(_(NOT_KEPT)))
            return
        kept = _(KEPT).format(time=at.astimezone().strftime("%H:%M"))
        self.status.value = str(pieces().remark(kept, "status"))

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _mark(self) -> None:
        if self.dirty:
            self.box.add_class(DIRTY)
        else:
            self.box.remove_class(DIRTY)

    def _show_offer(self) -> None:
        _ = self.app._
        if self.stored is None:
            self.offer.layout.display = "none"
            return
        at = self.stored[1].astimezone()
        when = at.strftime("%H:%M")
        text = _("You have a draft of this, kept on {date} at {time}, on this or another device.")
        text = text.format(date=fmt_date(at.date()), time=when)
        self.offer.text.value = str(pieces().para(text))
        self.offer.restore.description = _("Restore the draft of {time}").format(time=when)
        self.offer.layout.display = None

    def _ask_text(self) -> None:
        _ = self.app._
        unsaved = _("Your changes are not saved yet. They are kept as a draft.")
        if self.files_chosen():
            unsaved += " " + _(
                "The files you chose are not kept in a draft: choose them again if you go on."
            )
        self.ask.text.value = str(pieces().notice(unsaved, "warning", role="alert", tag="p"))

    def _stay(self) -> None:
        self._then = None
        self.ask.layout.display = "none"

    def _leave(self) -> None:
        go, self._then = self._then, None
        self.ask.layout.display = "none"
        self.flush()
        self.key = None  # what she typed stays in the store as her draft
        self._mark()
        if go is not None:
            go()

    def _drop(self) -> None:
        self.discard()
        self._leave()

    def _guarded(self, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception:
            log.exception("draft action failed (%s)", self.key)
            self.app.say(self.app._(NOT_KEPT), "error")


def _typed(stored: dict[str, Any], like: dict[str, Any]) -> dict[str, Any]:
    """A stored draft's values as the form's controls take them (fields it lacks as they are)."""
    out = dict(like)
    for key, value in stored.items():
        if key not in like:
            continue
        current = like[key]
        if isinstance(current, bool):
            out[key] = bool(value)
        elif isinstance(current, str):
            out[key] = "" if value is None else str(value)
        else:
            out[key] = value
    return out
