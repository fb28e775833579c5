"""The partner brief: a buyer's consenting factories, each and together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bwcases.analysis.metrics import Window
from bwcases.core.catalogue import CLUSTERS
from bwcases.core.domain import PartnerType
from bwcases.core.errors import UsageError
from bwcases.core.i18n import translator
from bwcases.render.html import figure_table, table
from bwcases.render.templating import Markup, render
from bwcases.reports import charts
from bwcases.reports.common import BRIEF_MIME, header_record, para, percent, section
from bwcases.reports.factory import FactoryReport, factory_report
from bwcases.store import Store


@dataclass
class PartnerBrief:
    """Everything a buyer's brief shows, only for factories linked to it with consent."""

    partner: dict[str, Any]
    window: Window
    lang: str
    reports: list[FactoryReport]
    summary: pd.DataFrame
    by_cluster: pd.DataFrame
    figures: dict[str, Any] = field(default_factory=dict)


def require_buyer(store: Store, partner_id: str) -> dict[str, Any]:
    """The partner, if it is a buyer; a governance body never reads one factory's figures."""
    partner = store.partner(partner_id)
    if partner["partner_type"] != PartnerType.BUYER.value:
        raise UsageError(
            f"{partner_id} is a governance body: it reads the country brief "
            "(bwcases brief governance COUNTRY), never one factory's figures"
        )
    return partner


def partner_brief(store: Store, partner_id: str, period: str, lang: str = "en") -> PartnerBrief:
    """The brief of a buyer for a period YYYY-MM:YYYY-MM."""
    partner = require_buyer(store, partner_id)
    window = Window.parse(period)
    reports = [
        factory_report(store, fid, as_of=window.end, window=window, lang=lang)
        for fid in store.consented_factories(partner_id)
    ]
    summary = pd.DataFrame([_summary_row(r) for r in reports], columns=_SUMMARY_COLUMNS)
    brief = PartnerBrief(partner, window, lang, reports, summary, _by_cluster(reports))
    brief.figures = {
        "partner_id": partner_id,
        "period": str(window),
        "factories": len(reports),
        "factories_assessed": int(summary["quest_id"].notna().sum()),
        "plan_items": int(summary["plan_items"].sum()),
        "completed": int(summary["completed"].sum()),
        "overdue": int(summary["overdue"].sum()),
    }
    return brief


_SUMMARY_COLUMNS = [
    "factory_id",
    "factory_name",
    "country",
    "quest_id",
    "assessment_date",
    "cps_non_compliant",
    "cps_assessed",
    "factory_score",
    "previous_score",
    "change",
    "persistent_questions",
    "public_disclosure_issues",
    "plan_items",
    "completed",
    "in_progress",
    "pending",
    "overdue",
]


def _summary_row(report: FactoryReport) -> dict[str, Any]:
    f = report.figures
    change = None
    if f["factory_score"] is not None and f["previous_score"] is not None:
        change = f["factory_score"] - f["previous_score"]
    return {**{k: f.get(k) for k in _SUMMARY_COLUMNS}, "change": change}


def _by_cluster(reports: list[FactoryReport]) -> pd.DataFrame:
    """Share of the partner's assessed factories non-compliant on each cluster."""
    rows = []
    for cluster in CLUSTERS:
        latest = [
            r.by_cluster.set_index("cluster").get("non_compliant_latest", pd.Series()).get(cluster)
            for r in reports
        ]
        previous = [
            r.by_cluster.set_index("cluster")
            .get("non_compliant_previous", pd.Series())
            .get(cluster)
            for r in reports
        ]
        assessed = [v for v in latest if v is not None and v == v]
        before = [v for v in previous if v is not None and v == v]
        rows.append(
            {
                "cluster": cluster,
                "factories_assessed": len(assessed),
                "latest": sum(v > 0 for v in assessed) / len(assessed) if assessed else None,
                "previous": sum(v > 0 for v in before) / len(before) if before else None,
            }
        )
    return pd.DataFrame(rows)


def show(brief: PartnerBrief) -> None:
    """Display the brief in a notebook (rendered with the brief template)."""
    from IPython.display import HTML, display

    _ = translator(brief.lang)
    display(
        {
            BRIEF_MIME: header_record(
                _("Partner brief"), brief.partner["partner_name"], str(brief.window), brief.lang
            ),
            "text/plain": _("Partner brief"),
        },
        raw=True,
    )
    display(HTML(summary_html(brief)))
    for report in brief.reports:
        display(HTML(factory_html(report, brief.lang)))


def summary_html(brief: PartnerBrief) -> str:
    """The summary across the partner's factories, with charts."""
    _ = translator(brief.lang)
    if not brief.reports:
        return section(_("Summary"), para(_("No factory shares its reports with you yet.")))
    shown = brief.summary.assign(
        score=brief.summary["factory_score"].map(percent),
        before=brief.summary["previous_score"].map(percent),
        delta=brief.summary["change"].map(lambda v: "–" if v is None or v != v else f"{v:+.0%}"),
    )
    compliance = {
        "factory_id": _("Factory ID"),
        "factory_name": _("Factory"),
        "assessment_date": _("Assessed on"),
        "cps_non_compliant": _("Non-compliant CPs"),
        "cps_assessed": _("CPs assessed"),
        "score": _("Non-compliance"),
        "before": _("Previous"),
        "delta": _("Change"),
        "persistent_questions": _("Persistent issues"),
        "public_disclosure_issues": _("Public disclosure issues"),
    }
    plan = {
        "factory_id": _("Factory ID"),
        "factory_name": _("Factory"),
        "plan_items": _("Items"),
        "completed": _("Completed"),
        "in_progress": _("In progress"),
        "pending": _("Pending"),
        "overdue": _("Overdue"),
    }
    cluster = brief.by_cluster
    chart = charts.bar_chart(
        list(cluster["cluster"]),
        {"latest": list(cluster["latest"]), "previous": list(cluster["previous"])},
    )
    plan_chart = ""
    if brief.summary["plan_items"].sum() > 0:
        plan_chart = charts.stacked_bar(
            list(brief.summary["factory_id"]),
            {k: list(brief.summary[k]) for k in ("completed", "in_progress", "pending")},
        )
    return render(
        "reports/partner_summary.html.j2",
        title=_("Summary"),
        sharing=_("Factories sharing their reports with you: {n}").format(n=len(brief.reports)),
        compliance=Markup(figure_table(shown, key="factory_id", labels=compliance)),
        by_cluster=_("Share of your factories non-compliant, by cluster"),
        cluster_chart=Markup(chart),  # SVG of data values, written by matplotlib
        cluster_keys=charts.keys([_("Latest assessment"), _("Previous assessment")]),
        by_status=_("Improvement Plan items by status"),
        plan=Markup(figure_table(brief.summary, key="factory_id", labels=plan, prefix="plan:")),
        plan_chart=Markup(plan_chart),
        plan_keys=charts.keys([_("Completed"), _("In progress"), _("Pending")]),
    )


def factory_html(report: FactoryReport, lang: str) -> str:
    """One factory's page of the brief."""
    _ = translator(lang)
    fac = report.factory
    title = f"{fac['factory_name']} ({fac['factory_id']})"
    if report.latest is None:
        return section(title, para(_("No assessment in the period.")))
    latest = report.latest
    facts = _("Assessment {quest} on {date} (cycle {cycle}).").format(
        quest=latest["quest_id"], date=latest["start_date"], cycle=latest["cycle"]
    )
    clusters = report.by_cluster.rename(
        columns={
            "cluster": _("Cluster"),
            "cps_assessed": _("CPs assessed"),
            "non_compliant_latest": _("Non-compliant CPs"),
            "non_compliant_previous": _("Non-compliant CPs before"),
        }
    )
    f = report.figures
    progress = pd.DataFrame(
        [
            {
                "factory_id": fac["factory_id"],
                "completed": f["completed"],
                "in_progress": f["in_progress"],
                "pending": f["pending"],
                "overdue": f["overdue"],
            }
        ]
    )
    questions = {
        "cluster": _("Cluster"),
        "compliance_point": _("Compliance point"),
        "question_label": _("Question"),
    }
    progress_table = figure_table(
        progress,
        key="factory_id",
        prefix="factory:",
        labels={
            "completed": _("Completed"),
            "in_progress": _("In progress"),
            "pending": _("Pending"),
            "overdue": _("Overdue"),
        },
    )
    tables = [
        (_("Non-compliance by cluster"), table(clusters, empty=_("None"))),
        (
            _("Publicly disclosed issues"),
            table(
                report.public_disclosure[list(questions)].rename(columns=questions),
                empty=_("None"),
            ),
        ),
        (
            _("Persistent issues"),
            table(report.persistent[list(questions)].rename(columns=questions), empty=_("None")),
        ),
        (_("Improvement Plan progress"), progress_table),
    ]
    return render(
        "reports/partner_factory.html.j2",
        title=title,
        facts=facts,
        tables=[(heading, Markup(html)) for heading, html in tables],
    )
