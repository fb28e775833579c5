"""The factory progress report: a factory's compliance, persistent issues, plan and visits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
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
) -> pd.DataFrame:
    """Per factory, the assessment that counts: its largest Quest.ID by the day (in the window,
    of the cycle)."""
    dates = pd.to_datetime(assessments["start_date"]).dt.date
    candidates = assessments[dates <= as_of]
    if window is not None:
        inside = dates.loc[candidates.index]
        candidates = candidates[(inside >= window.start) & (inside <= window.end)]
    if cycle:
        candidates = candidates[candidates["cycle"] == cycle]
    if candidates.empty:
        return candidates
    return candidates.loc[candidates.groupby("factory_id")["quest_id"].idxmax()]


def _described(assessments: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per factory, one assessment of it as the report names it: Quest.ID, cycle, date."""
    return {
        str(fid): {
            "quest_id": int(quest),
            "cycle": int(cycle),
            "start_date": pd.Timestamp(start).date(),
        }
        for fid, quest, cycle, start in zip(
            assessments["factory_id"],
            assessments["quest_id"],
            assessments["cycle"],
            assessments["start_date"],
            strict=True,
        )
    }


def _previous(assessments: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Per factory, the assessment before the latest, as the persistence rule takes it."""
    pairs = pairs.dropna(subset=["previous"])
    if pairs.empty:
        return assessments.iloc[0:0]
    before = pairs[["factory_id", "previous"]].astype({"previous": "int64"})
    return assessments.merge(
        before.rename(columns={"previous": "quest_id"}), on=["factory_id", "quest_id"]
    ).drop_duplicates("factory_id")


def _at(rows: pd.DataFrame, chosen: pd.Series) -> pd.Series:
    """Whether each finding is of its factory's latest assessment."""
    latest = rows["factory_id"].map(chosen.astype(object))
    return rows["quest_id"].astype(object) == latest


def _per_cp(rows: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """The CPs assessed at the latest assessment: non-compliant then, before, persistent."""
    per = persistence(rows, "cp", pairs=pairs)
    per = per[per["latest"].notna()]
    return per.assign(
        latest=per["latest"].astype("int64"), previous=per["previous"].astype("float64")
    )[["factory_id", "cluster", "compliance_point", "latest", "previous", "persistent"]]


def _per_cluster(by_cp: pd.DataFrame) -> pd.DataFrame:
    """Per cluster: CPs assessed, non-compliant at the latest assessment and at the one before."""
    groups = by_cp.groupby(["factory_id", "cluster"])
    return pd.DataFrame(
        {
            "cps_assessed": groups["latest"].count(),
            "non_compliant_latest": groups["latest"].sum(),
            "non_compliant_previous": groups["previous"].sum(min_count=1),
        }
    ).reset_index()


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
    (report,) = factory_reports(
        store, [factory_id], as_of=as_of, window=window, cycle=cycle, lang=lang
    )
    return report


def factory_reports(
    store: Store,
    factory_ids: Sequence[str],
    *,
    as_of: dt.date | str | None = None,
    window: Window | str | None = None,
    cycle: int | None = None,
    lang: str = "en",
) -> list[FactoryReport]:
    """The reports of factories as of one day, in their order, each as factory_report has it."""
    # one read of each kind for all of them, and each step on all of them at once: a partner
    # brief's factories cost little more than one
    day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of or dt.date.today()
    if isinstance(window, str):
        window = Window.parse(window) if window else None
    ids = list(factory_ids)
    if not ids:
        return []
    register = store.factories_frame(factory_ids=ids)
    known = set(register["factory_id"])
    for fid in ids:
        if fid not in known:
            raise NotFoundError("factory", fid)
    assessments = store.assessments_frame(factory_ids=ids)
    counted = _latest(assessments, day, window, cycle or None)
    latest = _described(counted)
    # the latest assessment that counts per factory, as the persistence rule takes it; by the
    # factory ids of the store's frame, comparable with them even when there is none
    chosen = counted.set_index("factory_id")["quest_id"].astype("int64")
    pairs = compared_assessments(assessments, chosen)  # latest and previous, per factory
    previous = _described(_previous(assessments, pairs))
    findings = store.findings_frame(factory_ids=ids, ncq_only=True)
    rows = metrics.prepare(findings) if len(findings) else findings.assign(public_disclosure=False)
    by_cp = _per_cp(rows, pairs)
    now = rows[_at(rows, chosen) & (rows["finding"] == 1)]  # non-compliant at the latest
    visits = store.visits_frame(factory_ids=ids)
    visits = visits[pd.to_datetime(visits["date"]).dt.date <= day] if len(visits) else visits
    parts = {
        "assessments": _by_factory(assessments),
        "by_cp": _by_factory(by_cp, drop=True),
        "by_cluster": _by_factory(_per_cluster(by_cp), drop=True),
        "persistent": _by_factory(_persistent_questions(rows, now, pairs), drop=True),
        "public_disclosure": _by_factory(_disclosed_questions(now, chosen), drop=True),
        "plan": _by_factory(queries.plan_as_of(store, day, factory_ids=ids)),
        "visits": _by_factory(visits),
    }
    factories = {str(r["factory_id"]): r for r in register.to_dict("records")}
    reports = []
    for fid in ids:
        report = FactoryReport(
            factory=factories[fid],
            as_of=day,
            lang=lang,
            latest=latest.get(fid),
            previous=previous.get(fid),
            **{name: part(fid) for name, part in parts.items()},
        )
        report.figures = _figures(report)
        reports.append(report)
    return reports


def _by_factory(frame: pd.DataFrame, *, drop: bool = False) -> Callable[[str], pd.DataFrame]:
    """A frame's rows of one factory, numbered from 0 (without factory_id if `drop`)."""
    keys = frame["factory_id"]
    if drop:
        frame = frame.drop(columns="factory_id")
    if keys.nunique() < 2:  # one factory's report (a batch item): its rows are all there is
        whole = frame.reset_index(drop=True)
        return lambda factory_id: whole if (keys == factory_id).all() else whole.iloc[0:0]
    positions = pd.Series(range(len(frame))).groupby(keys.to_numpy()).indices
    empty = frame.iloc[0:0].reset_index(drop=True)

    def rows(factory_id: str) -> pd.DataFrame:
        at = positions.get(factory_id)
        return empty if at is None else frame.iloc[at].reset_index(drop=True)

    return rows


def _persistent_questions(
    rows: pd.DataFrame, now: pd.DataFrame, pairs: pd.DataFrame
) -> pd.DataFrame:
    """Per factory: the questions non-compliant at its latest assessment and the one before
    (`now`: the non-compliant findings of its latest)."""
    columns = ["cluster", "compliance_point", "question_id", "question_label", "public_disclosure"]
    per = persistence(rows, pairs=pairs)
    if not per["persistent"].any():
        return pd.DataFrame(columns=["factory_id", *columns])
    found = per.loc[per["persistent"]]
    persistent = set(zip(found["factory_id"], found["question_id"], strict=True))
    keys = zip(now["factory_id"], now["question_id"], strict=True)
    out = now[[key in persistent for key in keys]][["factory_id", *columns]]
    out = out.drop_duplicates(["factory_id", "question_id"])
    return out.sort_values(["factory_id", *columns[:3]], ignore_index=True)


def _disclosed_questions(now: pd.DataFrame, chosen: pd.Series) -> pd.DataFrame:
    """Per factory: the publicly disclosed questions non-compliant at its latest assessment
    (`now`: the non-compliant findings of its latest)."""
    columns = ["factory_id", "cluster", "compliance_point", "question_id", "question_label"]
    if chosen.empty:
        return pd.DataFrame(columns=columns)
    out = now[now["public_disclosure"].astype(bool)][columns]
    out = out.drop_duplicates(["factory_id", "question_id"])
    return out.sort_values(columns[:4], ignore_index=True)


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
