"""The Improvement Plan's findings: the latest assessment's non-compliances, each with its plan
item, drawn as the tree and the list she chooses what to work on from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from bwcases.analysis import metrics
from bwcases.analysis.persistence import persistence
from bwcases.apps.common import (
    ANY,
    STATE_BADGES,
    STATUS_LABELS,
    VERIFICATION_LABELS,
    cut,
    domain_label,
    iso,
    label_of,
)
from bwcases.apps.picklist import Badges, Entry, Heading
from bwcases.core.catalogue import catalogue_order
from bwcases.core.domain import ItemSource
from bwcases.core.i18n import CLUSTER, COMPLIANCE_POINT, QUESTION, domain_name
from bwcases.render.templating import macros

if TYPE_CHECKING:
    from bwcases.apps.plan import ImprovementPlan

TREE_COLUMNS = [
    "cluster",
    "compliance_point",
    "question_id",
    "question_label",
    "public_disclosure",
    "persistent",
]
NEW = "new"  # the choice: a new issue from the factory's self-diagnosis
VIEWS = "apps/plan.html.j2"  # the summary and the tree of findings
UNPLANNED = "badge-none"  # a finding with no plan item yet


@dataclass(frozen=True)
class Assessed:
    """The latest assessment of a factory, and the one before it."""

    quest_id: int
    cycle: int
    start_date: dt.date
    previous_quest_id: int | None = None
    previous_date: dt.date | None = None


def latest_non_compliance(findings: pd.DataFrame) -> tuple[pd.DataFrame, Assessed | None]:
    """The latest assessment's non-compliant questions, flagged persistent and public."""
    rows = metrics.prepare(findings) if len(findings) else findings
    if rows.empty:
        return pd.DataFrame(columns=TREE_COLUMNS), None
    quests = (
        rows[["quest_id", "cycle", "start_date"]]
        .drop_duplicates("quest_id")
        .sort_values("quest_id")
    )
    latest = quests.iloc[-1]
    previous = quests.iloc[-2] if len(quests) > 1 else None
    assessed = Assessed(
        quest_id=int(latest["quest_id"]),
        cycle=int(latest["cycle"]),
        start_date=pd.Timestamp(latest["start_date"]).date(),
        previous_quest_id=None if previous is None else int(previous["quest_id"]),
        previous_date=None if previous is None else pd.Timestamp(previous["start_date"]).date(),
    )
    nc = rows[(rows["quest_id"] == assessed.quest_id) & (rows["finding"] == 1)]
    per = persistence(rows)
    persistent = set(per.loc[per["persistent"], "question_id"])
    out = nc.drop_duplicates("question_id").assign(
        persistent=lambda d: d["question_id"].isin(persistent)
    )
    keys = [
        (*catalogue_order(str(c), str(p)), str(q))
        for c, p, q in zip(out["cluster"], out["compliance_point"], out["question_id"], strict=True)
    ]
    order = sorted(range(len(out)), key=keys.__getitem__)
    return out.iloc[order].reset_index(drop=True)[TREE_COLUMNS], assessed


def items_by_question(items: pd.DataFrame, quest_id: int | None) -> dict[str, dict[str, Any]]:
    """The plan item of each question of an assessment (the latest made, if several)."""
    linked = items[items["quest_id"].notna() & (items["quest_id"] == quest_id)]
    return {str(r["question_id"]): r for r in linked.to_dict("records")}


def draw_tree(app: ImprovementPlan) -> None:
    """The chooser: the non-compliant questions by cluster and CP, the factory's other
    items, and a new issue; a row each, with its badges."""
    _ = app._
    lines: list[Heading | Entry] = []
    linked = items_by_question(app.items, app.latest_quest)
    for cluster, by_cluster in app.tree.groupby("cluster", sort=False):
        lines.append(Heading(4, domain_label(CLUSTER, cluster, app.lang)))
        for cp, by_cp in by_cluster.groupby("compliance_point", sort=False):
            lines.append(Heading(5, domain_label(COMPLIANCE_POINT, cp, app.lang)))
            for r in by_cp.to_dict("records"):
                qid = str(r["question_id"])
                text = finding_text(app, qid, r["question_label"], 160)
                badges = finding_badges(app, r, linked.get(qid))
                lines.append(Entry(f"finding:{qid}", text, badges))
    others = other_items(app, linked)
    if others:
        lines.append(Heading(4, _("Other plan items")))
    for r in others:
        text = item_text(app, r, 120)
        lines.append(Entry(f"item:{r['item_id']}", text, item_badges(app, r)))
    lines.append(Entry(NEW, _("New issue from the factory's self-diagnosis")))
    # the rows come under the tree's title (h3), or the factory's name (h2) without one
    app.findings.draw(title_html(app), lines, 3 if app.assessed is not None else 2)
    app.place.forget(app.rows)
    app.mark()


def finding_text(app: ImprovementPlan, qid: str, question: Any, width: int) -> str:
    """A finding's row: its question's ID and text in her language, each set apart in a
    right-to-left page (so the ID stays first)."""
    text = cut(domain_name(QUESTION, str(question), app.lang), width)
    return f"{iso(qid, app.rtl)}: {iso(text, app.rtl)}"


def item_text(app: ImprovementPlan, row: dict[str, Any], width: int) -> str:
    """An item's row: its number, its CP in her language and its issue as written."""
    cp = domain_label(COMPLIANCE_POINT, row["compliance_point"], app.lang)
    return f"#{row['item_id']} {cp}: {iso(cut(row['issue'], width), app.rtl)}"


def title_html(app: ImprovementPlan) -> str:
    """The heading of the findings, and how to choose one (or that there is none)."""
    _ = app._
    if app.assessed is None:
        return ""
    title = _("Non-compliance at the latest assessment")
    if app.tree.empty:
        hint = _("No non-compliance at the latest assessment.")
    else:
        hint = _("Choose a question to plan it, or to open its plan item.")
    return str(macros(VIEWS).tree_title(title, hint))


def finding_badges(
    app: ImprovementPlan, finding: dict[str, Any], item: dict[str, Any] | None
) -> Badges:
    """A finding's state (its item's status and verification, or no plan yet) and flags."""
    _ = app._
    badges = item_badges(app, item) if item is not None else ((_("No plan yet"), UNPLANNED),)
    if finding["persistent"]:
        badges += ((_("Persistent"), "persistent"),)
    if finding["public_disclosure"]:
        badges += ((_("Publicly disclosed"), "public"),)
    return badges


def item_badges(app: ImprovementPlan, item: dict[str, Any]) -> Badges:
    """An item's status and verification, after (not a finding's) where it came from."""
    _ = app._
    badges: Badges = ()
    if item["quest_id"] != app.latest_quest or pd.isna(item["quest_id"]):
        badges += ((origin(app, item), "badge-origin"),)
    status = str(item["status"])
    label = label_of(STATUS_LABELS, status, _)
    badges += ((_("Planned: {status}").format(status=label), STATE_BADGES.get(status, "")),)
    verification = str(item.get("verification") or "")
    if verification in VERIFICATION_LABELS:
        label = label_of(VERIFICATION_LABELS, verification, _)
        badges += ((label, STATE_BADGES[verification]),)
    return badges


def origin(app: ImprovementPlan, item: dict[str, Any]) -> str:
    """Where an item not on the latest assessment's findings came from."""
    _ = app._
    if item["source"] == ItemSource.SELF_DIAGNOSIS.value:
        return _("self-diagnosis")
    return _("earlier assessment")


def other_items(app: ImprovementPlan, linked: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The factory's items that answer no finding of the latest assessment."""
    linked_ids = {int(r["item_id"]) for r in linked.values()}
    records = app.items.to_dict("records") if len(app.items) else []
    return [r for r in records if int(r["item_id"]) not in linked_ids]


def choices(app: ImprovementPlan) -> list[tuple[str, str]]:
    """What the person may work on: each finding, each other item, a new issue."""
    _ = app._
    out = [(_("Choose a finding or an item…"), ANY)]
    linked = items_by_question(app.items, app.latest_quest)
    for row in app.tree.to_dict("records"):
        qid = str(row["question_id"])
        state = (
            _("planned: {status}").format(status=label_of(STATUS_LABELS, linked[qid]["status"], _))
            if qid in linked
            else _("no plan item yet")
        )
        cp = domain_label(COMPLIANCE_POINT, row["compliance_point"], app.lang)
        label = f"{cp} › {finding_text(app, qid, row['question_label'], 70)} ({state})"
        out.append((label, f"finding:{qid}"))
    for row in other_items(app, linked):
        status = label_of(STATUS_LABELS, row["status"], _)
        label = f"{item_text(app, row, 70)} ({origin(app, row)}, {status})"
        out.append((label, f"item:{row['item_id']}"))
    out.append((_("New issue from the factory's self-diagnosis"), NEW))
    return out


def question_html(app: ImprovementPlan) -> str:
    """The CAT question the open item answers, read-only, as context for its issue."""
    _ = app._
    qid = str(app.target.get("question_id") or "")
    rows = app.tree[app.tree["question_id"] == qid] if qid else app.tree.iloc[:0]
    if rows.empty:  # a self-diagnosis issue, or a question of an earlier assessment
        return ""
    hint = "" if app.target.get("item_id") else _("Write in Issue what you found at this factory.")
    label = domain_name(QUESTION, str(rows.iloc[0]["question_label"]), app.lang)
    return str(macros(VIEWS).question(_("CAT question"), qid, label, hint))
