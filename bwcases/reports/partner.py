"""The partner brief: a buyer's consenting factories, each and together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bwcases.analysis import metrics
from bwcases.analysis.metrics import Window
from bwcases.core.catalogue import CLUSTERS
from bwcases.core.i18n import (
    CLUSTER,
    COMPLIANCE_POINT,
    COUNTRY,
    domain_name,
    is_rtl,
    translator,
)
from bwcases.render.html import figure_table, is_suppressed, isolate
from bwcases.render.templating import Markup, macros, render
from bwcases.reports import charts
from bwcases.reports.benchmark import CountryRates, country_rates
from bwcases.reports.common import (
    BRIEF_MIME,
    PIECES,
    header_record,
    long_date,
    para,
    percent,
    points,
    section,
)
from bwcases.reports.factory import FactoryReport, factory_reports
from bwcases.reports.plan_findings import FINDING_COLUMNS, plan_findings, question_finding
from bwcases.reports.subjects import require_buyer
from bwcases.reports.suppression import MIN_FACTORIES
from bwcases.store import Store

TOP_RISKS = 5  # CPs named in the executive summary


@dataclass
class PartnerBrief:
    """Everything a buyer's brief shows, only for factories linked to it with consent."""

    partner: dict[str, Any]
    window: Window
    lang: str
    reports: list[FactoryReport]
    summary: pd.DataFrame
    by_cluster: pd.DataFrame
    findings: dict[str, pd.DataFrame] = field(default_factory=dict)  # per factory
    trends: dict[str, pd.DataFrame] = field(default_factory=dict)  # per factory
    countries: dict[str, CountryRates] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)


def partner_brief(store: Store, partner_id: str, period: str, lang: str = "en") -> PartnerBrief:
    """The brief of a buyer for a period YYYY-MM:YYYY-MM."""
    partner = require_buyer(store, partner_id)
    window = Window.parse(period)
    ids = store.consented_factories(partner_id)
    reports = factory_reports(store, ids, as_of=window.end, window=window, lang=lang)
    summary = pd.DataFrame([_summary_row(r) for r in reports], columns=_SUMMARY_COLUMNS)
    brief = PartnerBrief(partner, window, lang, reports, summary, _by_cluster(reports))
    brief.findings = plan_findings(store, [r.plan for r in reports], window, lang)
    brief.trends = _trends(store, ids, window)
    countries = sorted({str(r.factory["country"]) for r in reports})
    brief.countries = {c: country_rates(store, c, window, own=ids) for c in countries}
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
    columns = ["cluster", "non_compliant_latest", "non_compliant_previous"]
    frames = [r.by_cluster[columns] for r in reports if len(r.by_cluster)]
    every = pd.concat(frames) if frames else pd.DataFrame(columns=columns)
    rows = []
    for cluster in CLUSTERS:
        mine = every[every["cluster"] == cluster]
        assessed = mine["non_compliant_latest"].dropna()
        before = mine["non_compliant_previous"].dropna()
        rows.append(
            {
                "cluster": cluster,
                "factories_assessed": len(assessed),
                "latest": (assessed > 0).sum() / len(assessed) if len(assessed) else None,
                "previous": (before > 0).sum() / len(before) if len(before) else None,
            }
        )
    return pd.DataFrame(rows)


def _trends(store: Store, factory_ids: list[str], window: Window) -> dict[str, pd.DataFrame]:
    """Each factory's non-compliance on every assessment it had by the period's end."""
    if not factory_ids:
        return {}
    findings = store.findings_frame(factory_ids=factory_ids, end=window.end, ncq_only=True)
    if findings.empty:
        return {}
    scores = metrics.factory_scores(metrics.prepare(findings), ["cycle", "quest_id"])
    return {fid: group.sort_values("quest_id") for fid, group in scores.groupby("factory_id")}


# -- the pages ------------------------------------------------------------------------------


def show(brief: PartnerBrief) -> None:
    """Display the brief in a notebook (rendered with the brief template)."""
    from IPython.display import HTML, display

    _ = translator(brief.lang)
    display(
        {
            BRIEF_MIME: header_record(
                _("Partner brief"),
                brief.partner["partner_name"],
                brief.window,
                brief.lang,
            ),
            "text/plain": _("Partner brief"),
        },
        raw=True,
    )
    display(HTML(executive_html(brief)))
    display(HTML(summary_html(brief)))
    for report in brief.reports:
        display(HTML(factory_html(report, brief.lang, brief)))
    display(HTML(glossary_html(brief.lang)))


def _name(report: FactoryReport) -> str:
    return str(report.factory["factory_name"])


def executive_html(brief: PartnerBrief) -> str:
    """The first page: the highest risks, what is overdue, what changed since the last period."""
    _ = translator(brief.lang)
    pieces = macros(PIECES)
    assessed = [r for r in brief.reports if r.latest is not None]
    if not brief.reports:
        nobody = _("No factory shares its reports with you yet.")
        return section(_("Executive summary"), para(nobody))
    risks = []
    cps = pd.concat([r.by_cp for r in assessed]) if assessed else pd.DataFrame()
    if len(cps):
        counts = (
            cps.groupby(["cluster", "compliance_point"])["latest"]
            .agg(non_compliant="sum", assessed="count")
            .reset_index()
            .sort_values(["non_compliant", "compliance_point"], ascending=[False, True])
        )
        for row in counts.head(TOP_RISKS).itertuples():
            if row.non_compliant == 0:
                break
            risks.append(
                _("{cp}: non-compliant in {n} of {m} factories assessed").format(
                    cp=domain_name(COMPLIANCE_POINT, row.compliance_point, brief.lang),
                    n=int(row.non_compliant),
                    m=int(row.assessed),
                )
            )
    persistent = [r for r in assessed if r.figures["persistent_questions"]]
    if persistent:
        risks.append(
            _("{n} of {m} factories have issues found at two assessments running.").format(
                n=len(persistent), m=len(assessed)
            )
        )
    late = [(r, r.figures["overdue"]) for r in brief.reports if r.figures["overdue"]]
    late.sort(key=lambda pair: (-pair[1], _name(pair[0])))
    overdue = [
        _("{factory}: {n} actions overdue").format(factory=_name(r), n=n) for r, n in late
    ] or [_("No action is overdue.")]
    changes = []
    moved = brief.summary["change"].dropna()
    if len(moved):
        changes.append(
            _(
                "Non-compliance fell in {down} factories, rose in {up} and stayed the same in "
                "{same}, each against its previous assessment."
            ).format(
                down=int((moved < -0.005).sum()),
                up=int((moved > 0.005).sum()),
                same=int((moved.abs() <= 0.005).sum()),
            )
        )
    done = sum(int(f["closed_in_period"].sum()) for f in brief.findings.values())
    changes.append(_("Actions completed in the period: {n}").format(n=done))
    missing = [_name(r) for r in brief.reports if r.latest is None]
    if missing:
        changes.append(
            _("No assessment in the period: {factories}").format(factories=", ".join(missing))
        )
    body = [
        para(
            _(
                "{n} factories share their reports with you; {m} of them were assessed in the "
                "period."
            ).format(n=len(brief.reports), m=len(assessed))
        ),
        str(pieces.block(_("Highest risks"), pieces.bullets(risks or [_("None")]))),
        str(pieces.block(_("Overdue actions"), pieces.bullets(overdue))),
        str(pieces.block(_("Changed since the last period"), pieces.bullets(changes))),
    ]
    return section(_("Executive summary"), *body)


def summary_html(brief: PartnerBrief) -> str:
    """The summary across the partner's factories, with charts."""
    _ = translator(brief.lang)
    rtl = is_rtl(brief.lang)
    if not brief.reports:
        return ""
    none = _("No assessment in the period")
    frame = brief.summary.astype(object)
    unassessed = frame["quest_id"].isna()
    shown = frame.assign(
        assessment_date=[
            none if gone else long_date(day, brief.lang)
            for gone, day in zip(unassessed, frame["assessment_date"], strict=True)
        ],
        cps_non_compliant=frame["cps_non_compliant"].where(~unassessed, None),
        cps_assessed=frame["cps_assessed"].where(~unassessed, None),
        # no assessment, no issue found: a 0 would read as clean
        persistent_questions=frame["persistent_questions"].where(~unassessed, None),
        public_disclosure_issues=frame["public_disclosure_issues"].where(~unassessed, None),
        score=frame["factory_score"].map(percent),
        before=frame["previous_score"].map(percent),
        delta=frame["change"].map(points),
    )
    compliance = {
        "factory_name": _("Factory"),
        "assessment_date": _("Assessed on"),
        "cps_non_compliant": _("Non-compliant CPs"),
        "cps_assessed": _("CPs assessed"),
        "score": _("Non-compliance"),
        "before": _("Previous"),
        "delta": _("Change (percentage points)"),
        "persistent_questions": _("Persistent issues"),
        "public_disclosure_issues": _("Public disclosure issues"),
    }
    plan = {
        "factory_name": _("Factory"),
        "plan_items": _("Items"),
        "completed": _("Completed"),
        "in_progress": _("In progress"),
        "pending": _("Pending"),
        "overdue": _("Overdue"),
    }
    cluster = brief.by_cluster
    series = [_("Latest assessment"), _("Previous assessment")]
    chart = charts.hbars(
        [domain_name(CLUSTER, c, brief.lang) for c in cluster["cluster"]],
        [list(cluster["latest"]), list(cluster["previous"])],
        [list(cluster["latest"].map(percent)), list(cluster["previous"].map(percent))],
        title=_("Share of your factories non-compliant, by cluster"),
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
        compliance_title=_("Compliance on the latest assessment in the period"),
        lower=_(
            "Non-compliance is the share of the compliance points assessed on which the "
            "factory was found non-compliant: lower is better. The change is in percentage "
            "points, against the factory's previous assessment."
        ),
        compliance=Markup(
            figure_table(shown, key="factory_id", labels=compliance, rtl=rtl, empty=_("None"))
        ),
        by_cluster=_("Share of your factories non-compliant, by cluster"),
        cluster_chart=Markup(chart),  # HTML of translated names and figures, all escaped
        cluster_keys=charts.keys(series),
        by_status=_("Improvement Plan items by status"),
        plan=Markup(
            figure_table(brief.summary, key="factory_id", labels=plan, prefix="plan:", rtl=rtl)
        ),
        plan_chart=Markup(plan_chart),  # SVG of factory IDs and counts, written by matplotlib
        plan_keys=charts.keys([_("Completed"), _("In progress"), _("Pending")]),
    )


def _versus_country(
    report: FactoryReport, rates: CountryRates | None, lang: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The factory's clusters and its non-compliant CPs beside the country's rates."""
    _ = translator(lang)
    hidden = _("suppressed")

    def rate(pair: tuple[object, object]) -> tuple[str, object]:
        value, factories = pair
        if value is None:
            return "–", None
        if is_suppressed(value):
            return hidden, hidden
        return percent(value), factories

    clusters = []
    for row in report.by_cluster.itertuples():
        shown, n = rate(rates.cluster_rate(row.cluster) if rates else (None, None))
        clusters.append(
            {
                "cluster": row.cluster,
                "name": domain_name(CLUSTER, row.cluster, lang),
                "factory": _("{n} of {m} CPs non-compliant").format(
                    n=int(row.non_compliant_latest), m=int(row.cps_assessed)
                ),
                "country": shown,
                "factories": n,
            }
        )
    cps = []
    failing = report.by_cp[report.by_cp["latest"] == 1]
    for row in failing.itertuples():
        shown, n = rate(rates.cp_rate(row.cluster, row.compliance_point) if rates else (None, None))
        cps.append(
            {
                "cp": f"{row.cluster} / {row.compliance_point}",
                "name": domain_name(COMPLIANCE_POINT, row.compliance_point, lang),
                "persistent": _("Yes") if row.persistent else "",
                "country": shown,
                "factories": n,
            }
        )
    return pd.DataFrame(clusters), pd.DataFrame(cps)


def factory_html(report: FactoryReport, lang: str, brief: PartnerBrief | None = None) -> str:
    """One factory's page of the brief."""
    _ = translator(lang)
    rtl = is_rtl(lang)
    pieces = macros(PIECES)
    fac = report.factory
    fid = str(fac["factory_id"])
    title = f"{fac['factory_name']} ({fid})"
    title = isolate(title) if rtl else title  # a Latin name and its ID, in an Arabic page
    findings = brief.findings.get(fid) if brief else None
    blocks: list[tuple[str, str, bool]] = []  # heading, body, kept on one page
    if report.latest is None:
        facts = _("No assessment in the period: this page has no compliance figures.")
    else:
        latest, previous = report.latest, report.previous
        facts = _("Latest assessment: {date} (cycle {cycle}).").format(
            date=long_date(latest["start_date"], lang), cycle=latest["cycle"]
        )
        if previous:
            facts += " " + _("Previous assessment: {date}.").format(
                date=long_date(previous["start_date"], lang)
            )
        rates = brief.countries.get(str(fac["country"])) if brief else None
        clusters, cps = _versus_country(report, rates, lang)
        country = str(fac["country"])
        versus = {
            "name": _("Cluster"),
            "factory": _("This factory"),
            "country": _("Country: share of factories non-compliant"),
            "factories": _("Factories assessed in the country"),
        }
        blocks.append(
            (
                _("Compared with {country} in the same period").format(
                    country=domain_name(COUNTRY, country, lang)
                ),
                para(
                    _(
                        "The country's figures are hidden where fewer than {n} factories "
                        "other than yours were assessed."
                    ).format(n=MIN_FACTORIES)
                )
                + figure_table(
                    clusters, key="cluster", labels=versus, prefix=f"versus:{fid}:", rtl=rtl
                ),
                False,
            )
        )
        blocks.append(
            (
                _("Non-compliant compliance points"),
                figure_table(
                    cps,
                    key="cp",
                    prefix=f"cp:{fid}:",
                    labels={
                        "name": _("Compliance point"),
                        "persistent": _("Also at the previous assessment"),
                        "country": _("Country: share of factories non-compliant"),
                        "factories": _("Factories assessed in the country"),
                    },
                    rtl=rtl,
                    empty=_("None"),
                ),
                False,
            )
        )
        disclosed = [
            question_finding(cp, question, lang)
            for cp, question in zip(
                report.public_disclosure["compliance_point"],
                report.public_disclosure["question_label"],
                strict=True,
            )
        ]
        blocks.append(
            (
                _("Publicly disclosed issues"),
                str(pieces.bullets(disclosed)) if disclosed else para(_("None")),
                False,
            )
        )
    trend = brief.trends.get(fid) if brief else None
    if trend is not None and len(trend) > 1:
        cycles = [_("Cycle {n}").format(n=int(c)) for c in trend["cycle"]]
        blocks.append(
            (
                _("Non-compliance over its assessments"),
                charts.columns(
                    cycles,
                    list(trend["factory_score"]),
                    list(trend["factory_score"].map(percent)),
                    title=_("Non-compliance over its assessments"),
                ),
                True,
            )
        )
    if findings is not None:
        columns = {k: v for k, v in _finding_labels(lang).items() if k in FINDING_COLUMNS}
        blocks.append(
            (
                _("Improvement Plan: open issues and those closed in the period"),
                figure_table(
                    findings.astype(object),
                    key="item_id",
                    prefix=f"item:{fid}:",
                    labels=columns,
                    rtl=rtl,
                    empty=_("No open issue, and none closed in the period."),
                ),
                False,
            )
        )
    f = report.figures
    progress = pd.DataFrame(
        [
            {
                "factory_id": fid,
                "completed": f["completed"],
                "in_progress": f["in_progress"],
                "pending": f["pending"],
                "overdue": f["overdue"],
            }
        ]
    )
    blocks.append(
        (
            _("Improvement Plan progress"),
            figure_table(
                progress,
                key="factory_id",
                prefix="factory:",
                labels={
                    "completed": _("Completed"),
                    "in_progress": _("In progress"),
                    "pending": _("Pending"),
                    "overdue": _("Overdue"),
                },
                rtl=rtl,
            ),
            True,
        )
    )
    return render(
        "reports/partner_factory.html.j2",
        title=title,
        facts=facts,
        blocks=[Markup(pieces.block(h, Markup(body), keep=keep)) for h, body, keep in blocks],
    )


def _finding_labels(lang: str) -> dict[str, str]:
    _ = translator(lang)
    return {
        "finding": _("Issue"),
        "action": _("Action"),
        "responsible": _("Responsible"),
        "due": _("Due date"),
        "state": _("Status"),
        "verified": _("Verified"),
        "evidence": _("Last evidence"),
    }


def glossary_html(lang: str) -> str:
    """The terms a reader meets in the brief, in a few words each."""
    _ = translator(lang)
    terms = [
        (
            _("Compliance point (CP)"),
            _(
                "One of the topics an assessment checks, such as Overtime Wages; they are "
                "grouped in eight clusters."
            ),
        ),
        (
            _("Non-compliance"),
            _(
                "The share of the compliance points assessed on which the factory was found "
                "non-compliant (on any of their questions). Lower is better."
            ),
        ),
        (
            _("Percentage points"),
            _("The difference between two percentages: from 30% to 19% is −11 points."),
        ),
        (
            _("Country rate"),
            _(
                "The share of the country's factories, each on its latest assessment in the "
                "same period, found non-compliant; hidden where fewer than {n} factories "
                "other than yours were assessed."
            ).format(n=MIN_FACTORIES),
        ),
        (
            _("Persistent issue"),
            _("An issue found non-compliant at the latest assessment and at the one before."),
        ),
        (
            _("Public disclosure"),
            _(
                "Issues the programme publishes for each factory; programme staff verify that "
                "they are fixed."
            ),
        ),
        (
            _("Improvement Plan"),
            _(
                "The actions the factory's committee of managers and workers agreed for each "
                "issue, who is responsible and by when."
            ),
        ),
        (_("Overdue"), _("An action not completed by its due date.")),
    ]
    return section(_("Glossary"), str(macros(PIECES).glossary(terms)))
