"""Non-compliance rates computed by the database: one query per call, the programme's method."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Connection,
    Date,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    column,
    exists,
    func,
    literal_column,
    select,
    values,
)

from bwcases.core.catalogue import OBSOLETE_MARK, QuestionType
from bwcases.store import models as m
from bwcases.store.gateway import REVISION_SQL, SCHEMA_HEAD
from bwcases.store.rate_query import (
    MERGE_FIELDS,
    MERGE_ROWS,
    MERGES,
    TYPES,
    RateQuery,
    RateTable,
    merge_name,
    merge_rows,
    merges_of,
    table_of,
)
from bwcases.store.register import RegisterStore, countries_statement

if TYPE_CHECKING:  # rates_frame's alone: a command printing the rows does without it
    import pandas as pd

# The query's values, bound by name: one statement's text serves every value (sqlite_rates runs
# it compiled ahead).
_COUNTRY = bindparam("country", type_=String)
_START = bindparam("start", type_=Date)
_END = bindparam("end", type_=Date)
_CYCLE = bindparam("cycle", type_=Integer)


def _ratio(part: ColumnElement[Any], whole: ColumnElement[Any]) -> ColumnElement[Any]:
    """A fraction in double precision (both counts are exact in it, so the quotient is the one
    pandas computes)."""
    return cast(part, Float) / cast(whole, Float)


class RateStore(RegisterStore):
    """Non-compliance rates by the programme's three methods and four levels, in SQL (and the
    register's countries, which a rate's country is found among)."""

    def rates_table(self, query: RateQuery) -> RateTable:
        """Non-compliance rates as plain rows: rates_frame's columns, values and order."""
        with self.engine.connect() as conn:
            result = conn.execute(*_prepared(conn, query))
            return table_of(query, list(result.keys()), result.fetchall())

    def rates_frame(self, query: RateQuery) -> pd.DataFrame:
        """Non-compliance rates as metrics.non_compliance_rates computes them on the findings."""
        import pandas as pd

        table = self.rates_table(query)
        df = pd.DataFrame(table.rows, columns=table.columns)
        df = df.astype({c: t for c, t in TYPES.items() if c in df.columns})
        if df.empty:  # texts typed as a frame of rows types them
            df = df.astype({c: "str" for c in df.columns if c not in TYPES})
        return df

    def rates_sql(self, query: RateQuery) -> tuple[Select[Any], dict[str, Any]]:
        """The one statement rates_frame runs for a query, and its values (benchmarks run it
        bare)."""
        with self.engine.connect() as conn:
            return _prepared(conn, query)


def _prepared(conn: Connection, query: RateQuery) -> tuple[Select[Any], dict[str, Any]]:
    """The rates statement for the store's merges, and the values it binds."""
    merges = merges_of(conn.execute(merge_pairs_statement()))
    return rates_statement(query, merge_rows(len(merges))), query.values(merges)


def merge_pairs_statement() -> Select[str, str]:
    """The store's spellings of (cluster, CP) among NCQ questions: those the catalogue may merge."""
    q = m.Question
    return (
        select(q.cluster, q.compliance_point)
        .where(q.question_type == QuestionType.NCQ.value)
        .distinct()
    )


def _ncq_questions(merge_count: int) -> CTE:
    """NCQ questions with the cluster and CP they count as (the merges joined: `merge_count`
    rows of parameters, those not needed left empty)."""
    q = m.Question
    rows = [
        tuple(bindparam(merge_name(i, field), type_=String) for field in MERGE_FIELDS)
        for i in range(merge_count)
    ]
    merges = (
        values(*(column(field, String) for field in MERGE_FIELDS), name="merges")
        .data(rows)
        .cte("merges")
    )
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
        kept.append(a.country == _COUNTRY)
    if query.start is not None:
        kept.append(a.start_date >= _START)
    if query.end is not None:
        kept.append(a.start_date <= _END)
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
        return select(a.quest_id).where(*kept, a.cycle == _CYCLE).cte("chosen")
    early = (
        select(a.quest_id, a.factory_id, a.cycle)
        .where(*kept, a.cycle >= 1, a.cycle <= _CYCLE, asked)
        .cte("early")
    )
    balanced = (
        select(early.c.factory_id)
        .group_by(early.c.factory_id)
        .having(func.count(early.c.cycle.distinct()) == _CYCLE)
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


def rates_statement(query: RateQuery, merge_count: int) -> Select[Any]:
    """The query of rates: choose the assessments, take their NCQ findings, count by level.
    Its values are bound by name (RateQuery.values), with `merge_count` rows of merges."""
    ncq = _ncq_questions(merge_count)
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


# -- compiled ahead: the statements sqlite_rates runs without SQLAlchemy ---------------------


def _shapes() -> list[RateQuery]:
    """A query of every shape the rates command prints as rows (levels but question's)."""
    day = dt.date(2000, 1, 1)
    out = []
    for level, countries in itertools.product(("cp", "cluster", "factory"), ("each", "one", "all")):
        if level == "factory" and countries == "all":
            continue  # refused (one row per factory)
        base = RateQuery("latest", level, country="-" if countries == "one" else None)
        base = replace(base, pooled=countries == "all")
        out += [
            replace(base, start=day, end=day),
            replace(base, start=day, end=day, by_cycle=True),
            replace(base, method="cycle", cycle=1),
            replace(base, method="cycle", start=day, end=day, cycle=1),
            replace(base, method="panel", cycle=1),
        ]
    return out


def _compiled(statement: Select[*tuple[Any, ...]], merge_count: int = 0) -> dict[str, Any]:
    """A statement as SQLite runs it: its text, its parameters in order (a name the caller
    binds, a constant given here, or MERGES where the merges' rows go), its columns' names."""
    from sqlalchemy.dialects import sqlite

    compiled = statement.compile(dialect=sqlite.dialect())
    params = list(compiled.positiontup or [])
    merges = [merge_name(i, field) for i in range(merge_count) for field in MERGE_FIELDS]
    if merges:
        at = params.index(merges[0])
        if params[at : at + len(merges)] != merges:  # row by row, as RateQuery.values
            raise ValueError("the merges' parameters are not together in their order")
        params[at : at + len(merges)] = [MERGES]
    named = {MERGES} | {p.key for p in compiled.binds.values() if not p.unique}
    constants = {p: compiled.params[p] for p in params if p not in named}
    for name, value in constants.items():
        if not isinstance(value, (str, int, float)):  # as SQLite takes it without processing
            raise TypeError(f"parameter {name} holds a {type(value).__name__}")
    columns = list(statement.selected_columns.keys())
    return {"sql": str(compiled), "params": params, "constants": constants, "columns": columns}


def compiled_for_sqlite() -> dict[str, Any]:
    """Every statement the rates command runs on an SQLite store, compiled: what
    `rates_sqlite.json` holds (`python -m bwcases.store.rates` writes it; a test compares)."""
    rates = {q.shape: _compiled(rates_statement(q, MERGE_ROWS), MERGE_ROWS) for q in _shapes()}
    return {
        "schema": SCHEMA_HEAD,
        "revision": REVISION_SQL,
        "merge_rows": MERGE_ROWS,
        "merge_pairs": _compiled(merge_pairs_statement()),
        "countries": _compiled(countries_statement()),
        "rates": rates,
    }


if __name__ == "__main__":  # after a change to the statements or the schema
    from bwcases.store.sqlite_rates import COMPILED

    COMPILED.write_text(json.dumps(compiled_for_sqlite(), indent=1) + "\n", encoding="utf-8")
