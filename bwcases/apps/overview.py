"""The case overview: one factory's assessments, non-compliance and open plan items (read-only)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs

import ipywidgets as widgets
import pandas as pd

from bwcases.analysis import metrics
from bwcases.apps.common import (
    ANY,
    PRIORITY_LABELS,
    STATUS_LABELS,
    AppShell,
    domain_label,
    fmt_date,
    guarded,
    html,
    iso_html,
    label_of,
    log,
    muted,
    notice_html,
    quiet,
    replace_options,
    sentence,
    stylesheet,
)
from bwcases.apps.request import MAX_ID_LENGTH, PageRequest, in_voila
from bwcases.auth.people import Person, Role
from bwcases.core.catalogue import catalogue_order
from bwcases.core.domain import FactoryStatus, Status, is_overdue
from bwcases.core.errors import NotFoundError
from bwcases.core.i18n import (
    CLUSTER,
    COMPLIANCE_POINT,
    COUNTRY,
    DEFAULT,
    N_,
    TROUBLE_LOADING,
    domain_name,
    is_rtl,
)
from bwcases.render.templating import Markup, macros
from bwcases.store import Store

ASSESSMENT_COLUMNS = ["quest_id", "cycle", "start_date", "cps_non_compliant", "cps_assessed"]
COMPLIANCE_COLUMNS = ["cluster", "compliance_point", "previous", "latest", "persistent", "change"]
OPEN_ITEM_COLUMNS = [
    "item_id",
    "compliance_point",
    "issue",
    "action",
    "responsible",
    "due_date",
    "priority",
    "status",
    "overdue",
]

# -- the figures (pure functions on frames) ------------------------------------------------


def requested_factory(default: str = "", query: str | None = None) -> str:
    """The factory asked for in the page address (?factory=ID), else `default`."""
    query = os.environ.get("QUERY_STRING", "") if query is None else query
    asked = parse_qs(query).get("factory", [""])[-1].strip()
    return asked[:MAX_ID_LENGTH] or default


def assessment_table(assessments: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    """A factory's assessments, latest first, with its non-compliant and assessed CPs in each."""
    rows = metrics.prepare(findings)
    per_cp = rows.groupby(["quest_id", "compliance_point"])["finding"].max()
    counts = per_cp.groupby(level="quest_id").agg(cps_non_compliant="sum", cps_assessed="count")
    out = assessments[["quest_id", "cycle", "start_date"]].merge(
        counts.reset_index(), on="quest_id", how="left"
    )
    for col in ("cps_non_compliant", "cps_assessed"):
        out[col] = out[col].astype("Int64")
    return out[ASSESSMENT_COLUMNS].sort_values("quest_id", ascending=False, ignore_index=True)


def _change(previous: Any, latest: Any, persistent: bool) -> str:
    if persistent:
        return "persistent"
    if previous is pd.NA or latest is pd.NA:
        return ""
    if previous == 0 and latest == 1:
        return "new"
    if previous == 1 and latest == 0:
        return "resolved"
    return ""


def compliance_table(findings: pd.DataFrame, factory_id: str) -> pd.DataFrame:
    """Non-compliance per cluster and CP on the latest assessment against the one before."""
    out = metrics.compare_assessments(findings, factory_id)
    out["change"] = [
        _change(p, la, bool(pe))
        for p, la, pe in zip(out["previous"], out["latest"], out["persistent"], strict=True)
    ]
    keys = [
        catalogue_order(str(c), str(p))
        for c, p in zip(out["cluster"], out["compliance_point"], strict=True)
    ]
    order = sorted(range(len(out)), key=keys.__getitem__)
    return out.iloc[order].reset_index(drop=True)[COMPLIANCE_COLUMNS]


def open_items_table(items: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Plan items not yet completed, soonest due first, with whether each is overdue."""
    rows = items[items["status"] != Status.COMPLETED.value].copy()
    rows["due_date"] = pd.to_datetime(rows["due_date"])
    rows["overdue"] = [
        is_overdue(status, None if pd.isna(due) else due.date(), as_of)
        for status, due in zip(rows["status"], rows["due_date"], strict=True)
    ]
    rows = rows.sort_values(["due_date", "item_id"], na_position="last", ignore_index=True)
    return rows[OPEN_ITEM_COLUMNS]


def overview_tables(
    store: Store, factory_id: str, *, as_of: dt.date | None = None
) -> dict[str, pd.DataFrame]:
    """The figures of a factory's case: factory, assessments, compliance and open_items."""
    factory = store.factories_frame(factory_ids=[factory_id])
    if factory.empty:
        raise NotFoundError("factory", factory_id)
    findings = store.findings_frame(factory_ids=[factory_id], ncq_only=True)
    assessments = store.assessments_frame(factory_ids=[factory_id])
    items = store.plan_items_frame(factory_ids=[factory_id])
    return {
        "factory": factory,
        "assessments": assessment_table(assessments, findings),
        "compliance": compliance_table(findings, factory_id),
        "open_items": open_items_table(items, as_of or dt.date.today()),
    }


# -- the page (HTML from the templates of bwcases.render) ---------------------------------

Translate = Callable[[str], str]
Cell = tuple[str, str]  # a table cell: its text (or Markup) and its class ("" for none)
VIEWS = "apps/overview.html.j2"  # the summary, its figures and the tables
CHANGES = {  # a CP's change between the two assessments: its label and its colour
    "persistent": (N_("Persistent"), "bw-bad"),
    "new": (N_("New"), "bw-bad"),
    "resolved": (N_("Resolved"), "bw-good"),
}
CHOOSE = N_("Choose a factory to see its case; the filters narrow the list.")


def views() -> Any:
    """The overview's views (bwcases.render's apps/overview.html.j2), each a macro."""
    return macros(VIEWS)


def _finding(value: Any, _: Translate) -> Cell:
    if value is None or pd.isna(value):
        return _("not assessed"), ""
    return (_("Non-compliant"), "bw-bad") if value == 1 else (_("Compliant"), "")


def _text(value: Any) -> Cell:
    """A stored value as a cell (a missing value shows as nothing)."""
    return ("" if value is None or pd.isna(value) else str(value)), ""


def _name(kind: str, value: Any, lang: str) -> Cell:
    """A cluster's, CP's or country's name as a cell, in the page's language."""
    text, css = _text(value)
    return domain_name(kind, text, lang), css


def _section(title: str, header: list[str], rows: list[list[Cell]], empty: str, **more: Any) -> str:
    """A heading, then the rows as a table (or `empty`, a warning, when there is none)."""
    return str(views().section(title, header, rows, empty, **more))


def _compared(assessments: pd.DataFrame) -> pd.DataFrame:
    """The assessments compare_assessments compares: the latest two with NCQ findings."""
    return assessments[assessments["cps_assessed"].fillna(0) > 0].head(2)


def _assessment_name(row: pd.Series, _: Translate, rtl: bool = False) -> Markup:
    return sentence(
        _("{quest}, cycle {cycle}, {date}"),
        rtl,
        quest=f"Quest.ID {row['quest_id']}",
        cycle=row["cycle"],
        date=fmt_date(row["start_date"]),
    )


def summary_html(
    tables: dict[str, pd.DataFrame], _: Translate, rtl: bool = False, lang: str = DEFAULT
) -> str:
    """The factory's heading and key figures."""
    f = tables["factory"].iloc[0]
    # each fact set apart: in Arabic, "VN001 · Vietnam" must not read as one Latin run
    country = domain_name(COUNTRY, str(f["country"]), lang)
    facts = [iso_html(f["factory_id"], rtl), iso_html(country, rtl)]
    if isinstance(f["advisor"], str) and f["advisor"]:
        facts.append(sentence(_("advisor {name}"), rtl, name=f["advisor"]))
    if not pd.isna(f["workers"]):
        facts.append(sentence(_("{n} workers"), rtl, n=f"{int(f['workers']):,}"))
    compared = _compared(tables["assessments"])
    compliance, items = tables["compliance"], tables["open_items"]
    persistent = int(compliance["persistent"].sum())
    overdue = int(items["overdue"].sum())
    latest_text = Markup("")
    figures: list[tuple[Any, str, bool]] = []

    def share(row: pd.Series) -> str:
        return _("{n} of {m}").format(n=row["cps_non_compliant"], m=row["cps_assessed"])

    if not compared.empty:
        latest = compared.iloc[0]
        name = _assessment_name(latest, _, rtl)
        latest_text = sentence(_("Latest assessment: {name}"), rtl, name=name)
        figures.append((share(latest), _("CPs non-compliant (latest)"), False))
        if len(compared) > 1:
            figures.append((share(compared.iloc[1]), _("CPs non-compliant (previous)"), False))
            figures.append((persistent, _("persistent CPs"), persistent > 0))
    figures.append((len(items), _("open plan items"), False))
    figures.append((overdue, _("overdue"), overdue > 0))
    missing = _("No assessment with findings is stored for this factory yet.")
    return str(views().summary(f["factory_name"], facts, latest_text, missing, figures))


def _compliant_on_both(rows: pd.DataFrame) -> pd.Series:
    return ~((rows["previous"] == 1) | (rows["latest"] == 1)).fillna(False).astype(bool)


def compliance_html(
    tables: dict[str, pd.DataFrame], _: Translate, *, show_all: bool = False, lang: str = DEFAULT
) -> str:
    """The non-compliance table: CPs non-compliant on either assessment, or all of them."""
    rtl = is_rtl(lang)
    title = _("Non-compliance by compliance point")
    compared = _compared(tables["assessments"])
    rows = tables["compliance"]
    if rows.empty or compared.empty:
        return _section(title, [], [], _("No findings to show."))
    shown = rows if show_all else rows[~_compliant_on_both(rows)]
    both = len(compared) > 1
    header = [_("Cluster"), _("Compliance point")]
    if both:
        name = _assessment_name(compared.iloc[1], _, rtl)
        header.append(sentence(_("Previous ({name})"), rtl, name=name))
    name = _assessment_name(compared.iloc[0], _, rtl)
    header.append(sentence(_("Latest ({name})"), rtl, name=name))
    if both:
        header.append(_("Change"))
    cells = []
    for r in shown.to_dict("records"):
        row = [
            _name(CLUSTER, r["cluster"], lang),
            _name(COMPLIANCE_POINT, r["compliance_point"], lang),
        ]
        if both:
            row.append(_finding(r["previous"], _))
        row.append(_finding(r["latest"], _))
        if both:
            label, css = CHANGES.get(str(r["change"]), ("", ""))
            row.append((_(label) if label else "", css))
        cells.append(row)
    hidden = len(rows) - len(shown)
    more = ""
    if hidden == 1:
        more = _("1 other CP assessed was compliant on both assessments.")
    elif hidden:
        more = _("{n} other CPs assessed were compliant on both assessments.").format(n=hidden)
    empty = _("No CP is non-compliant on these assessments.")
    return _section(title, header, cells, empty, more=more)


def open_items_html(tables: dict[str, pd.DataFrame], _: Translate, lang: str = DEFAULT) -> str:
    """The open Improvement Plan items."""
    header = [
        _("CP"),
        _("Issue"),
        _("Action"),
        _("Responsible"),
        _("Due"),
        _("Priority"),
        _("Status"),
        _("Overdue"),
    ]
    cells = [
        [
            _name(COMPLIANCE_POINT, r["compliance_point"], lang),
            _text(r["issue"]),
            _text(r["action"]),
            _text(r["responsible"]),
            (fmt_date(r["due_date"]), ""),
            (label_of(PRIORITY_LABELS, r["priority"], _) if _text(r["priority"])[0] else "", ""),
            (label_of(STATUS_LABELS, r["status"], _), ""),
            (_("Overdue"), "bw-bad") if r["overdue"] else ("", ""),
        ]
        for r in tables["open_items"].to_dict("records")
    ]
    return _section(_("Open Improvement Plan items"), header, cells, _("No open items."))


def assessments_html(tables: dict[str, pd.DataFrame], _: Translate) -> str:
    """The factory's assessments, latest first."""
    header = ["Quest.ID", _("Cycle"), _("Start date"), _("CPs non-compliant"), _("CPs assessed")]
    cells = [
        [
            _text(r["quest_id"]),
            _text(r["cycle"]),
            (fmt_date(r["start_date"]), ""),
            _text(r["cps_non_compliant"]),
            _text(r["cps_assessed"]),
        ]
        for r in tables["assessments"].to_dict("records")
    ]
    return _section(_("Assessments"), header, cells, _("No assessments."), compact=True)


# -- the app ---------------------------------------------------------------------------------

# Outside Voilà (papermill, Jupyter) nobody signs in: with nobody named, an analyst's notebook
# reads every factory, and changes nothing (the overview never writes).
ANALYST = Person("", Role.READONLY)


def _choices(
    values: pd.Series, everything: str, kind: str = "", lang: str = DEFAULT
) -> list[tuple[str, str]]:
    """A filter's options: everything, then each value (a country by its name in `lang`)."""
    names = {str(v) for v in values.dropna() if str(v).strip()}
    labelled = sorted((domain_label(kind, n, lang) if kind else n, n) for n in names)
    return [(everything, ANY), *labelled]


def _filter(description: str) -> widgets.Dropdown:
    """A filter's dropdown, its label above it; its own layout: hidden alone."""
    dropdown = widgets.Dropdown(options=[("…", ANY)], layout=widgets.Layout(width="300px"))
    dropdown.add_class("bw-stack")
    dropdown.style.description_width = "initial"
    dropdown.description = description
    return dropdown


class CaseOverview(AppShell):
    """Pick a factory and read its case: figures, non-compliance, open items (read-only)."""

    title = N_("Case overview")
    page = "case_overview.ipynb"

    def __init__(
        self, store: Store, request: PageRequest | None = None, *, as_of: dt.date | None = None
    ) -> None:
        self.as_of = as_of
        super().__init__(store, request)

    def build(self) -> None:
        """Create the filters, the factory picker and the views of a case."""
        self.tables: dict[str, pd.DataFrame] | None = None
        self.active = pd.DataFrame(columns=["factory_id", "country", "advisor", "status"])
        self.country = _filter("Country")
        self.advisor = _filter("Advisor")
        self.search, self.factory, self.count = (
            self.picker.search,
            self.picker.factory,
            self.picker.count,
        )
        self.show_all = widgets.Checkbox(value=False, indent=False)
        self.message = html()
        self.summary = html()
        self.compliance = html()
        self.open_items = html()
        self.assessments = html()
        self.details = widgets.VBox(
            [self.compliance, self.show_all, self.open_items, self.assessments]
        )
        self.details.layout.display = "none"
        wrap = widgets.Layout(flex_flow="row wrap", align_items="flex-end", grid_gap="12px")
        self.filters = widgets.HBox([self.country, self.advisor], layout=wrap)
        self.content = [self.filters, self.picker, self.message, self.summary, self.details]
        self.add_class("bw-overview")
        self.country.observe(self._on_country, names="value")
        self.advisor.observe(self._on_filter, names="value")
        self.factory.observe(self._on_factory, names="value")
        self.show_all.observe(self._on_show_all, names="value")

    def answer(self, request: PageRequest) -> None:
        """Answer a page's request; outside Voilà, with nobody named, for an analyst."""
        if request.person is None and not in_voila():
            request = replace(request, person=ANALYST)
        super().answer(request)

    def nav_html(self) -> str:
        """The links to the apps; who is signed in, unless nobody is (an analyst's notebook)."""
        if self.person is not ANALYST:
            return super().nav_html()
        self.person = None
        try:
            return super().nav_html()
        finally:
            self.person = ANALYST

    def start(self) -> None:
        """Read the factories the person may see; offer only the filters that leave a choice."""
        self.today = dt.date.today()
        self.register = self.portfolio()
        self.active = self.register[self.register["status"] != FactoryStatus.OBSOLETE.value]
        self._offer_filters()
        self._refresh_factories()
        asked = self.request.factory_id
        if asked:
            self.select(asked)
        else:
            self._show(ANY)

    def relabel(self) -> None:
        """Put every text in the page's language and redraw."""
        _ = self._
        self.picker.relabel(_, self.rtl)
        self.country.description = _("Country")
        self.advisor.description = _("Advisor")
        self.show_all.description = _("Show compliant CPs too")
        self._offer_filters()
        self._draw()

    # -- what a person does ------------------------------------------------------------------

    def select(self, factory_id: str) -> None:
        """Show one factory's case, clearing filters that would hide it."""
        if factory_id not in set(self.active["factory_id"].astype(str)):
            self._show(ANY)
            self.say(
                self._("Factory {id} is not in your portfolio.").format(id=factory_id), "warning"
            )
            return
        self.advisor.value = ANY
        self.country.value = ANY
        if self.picker.factory.value == factory_id:
            self._show(factory_id)
        else:
            self.picker.select(factory_id)

    @guarded
    def _on_country(self, _change: dict[str, Any]) -> None:
        self._offer_advisors()
        self._refresh_factories()

    @guarded
    def _on_filter(self, _change: dict[str, Any]) -> None:
        self._refresh_factories()

    @guarded
    def _on_factory(self, change: dict[str, Any]) -> None:
        if quiet(change):
            return
        self._show(str(change["new"] or ""))

    @guarded
    def _on_show_all(self, _change: dict[str, Any]) -> None:
        if self.tables is not None:
            self.compliance.value = compliance_html(
                self.tables, self._, show_all=self.show_all.value, lang=self.lang
            )

    # -- rendering ---------------------------------------------------------------------------

    def _offer_filters(self) -> None:
        """Country and Advisor, each offered only when what she may see holds more than one."""
        _ = self._
        countries = _choices(self.active["country"], _("All countries"), COUNTRY, self.lang)
        replace_options(self.country, countries)
        self._offer_advisors()
        for dropdown in (self.country, self.advisor):
            dropdown.layout.display = None if len(dropdown.options) > 2 else "none"
        shown = any(d.layout.display is None for d in (self.country, self.advisor))
        self.filters.layout.display = None if shown else "none"

    def _offer_advisors(self) -> None:
        rows = self.active
        if self.country.value:
            rows = rows[rows["country"] == self.country.value]
        replace_options(self.advisor, _choices(rows["advisor"], self._("All advisors")))

    def _refresh_factories(self) -> None:
        rows = self.active
        if self.country.value:
            rows = rows[rows["country"] == self.country.value]
        if self.advisor.value:
            rows = rows[rows["advisor"] == self.advisor.value]
        self.picker.set_register(rows)
        self.picker.refresh()

    def _clear(self) -> None:
        self.tables = None
        for w in (self.message, self.summary, self.compliance, self.open_items, self.assessments):
            w.value = ""
        self.details.layout.display = "none"

    def _show(self, factory_id: str) -> None:
        """Read a factory's case and draw it (nothing chosen: say how to choose)."""
        self._clear()
        self.factory_id = factory_id
        self.nav.value = self.nav_html()  # the links to the other apps keep the factory
        if not factory_id:
            self.message.value = muted(self._(CHOOSE))
            return
        self.say("")
        try:
            self.tables = overview_tables(self.store, factory_id, as_of=self.as_of)
        except NotFoundError:  # gone since the list was read
            missing = self._("Factory {id} is not in your portfolio.").format(id=factory_id)
            self.message.value = notice_html(missing, "warning")
            return
        except Exception:  # a person sees a sentence; the log keeps the details
            log.exception("case overview of factory %r failed (%s)", factory_id, self.person)
            self.message.value = notice_html(self._(TROUBLE_LOADING), "error")
            return
        self._draw()

    def _draw(self) -> None:
        """Draw the case read, in the page's language."""
        _ = self._
        if self.tables is None:
            if not self.factory_id:
                self.message.value = muted(_(CHOOSE))
            return
        self.message.value = ""
        self.summary.value = summary_html(self.tables, _, self.rtl, self.lang)
        shown = self.show_all.value
        self.compliance.value = compliance_html(self.tables, _, show_all=shown, lang=self.lang)
        self.open_items.value = open_items_html(self.tables, _, self.lang)
        self.assessments.value = assessments_html(self.tables, _)
        quiet_cps = not _compliant_on_both(self.tables["compliance"]).any()
        self.show_all.layout.display = "none" if quiet_cps else None
        self.details.layout.display = None

    def to_html(self) -> str:
        """What the overview shows now, as one HTML page fragment (no controls)."""
        parts = [
            self.notice,
            self.message,
            self.summary,
            self.compliance,
            self.open_items,
            self.assessments,
        ]
        # the widgets hold HTML drawn by the templates; stylesheet() is the apps' styles
        shown = [Markup(w.value) for w in parts]
        return str(views().static(Markup(stylesheet()), shown, self.lang, self.rtl))

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        # Live frontends draw the widget; executed notebooks (papermill) keep a static copy.
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = self.to_html()
        return bundle


def case_overview(store: Store, request: PageRequest | str | None = None) -> CaseOverview:
    """The app, for the person who asked (built ahead when None, for .answer(request)); a
    factory ID opens that factory's case for an analyst, outside Voilà."""
    if isinstance(request, str):
        request = PageRequest(None, request)
    return CaseOverview(store, request)
