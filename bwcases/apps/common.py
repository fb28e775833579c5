"""What the advisor apps share: the page around them, the factory picker, fields and notices."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlencode

import ipywidgets as widgets
import pandas as pd
from ipywidgets.widgets.widget_string import HTMLStyle

from bwcases.apps.request import PageRequest
from bwcases.auth.people import Person, Role
from bwcases.core.domain import (
    FactoryStatus,
    Priority,
    Status,
    Verification,
    VisitKind,
    allowed_move,
)
from bwcases.core.errors import BwcasesError, StoreError
from bwcases.core.formats import DATE_FORMAT
from bwcases.core.i18n import (
    COUNTRY,
    DEFAULT,
    LANGUAGES,
    N_,
    TROUBLE_LOADING,
    domain_name,
    is_rtl,
    translator,
)
from bwcases.core.logs import server_log
from bwcases.render.templating import Markup, macros
from bwcases.store import Store

log = server_log("bwcases.apps")

ANY = ""  # a dropdown value: nothing chosen
# A factory ID that cannot exist (the importer refuses blank ones), for the queries that warm a
# kernel up; valid text on every store (PostgreSQL refuses "\x00").
NOBODY = ""
DATE_PLACEHOLDER = "dd/mm/yyyy"
SEARCH_PAUSE = 0.3  # seconds without a key before the factory list narrows
BAD_DATE = N_("Write the date as dd/mm/yyyy, for example 31/01/2027.")
PAGES = {
    "improvement_plan.ipynb": N_("Improvement Plan"),
    "remediation_tracker.ipynb": N_("Remediation tracker"),
    "work_queue.ipynb": N_("Work queue"),
    "case_timeline.ipynb": N_("Case timeline"),
    "case_overview.ipynb": N_("Case overview"),
}
STATUS_LABELS = {
    Status.PENDING.value: N_("Pending"),
    Status.IN_PROGRESS.value: N_("In Progress"),
    Status.COMPLETED.value: N_("Completed"),
}
PRIORITY_LABELS = {
    Priority.HIGH.value: N_("High"),
    Priority.MEDIUM.value: N_("Medium"),
    Priority.LOW.value: N_("Low"),
}
VERIFICATION_LABELS = {
    Verification.AWAITING.value: N_("Awaiting verification"),
    Verification.VERIFIED.value: N_("Verified"),
    Verification.REJECTED.value: N_("Sent back"),
}
# a status, a verification: its badge's colour, the same in every app (STYLE's .bw-badge-*)
STATE_BADGES = {
    Status.PENDING.value: "badge-pending",
    Status.IN_PROGRESS.value: "badge-in-progress",
    Status.COMPLETED.value: "badge-completed",
    Verification.AWAITING.value: "badge-awaiting",
    Verification.VERIFIED.value: "badge-verified",
    Verification.REJECTED.value: "badge-rejected",
}
KIND_LABELS = {
    VisitKind.ADVISORY_VISIT.value: N_("Advisory visit"),
    VisitKind.PICC_MEETING.value: N_("PICC meeting"),
}
ROLE_LABELS = {
    Role.ADVISOR.value: N_("advisor"),
    Role.STAFF.value: N_("programme staff"),
    Role.READONLY.value: N_("read-only"),
    Role.FACTORY.value: N_("factory"),
}
TROUBLE = N_(
    "Something went wrong and nothing was saved. Try again; if it keeps failing, "
    "tell the programme's data team."
)

# The store's own trouble (unreachable, refusing, full, a concurrent writer): its message names
# the server and says what an administrator should do, so the person reads this instead.
STORE_TROUBLE = N_(
    "Not saved: the database did not answer or refused the change. What you typed is still in "
    "the form: try again in a moment; if it keeps failing, tell the programme's data team."
)

# Shown by the page script (frontend/src/index.js) while the page's connection to its kernel
# is down: it marks the page's body with data-connection="connecting", "disconnected" or "dead".
RECONNECTING = N_(
    "The connection to the server was interrupted; reconnecting… Keep this page open: what "
    "you type is sent once the connection is back."
)
CONNECTION_LOST = N_(
    "The connection to the server is lost: this page can no longer save. Copy what you typed, "
    "then reload the page."
)

STYLE = """<style>
.bw-app { font-size: 14px; max-width: 1100px; line-height: 1.4; }
.bw-app.bw-rtl, .bw-app.bw-rtl .widget-label, .bw-app.bw-rtl input, .bw-app.bw-rtl textarea,
.bw-app.bw-rtl select { direction: rtl; text-align: right; }
/* what people type and what the store holds reads in its own direction (Latin names and
   English CAT questions inside an Arabic page), still aligned to the right */
.bw-app.bw-rtl input, .bw-app.bw-rtl textarea, .bw-app.bw-rtl select,
.bw-app.bw-rtl .bw-table td, .bw-app.bw-rtl .bw-tree li { unicode-bidi: plaintext; }
.bw-app.bw-rtl .bw-table th, .bw-app.bw-rtl .bw-table td { text-align: right; }
.bw-app.bw-rtl h2 { unicode-bidi: plaintext; text-align: right; }
.bw-app .widget-html-content { min-width: 0; line-height: 1.4; }
.bw-app h1 { font-size: 1.5em; margin: 0.2em 0; }
.bw-app h2 { font-size: 1.25em; margin: 0.6em 0 0.2em; }
.bw-app h3 { font-size: 1.1em; margin: 1em 0 0.3em; }
.bw-app h4 { font-size: 1em; margin: 0.6em 0 0.2em; }
.bw-header { border-bottom: 1px solid #d0d7de; padding-bottom: 6px; margin-bottom: 8px; }
.bw-header .widget-hbox { flex-wrap: wrap; column-gap: 12px; }
.bw-nav a { margin-inline-end: 14px; } .bw-nav a[aria-current] { font-weight: 700; }
.bw-who { color: #555; }
.bw-signout { display: inline; margin: 0; }
.bw-signout button { background: none; border: 0; padding: 0; font: inherit; color: #0b5cad;
  text-decoration: underline; cursor: pointer; }
.bw-muted { color: #555; }
.bw-notice { padding: 8px 12px; border-inline-start: 4px solid #0b5cad; background: #eef4fb; }
.bw-notice.bw-success { border-color: #1b7f3b; background: #e9f6ee; }
.bw-notice.bw-error { border-color: #c62828; background: #fdecea; }
.bw-notice.bw-warning { border-color: #e69500; background: #fff4e5; }
.bw-connection { display: none; position: sticky; top: 0; z-index: 10; margin: 4px 0; }
body[data-connection="connecting"] .bw-connection.bw-retrying,
body[data-connection="disconnected"] .bw-connection.bw-lost,
body[data-connection="dead"] .bw-connection.bw-lost { display: block; }
.bw-app .bw-stack.widget-inline-hbox { flex-direction: column; align-items: stretch;
  width: 100%; max-width: 640px; height: auto; }
.bw-app .bw-stack select, .bw-app .bw-stack input { flex: 0 0 auto; height: 30px; }
.bw-app .bw-stack textarea { flex: 0 0 auto; }
.bw-app .bw-stack .widget-label { width: auto !important; max-width: none; text-align: start;
  font-weight: 600; margin: 6px 0 2px; }
.bw-app .bw-stack textarea { min-height: 4.5em; }
.bw-field-error { color: #b71c1c; font-weight: 600; min-height: 0; }
.bw-invalid input, .bw-invalid textarea, .bw-invalid select {
  border: 2px solid #c62828 !important; background: #fff8f8 !important; }
.bw-scroll { overflow-x: auto; max-width: 100%; }
.bw-table { border-collapse: collapse; width: 100%; }
.bw-table th, .bw-table td { padding: 4px 8px; border-bottom: 1px solid #e1e4e8;
  text-align: start; vertical-align: top; }
.bw-table thead th { background: #f3f5f7; }
.bw-flag { display: inline-block; padding: 0 6px; margin-inline-start: 4px; border-radius: 8px;
  font-size: 0.85em; font-weight: 600; }
.bw-flag.bw-persistent { background: #fdecea; color: #b71c1c; }
.bw-flag.bw-public { background: #e8eaf6; color: #283593; }
.bw-flag.bw-overdue { background: #fdecea; color: #b71c1c; }
.bw-flag.bw-planned { background: #e9f6ee; color: #1b5e20; }
/* a status's and a verification's badge (STATE_BADGES): each text at least 4.5:1 */
.bw-badge-pending { background: #eaeef2; color: #3b434b; border-color: #c9d1d9; }
.bw-badge-in-progress { background: #ddeeff; color: #0a4b8c; }
.bw-badge-completed { background: #e3f4e6; color: #1b5e20; }
.bw-badge-awaiting { background: #fff1d6; color: #6e3d00; }
.bw-badge-verified { background: #1b5e20; color: #ffffff; }
.bw-badge-rejected { background: #fde8e8; color: #9b1c1c; }
.bw-table.bw-compact { width: auto; min-width: 50%; }
.bw-table td.bw-bad { color: #b71c1c; font-weight: 600; }
.bw-table td.bw-good { color: #1b5e20; }
.bw-figures { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.bw-figure { border: 1px solid #d0d7de; border-radius: 6px; padding: 6px 14px; min-width: 130px; }
.bw-figure b { display: block; font-size: 1.6em; line-height: 1.3; }
.bw-figure.bw-alert { border-color: #c62828; background: #fdecea; }
.bw-tree ul { margin: 0.2em 0; padding-inline-start: 1.4em; }
.bw-tree li { margin: 0.15em 0; }
.bw-box { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.bw-conflict { border-color: #e69500; background: #fffaf0; }
.bw-offer .widget-hbox, .bw-ask .widget-hbox, .bw-conflict .widget-hbox { flex-wrap: wrap;
  gap: 6px; }
.bw-offer .jupyter-button, .bw-ask .jupyter-button, .bw-conflict .jupyter-button {
  white-space: normal; height: auto; min-height: 36px; max-width: 100%; }
.bw-app .bw-stack.widget-inline-hbox { box-sizing: border-box; margin-inline: 0; }
.bw-diff .bw-changed { background: #fff4e5; font-weight: 600; }
.bw-question dl { margin: 4px 0; } .bw-question dt { font-weight: 600; }
.bw-question dd { margin: 2px 0; padding-inline-start: 8px;
  border-inline-start: 3px solid #d0d7de; }
.bw-app .jupyter-button.mod-primary { background: #0b5cad; }
.bw-app .lm-TabBar-tab { flex: 0 0 auto !important; max-width: none !important; min-width: 140px; }
</style>"""

F = TypeVar("F", bound=Callable[..., Any])
PIECES = "apps/pieces.html.j2"  # the macros of the apps' small pieces of HTML


def pieces() -> Any:
    """The apps' pieces of HTML (bwcases.render's apps/pieces.html.j2), each a macro."""
    return macros(PIECES)


def stylesheet() -> str:
    """The apps' styles: STYLE, then the pieces' for tablets and phones (a compact header,
    tables as cards)."""
    return STYLE + str(pieces().style())


def factory_options(
    register: pd.DataFrame, *, country: str = ANY, advisor: str = ANY, search: str = ""
) -> list[tuple[str, str]]:
    """Dropdown options ("ID — name", ID) of the active factories that match the filters."""
    rows = register[register["status"] != FactoryStatus.OBSOLETE.value]
    if country:
        rows = rows[rows["country"] == country]
    if advisor:
        rows = rows[rows["advisor"] == advisor]
    labels = rows["factory_id"].astype(str) + " — " + rows["factory_name"].astype(str)
    if search.strip():
        labels = labels[labels.str.contains(search.strip(), case=False, regex=False)]
    return sorted(zip(labels, rows.loc[labels.index, "factory_id"].astype(str), strict=True))


def fmt_date(value: Any) -> str:
    """A date as the programme writes it (dd/mm/yyyy), or nothing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return pd.Timestamp(value).strftime(DATE_FORMAT)


def as_date(value: Any) -> dt.date | None:
    """A date from whatever a frame or a JSON record holds."""
    if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
        return None
    return pd.Timestamp(value).date()


_TYPED_DATES = (
    (re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"), (3, 2, 1)),  # 31/01/2027, 1.2.2027
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), (1, 2, 3)),  # ISO: 2027-01-31
    (re.compile(r"(\d{2})(\d{2})(\d{4})"), (3, 2, 1)),  # digits only: 31012027
)


def parse_date(text: str) -> dt.date | None:
    """A date as people type it (dd/mm/yyyy, or ISO); None when blank; ValueError otherwise."""
    # The programme's order whatever the browser's locale: a date is never read as mm/dd.
    text = text.strip()
    if not text:
        return None
    for pattern, (y, m, d) in _TYPED_DATES:
        match = pattern.fullmatch(text)
        if match:
            return dt.date(int(match[y]), int(match[m]), int(match[d]))
    raise ValueError(f"not a date: {text!r}")


def label_of(labels: dict[str, str], value: Any, _: Callable[[str], str]) -> str:
    """The translated label of a stored value (the value itself when it has none)."""
    key = str(value)
    return _(labels[key]) if key in labels else key


# from one value to the next; U+2192 is not mirrored by the bidi algorithm: a right-to-left page
# needs U+2190 (keyed by rtl)
ARROWS = {False: " → ", True: " ← "}


def status_move(old: str, new: str, _: Callable[[str], str], rtl: bool = False) -> str:
    """A status move as people read it ("Pending → In Progress"; in a right-to-left page the
    arrow points left, the way she reads)."""
    return ARROWS[rtl].join(label_of(STATUS_LABELS, s, _) for s in (old, new))


def move_problem(
    old: Status, new: Status, reason: str, reason_field: str, _: Callable[[str], str]
) -> dict[str, str]:
    """What is wrong, by field, with a status move she may not make (nothing when she may)."""
    if not allowed_move(old, new, reason):
        return {}
    if old is Status.COMPLETED and new is Status.IN_PROGRESS:
        return {reason_field: _("Say why the completed item is reopened.")}
    return {
        "status": _("An item cannot move from {old} to {new}.").format(
            old=label_of(STATUS_LABELS, old.value, _), new=label_of(STATUS_LABELS, new.value, _)
        )
    }


def cut(text: Any, width: int = 60) -> str:
    """A text on one line, shortened to `width` characters."""
    text = " ".join(str(text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def iso(text: str, rtl: bool) -> str:
    """Stored data set apart (Unicode isolates) inside a right-to-left page's text."""
    # for plain text (a dropdown's options); in HTML, iso_html and sentence use <bdi>
    return f"\u2068{text}\u2069" if rtl else text


def iso_html(text: Any, rtl: bool) -> Markup:
    """A value (a name, a code, free text) escaped, and in a right-to-left page set apart in
    <bdi>: it keeps its own direction, and the sentence around it its order."""
    return pieces().iso(text) if rtl else Markup.escape(text)


def sentence(message: str, rtl: bool, **values: Any) -> Markup:
    """A translated sentence filled in, escaped, each value set apart (iso_html): in Arabic,
    "Quest.ID 1500" or ": CMP.OW.03" stay where the sentence puts them."""
    # the message as Markup, whose format escapes the values: a right-to-left translator's
    # Unicode isolates (i18n.Isolating) give way to the <bdi> of each value
    return Markup.escape(str(message)).format(**{k: iso_html(v, rtl) for k, v in values.items()})


def domain_label(kind: str, name: Any, lang: str) -> str:
    """A cluster's, CP's, country's or CAT question's name in the page's language, as plain
    text (a dropdown's option), set apart in a right-to-left page."""
    return iso(domain_name(kind, str(name), lang), is_rtl(lang))


# The pieces below return plain str (not Markup): the apps join them with + and f-strings.


def heading(text: str, level: int = 3) -> str:
    """A heading (the text escaped)."""
    return str(pieces().heading(text, level))


def muted(text: str) -> str:
    """A quiet paragraph (the text escaped)."""
    return str(pieces().muted(text))


def notice_html(text: str, kind: str = "info") -> str:
    """A message box (info, success, warning or error)."""
    return str(pieces().notice(text, kind))


def problems_shown(
    fields: dict[str, Field],
    problems: dict[str, str],
    message: widgets.HTML,
    _: Callable[[str], str],
) -> bool:
    """Show each problem by its field and, if there is one, that nothing was saved; whether
    there were none."""
    for key, field in fields.items():
        field.show_error(problems.get(key))
    if problems:
        message.value = notice_html(_("Nothing was saved: correct the marked fields."), "error")
    return not problems


def flag(text: str, kind: str) -> str:
    """A small coloured label (persistent, public, overdue, planned)."""
    return str(pieces().flag(text, kind))


def _who(app: Any) -> str:
    """The person and page an app serves, for the server's log."""
    person = getattr(app, "person", None)
    request = getattr(app, "request", None)
    factory = getattr(request, "factory_id", "") if request else ""
    name = person.name if person else "nobody signed in"
    return f"{name} on {getattr(app, 'page', '?')}, factory {factory or '-'}"


def failure_text(app: Any, exc: BwcasesError) -> str:
    """What a person reads of an error the store raised: its own sentence, or for the store's
    trouble a sentence in her language (the details go to the server's log)."""
    if isinstance(exc, StoreError):
        log.warning("%s (%s)", exc, _who(app))
        return str(app._(STORE_TROUBLE))
    return str(exc)


def guarded(method: F) -> F:
    """Run a widget callback so that a failure shows a sentence, never a traceback."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception:
            log.exception("%s failed (%s)", method.__qualname__, _who(self))
            self.notice.value = notice_html(self._(TROUBLE), "error")
            return None

    return wrapper  # type: ignore[return-value]


@contextmanager
def busy(button: widgets.Button, text: str) -> Iterator[None]:
    """Say on a button that its action runs, and keep it from being clicked meanwhile."""
    # The page script disables a "bw-once" button at the click already; this holds it until the
    # action ends, then gives it back (the page re-enables it on this change).
    label, was_disabled = button.description, button.disabled
    button.disabled, button.description = True, text
    try:
        yield
    finally:
        button.description, button.disabled = label, was_disabled


@functools.cache
def shared_layout(width: str | None = None) -> widgets.Layout:
    """One layout for the many widgets that are never hidden one by one."""
    # Each widget's own layout is one more model sent to the browser: on a slow link dozens of
    # them cost seconds.
    return widgets.Layout(width=width) if width else widgets.Layout()


@functools.cache
def _html_style() -> HTMLStyle:
    return HTMLStyle()


def html(value: str = "") -> widgets.HTML:
    """An HTML output that shares its layout and style with the others."""
    return widgets.HTML(value, layout=shared_layout(), style=_html_style())


def stacked(widget: widgets.Widget, width: str = "100%") -> widgets.Widget:
    """A form control with its label above it (reads well in narrow and right-to-left pages)."""
    widget.add_class("bw-stack")
    widget.style.description_width = "initial"
    widget.layout = shared_layout(width)
    return widget


class Field(widgets.VBox):
    """A labelled form control with the message of its error right below it."""

    # A date field is a text box (dd/mm/yyyy whatever the browser's locale) that the page script
    # gives a calendar button (class bw-date); a field with a limit shows a live counter of its
    # characters (class bw-limit-N), counted in the browser: no round trip per key.

    def __init__(
        self,
        key: str,
        kind: type[widgets.Widget] | str,
        label: str,
        required: bool = False,
        *,
        hideable: bool = False,
        limit: int | None = None,
        **options: Any,
    ) -> None:
        self.key = key
        self.label = label  # a message id (marked with N_ where defined)
        self.required = required
        self.is_date = kind == "date"
        if self.is_date:
            kind = widgets.Text
            options = {"placeholder": DATE_PLACEHOLDER, **options}
        assert not isinstance(kind, str)
        if kind in (widgets.Checkbox, widgets.FileUpload):
            self.control = kind(layout=shared_layout("auto"), **options)
        else:
            self.control = kind(
                layout=shared_layout("100%"), style={"description_width": "initial"}, **options
            )
            self.control.add_class("bw-stack")
        if self.is_date:
            self.control.add_class("bw-date")
        if limit:
            self.control.add_class(f"bw-limit-{limit}")
        if required:  # the page script marks the input `required`
            self.control.add_class("bw-required")
        self.error = html()
        layout = widgets.Layout(width="100%") if hideable else shared_layout("100%")
        super().__init__([self.control, self.error], layout=layout)
        # the page script ties the error shown to the input (aria-invalid, aria-describedby)
        self.add_class("bw-form-field")

    def get(self) -> Any:
        """The field's value: a date field's date (its text when that is not a date)."""
        value = self.control.value
        if not self.is_date:
            return value
        try:
            return parse_date(str(value))
        except ValueError:
            return str(value).strip()

    def set(self, value: Any) -> None:
        """Show a value in the field (a date as dd/mm/yyyy)."""
        if self.is_date:
            value = fmt_date(value) if isinstance(value, dt.date) else str(value or "")
        self.control.value = value

    def relabel(self, _: Callable[[str], str]) -> None:
        """Put the label in the page's language."""
        self.control.description = _(self.label) + (" *" if self.required else "")

    def show_error(self, message: str | None) -> None:
        """Show an error next to the field, or clear it."""
        if message:
            self.error.value = str(pieces().field_error(message))
            self.add_class("bw-invalid")
        else:
            self.error.value = ""
            self.remove_class("bw-invalid")


def replace_options(dropdown: widgets.Dropdown, new: list[tuple[str, Any]]) -> None:
    """Give a dropdown new options, keeping its value when it is still offered."""
    # ipywidgets resets the value when the options change; observers should hear of a change
    # only when the value really changed.
    old = dropdown.value
    dropdown._bw_quiet = True  # see quiet()
    try:
        dropdown.options = new
        values = [v for _label, v in new]
        dropdown.value = old if old in values else (values[0] if values else None)
    finally:
        dropdown._bw_quiet = False
    if dropdown.value != old:
        dropdown._notify_trait("value", old, dropdown.value)


def set_quietly(dropdown: widgets.Dropdown, value: Any) -> None:
    """Choose a value without its observers hearing of it (the app already acted on it)."""
    dropdown._bw_quiet = True
    try:
        dropdown.value = value
    finally:
        dropdown._bw_quiet = False


def set_if_offered(dropdown: widgets.Dropdown, value: Any) -> None:
    """Choose a value quietly when the dropdown still offers it (else leave it as it is)."""
    if value in {v for _label, v in dropdown.options}:
        set_quietly(dropdown, value)


def quiet(change: dict[str, Any]) -> bool:
    """Whether a change is a step of replace_options (observers should ignore it)."""
    return bool(getattr(change.get("owner"), "_bw_quiet", False))


def options(labels: dict[str, str], _: Callable[[str], str]) -> list[tuple[str, str]]:
    """Dropdown options (translated label, stored value)."""
    return [(_(label), value) for value, label in labels.items()]


class FactoryPicker(widgets.VBox):
    """Search the person's portfolio by name or ID and choose a factory."""

    # The list narrows as she types, once she pauses (SEARCH_PAUSE): one answer per pause, not
    # per key, on a slow link; a search that leaves one factory chooses it.

    def __init__(self) -> None:
        self.register = pd.DataFrame(columns=["factory_id", "factory_name", "status"])
        self.search = stacked(widgets.Text(continuous_update=True), width="320px")
        self.factory = stacked(widgets.Dropdown(options=[("…", ANY)]), width="460px")
        self.count = html()
        self._ = translator("en")
        self.rtl = False
        self._timer: asyncio.TimerHandle | None = None
        wrap = widgets.Layout(flex_flow="row wrap", align_items="flex-end", grid_gap="12px")
        super().__init__([widgets.HBox([self.search, self.factory, self.count], layout=wrap)])
        self.search.observe(self._on_search, names="value")

    def set_register(self, register: pd.DataFrame) -> None:
        """The factories to choose from (retired records left out)."""
        self.register = register[register["status"] != FactoryStatus.OBSOLETE.value]

    def relabel(self, _: Callable[[str], str], rtl: bool = False) -> None:
        """Put the labels in the page's language."""
        self._, self.rtl = _, rtl
        self.search.description = _("Search")
        self.search.placeholder = _("Factory name or ID")
        self.factory.description = _("Factory")
        self.refresh()

    def refresh(self) -> list[str]:
        """Offer the factories that match the search; their IDs."""
        self._cancel()
        _ = self._
        found = factory_options(self.register, search=self.search.value)
        shown = [(iso(label, self.rtl), value) for label, value in found]
        replace_options(self.factory, [(_("Choose a factory…"), ANY), *shown])
        count = _("Factories: {n}").format(n=len(found))
        self.count.value = str(pieces().remark(count, "status"))  # said as the list narrows
        return [value for _label, value in found]

    def select(self, factory_id: str) -> bool:
        """Choose a factory of the portfolio; False when it is not in it."""
        if factory_id not in set(self.register["factory_id"].astype(str)):
            return False
        if self.search.value:
            set_quietly(self.search, "")
            self.refresh()  # at once: the factory must be among the options before it is chosen
        self.factory.value = factory_id
        return True

    def narrow(self) -> None:
        """Offer what the search matches, and choose the one factory it matches."""
        found = self.refresh()
        if self.search.value.strip() and len(found) == 1 and self.factory.value != found[0]:
            self.factory.value = found[0]

    def _on_search(self, change: dict[str, Any]) -> None:
        if quiet(change):
            return
        self._cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not in a kernel (tests, scripts): at once
            self.narrow()
            return
        self._timer = loop.call_later(SEARCH_PAUSE, self._narrow_later)

    def _narrow_later(self) -> None:
        self._timer = None
        try:
            self.narrow()
        except Exception:  # a timer's failure reaches nobody: the log, and the list stays
            log.exception("narrowing the factory list failed")

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def row(self, factory_id: str) -> dict[str, Any]:
        """The register's row of a factory of the portfolio."""
        rows = self.register[self.register["factory_id"] == factory_id]
        return rows.iloc[0].to_dict() if len(rows) else {}


class AppShell(widgets.VBox):
    """The page around an app: title, links, who is signed in, language picker, messages."""

    # Nothing of a factory is read, let alone shown, unless someone is signed in.

    title = N_("Advisor apps")
    page = ""

    def __init__(self, store: Store, request: PageRequest | None = None) -> None:
        self.store = store
        self.request = PageRequest(None)
        self.person: Person | None = None
        self.lang = DEFAULT
        self._ = translator(self.lang)
        self.factory_id = ""
        self.today = dt.date.today()
        self.register = pd.DataFrame()
        self.heading = html()
        self.heading.add_class("bw-title")
        self.nav = html()
        self.nav.add_class("bw-nav-box")
        self.language = widgets.Dropdown(
            options=[(label, code) for code, label in LANGUAGES.items()],
            value=self.lang,
            layout=widgets.Layout(width="260px"),
        )
        self.language.add_class("bw-language")
        self.notice = html()
        self.connection = html()
        self.body = widgets.VBox(layout=shared_layout())
        self.broken = False
        row = widgets.HBox([self.nav, self.language], layout=shared_layout())
        row.add_class("bw-header-row")  # on a phone its parts join the heading's line
        header = widgets.VBox([self.heading, row], layout=shared_layout())
        header.add_class("bw-header")
        super().__init__([html(stylesheet()), header, self.connection, self.notice, self.body])
        self.add_class("bw-app")
        self.picker = FactoryPicker()
        self.content: list[widgets.Widget] = []
        self.build()  # widgets only: a preheated kernel builds them before anyone asks
        self.language.observe(self._on_language, names="value")
        if request is not None:
            self.answer(request)
        else:
            self.warm_up()

    def answer(self, request: PageRequest) -> None:
        """Answer a page's request: the person's portfolio, the factory, the language."""
        self.request, self.person, self.lang = request, request.person, request.lang
        self._ = translator(self.lang)
        set_quietly(self.language, self.lang)
        self.apply_language()  # labels first: the factory is then drawn once, in her language
        if self.person is None:
            return
        try:
            self.start()
            self.body.children = tuple(self.content)
        except Exception:  # e.g. the database is unreachable: a sentence, not a traceback
            log.exception("%s could not start (%s)", type(self).__name__, _who(self))
            self.person = None
            self.broken = True
            self.apply_language()

    def warm_up(self) -> None:
        """Run the app's queries once on nothing, so a preheated kernel has them compiled."""
        pieces()  # and its templates
        try:
            self.store.factories_frame(factory_ids=[NOBODY])
            self.store.plan_items_frame(factory_ids=[NOBODY])
        except Exception:  # only a head start; the page reports real trouble when asked
            log.exception("warming up %s failed", type(self).__name__)

    def start(self) -> None:
        """Read the signed-in person's portfolio and open the factory the page asked for."""
        self.today = dt.date.today()
        self.register = self.portfolio()
        self.picker.set_register(self.register)
        self.picker.relabel(self._, self.rtl)
        asked = self.request.factory_id
        if asked and not self.picker.select(asked):
            self.say(self._("Factory {id} is not in your portfolio.").format(id=asked), "warning")

    # -- to be filled in by each app ---------------------------------------------------------

    def build(self) -> None:
        """Create the app's widgets into self.content (no data: nobody has asked yet)."""

    def relabel(self) -> None:
        """Put the app's fixed texts in the page's language and redraw what it shows."""

    # -- shared behaviour ----------------------------------------------------------------------

    @guarded
    def _on_language(self, change: dict[str, Any]) -> None:
        if quiet(change):
            return
        self.lang = str(change["new"])
        self._ = translator(self.lang)
        self.apply_language()
        # her next page opens in it too, whatever its address lacks (request.page_language)
        if self.person is not None and self.person.name:  # nameless: an analyst's notebook
            try:
                self.store.set_language(self.person.name, self.lang)
            except BwcasesError:  # the page is in her language all the same
                log.warning("the language of %s was not kept", _who(self), exc_info=True)

    def apply_language(self) -> None:
        """Show every text in the chosen language and lay the page out in its direction."""
        _ = self._
        if is_rtl(self.lang):
            self.add_class("bw-rtl")
        else:
            self.remove_class("bw-rtl")
        for name in self._dom_classes:  # the page script speaks the page's language too
            if name.startswith("bw-lang-") and name != f"bw-lang-{self.lang}":
                self.remove_class(name)
        self.add_class(f"bw-lang-{self.lang}")
        self.language.description = _("Language")
        self.heading.value = heading(_(self.title), 1)
        self.nav.value = self.nav_html()
        self.connection.value = str(pieces().connection(_(RECONNECTING), _(CONNECTION_LOST)))
        if self.broken:
            self.say(_(TROUBLE_LOADING), "error")
            return
        if self.person is None:
            login = f"{self.request.base_url}login?lang={self.lang}"
            why, sign_in = _("Sign in to see factory data."), _("Sign in")
            self.notice.value = str(pieces().sign_in(why, sign_in, login))
            return
        self.relabel()

    def nav_html(self) -> str:
        """Links to the apps (keeping the factory and language) and the signed-in person."""
        _ = self._
        query = {"lang": self.lang}
        if self.factory_id:
            query = {"factory": self.factory_id, **query}
        base, lang = self.request.base_url, self.lang
        links = [
            (f"{base}voila/render/{page}?{urlencode(query)}", _(label), page == self.page)
            for page, label in PAGES.items()
        ]
        who = None
        if self.person is not None:
            role = label_of(ROLE_LABELS, self.person.role.value, _)
            country = self.person.country
            place = f", {domain_name(COUNTRY, country, lang)}" if country else ""
            who = {
                "signed": _("Signed in as {name} ({role})").format(
                    name=self.person.name, role=role + place
                ),
                "name": self.person.name,  # what a phone shows of the sentence
                "password": _("Change password"),
                "password_url": f"{base}password?lang={lang}",
                "sign_out": _("Sign out"),
                "sign_out_url": f"{base}logout?lang={lang}",
                "xsrf": self.request.xsrf,  # the sign-out form posts it back
                "base": base,
                "lang": lang,
            }
        return str(pieces().nav(links, who))

    @property
    def rtl(self) -> bool:
        """Whether the page's language reads right to left."""
        return is_rtl(self.lang)

    def say(self, text: str, kind: str = "info") -> None:
        """Show a message at the top of the app (the text already translated)."""
        self.notice.value = notice_html(text, kind) if text else ""

    def portfolio(self) -> pd.DataFrame:
        """The factory register rows of the signed-in person's portfolio."""
        assert self.person is not None
        return self.store.factories_frame(**self.person.scope())

    def may_edit(self, factory: dict[str, Any]) -> bool:
        """Whether the signed-in person may change this factory's case."""
        return self.person is not None and self.person.can_edit and self.person.covers(factory)

    def may_propose(self, factory: dict[str, Any]) -> bool:
        """Whether the signed-in person's changes of this factory's plan are proposals."""
        return self.person is not None and self.person.can_propose and self.person.covers(factory)
