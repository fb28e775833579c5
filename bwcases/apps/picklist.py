"""A list she picks her work from: a row per finding or item, opened in place under its row."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets

from bwcases.apps.common import heading, html, shared_layout
from bwcases.render.templating import macros

VIEWS = "apps/plan.html.j2"  # the badges' macro and the list's style

Badges = tuple[tuple[str, str], ...]  # (text, kind): the flag macro's, kind its colour


@dataclass(frozen=True)
class Heading:
    """A heading among the rows (a cluster, a compliance point)."""

    level: int
    text: str


@dataclass(frozen=True)
class Entry:
    """A row: what it opens (`key`, a "Work on" value), what it says, and its badges."""

    key: str
    text: str
    badges: Badges = ()


@functools.cache
def _pick_style() -> widgets.ButtonStyle:
    return widgets.ButtonStyle()  # one model for every row's button


class PickRow(widgets.Box):
    """One thing she may work on: a button that opens it, its badges, and below them what
    belongs there now (its form, or the question about unsaved changes)."""

    children: tuple[widgets.Widget, ...]  # ipywidgets' trait, typed for mypy

    # A button, not a link: it answers a tap, Enter or Space at once, with no new page.

    def __init__(self, key: str, on_pick: Callable[[str], None]) -> None:
        self.key = key
        self.level = 3  # of the heading it comes under: the form it holds heads one below
        self.button = widgets.Button(layout=shared_layout(), style=_pick_style())
        self.button.add_class("bw-plan-pick")
        self.badges = html()
        super().__init__([self.button, self.badges], layout=shared_layout())
        self.add_class("bw-plan-row")
        self.button.on_click(lambda _b: on_pick(self.key))

    def draw(self, text: str, badges: Badges) -> None:
        """Say what the row opens and its state (the state also on the button, for a screen
        reader there)."""
        if self.button.description != text:
            self.button.description = text
        said = ", ".join(label for label, _kind in badges) or None
        if self.button.tooltip != said:
            self.button.tooltip = said
        value = str(macros(VIEWS).badges(badges))
        if self.badges.value != value:
            self.badges.value = value

    def hold(self, *below: widgets.Widget) -> None:
        """Show these widgets under the row's button (nothing: the row alone)."""
        children = (self.button, self.badges, *below)
        if self.children != children:
            self.children = children

    def close(self) -> None:
        """Close the row's own widgets (never the form it may hold)."""
        self.button.close()
        self.badges.close()
        super().close()


class Slot(widgets.VBox):
    """A place for the form outside the list (under "Work on")."""

    children: tuple[widgets.Widget, ...]  # ipywidgets' trait, typed for mypy

    def hold(self, *below: widgets.Widget) -> None:
        """Show these widgets here (nothing: empty)."""
        if self.children != below:
            self.children = below


Place = PickRow | Slot  # where the form, or the question about unsaved changes, shows


class PickList(widgets.VBox):
    """The rows and their headings, each widget kept from one drawing to the next."""

    # A redraw (a save, another language) reuses the row of the same finding or item: the
    # page keeps its button, and her keyboard's focus on it, in place. What is no longer shown
    # is closed, so models do not pile up in the page.

    def __init__(self, on_pick: Callable[[str], None]) -> None:
        self.on_pick = on_pick
        self.title = html()
        self.rows: dict[str, PickRow] = {}
        self.headings: dict[Heading, widgets.HTML] = {}
        super().__init__(layout=shared_layout())
        self.add_class("bw-plan-tree")

    def draw(self, title: str, lines: list[Heading | Entry], level: int = 3) -> None:
        """Show a title (HTML), then the headings and rows; `level`: the heading above all."""
        rows: dict[str, PickRow] = {}
        headings: dict[Heading, widgets.HTML] = {}
        children: list[widgets.Widget] = [self.title]
        for line in lines:
            if isinstance(line, Heading):
                shown = self.headings.get(line) or html(heading(line.text, line.level))
                headings[line] = shown
                level = line.level
            else:
                shown = rows[line.key] = self.rows.get(line.key) or PickRow(line.key, self.on_pick)
                shown.draw(line.text, line.badges)
                shown.level = level
            children.append(shown)
        gone = [w for k, w in self.rows.items() if k not in rows]
        gone += [w for k, w in self.headings.items() if k not in headings]
        self.rows, self.headings = rows, headings
        if self.title.value != title:
            self.title.value = title
        self.children = tuple(children)
        for widget in gone:
            widget.close()

    def mark(self, key: str) -> None:
        """Show which row is open (none: "")."""
        for row_key, row in self.rows.items():
            if row_key == key:
                row.add_class("bw-plan-open")
            else:
                row.remove_class("bw-plan-open")


class Placement:
    """Puts a form under the row she picked (or in a slot), and the question about its
    unsaved changes where she acted when that is elsewhere."""

    def __init__(self, form: widgets.Widget, head: widgets.Box, ask: widgets.Widget, slot: Slot):
        self.form, self.head, self.ask, self.slot = form, head, ask, slot
        self.home = tuple(head.children)  # the form's head, the question among it
        self.form_at: Place = slot
        self.ask_at: Place | None = None  # None: in the form's head
        self.holding: dict[int, Place] = {}
        self.arrange()

    def put_form(self, place: Place) -> None:
        """Show the form there."""
        self.form_at = place
        self.arrange()

    def ask_here(self, place: Place | None) -> None:
        """Show the question there (None: back in the form's head)."""
        self.ask_at = place
        self.arrange()

    def forget(self, rows: dict[str, PickRow]) -> None:
        """Rows no longer shown hold nothing: what they held goes to the slot."""
        if isinstance(self.form_at, PickRow) and self.form_at.key not in rows:
            self.form_at = self.slot
        if isinstance(self.ask_at, PickRow) and self.ask_at.key not in rows:
            self.ask_at = self.slot
        self.arrange()

    def arrange(self) -> None:
        """Put the form and the question where they belong now."""
        below: dict[int, list[widgets.Widget]] = {}
        places: dict[int, Place] = {}
        home = self.home
        if self.ask_at is not None and self.ask_at is not self.form_at:
            home = tuple(w for w in self.home if w is not self.ask)
            places[id(self.ask_at)] = self.ask_at
            below[id(self.ask_at)] = [self.ask]
        if tuple(self.head.children) != home:
            self.head.children = home
        places[id(self.form_at)] = self.form_at
        below.setdefault(id(self.form_at), []).append(self.form)
        for at, place in self.holding.items():
            if at not in places:
                place.hold()
        for at, place in places.items():
            place.hold(*below[at])
        self.holding = places
