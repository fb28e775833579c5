"""The governance brief: a country's results for its Project Advisory Committee, aggregated.

No figure from fewer than 5 factories is shown, and no table lets a reader recover a hidden
figure from totals (bwcases.reports.suppression).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bwcases.analysis import metrics, queries
from bwcases.analysis.metrics import Window
from bwcases.analysis.persistence import persistence
from bwcases.core.catalogue import COMPLIANCE_POINTS, canonical_cluster, canonical_compliance_point
from bwcases.core.i18n import CLUSTER, COMPLIANCE_POINT, domain_name, is_rtl, translator
from bwcases.render.html import figure_table
from bwcases.render.templating import Markup, macros
from bwcases.reports import charts
from bwcases.reports.common import (
    BRIEF_MIME,
    PIECES,
    header_record,
    para,
    percent,
    period_words,
    points,
    section,
)
from bwcases.reports.subjects import require_country
from bwcases.reports.suppression import MIN_FACTORIES, SUPPRESSED, is_suppressed, suppress
from bwcases.store import Store

MAX_PANEL_CYCLES = 6


@dataclass
class GovernanceBrief:
    """Everything a country brief shows, already suppressed where groups are small."""

    country: str
    window: Window
    lang: str
    factories_assessed: int
    by_cluster: pd.DataFrame
    by_cp: pd.DataFrame
    trend: pd.DataFrame
    panel_cycles: int
    panel_factories: int
    progress: pd.DataFrame
    persistent: pd.DataFrame
    previous_window: Window | None = None
    previous_assessed: int = 0  # factories assessed in the previous period
    figures: dict[str, Any] = field(default_factory=dict)


def governance_brief(store: Store, country: str, period: str, lang: str = "en") -> GovernanceBrief:
    """The brief of a country for a period YYYY-MM:YYYY-MM."""
    country = require_country(store, country)
    window = Window.parse(period)
    findings = store.findings_frame(country=country, ncq_only=True)
    rows = metrics.prepare(findings)
    latest = metrics.select_latest(rows, window)
    before = previous_window(window)
    by_cp = _with_previous(findings, window, before, "cp")
    by_cluster = _with_previous(findings, window, before, "cluster")
    trend, cycles, panel_n = _trend(findings, rows)
    brief = GovernanceBrief(
        country=country,
        window=window,
        lang=lang,
        factories_assessed=int(latest["factory_id"].nunique()),
        by_cluster=by_cluster,
        by_cp=by_cp,
        trend=trend,
        panel_cycles=cycles,
        panel_factories=panel_n,
        progress=_progress(store, sorted(latest["factory_id"].unique()), window),
        persistent=_persistent(rows, latest, store.assessments_frame(country=country)),
        previous_window=before,
        previous_assessed=int(metrics.select_latest(rows, before)["factory_id"].nunique()),
    )
    brief.figures = {
        "country": country,
        "period": str(window),
        "factories_assessed": brief.factories_assessed
        if brief.factories_assessed >= MIN_FACTORIES
        else None,
        "panel_cycles": cycles,
        "panel_factories": panel_n,
    }
    return brief


def previous_window(window: Window) -> Window:
    """The period of as many months just before `window` (the last period, to compare with)."""
    months = (window.end.year - window.start.year) * 12 + window.end.month - window.start.month
    end = window.start - dt.timedelta(days=1)
    first = end.year * 12 + end.month - 1 - months
    return Window(dt.date(first // 12, first % 12 + 1, 1), end)


RATE_FIGURES = ["factories_non_compliant", "non_compliance_rate", "change"]


def _with_previous(
    findings: pd.DataFrame, window: Window, before: Window, level: str
) -> pd.DataFrame:
    """Rates in the period beside the previous period's and the change between them, each
    suppressed where its own group of factories is small."""
    keys = ["cluster"] if level == "cluster" else ["cluster", "compliance_point"]
    now = metrics.non_compliance_rates(findings, "latest", window=window, level=level)
    then = metrics.non_compliance_rates(findings, "latest", window=before, level=level)
    then = then[[*keys, "factories_assessed", "non_compliance_rate"]].rename(
        columns={"factories_assessed": "previous_factories", "non_compliance_rate": "previous_rate"}
    )
    both = now.merge(then, on=keys, how="left")
    both["change"] = both["non_compliance_rate"] - both["previous_rate"]
    out = suppress(both, "factories_assessed", RATE_FIGURES)
    small = pd.to_numeric(both["previous_factories"]) < MIN_FACTORIES  # NaN: none, not small
    for col in ("previous_rate", "change", "previous_factories"):
        out.loc[small, col] = SUPPRESSED
    return out


def _trend(findings: pd.DataFrame, rows: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """Cluster rates over cycles 1..N on the largest balanced panel of at least 5 factories."""
    for n in range(MAX_PANEL_CYCLES, 1, -1):
        panel = metrics.select_panel(rows, n)
        size = int(panel["factory_id"].nunique())
        if size >= MIN_FACTORIES:
            rates = metrics.non_compliance_rates(findings, "panel", cycle=n, level="cluster")
            wide = rates.pivot(index="cluster", columns="cycle", values="non_compliance_rate")
            wide = wide.rename(columns=lambda c: f"cycle_{c}").reset_index()
            counts = rates.groupby("cluster")["factories_assessed"].min().rename("factories")
            wide = wide.merge(counts.reset_index(), on="cluster")
            figures = [c for c in wide.columns if c.startswith("cycle_")]
            return suppress(wide, "factories", figures), n, size
    return pd.DataFrame(columns=["cluster", "factories"]), 0, 0


def _progress(store: Store, factory_ids: list[str], window: Window) -> pd.DataFrame:
    """Plan items by status per cluster as of the period's end, with a total row: of the
    factories the brief counts as assessed in the period, so no table counts others."""
    columns = [
        "cluster",
        "factories",
        "items",
        "completed",
        "in_progress",
        "pending",
        "overdue",
        "share_completed",
        "is_total",
    ]
    now = queries.plan_as_of(store, window.end, factory_ids=factory_ids)
    if now.empty:
        return pd.DataFrame(columns=columns)
    clusters = _cluster_of_cp(store)
    now = now.assign(
        cluster=now["compliance_point"].map(
            lambda cp: clusters.get(canonical_compliance_point(str(cp)), "Other")
        )
    )
    now = now.assign(
        completed=now["status"] == "Completed",
        in_progress=now["status"] == "In Progress",
        pending=now["status"] == "Pending",
    )

    def totals(frame: pd.DataFrame) -> dict[str, Any]:
        return {
            "factories": frame["factory_id"].nunique(),
            "items": len(frame),
            **{k: int(frame[k].sum()) for k in ("completed", "in_progress", "pending", "overdue")},
        }

    rows = [{"cluster": c, **totals(g), "is_total": False} for c, g in now.groupby("cluster")]
    rows.append({"cluster": "Total", **totals(now), "is_total": True})
    out = pd.DataFrame(rows)
    out["share_completed"] = out["completed"] / out["items"]
    figures = ["items", "completed", "in_progress", "pending", "overdue", "share_completed"]
    return suppress(out[columns], "factories", figures, total="is_total")


def _cluster_of_cp(store: Store) -> dict[str, str]:
    """The cluster of each compliance point: the CAT's, and those the store's exports name."""
    known = {
        canonical_compliance_point(cp): cluster
        for cluster, cps in COMPLIANCE_POINTS.items()
        for cp in cps
    }
    questions = store.questions_frame()
    for cp, cl in zip(questions["compliance_point"], questions["cluster"], strict=True):
        known.setdefault(canonical_compliance_point(cp), canonical_cluster(cl))
    return known


def _persistent(
    rows: pd.DataFrame, latest: pd.DataFrame, assessments: pd.DataFrame
) -> pd.DataFrame:
    """Per CP: of the factories assessed in the period that had an assessment before, how many
    were non-compliant on it both times (persistent)."""
    columns = ["cluster", "compliance_point", "factories", "persistent", "share"]
    if latest.empty:
        return pd.DataFrame(columns=columns)
    quests = latest.groupby("factory_id")["quest_id"].first()
    per = persistence(rows, "cp", assessments=assessments, latest=quests)
    both = per[per["latest"].notna() & per["previous"].notna()]
    out = (
        both.groupby(["cluster", "compliance_point"])
        .agg(factories=("factory_id", "nunique"), persistent=("persistent", "sum"))
        .reset_index()
    )
    out["share"] = out["persistent"] / out["factories"]
    out = out[out["persistent"] > 0].sort_values("share", ascending=False, ignore_index=True)
    return suppress(out[columns], "factories", ["persistent", "share"])


def show(brief: GovernanceBrief) -> None:
    """Display the brief in a notebook (rendered with the brief template)."""
    from IPython.display import HTML, display

    _ = translator(brief.lang)
    display(
        {
            BRIEF_MIME: header_record(
                _("Country brief for the Project Advisory Committee"),
                brief.country,
                str(brief.window),
                brief.lang,
            ),
            "text/plain": _("Country brief"),
        },
        raw=True,
    )
    display(HTML(body_html(brief)))


def _fmt(frame: pd.DataFrame, cols: list[str], fmt: Any = percent) -> pd.DataFrame:
    out = frame.copy()
    for col in cols:
        out[col] = out[col].map(lambda v: v if is_suppressed(v) else fmt(v))
    return out


def _shown(value: Any) -> bool:
    return value is not None and not is_suppressed(value) and value == value


def body_html(brief: GovernanceBrief) -> str:
    """The brief's sections as HTML: a summary page, the rates beside the previous period's,
    the trend, remediation, persistent issues, definitions."""
    _ = translator(brief.lang)
    note = _("Figures from fewer than {n} factories are suppressed.").format(n=MIN_FACTORIES)
    if brief.factories_assessed < MIN_FACTORIES:
        return section(
            _("Compliance"),
            para(note),
            para(_("Too few factories were assessed in the period to publish any figure.")),
        ) + definitions_html(brief.lang)
    return "".join(
        [
            summary_html(brief),
            rates_html(brief, note),
            trend_html(brief),
            progress_html(brief),
            persistent_html(brief),
            definitions_html(brief.lang),
        ]
    )


def summary_html(brief: GovernanceBrief) -> str:
    """The first page: how many factories, the highest rates, what changed, remediation."""
    _ = translator(brief.lang)
    pieces = macros(PIECES)
    lang = brief.lang
    before = brief.previous_window
    counts = _(
        "{n} factories were assessed in the period, each counted once, on its latest assessment."
    ).format(n=brief.factories_assessed)
    if before is not None:
        counts += " " + _("In the previous period ({period}): {n} factories.").format(
            period=period_words(before, lang),
            n=brief.previous_assessed
            if brief.previous_assessed >= MIN_FACTORIES
            else _("fewer than {n}").format(n=MIN_FACTORIES),
        )
    shown = brief.by_cluster[brief.by_cluster["non_compliance_rate"].map(_shown)]
    highest = [
        _("{cluster}: {rate} of factories non-compliant").format(
            cluster=domain_name(CLUSTER, row.cluster, lang), rate=percent(row.non_compliance_rate)
        )
        for row in shown.sort_values("non_compliance_rate", ascending=False).head(3).itertuples()
    ]
    moved = shown[shown["change"].map(_shown)]
    moved = moved.assign(size=moved["change"].map(lambda v: abs(float(v))))
    changes = [
        _("{cluster}: {change} percentage points (from {before} to {now})").format(
            cluster=domain_name(CLUSTER, row.cluster, lang),
            change=points(row.change),
            before=percent(row.previous_rate),
            now=percent(row.non_compliance_rate),
        )
        for row in moved.sort_values("size", ascending=False).head(3).itertuples()
    ] or [_("No comparison with the previous period can be published.")]
    remediation = []
    total = brief.progress[brief.progress["is_total"].astype(bool)] if len(brief.progress) else None
    if total is not None and len(total) and _shown(total.iloc[0]["items"]):
        row = total.iloc[0]
        remediation.append(
            _(
                "Improvement Plan actions completed: {done} of {items} ({share}); overdue: {late}."
            ).format(
                done=row["completed"],
                items=row["items"],
                share=percent(row["share_completed"]),
                late=row["overdue"],
            )
        )
    body = [
        para(counts),
        str(pieces.block(_("Highest non-compliance, by cluster"), pieces.bullets(highest))),
        str(pieces.block(_("Largest changes since the previous period"), pieces.bullets(changes))),
        para(_("Lower is better: a fall is an improvement.")),
    ]
    if remediation:
        body.append(str(pieces.block(_("Remediation"), pieces.bullets(remediation))))
    return section(_("Summary"), *body)


def rates_html(brief: GovernanceBrief, note: str) -> str:
    """Rates by cluster (drawn and tabled) and by CP, beside the previous period's."""
    _ = translator(brief.lang)
    lang, rtl = brief.lang, is_rtl(brief.lang)
    hidden = _("suppressed")
    rates = ["non_compliance_rate", "previous_rate"]
    labels = {
        "factories_assessed": _("Factories assessed"),
        "factories_non_compliant": _("Non-compliant"),
        "non_compliance_rate": _("Non-compliance rate"),
        "previous_rate": _("Previous period"),
        "change": _("Change (percentage points)"),
    }
    by_cluster = _fmt(_fmt(brief.by_cluster, rates), ["change"], points)
    by_cluster = by_cluster.assign(
        name=by_cluster["cluster"].map(lambda c: domain_name(CLUSTER, c, lang))
    )
    by_cp = _fmt(_fmt(brief.by_cp, rates), ["change"], points)
    by_cp = by_cp.assign(
        row=by_cp["cluster"] + " / " + by_cp["compliance_point"],
        name=by_cp["compliance_point"].map(lambda c: domain_name(COMPLIANCE_POINT, c, lang)),
    )
    drawn = brief.by_cluster
    now = [v if _shown(v) else None for v in drawn["non_compliance_rate"]]
    then = [v if _shown(v) else None for v in drawn["previous_rate"]]
    chart = charts.hbars(
        [domain_name(CLUSTER, c, lang) for c in drawn["cluster"]],
        [now, then],
        [
            [percent(v) if v is not None else hidden for v in now],
            [percent(v) if v is not None else "–" for v in then],
        ],
        title=_("Non-compliance by cluster"),
    )
    keys = charts.keys([_("This period"), _("Previous period")])
    pieces = macros(PIECES)
    lower = _(
        "The share of the factories assessed on a cluster or compliance point that were found "
        "non-compliant on it; lower is better. The change is in percentage points."
    )
    return "".join(
        [
            section(
                _("Non-compliance by cluster"),
                para(lower),
                str(
                    pieces.block(
                        _("This period and the previous one"), Markup(chart), keys, keep=True
                    )
                ),
                figure_table(
                    by_cluster,
                    key="cluster",
                    labels={"name": _("Cluster"), **labels},
                    marker=hidden,
                    rtl=rtl,
                ),
                note=note,
            ),
            section(
                _("Non-compliance by compliance point"),
                figure_table(
                    by_cp,
                    key="row",
                    labels={"name": _("Compliance point"), **labels},
                    marker=hidden,
                    rtl=rtl,
                ),
                note=note,
            ),
        ]
    )


def trend_html(brief: GovernanceBrief) -> str:
    """Cluster rates over the cycles of the balanced panel, drawn and tabled."""
    if not brief.panel_cycles:
        return ""
    _ = translator(brief.lang)
    lang, rtl = brief.lang, is_rtl(brief.lang)
    hidden = _("suppressed")
    cycles = [c for c in brief.trend.columns if str(c).startswith("cycle_")]
    names = [_("Cycle {n}").format(n=c.split("_")[1]) for c in cycles]
    series = [[v if _shown(v) else None for v in brief.trend[c]] for c in cycles]
    chart = charts.hbars(
        [domain_name(CLUSTER, c, lang) for c in brief.trend["cluster"]],
        series,
        [[percent(v) if v is not None else hidden for v in values] for values in series],
        title=_("Trend over cycles (balanced panel)"),
    )
    trend = _fmt(brief.trend, cycles)
    trend = trend.assign(name=trend["cluster"].map(lambda c: domain_name(CLUSTER, c, lang)))
    labels = {
        "name": _("Cluster"),
        "factories": _("Factories"),
        **dict(zip(cycles, names, strict=True)),
    }
    lead = _("The same {n} factories, assessed in each of cycles 1 to {c}.").format(
        n=brief.panel_factories, c=brief.panel_cycles
    )
    pieces = macros(PIECES)
    return section(
        _("Trend over cycles (balanced panel)"),
        para(lead),
        str(
            pieces.block(
                _("Non-compliance in each cycle"), Markup(chart), charts.keys(names), keep=True
            )
        ),
        figure_table(trend, key="cluster", labels=labels, marker=hidden, rtl=rtl),
    )


def progress_html(brief: GovernanceBrief) -> str:
    """Improvement Plan items by status per cluster, of the factories assessed in the period."""
    _ = translator(brief.lang)
    progress = brief.progress
    if len(progress):
        progress = _fmt(progress, ["share_completed"])
        progress = progress.assign(
            name=[
                _("Total") if total else domain_name(CLUSTER, c, brief.lang)
                for c, total in zip(progress["cluster"], progress["is_total"], strict=True)
            ]
        )
    return section(
        _("Remediation progress"),
        para(
            _(
                "Improvement Plan items of the factories assessed in the period, by status at "
                "the period's end."
            )
        ),
        figure_table(
            progress,
            key="cluster",
            labels={
                "name": _("Cluster"),
                "factories": _("Factories with plan items"),
                "items": _("Items"),
                "completed": _("Completed"),
                "in_progress": _("In progress"),
                "pending": _("Pending"),
                "overdue": _("Overdue"),
                "share_completed": _("Share completed"),
            },
            marker=_("suppressed"),
            empty=_("None"),
            rtl=is_rtl(brief.lang),
        ),
    )


def persistent_html(brief: GovernanceBrief) -> str:
    """CPs non-compliant at two assessments running, in factories assessed twice."""
    _ = translator(brief.lang)
    persistent = _fmt(brief.persistent, ["share"]) if len(brief.persistent) else brief.persistent
    if len(persistent):
        persistent = persistent.assign(
            row=persistent["cluster"] + " / " + persistent["compliance_point"],
            name=persistent["compliance_point"].map(
                lambda c: domain_name(COMPLIANCE_POINT, c, brief.lang)
            ),
        )
    return section(
        _("Persistent issues"),
        figure_table(
            persistent,
            key="row",
            labels={
                "name": _("Compliance point"),
                "factories": _("Factories assessed twice"),
                "persistent": _("Non-compliant both times"),
                "share": _("Share"),
            },
            marker=_("suppressed"),
            empty=_("None"),
            rtl=is_rtl(brief.lang),
        ),
    )


def definitions_html(lang: str) -> str:
    """What the brief's figures count, in a few words each."""
    _ = translator(lang)
    terms = [
        (
            _("Factories assessed"),
            _(
                "Each factory is counted once, on its latest assessment that started in the "
                "period; factories marked obsolete and fact-gathering questions are left out."
            ),
        ),
        (
            _("Non-compliance rate"),
            _(
                "Of the factories assessed on a cluster or compliance point, the share found "
                "non-compliant on it (on any of its questions). The denominator is the factories "
                "assessed on that cluster or point, so it can differ from row to row."
            ),
        ),
        (
            _("Previous period"),
            _("The same number of months just before the period."),
        ),
        (
            _("Percentage points"),
            _("The difference between two percentages: from 30% to 19% is −11 points."),
        ),
        (
            _("Balanced panel"),
            _(
                "Only the factories assessed in every cycle from 1 to N, so that each cycle's rate "
                "counts the same factories."
            ),
        ),
        (
            _("Suppressed"),
            _(
                "A figure from fewer than {n} factories is not shown, nor one that could be worked "
                "out from the others and a total."
            ).format(n=MIN_FACTORIES),
        ),
        (
            _("Persistent issue"),
            _("A compliance point found non-compliant at a factory's latest two assessments."),
        ),
    ]
    return section(_("Definitions"), str(macros(PIECES).glossary(terms)))
