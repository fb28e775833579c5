"""Persistent non-compliance: found at a factory's latest assessment and at the one before it.

The one rule every app, progress figure, report and brief uses (README, "Persistent"):
- a question is persistent at a factory when it was non-compliant (Finding 1) at the factory's
  latest assessment and at the assessment just before it (the next smaller Quest.ID);
- a compliance point is persistent when the factory was non-compliant on it (any NCQ of the CP
  with Finding 1) at both of those assessments, whichever questions it was;
- a plan item is persistent when its question is persistent at its factory; a self-diagnosis
  item (no question) never is.
Assessments recorded under a retired "(Obsolete)" name do not count, as in rates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bwcases.core.catalogue import OBSOLETE_MARK

LEVELS = {"question": ["question_id"], "cp": ["cluster", "compliance_point"]}


def compared_assessments(
    assessments: pd.DataFrame, latest: pd.Series | None = None
) -> pd.DataFrame:
    """Per factory: the Quest.ID of its latest assessment and of the one before it (or NA)."""
    # latest: a factory's Quest.ID that counts as its latest (a window's, a cycle's); by default
    # its largest. Factories missing from it are left out.
    rows = assessments
    if "factory_name" in rows.columns:
        rows = rows[~rows["factory_name"].astype(str).str.contains(OBSOLETE_MARK, regex=False)]
    rows = rows[["factory_id", "quest_id"]].dropna().drop_duplicates()
    rows = rows.assign(quest_id=rows["quest_id"].astype("int64"))
    last = rows.groupby("factory_id")["quest_id"].max() if latest is None else latest.dropna()
    last = last.astype("int64").rename("latest")
    # a merge, not Series.map: mapping no rows keeps the ids' text dtype, not comparable
    paired = rows.merge(last.rename_axis("factory_id").reset_index(), on="factory_id")
    earlier = paired[paired["quest_id"] < paired["latest"]]
    before = earlier.groupby("factory_id")["quest_id"].max().rename("previous")
    out = pd.concat([last, before.reindex(last.index)], axis=1).astype("Int64")
    out.index.name = "factory_id"
    return out.reset_index()


def persistence(
    findings: pd.DataFrame,
    level: str = "question",
    *,
    assessments: pd.DataFrame | None = None,
    latest: pd.Series | None = None,
    pairs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per factory and question (or CP): its finding at the latest assessment and at the one
    before, and whether it is persistent."""
    # findings: (factory_id,) quest_id, the level's keys and finding (rows without a finding
    # column are all non-compliant, as store.non_compliant_findings gives them); CP level wants
    # them prepared (metrics.prepare: the merged CPs). assessments: which ones each factory had
    # (default: those the findings come from). pairs: compared_assessments of them, when the
    # caller has it already.
    keys = LEVELS[str(level)]
    columns = ["factory_id", *keys, "previous", "latest", "persistent"]
    if pairs is None:
        pairs = compared_assessments(findings if assessments is None else assessments, latest)
    if pairs.empty or findings.empty:
        empty = pd.DataFrame(columns=columns)
        return empty.astype({"previous": "Int64", "latest": "Int64", "persistent": bool})
    if "factory_id" not in findings:  # each finding of the factory whose assessment it is
        assessed = assessments if assessments is not None else findings
        owners = assessed[["quest_id", "factory_id"]].drop_duplicates()
        findings = findings.merge(owners.astype({"quest_id": "int64"}), on="quest_id")
    # each finding's role, by its factory's own assessments: another factory's assessment may
    # carry the same Quest.ID
    quest = pd.to_numeric(findings["quest_id"]).to_numpy("float64", na_value=np.nan)
    at = {
        role: quest == _quests(pairs, role, findings["factory_id"])
        for role in ("latest", "previous")
    }
    counted = at["latest"] | at["previous"]
    found = (
        pd.to_numeric(findings["finding"]).to_numpy("float64", na_value=np.nan)
        if "finding" in findings
        else np.ones(len(findings))
    )[counted]
    per = (
        findings.loc[counted, ["factory_id", *keys]]
        .assign(**{role: np.where(at[role][counted], found, np.nan) for role in at})
        .groupby(["factory_id", *keys])[["previous", "latest"]]
        .max()
    )
    out = per.astype("Int64").reset_index()
    out["persistent"] = ((out["previous"] == 1) & (out["latest"] == 1)).fillna(False).astype(bool)
    return out[columns]


def _quests(pairs: pd.DataFrame, role: str, factories: pd.Series) -> np.ndarray:
    """For each of these factories, the Quest.ID of its assessment in this role (latest,
    previous), or NaN."""
    known = pairs[pairs[role].notna()]
    at = pd.Index(known["factory_id"]).get_indexer(factories)  # -1: none
    return np.append(known[role].to_numpy("float64"), np.nan)[at]


def persistent_items(
    items: pd.DataFrame, findings: pd.DataFrame, *, assessments: pd.DataFrame | None = None
) -> pd.Series:
    """Whether each plan item's question is persistent at its factory."""
    per = persistence(findings, assessments=assessments)
    found = per[per["persistent"]]
    persistent = set(zip(found["factory_id"], found["question_id"], strict=True))
    flags = [
        (factory, question) in persistent
        for factory, question in zip(items["factory_id"], items["question_id"], strict=True)
    ]
    return pd.Series(flags, index=items.index, dtype=bool)
