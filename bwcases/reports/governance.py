"""The governance brief: a country's results for its Project Advisory Committee, aggregated.

No figure from fewer than 5 factories is shown, and no table lets a reader recover a hidden
figure from totals (bwcases.reports.suppression).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bwcases.analysis import metrics, queries
from bwcases.analysis.metrics import Window
from bwcases.analysis.persistence import persistence
from bwcases.core import catalogue
from bwcases.core.catalogue import COMPLIANCE_POINTS, canonical_cluster, canonical_compliance_point
from bwcases.core.errors import UsageError
from bwcases.core.i18n import translator
from bwcases.render.html import figure_table
from bwcases.render.templating import Markup, macros
from bwcases.reports import charts
from bwcases.reports.common import BRIEF_MIME, PIECES, header_record, para, percent, section
from bwcases.reports.suppression import MIN_FACTORIES, is_suppressed, suppress
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
    figures: dict[str, Any] = field(default_factory=dict)


def require_country(store: Store, country: str) -> str:
    """The country a name or ISO code means, as the store spells it; refused when the store
    has no factories there."""
    country = catalogue.country_named(country, store.countries(), what="country")
    if country == catalogue.ALL_COUNTRIES or store.factories_frame(country=country).empty:
        raise UsageError(f"no factories in {country!r} in the store")
    return country


def governance_brief(store: Store, country: str, period: str, lang: str = "en") -> GovernanceBrief:
    """The brief of a country for a period YYYY-MM:YYYY-MM."""
    country = require_country(store, country)
    window = Window.parse(period)
    findings = store.findings_frame(country=country, ncq_only=True)
    rows = metrics.prepare(findings)
    latest = metrics.select_latest(rows, window)
    by_cp = metrics.non_compliance_rates(findings, "latest", window=window)
    by_cluster = metrics.non_compliance_rates(findings, "latest", window=window, level="cluster")
    trend, cycles, panel_n = _trend(findings, rows)
    brief = GovernanceBrief(
        country=country,
        window=window,
        lang=lang,
        factories_assessed=int(latest["factory_id"].nunique()),
        by_cluster=suppress(
            by_cluster, "factories_assessed", ["factories_non_compliant", "non_compliance_rate"]
        ),
        by_cp=suppress(
            by_cp, "factories_assessed", ["factories_non_compliant", "non_compliance_rate"]
        ),
        trend=trend,
        panel_cycles=cycles,
        panel_factories=panel_n,
        progress=_progress(store, sorted(latest["factory_id"].unique()), window),
        persistent=_persistent(rows, latest, store.assessments_frame(country=country)),
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


def _fmt(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for col in cols:
        out[col] = out[col].map(lambda v: v if is_suppressed(v) else percent(v))
    return out


def body_html(brief: GovernanceBrief) -> str:
    """The brief's sections as HTML."""
    _ = translator(brief.lang)
    hidden = _("suppressed")
    note = _("Figures from fewer than {n} factories are suppressed.").format(n=MIN_FACTORIES)
    if brief.factories_assessed < MIN_FACTORIES:
        return section(
            _("Compliance"),
            para(note),
            para(_("Too few factories were assessed in the period to publish any figure.")),
        )
    rate_labels = {
        "factories_assessed": _("Factories assessed"),
        "factories_non_compliant": _("Non-compliant"),
        "non_compliance_rate": _("Non-compliance rate"),
    }
    by_cluster = _fmt(brief.by_cluster, ["non_compliance_rate"])
    by_cp = _fmt(brief.by_cp, ["non_compliance_rate"])
    by_cp = by_cp.assign(row=by_cp["cluster"] + " / " + by_cp["compliance_point"])
    chart_rows = brief.by_cluster[~brief.by_cluster["non_compliance_rate"].map(is_suppressed)]
    chart = ""
    if len(chart_rows):
        rates = {"rate": list(chart_rows["non_compliance_rate"])}
        svg = Markup(charts.bar_chart(list(chart_rows["cluster"]), rates))  # by matplotlib
        chart = str(macros(PIECES).figure(svg))
    assessed = _("{n} factories assessed in the period (latest assessment of each).")
    parts = [
        section(
            _("Non-compliance by cluster"),
            para(assessed.format(n=brief.factories_assessed)),
            figure_table(
                by_cluster,
                key="cluster",
                labels={"cluster": _("Cluster"), **rate_labels},
                marker=hidden,
            ),
            chart,
            note=note,
        ),
        section(
            _("Non-compliance by compliance point"),
            figure_table(
                by_cp,
                key="row",
                labels={
                    "cluster": _("Cluster"),
                    "compliance_point": _("Compliance point"),
                    **rate_labels,
                },
                marker=hidden,
            ),
        ),
    ]
    if brief.panel_cycles:
        cycles = [c for c in brief.trend.columns if str(c).startswith("cycle_")]
        trend = _fmt(brief.trend, cycles)
        labels = {
            "cluster": _("Cluster"),
            "factories": _("Factories"),
            **{c: _("Cycle {n}").format(n=c.split("_")[1]) for c in cycles},
        }
        lead = _("The same {n} factories, assessed in each of cycles 1 to {c}.").format(
            n=brief.panel_factories, c=brief.panel_cycles
        )
        parts.append(
            section(
                _("Trend over cycles (balanced panel)"),
                para(lead),
                figure_table(trend, key="cluster", labels=labels, marker=hidden),
            )
        )
    progress = _fmt(brief.progress, ["share_completed"]) if len(brief.progress) else brief.progress
    parts.append(
        section(
            _("Remediation progress"),
            figure_table(
                progress,
                key="cluster",
                labels={
                    "cluster": _("Cluster"),
                    "factories": _("Factories"),
                    "items": _("Items"),
                    "completed": _("Completed"),
                    "in_progress": _("In progress"),
                    "pending": _("Pending"),
                    "overdue": _("Overdue"),
                    "share_completed": _("Share completed"),
                },
                marker=hidden,
                empty=_("None"),
            ),
        )
    )
    persistent = _fmt(brief.persistent, ["share"]) if len(brief.persistent) else brief.persistent
    if len(persistent):
        persistent = persistent.assign(
            row=persistent["cluster"] + " / " + persistent["compliance_point"]
        )
    parts.append(
        section(
            _("Persistent issues"),
            figure_table(
                persistent,
                key="row",
                labels={
                    "cluster": _("Cluster"),
                    "compliance_point": _("Compliance point"),
                    "factories": _("Factories assessed twice"),
                    "persistent": _("Non-compliant both times"),
                    "share": _("Share"),
                },
                marker=hidden,
                empty=_("None"),
            ),
        )
    )
    return "".join(parts)
