"""The factory progress report: a factory's compliance, persistent issues, plan and visits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bwcases.analysis import metrics, queries
from bwcases.analysis.metrics import Window
from bwcases.analysis.persistence import compared_assessments, persistence
from bwcases.core.domain import Status
from bwcases.core.errors import NotFoundError
from bwcases.core.formats import FIGURES_MIME
from bwcases.core.i18n import is_rtl, translator
from bwcases.render.html import table
from bwcases.render.templating import Markup, render
from bwcases.reports.common import long_date
from bwcases.store import Store


@dataclass
class FactoryReport:
    """Everything the factory progress report shows, computed once."""

    factory: dict[str, Any]
    as_of: dt.date
    lang: str
    assessments: pd.DataFrame
    latest: dict[str, Any] | None
    previous: dict[str, Any] | None
    by_cluster: pd.DataFrame
    by_cp: pd.DataFrame
    persistent: pd.DataFrame
    public_disclosure: pd.DataFrame
    plan: pd.DataFrame
    visits: pd.DataFrame
    figures: dict[str, Any] = field(default_factory=dict)


def _latest(
    assessments: pd.DataFrame, as_of: dt.date, window: Window | None, cycle: int | None
) -> pd.Series | None:
    dates = pd.to_datetime(assessments["start_date"]).dt.date
    candidates = assessments[dates <= as_of]
    if window is not None:
        inside = dates.loc[candidates.index]
        candidates = candidates[(inside >= window.start) & (inside <= window.end)]
    if cycle:
        candidates = candidates[candidates["cycle"] == cycle]
    return None if candidates.empty else candidates.sort_values("quest_id").iloc[-1]


def _previous(assessments: pd.DataFrame, chosen: pd.Series) -> dict[str, Any] | None:
    """The assessment before the latest, as the persistence rule takes it."""
    if chosen.empty:
        return None
    quest = compared_assessments(assessments, chosen)["previous"].iloc[0]
    if pd.isna(quest):
        return None
    return _describe(assessments[assessments["quest_id"] == quest].iloc[0])


def _describe(row: pd.Series | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "quest_id": int(row["quest_id"]),
        "cycle": int(row["cycle"]),
        "start_date": pd.Timestamp(row["start_date"]).date(),
    }


def _chosen(quest: dict[str, Any] | None, factory_id: str) -> pd.Series:
    """The latest assessment that counts, as the persistence rule takes it."""
    return pd.Series({factory_id: quest["quest_id"]} if quest else {}, dtype="int64")


def _per_cp(rows: pd.DataFrame, assessments: pd.DataFrame, chosen: pd.Series) -> pd.DataFrame:
    """The CPs assessed at the latest assessment: non-compliant then, before, persistent."""
    per = persistence(rows, "cp", assessments=assessments, latest=chosen)
    per = per[per["latest"].notna()]
    return per.assign(
        latest=per["latest"].astype("int64"), previous=per["previous"].astype("float64")
    )[["cluster", "compliance_point", "latest", "previous", "persistent"]].reset_index(drop=True)


def factory_report(
    store: Store,
    factory_id: str,
    *,
    as_of: dt.date | str | None = None,
    window: Window | str | None = None,
    cycle: int | None = None,
    lang: str = "en",
) -> FactoryReport:
    """The report of one factory as of a day, on its latest assessment (in a window or cycle)."""
    day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of or dt.date.today()
    if isinstance(window, str):
        window = Window.parse(window) if window else None
    register = store.factories_frame(factory_ids=[factory_id])
    if register.empty:
        raise NotFoundError("factory", factory_id)
    factory = register.iloc[0].to_dict()
    assessments = store.assessments_frame(factory_ids=[factory_id])
    latest = _describe(_latest(assessments, day, window, cycle or None))
    chosen = _chosen(latest, factory_id)
    previous = _previous(assessments, chosen)
    findings = store.findings_frame(factory_ids=[factory_id], ncq_only=True)
    rows = metrics.prepare(findings) if len(findings) else findings.assign(public_disclosure=False)
    by_cp = _per_cp(rows, assessments, chosen)
    by_cluster = (
        by_cp.groupby("cluster")
        .agg(
            cps_assessed=("latest", "count"),
            latest=("latest", "sum"),
            previous=("previous", lambda s: s.sum(min_count=1)),
        )
        .reset_index()
        .rename(columns={"latest": "non_compliant_latest", "previous": "non_compliant_previous"})
    )
    persistent = _persistent_questions(rows, assessments, chosen)
    disclosed = _disclosed_questions(rows, latest)
    plan = _plan(store, factory_id, day)
    visits = store.visits_frame(factory_ids=[factory_id])
    visits = visits[pd.to_datetime(visits["date"]).dt.date <= day] if len(visits) else visits
    report = FactoryReport(
        factory=factory,
        as_of=day,
        lang=lang,
        assessments=assessments,
        latest=latest,
        previous=previous,
        by_cluster=by_cluster,
        by_cp=by_cp,
        persistent=persistent,
        public_disclosure=disclosed,
        plan=plan,
        visits=visits,
    )
    report.figures = _figures(report)
    return report


def _persistent_questions(
    rows: pd.DataFrame, assessments: pd.DataFrame, chosen: pd.Series
) -> pd.DataFrame:
    columns = ["cluster", "compliance_point", "question_id", "question_label", "public_disclosure"]
    per = persistence(rows, assessments=assessments, latest=chosen)
    if not per["persistent"].any():
        return pd.DataFrame(columns=columns)
    persistent = set(per.loc[per["persistent"], "question_id"])
    now = rows[(rows["quest_id"] == chosen.iloc[0]) & (rows["finding"] == 1)]
    out = now[now["question_id"].isin(persistent)][columns].drop_duplicates("question_id")
    return out.sort_values(["cluster", "compliance_point", "question_id"], ignore_index=True)


def _disclosed_questions(rows: pd.DataFrame, latest: dict[str, Any] | None) -> pd.DataFrame:
    columns = ["cluster", "compliance_point", "question_id", "question_label"]
    if latest is None:
        return pd.DataFrame(columns=columns)
    mine = rows[(rows["quest_id"] == latest["quest_id"]) & (rows["finding"] == 1)]
    out = mine[mine["public_disclosure"]][columns].drop_duplicates("question_id")
    return out.sort_values(columns[:3], ignore_index=True)


def _plan(store: Store, factory_id: str, day: dt.date) -> pd.DataFrame:
    """The plan as it stood on `day`: statuses replayed to that date, as `progress` has them."""
    return queries.plan_as_of(store, day, factory_ids=[factory_id])


def _figures(report: FactoryReport) -> dict[str, Any]:
    """The report's key figures, as a batch summary collects them."""
    cps = report.by_cp
    assessed = int(cps["latest"].notna().sum())
    non_compliant = int((cps["latest"] == 1).sum())
    prev_assessed = int(cps["previous"].notna().sum())
    prev_nc = int((cps["previous"] == 1).sum())
    plan = report.plan
    status = plan["status"] if len(plan) else pd.Series(dtype=str)
    return {
        "factory_id": report.factory["factory_id"],
        "factory_name": report.factory["factory_name"],
        "country": report.factory["country"],
        "as_of": report.as_of.isoformat(),
        "quest_id": report.latest["quest_id"] if report.latest else None,
        "cycle": report.latest["cycle"] if report.latest else None,
        "assessment_date": report.latest["start_date"].isoformat() if report.latest else None,
        "cps_assessed": assessed,
        "cps_non_compliant": non_compliant,
        "factory_score": non_compliant / assessed if assessed else None,
        "previous_score": prev_nc / prev_assessed if prev_assessed else None,
        "persistent_cps": int(cps["persistent"].sum()),
        "persistent_questions": len(report.persistent),
        "public_disclosure_issues": len(report.public_disclosure),
        "plan_items": len(plan),
        "pending": int((status == Status.PENDING.value).sum()),
        "in_progress": int((status == Status.IN_PROGRESS.value).sum()),
        "completed": int((status == Status.COMPLETED.value).sum()),
        "overdue": int(plan["overdue"].sum()) if len(plan) else 0,
        "visits": len(report.visits),
    }


def record(figures: dict[str, Any]) -> None:
    """Record figures in the running notebook's outputs, where a batch summary finds them."""
    from IPython.display import display

    display({FIGURES_MIME: figures, "text/plain": f"{len(figures)} figures recorded"}, raw=True)


def show(report: FactoryReport) -> None:
    """Display the report in a notebook: headings, tables with every value escaped."""
    from IPython.display import HTML, display

    display(HTML(report_html(report)))


def report_html(report: FactoryReport) -> str:
    """The report as HTML: the factory, its latest assessment, then its tables."""
    _ = translator(report.lang)
    f = report.figures
    fac, latest = report.factory, report.latest
    facts = [
        _("Country: {country}").format(country=fac["country"]),
        _("As of: {date}").format(date=long_date(report.as_of, report.lang)),
    ]
    if latest is None:
        assessed = [_("No assessment in the period.")]
    else:
        score = f"{f['factory_score']:.0%}" if f["factory_score"] is not None else "–"
        assessed = [
            _("Latest assessment: {quest} (cycle {cycle}, {date})").format(
                quest=latest["quest_id"],
                cycle=latest["cycle"],
                date=long_date(latest["start_date"], report.lang),
            ),
            _("Non-compliant compliance points: {n} / {assessed} ({score})").format(
                n=f["cps_non_compliant"], assessed=f["cps_assessed"], score=score
            ),
        ]
    labels = {
        "cluster": _("Cluster"),
        "compliance_point": _("Compliance point"),
        "cps_assessed": _("CPs assessed"),
        "non_compliant_latest": _("Non-compliant CPs"),
        "non_compliant_previous": _("Non-compliant CPs before"),
        "latest": _("Latest assessment"),
        "previous": _("Previous assessment"),
        "persistent": _("Persistent"),
        "question_id": _("Question ID"),
        "question_label": _("Question"),
        "public_disclosure": _("Publicly disclosed"),
        "issue": _("Issue"),
        "action": _("Action"),
        "responsible": _("Responsible"),
        "due_date": _("Due date"),
        "status": _("Status"),
        "overdue": _("Overdue"),
        "date": _("Date"),
        "kind": _("Kind"),
        "topics": _("Topics"),
        "follow_ups": _("Follow-ups"),
    }
    rtl = is_rtl(report.lang)
    verdict = {1: _("Non-compliant"), 0: _("Compliant")}
    by_cp = report.by_cp.assign(
        latest=report.by_cp["latest"].map(verdict),
        previous=report.by_cp["previous"].map(verdict),
    )
    plan_columns = ["compliance_point", "issue", "action", "responsible", "due_date", "status"]
    sections = [
        (_("Non-compliance by cluster"), report.by_cluster),
        (_("Non-compliance by compliance point"), by_cp),
        (_("Persistent issues"), report.persistent),
        (_("Improvement Plan"), _dated(report.plan, [*plan_columns, "overdue"], report.lang)),
        (
            _("Advisory visits and PICC meetings"),
            _dated(report.visits, ["date", "kind", "topics", "follow_ups"], report.lang),
        ),
    ]
    return render(
        "reports/factory.html.j2",
        title=f"{fac['factory_name']} ({fac['factory_id']})",
        facts=facts,
        assessed=assessed,
        sections=[
            (title, Markup(table(frame.rename(columns=labels), empty=_("None"), rtl=rtl)))
            for title, frame in sections
        ],
    )


def _dated(frame: pd.DataFrame, columns: list[str], lang: str) -> pd.DataFrame:
    """The columns a table shows, its days written in the reader's language's long form."""
    out = frame.reindex(columns=columns)
    for col in ("date", "due_date"):
        if col in out:
            out[col] = out[col].map(lambda day: long_date(day, lang) if day == day else None)
    return out
