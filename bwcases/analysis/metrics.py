"""Non-compliance rates, the programme's way, on findings frames (pure pandas)."""

from __future__ import annotations

import pandas as pd

from bwcases.analysis.methods import Level, Method, Window, check_options
from bwcases.analysis.persistence import persistence
from bwcases.core.catalogue import (
    ALL_COUNTRIES,
    OBSOLETE_MARK,
    QuestionType,
    canonical_cluster,
    canonical_compliance_point,
    is_public_disclosure,
)


def prepare(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings as the programme counts them: NCQ only, no obsolete factories or duplicate
    rows, Systems counted as OSH and the hazardous-work CPs as one."""
    df = findings[findings["question_type"].astype(str).str.upper() == QuestionType.NCQ.value]
    names = df["factory_name"].astype(str)
    df = df[~names.str.contains(OBSOLETE_MARK, case=False, regex=False)]
    df = df.drop_duplicates()
    clusters = {c: canonical_cluster(c) for c in df["cluster"].unique()}
    cps = {c: canonical_compliance_point(c) for c in df["compliance_point"].unique()}
    tags = {t: is_public_disclosure(t) for t in df["tags"].unique()}
    return df.assign(
        cluster=df["cluster"].map(clusters),
        compliance_point=df["compliance_point"].map(cps),
        public_disclosure=df["tags"].map(tags).astype(bool),
        finding=pd.to_numeric(df["finding"]).fillna(0).astype("int64"),
        start_date=pd.to_datetime(df["start_date"]),
    )


def in_window(df: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Rows of the assessments starting in the window."""
    dates = df["start_date"].dt.date
    return df[(dates >= window.start) & (dates <= window.end)]


def select_latest(df: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Rows of each factory's latest assessment (largest Quest.ID) starting in the window."""
    inside = in_window(df, window)
    # per factory: another factory's assessment may carry the same Quest.ID
    latest = inside.groupby("factory_id")["quest_id"].transform("max")
    return inside[inside["quest_id"] == latest]


def select_cycle(df: pd.DataFrame, cycle: int, window: Window | None = None) -> pd.DataFrame:
    """Rows of every assessment of one cycle (starting in the window, if one is given)."""
    rows = df[df["cycle"] == cycle]
    return rows if window is None else in_window(rows, window)


def select_panel(df: pd.DataFrame, cycle: int) -> pd.DataFrame:
    """Rows of cycles 1..N of the factories assessed in every one of those cycles."""
    early = df[(df["cycle"] >= 1) & (df["cycle"] <= cycle)]
    cycles_seen = early.groupby("factory_id")["cycle"].nunique()
    balanced = cycles_seen[cycles_seen == cycle].index
    return early[early["factory_id"].isin(balanced)]


def select(
    df: pd.DataFrame, method: Method | str, *, window: Window | None, cycle: int | None
) -> pd.DataFrame:
    """The rows that count under a method (on a prepared frame)."""
    method = check_options(method, window=window, cycle=cycle)
    if method is Method.LATEST:
        assert window is not None  # check_options
        return select_latest(df, window)
    assert cycle is not None  # check_options
    if method is Method.CYCLE:
        return select_cycle(df, cycle, window)
    return select_panel(df, cycle)


def non_compliance_rates(
    findings: pd.DataFrame,
    method: Method | str = Method.LATEST,
    *,
    level: Level | str = Level.CP,
    window: Window | None = None,
    cycle: int | None = None,
    by_cycle: bool = False,
    pooled: bool = False,
) -> pd.DataFrame:
    """Non-compliance rates at a level, with the programme's method and cleaning rules.

    `by_cycle`: the latest method's rates broken down by the cycle of each factory's latest
    assessment (the other methods' are by cycle always). `pooled`: every country together, in
    rows whose country is ALL_COUNTRIES."""
    level = Level(level)
    method = check_options(
        method, window=window, cycle=cycle, by_cycle=by_cycle, level=level, pooled=pooled
    )
    rows = select(prepare(findings), method, window=window, cycle=cycle)
    if pooled:
        rows = rows.assign(country=ALL_COUNTRIES)
    by = ["cycle"] if method is not Method.LATEST or by_cycle else []
    if level is Level.CP:
        return _factory_rates(rows, ["cluster", "compliance_point"], by)
    if level is Level.CLUSTER:
        return _factory_rates(rows, ["cluster"], by)
    if level is Level.QUESTION:
        return question_rates(rows, by)
    return factory_scores(rows, by)


def _factory_rates(rows: pd.DataFrame, keys: list[str], by_cycle: list[str]) -> pd.DataFrame:
    per_factory = (
        rows.groupby(["country", *keys, *by_cycle, "factory_id"], sort=False)["finding"]
        .max()
        .rename("non_compliant")
        .reset_index()
    )
    out = (
        per_factory.groupby(["country", *keys, *by_cycle])["non_compliant"]
        .agg(factories_assessed="count", factories_non_compliant="sum")
        .reset_index()
    )
    out["factories_non_compliant"] = out["factories_non_compliant"].astype("int64")
    out["non_compliance_rate"] = out["factories_non_compliant"] / out["factories_assessed"]
    return out.sort_values(["country", *keys, *by_cycle], ignore_index=True)


def question_rates(rows: pd.DataFrame, by_cycle: list[str] | None = None) -> pd.DataFrame:
    """Sum of findings over distinct assessments, per question."""
    by_cycle = by_cycle or []
    keys = ["country", "cluster", "compliance_point", "question_id", *by_cycle]
    # an assessment is a factory's Quest.ID: two factories' may carry the same number
    assessments = (
        rows[[*keys, "factory_id", "quest_id"]]
        .drop_duplicates()
        .groupby(keys, sort=False)
        .size()
        .rename("assessments")
    )
    out = (
        rows.groupby(keys, sort=False)
        .agg(
            question_label=("question_label", "first"),
            public_disclosure=("public_disclosure", "any"),
            findings=("finding", "sum"),
        )
        .join(assessments)
        .reset_index()
    )
    out["findings"] = out["findings"].astype("int64")
    out["non_compliance_rate"] = out["findings"] / out["assessments"]
    columns = [
        "country",
        "cluster",
        "compliance_point",
        "question_id",
        "question_label",
        "public_disclosure",
        *by_cycle,
        "findings",
        "assessments",
        "non_compliance_rate",
    ]
    return out[columns].sort_values(keys, ignore_index=True)


def factory_scores(rows: pd.DataFrame, by_cycle: list[str] | None = None) -> pd.DataFrame:
    """Non-compliant CPs over CPs assessed, per factory."""
    by_cycle = by_cycle or []
    keys = ["country", "factory_id", *by_cycle]
    per_cp = rows.groupby([*keys, "compliance_point"], sort=False)["finding"].max().reset_index()
    out = (
        per_cp.groupby(keys)["finding"]
        .agg(cps_non_compliant="sum", cps_assessed="count")
        .reset_index()
    )
    latest_names = rows.sort_values("quest_id").groupby(keys)["factory_name"].last()
    out = out.merge(latest_names.reset_index(), on=keys)
    out["cps_non_compliant"] = out["cps_non_compliant"].astype("int64")
    out["factory_score"] = out["cps_non_compliant"] / out["cps_assessed"]
    columns = [
        "country",
        "factory_id",
        "factory_name",
        *by_cycle,
        "cps_non_compliant",
        "cps_assessed",
        "factory_score",
    ]
    return out[columns].sort_values(keys, ignore_index=True)


def compare_assessments(findings: pd.DataFrame, factory_id: str) -> pd.DataFrame:
    """A factory's non-compliance by cluster and CP on its latest assessment and the one before."""
    rows = prepare(findings)
    out = persistence(rows[rows["factory_id"] == factory_id], "cp")
    return out[["cluster", "compliance_point", "previous", "latest", "persistent"]]
