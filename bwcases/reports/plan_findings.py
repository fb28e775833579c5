"""Improvement Plan items written for a reader outside the factory: what was found, what the
factory is doing about it, who answers for it, by when, and what proves it."""

from __future__ import annotations

import pandas as pd

from bwcases.analysis.metrics import Window
from bwcases.core.domain import Status, Verification
from bwcases.core.i18n import COMPLIANCE_POINT, QUESTION, domain_name, translator
from bwcases.reports.common import long_date
from bwcases.store import Store

# the columns a reader sees, in this order (item_id keys the rows for programs)
FINDING_COLUMNS = ["finding", "action", "responsible", "due", "state", "verified", "evidence"]


def plan_findings(
    store: Store, plans: list[pd.DataFrame], window: Window, lang: str = "en"
) -> dict[str, pd.DataFrame]:
    """Per factory: its items open at the period's end and those completed in the period,
    overdue first, as rows of text (FINDING_COLUMNS) with `closed_in_period` and `item_id`."""
    plans = [p for p in plans if len(p)]
    if not plans:
        return {}
    items = pd.concat(plans, ignore_index=True)
    questions = store.questions_frame().drop_duplicates("question_id").set_index("question_id")
    evidence = _last_evidence(store, items, window)
    out = {}
    for fid, group in items.groupby("factory_id"):
        completed_on = pd.to_datetime(group["completed_on"])
        done = group["status"] == Status.COMPLETED.value
        start, end = pd.Timestamp(window.start), pd.Timestamp(window.end)
        closed = done & (completed_on >= start) & (completed_on <= end)
        shown = group[~done | closed].assign(closed_in_period=closed[~done | closed])
        shown = shown.assign(
            order=(~shown["overdue"].astype(bool)).astype(int) + 2 * shown["closed_in_period"],
            due_sort=pd.to_datetime(shown["due_date"]),
        ).sort_values(["order", "due_sort", "item_id"])
        out[str(fid)] = _texts(shown, questions, evidence, lang)
    return out


def _last_evidence(store: Store, items: pd.DataFrame, window: Window) -> dict[int, object]:
    """Each item's latest progress update by the period's end that brought evidence (a file,
    or a reference to one)."""
    updates = store.progress_updates_frame(factory_ids=sorted(items["factory_id"].unique()))
    files = store.evidence_frame([int(i) for i in items["item_id"]])
    days = []
    if len(updates):
        referenced = updates[updates["evidence_ref"].fillna("").astype(str).str.strip() != ""]
        days.append(referenced[["item_id", "date"]])
    if len(files):
        days.append(files[["item_id", "date"]])
    if not days:
        return {}
    every = pd.concat(days, ignore_index=True)
    every = every.assign(date=pd.to_datetime(every["date"]))
    every = every[every["date"] <= pd.Timestamp(window.end)]
    return every.groupby("item_id")["date"].max().to_dict()


def finding_text(item: pd.Series, questions: pd.DataFrame, lang: str) -> str:
    """What was found, as a finding: the CAT question an assessment answered the wrong way is
    said to be a non-compliance, not asked again; an issue the factory wrote is kept as it is."""
    _ = translator(lang)
    cp = domain_name(COMPLIANCE_POINT, str(item["compliance_point"]), lang)
    issue = str(item["issue"] or "").strip()
    qid = item["question_id"]
    label = str(questions.at[qid, "question_label"]) if qid in questions.index else ""
    if label and (not issue or issue == label):
        return question_finding(str(item["compliance_point"]), label, lang)
    return f"{cp}: {issue or '–'}"  # the factory's own words, after the point they concern


def question_finding(compliance_point: str, question: str, lang: str) -> str:
    """A CAT question answered the non-compliant way, said as a finding in the reader's
    language (which answer is the problem depends on the question: the finding says it)."""
    _ = translator(lang)
    return _("{cp}: non-compliant on the assessment question “{question}”").format(
        cp=domain_name(COMPLIANCE_POINT, compliance_point, lang),
        question=domain_name(QUESTION, question, lang),
    )


def _texts(
    items: pd.DataFrame, questions: pd.DataFrame, evidence: dict[int, object], lang: str
) -> pd.DataFrame:
    _ = translator(lang)
    statuses = {
        Status.PENDING.value: _("Pending"),
        Status.IN_PROGRESS.value: _("In progress"),
        Status.COMPLETED.value: _("Completed"),
    }
    checks = {
        Verification.AWAITING.value: _("Awaiting verification"),
        Verification.VERIFIED.value: _("Verified"),
        Verification.REJECTED.value: _("Sent back"),
    }
    rows = []
    for _i, item in items.iterrows():
        state = statuses.get(str(item["status"]), str(item["status"]))
        if item["closed_in_period"]:
            state = _("Completed on {date}").format(date=long_date(item["completed_on"], lang))
        elif item["overdue"]:
            state = _("{status}, overdue").format(status=state)
        rows.append(
            {
                "item_id": int(item["item_id"]),
                "finding": finding_text(item, questions, lang),
                "action": str(item["action"] or "") or "–",
                "responsible": str(item["responsible"] or "") or "–",
                "due": long_date(item["due_date"], lang),
                "state": state,
                # today's verification, of a fix completed by the period's end only: an item
                # open then was not verified then, whatever happened since
                "verified": checks.get(str(item["verification"]), "–")
                if item["status"] == Status.COMPLETED.value
                else "–",
                "evidence": long_date(evidence.get(int(item["item_id"])), lang),
                "closed_in_period": bool(item["closed_in_period"]),
            }
        )
    return pd.DataFrame(rows, columns=["item_id", *FINDING_COLUMNS, "closed_in_period"])
