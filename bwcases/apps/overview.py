"""The case overview: one factory's assessments, non-compliance and open plan items (read-only)."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any
from urllib.parse import parse_qs

import ipywidgets as widgets
import pandas as pd

from bwcases.analysis import metrics
from bwcases.apps.common import (
    ANY,
    STYLE,
    FactoryPicker,
    fmt_date,
    html,
    log,
    muted,
    notice_html,
    quiet,
    stacked,
)
from bwcases.apps.request import MAX_ID_LENGTH, PageRequest, in_voila
from bwcases.core.catalogue import catalogue_order
from bwcases.core.domain import FactoryStatus, Status, is_overdue
from bwcases.core.errors import BwcasesError, NotFoundError, StoreError
from bwcases.core.i18n import DEFAULT, TROUBLE_LOADING, translator
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

VIEWS = "apps/overview.html.j2"  # the summary, its figures and the tables
SHOWN_CHANGE = {"persistent": "Persistent", "new": "New", "resolved": "Resolved", "": ""}
# Cells whose whole text is one of these get a colour.
CELL_CLASSES = {
    "Non-compliant": "bw-bad",
    "Persistent": "bw-bad",
    "Overdue": "bw-bad",
    "New": "bw-bad",
    "Resolved": "bw-good",
}


def views() -> Any:
    """The overview's views (bwcases.render's apps/overview.html.j2), each a macro."""
    return macros(VIEWS)


def _finding(value: Any) -> str:
    if value is pd.NA or value is None:
        return "not assessed"
    return "Non-compliant" if value == 1 else "Compliant"


def _rows(frame: pd.DataFrame) -> list[list[tuple[str, str]]]:
    """A frame's rows of (text, class) cells: a missing value shows as nothing."""
    rows = []
    for values in frame.itertuples(index=False):
        texts = ["" if pd.isna(v) else str(v) for v in values]
        rows.append([(text, CELL_CLASSES.get(text, "")) for text in texts])
    return rows


def _section(title: str, frame: pd.DataFrame, empty: str = "", **more: Any) -> str:
    """A heading, then the frame as a table (or `empty`, a warning, when it has no row)."""
    return str(views().section(title, list(frame.columns), _rows(frame), empty, **more))


def _note(text: str) -> str:
    return notice_html(text, "warning")


def _compared(assessments: pd.DataFrame) -> pd.DataFrame:
    """The assessments compare_assessments compares: the latest two with NCQ findings."""
    return assessments[assessments["cps_assessed"].fillna(0) > 0].head(2)


def _assessment_name(row: pd.Series) -> str:
    return f"Quest.ID {row['quest_id']}, cycle {row['cycle']}, {fmt_date(row['start_date'])}"


def summary_html(tables: dict[str, pd.DataFrame]) -> str:
    """The factory's heading and key figures."""
    f = tables["factory"].iloc[0]
    facts = [str(f["factory_id"]), str(f["country"])]
    if isinstance(f["advisor"], str) and f["advisor"]:
        facts.append(f"advisor {f['advisor']}")
    if not pd.isna(f["workers"]):
        facts.append(f"{int(f['workers']):,} workers")
    compared = _compared(tables["assessments"])
    compliance, items = tables["compliance"], tables["open_items"]
    persistent = int(compliance["persistent"].sum())
    overdue = int(items["overdue"].sum())
    latest_text = ""
    figures: list[tuple[Any, str, bool]] = []
    if not compared.empty:
        latest = compared.iloc[0]
        latest_text = f"Latest assessment: {_assessment_name(latest)}"
        figures.append(
            (
                f"{latest['cps_non_compliant']} of {latest['cps_assessed']}",
                "CPs non-compliant (latest)",
                False,
            )
        )
        if len(compared) > 1:
            before = compared.iloc[1]
            figures.append(
                (
                    f"{before['cps_non_compliant']} of {before['cps_assessed']}",
                    "CPs non-compliant (previous)",
                    False,
                )
            )
            figures.append((persistent, "persistent CPs", persistent > 0))
    figures.append((len(items), "open plan items", False))
    figures.append((overdue, "overdue", overdue > 0))
    missing = "No assessment with findings is stored for this factory yet."
    return str(views().summary(f["factory_name"], facts, latest_text, missing, figures))


def _compliant_on_both(rows: pd.DataFrame) -> pd.Series:
    return ~((rows["previous"] == 1) | (rows["latest"] == 1)).fillna(False).astype(bool)


def compliance_html(tables: dict[str, pd.DataFrame], *, show_all: bool = False) -> str:
    """The non-compliance table: CPs non-compliant on either assessment, or all of them."""
    title = "Non-compliance by compliance point"
    compared = _compared(tables["assessments"])
    rows = tables["compliance"]
    if rows.empty or compared.empty:
        return _section(title, pd.DataFrame(), "No findings to show.")
    shown = rows if show_all else rows[~_compliant_on_both(rows)]
    columns = {"Cluster": shown["cluster"], "Compliance point": shown["compliance_point"]}
    if len(compared) > 1:
        previous = f"Previous ({_assessment_name(compared.iloc[1])})"
        columns[previous] = shown["previous"].map(_finding)
    columns[f"Latest ({_assessment_name(compared.iloc[0])})"] = shown["latest"].map(_finding)
    if len(compared) > 1:
        columns["Change"] = shown["change"].map(SHOWN_CHANGE)
    hidden = len(rows) - len(shown)
    more = ""
    if hidden:
        others = "1 other CP assessed was" if hidden == 1 else f"{hidden} other CPs assessed were"
        more = f"{others} compliant on both assessments."
    empty = "No CP is non-compliant on these assessments."
    return _section(title, pd.DataFrame(columns), empty, more=more)


def open_items_html(tables: dict[str, pd.DataFrame]) -> str:
    """The open Improvement Plan items."""
    items = tables["open_items"]
    frame = pd.DataFrame(
        {
            "CP": items["compliance_point"],
            "Issue": items["issue"],
            "Action": items["action"],
            "Responsible": items["responsible"],
            "Due": items["due_date"].map(fmt_date),
            "Priority": items["priority"],
            "Status": items["status"],
            "Overdue": items["overdue"].map({True: "Overdue", False: ""}),
        }
    )
    return _section("Open Improvement Plan items", frame, "No open items.")


def assessments_html(tables: dict[str, pd.DataFrame]) -> str:
    """The factory's assessments, latest first."""
    rows = tables["assessments"]
    frame = pd.DataFrame(
        {
            "Quest.ID": rows["quest_id"],
            "Cycle": rows["cycle"],
            "Start date": rows["start_date"].map(fmt_date),
            "CPs non-compliant": rows["cps_non_compliant"],
            "CPs assessed": rows["cps_assessed"],
        }
    )
    return _section("Assessments", frame, "No assessments.", compact=True)


# -- the widget ------------------------------------------------------------------------------

CHOOSE = "Choose a factory to see its case; the filters narrow the list."


def _choices(values: pd.Series, everything: str) -> list[tuple[str, str]]:
    names = sorted({str(v) for v in values.dropna() if str(v).strip()})
    return [(everything, ANY), *((n, n) for n in names)]


class CaseOverview(widgets.VBox):
    """Pick a factory and read its case; reads the store, never writes it."""

    def __init__(
        self,
        store: Store,
        factory_id: str | None = None,
        *,
        as_of: dt.date | None = None,
        scope: dict[str, str | None] | None = None,
    ) -> None:
        self.store = store
        self.as_of = as_of
        self.tables: dict[str, pd.DataFrame] | None = None
        # Only the factories the reader may see are ever offered (and so ever read).
        self.register = store.factories_frame(**(scope or {}))
        self.active = self.register[self.register["status"] != FactoryStatus.OBSOLETE.value]
        self.country = stacked(
            widgets.Dropdown(
                description="Country", options=_choices(self.active["country"], "All countries")
            ),
            width="300px",
        )
        self.advisor = stacked(
            widgets.Dropdown(
                description="Advisor", options=_choices(self.active["advisor"], "All advisors")
            ),
            width="300px",
        )
        # the apps' factory picker, offering the factories the filters leave
        self.picker = FactoryPicker()
        self.picker.relabel(translator(DEFAULT))  # the overview speaks English for now
        self.search, self.factory, self.count = (
            self.picker.search,
            self.picker.factory,
            self.picker.count,
        )
        self.show_all = widgets.Checkbox(
            description="Show compliant CPs too", value=False, indent=False
        )
        self.message = html()
        self.summary = html()
        self.compliance = html()
        self.open_items = html()
        self.assessments = html()
        self.details = widgets.VBox(
            [self.compliance, self.show_all, self.open_items, self.assessments]
        )
        wrap = widgets.Layout(flex_flow="row wrap", align_items="flex-end", grid_gap="12px")
        super().__init__(
            [
                html(STYLE),
                widgets.HBox([self.country, self.advisor], layout=wrap),
                self.picker,
                self.message,
                self.summary,
                self.details,
            ]
        )
        self.add_class("bw-app")
        self.add_class("bw-overview")
        self._refresh_factories()
        self._show(ANY)
        self.country.observe(self._on_country, names="value")
        self.advisor.observe(self._on_filter, names="value")
        self.factory.observe(self._on_factory, names="value")
        self.show_all.observe(self._on_show_all, names="value")
        if factory_id:
            self.select(factory_id)

    # -- what a person does ------------------------------------------------------------------

    def select(self, factory_id: str) -> None:
        """Show one factory's case, clearing filters that would hide it."""
        if factory_id not in set(self.active["factory_id"].astype(str)):
            self._clear()
            self.message.value = _note(f"No active factory {factory_id!r} in the store.")
            return
        self.advisor.value = ANY
        self.country.value = ANY
        self.picker.select(factory_id)

    def _on_country(self, _change: dict[str, Any]) -> None:
        rows = self.active
        if self.country.value:
            rows = rows[rows["country"] == self.country.value]
        advisor = self.advisor.value
        self.advisor.options = _choices(rows["advisor"], "All advisors")
        self.advisor.value = advisor if advisor in {v for _, v in self.advisor.options} else ANY
        self._refresh_factories()

    def _on_filter(self, _change: dict[str, Any]) -> None:
        self._refresh_factories()

    def _on_factory(self, change: dict[str, Any]) -> None:
        if quiet(change):
            return
        self._show(str(change["new"] or ""))

    def _on_show_all(self, _change: dict[str, Any]) -> None:
        if self.tables is not None:
            self.compliance.value = compliance_html(self.tables, show_all=self.show_all.value)

    # -- rendering ---------------------------------------------------------------------------

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
        self._clear()
        if not factory_id:
            self.message.value = muted(CHOOSE)
            return
        self.message.value = muted("Loading…")
        try:
            self.tables = overview_tables(self.store, factory_id, as_of=self.as_of)
        except StoreError:  # names the server: the log keeps it
            log.exception("case overview of factory %r: the store failed", factory_id)
            self.message.value = notice_html(TROUBLE_LOADING, "error")
            return
        except BwcasesError as exc:
            self.message.value = _note(str(exc))
            return
        except Exception:  # a person sees a sentence; the log keeps the traceback
            log.exception("case overview of factory %r failed", factory_id)
            self.message.value = notice_html(TROUBLE_LOADING, "error")
            return
        self.message.value = ""
        self.summary.value = summary_html(self.tables)
        self.compliance.value = compliance_html(self.tables, show_all=self.show_all.value)
        self.open_items.value = open_items_html(self.tables)
        self.assessments.value = assessments_html(self.tables)
        quiet_cps = not _compliant_on_both(self.tables["compliance"]).any()
        self.show_all.layout.display = "none" if quiet_cps else None
        self.details.layout.display = None

    def to_html(self) -> str:
        """What the overview shows now, as one HTML page fragment (no controls)."""
        parts = [self.message, self.summary, self.compliance, self.open_items, self.assessments]
        # the widgets hold HTML drawn by the templates; STYLE is the apps' stylesheet
        shown = [Markup(w.value) for w in parts]
        return str(views().static(Markup(STYLE), shown))

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        # Live frontends draw the widget; executed notebooks (papermill) keep a static copy.
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = self.to_html()
        return bundle


def case_overview(
    store: Store, request: PageRequest | str | None = None
) -> CaseOverview | widgets.HTML:
    """The case overview of the signed-in person's factories (or of a factory ID outside Voilà)."""
    if not isinstance(request, PageRequest):
        return CaseOverview(store, request or None)
    if request.person is None:
        if in_voila():  # never any factory data without a signed-in person
            return html(STYLE + notice_html("Sign in to see factory data.", "warning"))
        return CaseOverview(store, request.factory_id or None)
    return CaseOverview(store, request.factory_id or None, scope=request.person.scope())
