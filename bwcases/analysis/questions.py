"""The question table, findings long to wide, and FGW facts as numbers (pure pandas)."""

from __future__ import annotations

import pandas as pd

from bwcases.core.catalogue import (
    CLUSTERS,
    QuestionType,
    canonical_cluster,
    canonical_compliance_point,
    catalogue_order,
    split_tags,
)
from bwcases.core.errors import UsageError
from bwcases.core.facts import fact_unit, fact_value
from bwcases.core.question_map import QuestionMap

QUESTION_COLUMNS = [
    "cluster",
    "compliance_point",
    "question_id",
    "question_label",
    "question_type",
    "tags",
    "public_disclosure",
    "unit",
    "spellings",
]
ASSESSMENT_KEYS = ["country", "cycle", "factory_id", "factory_name", "quest_id", "start_date"]
FACT_COLUMNS = [*ASSESSMENT_KEYS, "question_id", "question_label", "fact", "value", "unit"]


def cluster_named(text: str) -> str:
    """The cluster a name means, in any case ("Systems" is OSH); refused when unknown."""
    wanted = canonical_cluster(text).casefold()
    for cluster in CLUSTERS:
        if cluster.casefold() == wanted:
            return cluster
    raise UsageError(f"--cluster {text!r} is not a cluster: {'; '.join(CLUSTERS)}")


def _tags(values: pd.Series) -> str:
    seen = dict.fromkeys(t for value in values for t in split_tags(value))
    return "; ".join(seen)


def question_table(
    questions: pd.DataFrame,
    qmap: QuestionMap,
    *,
    cluster: str | None = None,
    question_type: str | None = None,
) -> pd.DataFrame:
    """One row per question as the map merges its CAT versions' spellings: its cluster and CP
    (as rates count them), wording, type, every tag any spelling carried, and its unit."""
    if question_type is not None and question_type.upper() not in QuestionType.__members__:
        raise UsageError(f"--type {question_type!r} is not NCQ or FGW")
    rows = qmap.merge(questions).assign(
        cluster=lambda q: q["cluster"].map(canonical_cluster),
        compliance_point=lambda q: q["compliance_point"].map(canonical_compliance_point),
    )
    if cluster is not None:
        rows = rows[rows["cluster"] == cluster_named(cluster)]
    if question_type is not None:
        rows = rows[rows["question_type"].str.upper() == question_type.upper()]
    if rows.empty:
        return pd.DataFrame(columns=QUESTION_COLUMNS)
    out = (
        rows.groupby("question_id", sort=False)
        .agg(
            cluster=("cluster", "last"),  # the newest spelling's: questions come oldest first
            compliance_point=("compliance_point", "last"),
            question_label=("question_label", "last"),
            question_type=("question_type", "last"),
            tags=("tags", _tags),
            public_disclosure=("public_disclosure", "any"),
            spellings=("question_id", "size"),
        )
        .reset_index()
    )
    out["unit"] = out["question_id"].map(qmap.unit)
    order = out.apply(
        lambda r: (*catalogue_order(r["cluster"], r["compliance_point"]), r["question_id"]),
        axis=1,
    )
    out = out.iloc[sorted(range(len(out)), key=lambda i: order.iloc[i])]
    return out[QUESTION_COLUMNS].astype({"spellings": "int64"}).reset_index(drop=True)


def _numeric(values: pd.Series) -> pd.Series:
    """A fact column as numbers when every fact in it is one (whole numbers as Int64)."""
    numbers = values.map(fact_value)
    given = values.notna()
    if not given.any() or numbers[given].isna().any():
        return values
    out = pd.to_numeric(numbers, errors="coerce")
    whole = out.dropna()
    return out.round().astype("Int64") if (whole == whole.round()).all() else out


def findings_wide(findings: pd.DataFrame, qmap: QuestionMap) -> pd.DataFrame:
    """One row per assessment, one column per (merged) question: the finding of an NCQ, the
    fact of an FGW (a number where its facts are numbers)."""
    rows = qmap.merge(findings.drop_duplicates())
    if rows.empty:
        return pd.DataFrame(columns=ASSESSMENT_KEYS)
    rows = rows.assign(start_date=pd.to_datetime(rows["start_date"]).dt.date)
    ncq = rows["question_type"].str.upper() == QuestionType.NCQ.value
    keys = ASSESSMENT_KEYS
    parts = []
    if ncq.any():  # two spellings merged into one question: non-compliant if either is
        parts.append(
            rows[ncq]
            .assign(finding=pd.to_numeric(rows.loc[ncq, "finding"]))
            .pivot_table(index=keys, columns="question_id", values="finding", aggfunc="max")
        )
    if (~ncq).any():
        facts = rows[~ncq].drop_duplicates([*keys, "question_id"])
        parts.append(facts.pivot(index=keys, columns="question_id", values="fact"))
    wide = pd.concat(parts, axis=1)
    for col in wide.columns:
        if col in set(rows.loc[ncq, "question_id"]):
            wide[col] = wide[col].astype("Int64")
        else:
            wide[col] = _numeric(wide[col])
    wide = wide[sorted(wide.columns)]
    wide.columns.name = None
    return wide.reset_index().sort_values(["country", "factory_id", "quest_id"], ignore_index=True)


def fgw_facts(findings: pd.DataFrame, qmap: QuestionMap) -> pd.DataFrame:
    """The FGW facts, one row each: the fact as exported, its number (when it is one) and
    the number's unit (workers, hours a week, VND a month...)."""
    rows = findings[findings["question_type"].str.upper() == QuestionType.FGW.value]
    rows = qmap.merge(rows.drop_duplicates())
    if rows.empty:
        return pd.DataFrame(columns=FACT_COLUMNS)
    value = rows["fact"].map(fact_value).astype("float64")
    keys = list(zip(rows["question_id"], rows["question_label"], rows["country"], strict=True))
    units = {key: fact_unit(qmap.unit(key[0]), key[1], key[2]) for key in set(keys)}
    unit = [units[key] if n == n else "" for key, n in zip(keys, value, strict=True)]
    out = rows.assign(value=value, unit=unit, start_date=pd.to_datetime(rows["start_date"]).dt.date)
    return out[FACT_COLUMNS].sort_values(
        ["country", "factory_id", "quest_id", "question_id"], ignore_index=True
    )


def merge_question_rates(rates: pd.DataFrame, qmap: QuestionMap) -> pd.DataFrame:
    """Question rates with each question's CAT versions counted as one (the map's merged ID
    and wording): findings and assessments summed, the rate taken again."""
    if rates.empty:
        return rates
    keys = [
        c for c in ("country", "cluster", "compliance_point", "question_id", "cycle") if c in rates
    ]
    merged = (
        qmap.merge(rates)
        .groupby(keys, sort=False)
        .agg(
            question_label=("question_label", "first"),
            public_disclosure=("public_disclosure", "any"),
            findings=("findings", "sum"),
            assessments=("assessments", "sum"),  # one CAT version an assessment: no overlap
        )
        .reset_index()
    )
    merged["non_compliance_rate"] = merged["findings"] / merged["assessments"]
    merged = merged.astype({"findings": "int64", "assessments": "int64"})
    return merged[list(rates.columns)].sort_values(keys, ignore_index=True)
