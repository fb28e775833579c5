"""Non-compliance rates, the programme's way, on findings frames (pure pandas)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from bwcases.analysis.persistence import persistence
from bwcases.core.catalogue import (
    OBSOLETE_MARK,
    QuestionType,
    canonical_cluster,
    canonical_compliance_point,
    is_public_disclosure,
)
from bwcases.core.errors import UsageError


class Method(StrEnum):
    """How the assessment that counts for each factory is chosen."""

    LATEST = "latest"
    CYCLE = "cycle"
    PANEL = "panel"


class Level(StrEnum):
    """What a rate is computed for."""

    CP = "cp"
    CLUSTER = "cluster"
    QUESTION = "question"
    FACTORY = "factory"


@dataclass(frozen=True)
class Window:
    """A span of whole months, both ends included."""

    start: dt.date
    end: dt.date

    @classmethod
    def months(cls, first: str, last: str) -> Window:
        """The window from month `first` to month `last` (YYYY-MM), both included."""
        start = _month(first, "--from")
        y, m = _month(last, "--to").timetuple()[:2]
        end = dt.date(y, m, calendar.monthrange(y, m)[1])
        if end < start:
            raise UsageError(f"the window ends ({last}) before it starts ({first})")
        return cls(start, end)

    @classmethod
    def parse(cls, period: str) -> Window:
        """A window written YYYY-MM:YYYY-MM."""
        first, sep, last = period.partition(":")
        if not sep:
            raise UsageError(f"period {period!r} is not YYYY-MM:YYYY-MM")
        return cls.months(first, last)

    def __str__(self) -> str:
        return f"{self.start:%Y-%m}:{self.end:%Y-%m}"


def _month(text: str, what: str) -> dt.date:
    if not re.fullmatch(r"\d{4}-\d{2}", text.strip()) or not 1 <= int(text[5:7]) <= 12:
        raise UsageError(f"{what} {text!r} is not a month written YYYY-MM")
    return dt.date(int(text[:4]), int(text[5:7]), 1)


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


def select_latest(df: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Rows of each factory's latest assessment (largest Quest.ID) starting in the window."""
    dates = df["start_date"].dt.date
    inside = df[(dates >= window.start) & (dates <= window.end)]
    latest = inside.groupby("factory_id")["quest_id"].max()
    return inside[inside["quest_id"].isin(latest.to_numpy())]


def select_cycle(df: pd.DataFrame, cycle: int) -> pd.DataFrame:
    """Rows of every assessment of one cycle."""
    return df[df["cycle"] == cycle]


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
    method = Method(method)
    if method is Method.LATEST:
        if window is None:
            raise UsageError("the latest method needs a window (--from and --to)")
        return select_latest(df, window)
    if cycle is None or cycle < 1:
        raise UsageError(f"the {method.value} method needs a cycle of 1 or more (--cycle)")
    return select_cycle(df, cycle) if method is Method.CYCLE else select_panel(df, cycle)


def non_compliance_rates(
    findings: pd.DataFrame,
    method: Method | str = Method.LATEST,
    *,
    level: Level | str = Level.CP,
    window: Window | None = None,
    cycle: int | None = None,
) -> pd.DataFrame:
    """Non-compliance rates at a level, with the programme's method and cleaning rules."""
    method, level = Method(method), Level(level)
    rows = select(prepare(findings), method, window=window, cycle=cycle)
    by_cycle = ["cycle"] if method is not Method.LATEST else []
    if level is Level.CP:
        return _factory_rates(rows, ["cluster", "compliance_point"], by_cycle)
    if level is Level.CLUSTER:
        return _factory_rates(rows, ["cluster"], by_cycle)
    if level is Level.QUESTION:
        return question_rates(rows, by_cycle)
    return factory_scores(rows, by_cycle)


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
    out = (
        rows.groupby(keys, sort=False)
        .agg(
            question_label=("question_label", "first"),
            public_disclosure=("public_disclosure", "any"),
            findings=("finding", "sum"),
            assessments=("quest_id", "nunique"),
        )
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
