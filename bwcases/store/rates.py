"""Non-compliance rates computed by the database: one query per call, the programme's method."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    column,
    exists,
    func,
    literal_column,
    select,
    values,
)

from bwcases.core.catalogue import (
    ALL_COUNTRIES,
    OBSOLETE_MARK,
    QuestionType,
    canonical_cluster,
    canonical_compliance_point,
)
from bwcases.store import models as m
from bwcases.store.gateway import Gateway

if TYPE_CHECKING:  # rates_frame's alone: a command printing the rows does without it
    import pandas as pd

# What each level reports, in the order the programme's tables show it ("cycle" where asked).
_COLUMNS = {
    "cp": ["country", "cluster", "compliance_point", "cycle", "factories_assessed",
           "factories_non_compliant", "non_compliance_rate"],
    "cluster": ["country", "cluster", "cycle", "factories_assessed", "factories_non_compliant",
                "non_compliance_rate"],
    "question": ["country", "cluster", "compliance_point", "question_id", "question_label",
                 "public_disclosure", "cycle", "findings", "assessments", "non_compliance_rate"],
    "factory": ["country", "factory_id", "factory_name", "cycle", "cps_non_compliant",
                "cps_assessed", "factory_score"],
}  # fmt: skip
_KEYS = {
    "cp": ["country", "cluster", "compliance_point", "cycle"],
    "cluster": ["country", "cluster", "cycle"],
    "question": ["country", "cluster", "compliance_point", "question_id", "cycle"],
    "factory": ["country", "factory_id", "cycle"],
}
# How each typed column is held in a frame; other columns are texts.
_TYPES = {
    "cycle": "int64",
    "factories_assessed": "int64",
    "factories_non_compliant": "int64",
    "non_compliance_rate": "float64",
    "public_disclosure": "bool",
    "findings": "int64",
    "assessments": "int64",
    "cps_non_compliant": "int64",
    "cps_assessed": "int64",
    "factory_score": "float64",
}
# The Python type a row holds for each: SQLite gives 0/1 for a boolean, an aggregate may come
# back as a Decimal from PostgreSQL.
_PYTHON = {"int64": int, "float64": float, "bool": bool}


@dataclass(frozen=True)
class RateQuery:
    """What one call of rates asks: a method's choice of assessments, a level, a breakdown.

    The options are those analysis.methods.check_options has accepted: `start`/`end` with
    latest (and optionally cycle), `cycle` with cycle and panel."""

    method: str  # latest | cycle | panel
    level: str = "cp"  # cp | cluster | question | factory
    start: dt.date | None = None
    end: dt.date | None = None
    cycle: int | None = None
    by_cycle: bool = False
    country: str | None = None  # one country's rates; None: each country's
    pooled: bool = False  # every country together, in rows whose country is ALL_COUNTRIES

    @property
    def keys(self) -> list[str]:
        """The columns a row of the result is found by (its sort order)."""
        keys = _KEYS[self.level]
        keys = keys if self.method != "latest" or self.by_cycle else keys[:-1]
        return keys[1:] if self.pooled else keys


@dataclass(frozen=True)
class RateTable:
    """Rates as rows of Python values, in the columns and order of RateStore.rates_frame."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


def _text(value: Any) -> Any:
    """A text column's value as stored (NULL stays None, as a frame's missing value)."""
    return value


def _ratio(part: ColumnElement[Any], whole: ColumnElement[Any]) -> ColumnElement[Any]:
    """A fraction in double precision (both counts are exact in it, so the quotient is the one
    pandas computes)."""
    return cast(part, Float) / cast(whole, Float)


class RateStore(Gateway):
    """Non-compliance rates by the programme's three methods and four levels, in SQL."""

    def rates_table(self, query: RateQuery) -> RateTable:
        """Non-compliance rates as plain rows: rates_frame's columns, values and order."""
        with self.engine.connect() as conn:
            renamed = self._renamed(conn)
            result = conn.execute(rates_statement(query, renamed))
            names = list(result.keys())
            fetched = result.fetchall()
        if query.pooled:
            names = ["country", *names]
        columns = [c for c in _COLUMNS[query.level] if c in names]
        where = [names.index(c) for c in columns]
        kinds = [_PYTHON.get(_TYPES.get(c, ""), _text) for c in columns]
        rows = []
        for row in fetched:
            values = (ALL_COUNTRIES, *row) if query.pooled else tuple(row)
            rows.append(tuple(kind(values[i]) for kind, i in zip(kinds, where, strict=True)))
        order = [columns.index(k) for k in query.keys]
        rows.sort(key=lambda row: [row[i] for i in order])  # the keys are never NULL
        return RateTable(columns, rows)

    def rates_frame(self, query: RateQuery) -> pd.DataFrame:
        """Non-compliance rates as metrics.non_compliance_rates computes them on the findings."""
        import pandas as pd

        table = self.rates_table(query)
        df = pd.DataFrame(table.rows, columns=table.columns)
        df = df.astype({c: t for c, t in _TYPES.items() if c in df.columns})
        if df.empty:  # texts typed as a frame of rows types them
            df = df.astype({c: "str" for c in df.columns if c not in _TYPES})
        return df

    def rates_sql(self, query: RateQuery) -> Select[Any]:
        """The one statement rates_frame runs for a query (benchmarks run it bare)."""
        with self.engine.connect() as conn:
            return rates_statement(query, self._renamed(conn))

    @staticmethod
    def _renamed(conn: Any) -> list[tuple[str, str, str, str]]:
        """The catalogue's merges for the store's spellings: (cluster, CP) as stored and as
        counted, for the pairs the catalogue counts as another (Systems, hazardous work)."""
        q = m.Question
        pairs = conn.execute(
            select(q.cluster, q.compliance_point)
            .where(q.question_type == QuestionType.NCQ.value)
            .distinct()
        )
        out = []
        for cluster, point in pairs:
            counted = canonical_cluster(cluster), canonical_compliance_point(point)
            if counted != (cluster, point):
                out.append((cluster, point, *counted))
        return out


def _ncq_questions(renamed: list[tuple[str, str, str, str]]) -> CTE:
    """NCQ questions with the cluster and CP they count as (the mapping table joined)."""
    q = m.Question
    cluster: ColumnElement[str] = q.__table__.c.cluster
    point: ColumnElement[str] = q.__table__.c.compliance_point
    if not renamed:
        source: Any = q
    else:
        mapping = values(
            column("cluster", String),
            column("compliance_point", String),
            column("counted_cluster", String),
            column("counted_point", String),
            name="merges",
        ).data(renamed)
        merges = mapping.cte("merges")
        source = q.__table__.outerjoin(
            merges,
            and_(merges.c.cluster == q.cluster, merges.c.compliance_point == q.compliance_point),
        )
        cluster = func.coalesce(merges.c.counted_cluster, q.cluster)
        point = func.coalesce(merges.c.counted_point, q.compliance_point)
    return (
        select(
            q.id,
            q.question_id,
            q.question_label,
            q.public_disclosure,
            cluster.label("cluster"),
            point.label("compliance_point"),
            # numbers for the CP and the cluster counted: grouping by them is cheaper than by
            # their names, which are joined back once counted
            func.min(q.id).over(partition_by=[cluster, point]).label("cp_key"),
            func.min(q.id).over(partition_by=[cluster]).label("cluster_key"),
        )
        .select_from(source)
        .where(q.question_type == QuestionType.NCQ.value)
        .cte("ncq")
    )


def _chosen(query: RateQuery, ncq: CTE) -> CTE:
    """The quest_id of every assessment that counts under the query's method."""
    a, f = m.Assessment, m.Finding
    # the programme drops retired factories: an assessment under a name marked "(Obsolete)"
    kept: list[ColumnElement[bool]] = [~a.factory_name.ilike(f"%{OBSOLETE_MARK}%")]
    if query.country is not None and not query.pooled:
        kept.append(a.country == query.country)
    if query.start is not None:
        kept.append(a.start_date >= query.start)
    if query.end is not None:
        kept.append(a.start_date <= query.end)
    # an assessment counts only through its NCQ findings: one with none is not there at all
    asked = exists(
        select(literal_column("1"))
        .select_from(f)
        .where(f.quest_id == a.quest_id, f.question_ref.in_(select(ncq.c.id)))
    )
    if query.method == "latest":
        latest = select(func.max(a.quest_id).label("quest_id")).where(*kept, asked)
        return latest.group_by(a.factory_id).cte("chosen")
    assert query.cycle is not None  # analysis.methods.check_options
    if query.method == "cycle":
        return select(a.quest_id).where(*kept, a.cycle == query.cycle).cte("chosen")
    early = (
        select(a.quest_id, a.factory_id, a.cycle)
        .where(*kept, a.cycle >= 1, a.cycle <= query.cycle, asked)
        .cte("early")
    )
    balanced = (
        select(early.c.factory_id)
        .group_by(early.c.factory_id)
        .having(func.count(early.c.cycle.distinct()) == query.cycle)
    )
    return select(early.c.quest_id).where(early.c.factory_id.in_(balanced)).cte("chosen")


def _rows(query: RateQuery, ncq: CTE, chosen: CTE) -> CTE:
    """The findings that count, one row each, with what every level groups them by."""
    a, f = m.Assessment, m.Finding
    return (
        select(
            a.country,
            a.factory_id,
            a.quest_id,
            a.cycle,
            ncq.c.cluster,
            ncq.c.compliance_point,
            ncq.c.cp_key,
            ncq.c.cluster_key,
            ncq.c.question_id,
            ncq.c.question_label,
            ncq.c.public_disclosure,
            func.coalesce(f.finding, 0).label("finding"),
        )
        .select_from(chosen)
        .join(a, a.quest_id == chosen.c.quest_id)
        .join(f, f.quest_id == chosen.c.quest_id)
        .join(ncq, ncq.c.id == f.question_ref)
        .cte("counted")
    )


def rates_statement(query: RateQuery, renamed: list[tuple[str, str, str, str]]) -> Select[Any]:
    """The query of rates: choose the assessments, take their NCQ findings, count by level."""
    ncq = _ncq_questions(renamed)
    rows = _rows(query, ncq, _chosen(query, ncq))
    keys = query.keys
    if query.level in ("cp", "cluster"):
        return _factory_rates(ncq, rows, keys, query.level)
    if query.level == "question":
        return _question_rates(rows, keys)
    return _factory_scores(rows, keys)


def _factory_rates(ncq: CTE, rows: CTE, keys: list[str], level: str) -> Select[Any]:
    """Non-compliant factories over factories assessed, per key (a CP or a cluster)."""
    named = ["cluster", "compliance_point"] if level == "cp" else ["cluster"]
    key = rows.c[f"{level}_key"]
    others = [rows.c[k] for k in keys if k not in named]  # country, cycle
    per_factory = (
        select(*others, key, func.max(rows.c.finding).label("non_compliant"))
        .group_by(rows.c.factory_id, key, *others)
        .subquery("per_factory")
    )
    assessed = func.count()
    non_compliant = func.sum(per_factory.c.non_compliant)
    counted = (
        select(
            *(per_factory.c[c.name] for c in [*others, key]),
            assessed.label("factories_assessed"),
            cast(non_compliant, Integer).label("factories_non_compliant"),
            _ratio(non_compliant, assessed).label("non_compliance_rate"),
        )
        .group_by(*(per_factory.c[c.name] for c in [*others, key]))
        .subquery("counted_keys")
    )
    names = select(ncq.c[key.name], *(ncq.c[n] for n in named)).distinct().subquery("names")
    return select(
        *(counted.c[c.name] for c in others),
        *(names.c[n] for n in named),
        counted.c.factories_assessed,
        counted.c.factories_non_compliant,
        counted.c.non_compliance_rate,
    ).join_from(counted, names, names.c[key.name] == counted.c[key.name])


def _question_rates(rows: CTE, keys: list[str]) -> Select[Any]:
    """Findings over distinct assessments, per question; its label as first spelt."""
    group = [rows.c[k] for k in keys]
    # Each spelling of a question (its label may change between CAT versions) counted apart;
    # an assessment asks a question once (the loader refuses a second row for a Quest.ID and
    # Question.ID), so the counts of a question's spellings add up.
    spellings = (
        select(
            *group,
            rows.c.question_label,
            func.min(rows.c.quest_id).label("first_quest"),
            func.max(case((rows.c.public_disclosure, 1), else_=0)).label("public_disclosure"),
            func.sum(rows.c.finding).label("findings"),
            func.count(rows.c.quest_id.distinct()).label("assessments"),
        )
        .group_by(*group, rows.c.question_label)
        .subquery("spellings")
    )
    question = [spellings.c[k] for k in keys]

    def over(value: Any, **order: Any) -> Any:
        return value.over(partition_by=question, **order)

    findings = over(func.sum(spellings.c.findings))
    assessments = over(func.sum(spellings.c.assessments))
    ranked = select(
        *question,
        spellings.c.question_label,
        # the label as the question's earliest assessment spelt it (pandas' "first")
        over(func.row_number(), order_by=spellings.c.first_quest).label("rank"),
        over(func.max(spellings.c.public_disclosure)).label("public_disclosure"),
        cast(findings, Integer).label("findings"),
        cast(assessments, Integer).label("assessments"),
        _ratio(findings, assessments).label("non_compliance_rate"),
    ).subquery("ranked")
    return select(*(c for c in ranked.c if c.name != "rank")).where(ranked.c.rank == 1)


def _factory_scores(rows: CTE, keys: list[str]) -> Select[Any]:
    """Non-compliant CPs over CPs assessed, per factory, under its latest name."""
    per_cp = (
        select(
            *(rows.c[k] for k in keys),
            func.max(rows.c.finding).label("non_compliant"),
            func.max(rows.c.quest_id).label("last_quest"),
        )
        .group_by(*(rows.c[k] for k in keys), rows.c.compliance_point)
        .subquery("per_cp")
    )
    non_compliant = func.sum(per_cp.c.non_compliant)
    assessed = func.count()
    scores = (
        select(
            *(per_cp.c[k] for k in keys),
            cast(non_compliant, Integer).label("cps_non_compliant"),
            assessed.label("cps_assessed"),
            _ratio(non_compliant, assessed).label("factory_score"),
            func.max(per_cp.c.last_quest).label("last_quest"),
        )
        .group_by(*(per_cp.c[k] for k in keys))
        .subquery("scores")
    )
    a = m.Assessment
    return select(
        *(scores.c[k] for k in keys),
        a.factory_name,
        scores.c.cps_non_compliant,
        scores.c.cps_assessed,
        scores.c.factory_score,
    ).join_from(scores, a, a.quest_id == scores.c.last_quest)
