"""Assessments, the question catalogue and findings: bulk loading and reading."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import (
    Connection,
    FromClause,
    Table,
    bindparam,
    func,
    insert,
    select,
    update,
)

from bwcases.core.catalogue import is_obsolete, is_public_disclosure
from bwcases.core.errors import InputError, Problem
from bwcases.core.formats import (
    ASSESSMENT_COLUMNS,
    DATE_FORMAT,
    FINDING_FRAME_COLUMNS,
    MAX_PROBLEMS,
    QUESTION_SPELLING,
)
from bwcases.store import models as m
from bwcases.store.gateway import Gateway, audit, chunked, rows_in

_COLUMN = {v: k for k, v in ASSESSMENT_COLUMNS.items()}  # code name -> export header

_ASSESSMENT = ["factory_id", "factory_name", "country", "cycle", "start_date"]
# the columns of findings_frame that are not text
_FINDING_TYPES = {"cycle": "int64", "quest_id": "int64", "finding": "Int64"}
# what any SQLite binds to one statement (999 before 3.32)
_SQLITE_PARAMETERS = 999


@dataclass
class LoadSummary:
    """What one bulk load of assessments added to the store."""

    rows_read: int = 0
    findings_added: int = 0
    assessments_added: int = 0
    factories_added: int = 0
    questions_added: int = 0
    already_stored: int = 0
    assessments_renamed: int = 0

    def __str__(self) -> str:
        return (
            f"{self.rows_read} rows read: {self.assessments_added} assessments, "
            f"{self.findings_added} findings, {self.factories_added} factories and "
            f"{self.questions_added} questions added; {self.already_stored} rows already stored"
            + (
                f"; {self.assessments_renamed} assessments renamed"
                if self.assessments_renamed
                else ""
            )
        )


def bulk_insert(
    conn: Connection, table: FromClause, columns: Sequence[str], rows: list[tuple]
) -> None:
    """Insert many rows fast: COPY on PostgreSQL, many rows to a statement on SQLite."""
    if rows:
        insert_columns(conn, table, columns, [list(values) for values in zip(*rows, strict=True)])


def insert_columns(
    conn: Connection, table: FromClause, columns: Sequence[str], values: Sequence[list[Any]]
) -> None:
    """Insert many rows given as one list of values per column (None: NULL)."""
    count = len(values[0]) if values else 0
    if count == 0:
        return
    table = cast(Table, table)
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.driver_connection
        names = ", ".join(columns)
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in zip(*values, strict=True):
                copy.write_row(row)
        return
    if conn.dialect.name == "sqlite":
        # Many rows to a statement: sqlite3 then binds them in C, and its per-statement work in
        # Python is spread over them (half the CPU time of one row to a statement).
        width = len(columns)
        flat: list[Any] = [None] * (count * width)
        for i, column in enumerate(values):
            flat[i::width] = column
        per = max(_SQLITE_PARAMETERS // width, 1)
        step = per * width
        whole = count // per * per * width
        marks = "(" + ", ".join("?" * width) + ")"
        head = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
        if whole:
            params = [tuple(flat[i : i + step]) for i in range(0, whole, step)]
            conn.exec_driver_sql(head + ", ".join([marks] * per), params)
        if whole < len(flat):
            rest = [tuple(flat[i : i + width]) for i in range(whole, len(flat), width)]
            conn.exec_driver_sql(head + marks, rest)
        return
    rows = zip(*values, strict=True)
    conn.execute(insert(table), [dict(zip(columns, r, strict=True)) for r in rows])


def _joined(first: pd.DataFrame, then: pd.DataFrame) -> pd.DataFrame:
    """Two frames one after the other; a column of codes (Categorical) in both stays codes."""
    both = {}
    for column in then.columns:
        a, b = first[column], then[column]
        if isinstance(a.dtype, pd.CategoricalDtype) and isinstance(b.dtype, pd.CategoricalDtype):
            both[column] = _recoded(a, b)
        else:
            both[column] = pd.concat([a, b], ignore_index=True)
    return pd.DataFrame(both)


def _recoded(first: pd.Series, then: pd.Series) -> pd.Categorical:
    """Two Categorical columns as one: the second's codes kept, the first's (the few rows held
    back from a chunk) found among its values."""
    codes = first.cat.codes.to_numpy()
    used = np.unique(codes[codes >= 0])
    wanted = first.cat.categories[used]
    values = then.cat.categories
    found = values.get_indexer(wanted)
    new = found < 0
    if new.any():
        found[new] = np.arange(len(values), len(values) + int(new.sum()))
        values = values.append(wanted[new])
    remap = np.full(len(first.cat.categories) + 1, -1)  # the last: a missing value stays one
    remap[used] = found
    joined = np.concatenate([remap[codes], then.cat.codes.to_numpy()])
    return pd.Categorical.from_codes(joined, values, validate=False)


def _nullable(values: pd.Series) -> list[Any]:
    """Values as Python objects, None where missing (what DB drivers take)."""
    out = values.astype(object)
    return out.where(values.notna(), None).tolist()


@dataclass
class AssessmentLoader:
    """Loads validated chunks of an assessment export inside one transaction."""

    conn: Connection
    source: str
    questions: dict[tuple, int] = field(default_factory=dict)
    assessments: dict[int, tuple] = field(default_factory=dict)
    first_rows: dict[int, int] = field(default_factory=dict)
    factories: dict[str, str] = field(default_factory=dict)
    with_findings: set[int] = field(default_factory=set)
    stored_before: set[int] = field(default_factory=set)
    touched_factories: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    more_problems: int = 0
    summary: LoadSummary = field(default_factory=LoadSummary)
    held: pd.DataFrame | None = None  # the rows of the last assessment of the chunk before

    def __post_init__(self) -> None:
        q = m.Question
        for row in self.conn.execute(
            select(
                q.id,
                q.question_id,
                q.question_label,
                q.compliance_point,
                q.cluster,
                q.question_type,
                q.tags,
            )
        ):
            self.questions[tuple(row[1:])] = row[0]
        a = m.Assessment
        for qid, *rest in self.conn.execute(
            select(a.quest_id, a.factory_id, a.factory_name, a.country, a.cycle, a.start_date)
        ):
            self.assessments[qid] = tuple(rest)
        for fid, country in self.conn.execute(select(m.Factory.factory_id, m.Factory.country)):
            self.factories[fid] = country
        self.with_findings = set(self.conn.execute(select(m.Finding.quest_id).distinct()).scalars())
        self.stored_before = set(self.with_findings)

    def problem(self, row: int | None, column: str | None, value: object, reason: str) -> None:
        """Record one problem (the first MAX_PROBLEMS are kept, the rest counted)."""
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.source, row, column, value, reason))
        else:
            self.more_problems += 1

    def add_problems(self, problems: list[Problem], more: int = 0) -> None:
        """Record problems found before loading (by the importer's validation), and a count."""
        for p in problems:
            self.problem(p.row, p.column, p.value, p.reason)
        self.more_problems += more

    def add(self, chunk: pd.DataFrame) -> None:
        """Stage one validated chunk (columns as in a findings frame, plus row and fact)."""
        # An export lists an assessment's rows together, and a chunk ends anywhere: the rows of
        # its last assessment wait for the next chunk, so that an assessment is staged whole
        # (one split over two chunks would be checked against the database at the second).
        if self.held is not None:
            chunk = _joined(self.held, chunk)
            self.held = None
        if chunk.empty:
            return
        quests = chunk["quest_id"].to_numpy()
        others = np.flatnonzero(quests != quests[-1])
        if len(others):  # slices, not copies
            start = int(others[-1]) + 1
            self.held, chunk = chunk.iloc[start:], chunk.iloc[:start]
        self._stage(chunk)

    def _stage(self, chunk: pd.DataFrame) -> None:
        self.summary.rows_read += len(chunk)
        if not self._add_assessments(chunk):  # only then can some rows be left out
            chunk = chunk[self._of_accepted_assessments(chunk)]
        refs = self._question_refs(chunk)
        self._add_findings(chunk.assign(question_ref=refs))

    def _of_accepted_assessments(self, chunk: pd.DataFrame) -> pd.Series:
        """Rows whose assessment columns agree with the assessment kept for their Quest.ID."""
        quests = [int(q) for q in chunk["quest_id"].unique() if int(q) in self.assessments]
        accepted = pd.DataFrame(
            [(q, *self.assessments[q]) for q in quests], columns=["quest_id", *_ASSESSMENT]
        ).astype({"quest_id": "int64", "cycle": "int64"})
        keys = ["quest_id", *_ASSESSMENT]
        both = chunk[keys].astype({"quest_id": "int64", "cycle": "int64"})
        both = both.merge(accepted, on=keys, how="left", indicator=True)
        return pd.Series((both["_merge"] == "both").to_numpy(), index=chunk.index)

    def _add_assessments(self, chunk: pd.DataFrame) -> bool:
        """Add the chunk's new factories and assessments; whether every row's assessment agrees."""
        heads = chunk.drop_duplicates(subset=["quest_id", *_ASSESSMENT])
        new_rows, new_factories = [], []
        agrees = True
        for rec in heads[["row", "quest_id", *_ASSESSMENT]].itertuples(index=False):
            row, qid = int(rec.row), int(rec.quest_id)
            values: tuple = (
                rec.factory_id,
                rec.factory_name,
                rec.country,
                int(rec.cycle),
                rec.start_date,
            )
            known = self.assessments.get(qid)
            if known is not None and qid not in self.first_rows and self._renamed(qid, values, row):
                continue
            if known is not None:
                for col, mine, theirs in zip(_ASSESSMENT, values, known, strict=True):
                    if mine != theirs:
                        agrees = False
                        where = (
                            f"row {self.first_rows[qid]}" if qid in self.first_rows else "the store"
                        )
                        shown = (
                            theirs.strftime(DATE_FORMAT) if isinstance(theirs, dt.date) else theirs
                        )
                        self.problem(
                            row,
                            _COLUMN[col],
                            mine.strftime(DATE_FORMAT) if isinstance(mine, dt.date) else mine,
                            f"differs from {shown!r} for Quest.ID {qid} in {where}",
                        )
                continue
            known_country = self.factories.get(rec.factory_id)
            if known_country is not None and known_country != rec.country:
                agrees = False
                self.problem(
                    row,
                    "Country",
                    rec.country,
                    f"differs from {known_country!r}, the country of factory {rec.factory_id}",
                )
                continue
            self.assessments[qid] = values
            self.first_rows[qid] = row
            if known_country is None:
                self.factories[rec.factory_id] = rec.country
                new_factories.append(
                    (
                        rec.factory_id,
                        rec.factory_name,
                        rec.country,
                        "obsolete" if is_obsolete(rec.factory_name) else "active",
                        1,
                    )
                )
            self.touched_factories.add(rec.factory_id)
            new_rows.append(
                (qid, rec.factory_id, int(rec.cycle), rec.start_date, rec.country, rec.factory_name)
            )
        # Staged even after a problem, so that later rows are checked against these ones;
        # finish() then raises and the whole transaction is rolled back.
        factory_cols = ("factory_id", "factory_name", "country", "status", "version")
        bulk_insert(self.conn, m.Factory.__table__, factory_cols, new_factories)
        quest_cols = ("quest_id", "factory_id", "cycle", "start_date", "country", "factory_name")
        bulk_insert(self.conn, m.Assessment.__table__, quest_cols, new_rows)
        self.summary.factories_added += len(new_factories)
        self.summary.assessments_added += len(new_rows)
        return agrees

    def _renamed(self, qid: int, values: tuple, row: int) -> bool:
        """Take a stored assessment's new factory name (exports re-spell retired factories)."""
        known = self.assessments[qid]
        if values[1] == known[1] or values[:1] + values[2:] != known[:1] + known[2:]:
            return False
        self.conn.execute(
            update(m.Assessment).where(m.Assessment.quest_id == qid).values(factory_name=values[1])
        )
        self.assessments[qid] = values
        self.first_rows[qid] = row
        self.touched_factories.add(values[0])
        self.summary.assessments_renamed += 1
        return True

    def _question_refs(self, chunk: pd.DataFrame) -> pd.Series:
        # each row's spelling numbered in order of first appearance, and where each first appears
        which = (
            chunk.groupby(QUESTION_SPELLING, sort=False, dropna=False, observed=True)
            .ngroup()
            .to_numpy()
        )
        _numbers, first = np.unique(which, return_index=True)
        spellings = list(chunk[QUESTION_SPELLING].iloc[first].itertuples(index=False, name=None))
        for spelling in spellings:
            if spelling not in self.questions:
                values = dict(zip(QUESTION_SPELLING, spelling, strict=True))
                values["public_disclosure"] = is_public_disclosure(values["tags"])
                result = self.conn.execute(insert(m.Question).returning(m.Question.id), [values])
                self.questions[spelling] = result.scalar_one()
                self.summary.questions_added += 1
        refs = np.asarray([self.questions[s] for s in spellings], dtype="int64")
        return pd.Series(refs[which], index=chunk.index)

    def _add_findings(self, chunk: pd.DataFrame) -> None:
        cols = ["quest_id", "question_ref", "finding", "fact"]
        # A question is asked once in an assessment: rows for the same Quest.ID and
        # Question.ID must agree on everything (the finding and the question's spelling).
        f = chunk[["row", "question_id", *cols]].drop_duplicates(subset=cols)
        clash = f.duplicated(subset=["quest_id", "question_id"], keep=False)
        if clash.any():
            self._report_clashes(f[clash])
            f = f[~clash]
        overlap = f["quest_id"].isin(self.with_findings)
        if overlap.any():
            f = pd.concat([f[~overlap], self._new_of_stored(f[overlap])])
        self.with_findings.update(int(q) for q in chunk["quest_id"].unique())
        if f.empty:
            return
        values = [
            f["quest_id"].astype("int64").tolist(),
            f["question_ref"].astype("int64").tolist(),
            _nullable(f["finding"]),
            _nullable(f["fact"]),
        ]
        insert_columns(self.conn, m.Finding.__table__, cols, values)
        self.summary.findings_added += len(f)

    def _report_clashes(self, clashes: pd.DataFrame) -> None:
        first: dict[tuple, Any] = {}
        for rec in clashes.itertuples(index=False):
            key = (rec.quest_id, rec.question_id)
            if key not in first:
                first[key] = rec
                continue
            earlier = first[key]
            column, mine, theirs = self._difference(rec, earlier)
            self.problem(
                int(rec.row),
                column,
                mine,
                f"contradicts {theirs!r} at row {earlier.row} "
                f"for Quest.ID {rec.quest_id}, Question.ID {rec.question_id}",
            )

    def _difference(self, mine: Any, theirs: Any) -> tuple[str, str, str]:
        """The first export column where two findings of one question differ, and both values."""
        if mine.question_ref != theirs.question_ref:
            spellings = {ref: spelling for spelling, ref in self.questions.items()}
            pairs = zip(spellings[mine.question_ref], spellings[theirs.question_ref], strict=True)
            for name, (a, b) in zip(QUESTION_SPELLING, pairs, strict=True):
                if a != b:
                    return _COLUMN[name], a, b
        return "Finding", _shown(mine), _shown(theirs)

    def _new_of_stored(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Rows not yet stored; rows that contradict stored findings become problems."""
        f, q = m.Finding, m.Question
        stmt = select(f.quest_id, q.question_id, f.question_ref, f.finding, f.fact).join(
            q, q.id == f.question_ref
        )
        quests = (int(quest) for quest in rows["quest_id"].unique())
        stored = pd.DataFrame(list(rows_in(self.conn, stmt, f.quest_id, quests)))
        if stored.empty:
            return rows
        stored.columns = ["quest_id", "question_id", "s_ref", "s_finding", "s_fact"]
        stored = stored.drop_duplicates(subset=["quest_id", "question_id"])
        both = rows.merge(stored, on=["quest_id", "question_id"], how="left", indicator=True)
        new = both["_merge"] == "left_only"
        mine = pd.to_numeric(both["finding"]).astype("Int64").fillna(-1)
        theirs = pd.to_numeric(both["s_finding"]).astype("Int64").fillna(-1)
        same_finding = mine == theirs
        same_fact = both["fact"].astype(object).fillna("") == both["s_fact"].fillna("")
        same_ref = both["question_ref"] == both["s_ref"]
        differs = ~new & ~(same_ref & same_finding & same_fact)
        for rec in both[differs].itertuples(index=False):
            stored_rec = rec._replace(
                question_ref=rec.s_ref, finding=rec.s_finding, fact=rec.s_fact
            )
            column, value, stored_value = self._difference(rec, stored_rec)
            where = (
                "already stored" if rec.quest_id in self.stored_before else "earlier in the file"
            )
            self.problem(
                int(rec.row),
                column,
                value,
                f"contradicts {stored_value!r} {where} for Quest.ID {rec.quest_id}, "
                f"Question.ID {rec.question_id}",
            )
        self.summary.already_stored += int((~new & ~differs).sum())
        return both.loc[new, rows.columns]

    def finish(self) -> LoadSummary:
        """Check the whole load; raise InputError (nothing kept) or update the register."""
        if self.held is not None:
            self._stage(self.held)
            self.held = None
        if self.problems:
            self.problems.sort(key=lambda p: p.row or 0)
            raise InputError(self.problems, self.more_problems)
        a, f = m.Assessment, m.Factory
        # each touched factory takes the name of its latest assessment (highest Quest.ID)
        latest_quest = (
            select(a.factory_id, func.max(a.quest_id).label("quest_id"))
            .group_by(a.factory_id)
            .subquery()
        )
        latest = (
            select(a.factory_id, a.factory_name, f.factory_name)
            .join(latest_quest, a.quest_id == latest_quest.c.quest_id)
            .join(f, f.factory_id == a.factory_id)
        )
        renamed = [
            {"fid": fid, "name": name, "status": "obsolete" if is_obsolete(name) else "active"}
            for fid, name, held in self.conn.execute(latest)
            if fid in self.touched_factories and name != held
        ]
        if renamed:
            self.conn.execute(
                update(f)
                .where(f.factory_id == bindparam("fid"))
                .values(
                    factory_name=bindparam("name"),
                    status=bindparam("status"),
                    version=f.version + 1,
                ),
                renamed,
            )
        return self.summary


def _shown(rec: Any) -> str:
    finding = rec.finding
    if finding is None or finding is pd.NA or finding != finding:
        return str(rec.fact)
    return str(int(finding))


class AssessmentStore(Gateway):
    """Bulk loading and reading of assessments and findings."""

    @contextmanager
    def assessment_loader(self, actor: str, source: str) -> Iterator[AssessmentLoader]:
        """A loader whose chunks are all written in one transaction, or none of them."""
        with self.connection() as conn:
            loader = AssessmentLoader(conn, source)
            yield loader
            summary = loader.finish()
            if (
                summary.findings_added
                or summary.assessments_added
                or summary.questions_added
                or (summary.assessments_renamed)
            ):
                after = {"file": source, **summary.__dict__}
                audit(conn, actor, "findings", source, "import", after)

    def assessments_frame(
        self, *, country: str | None = None, factory_ids: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Assessments: quest_id, factory_id, factory_name, country, cycle, start_date."""
        a = m.Assessment
        stmt = select(
            a.quest_id,
            a.factory_id,
            a.factory_name,
            a.country,
            a.cycle,
            a.start_date,
            a.cat_version,
        ).order_by(a.factory_id, a.quest_id)
        if country:
            stmt = stmt.where(a.country == country)
        if factory_ids is not None:
            stmt = stmt.where(a.factory_id.in_(list(factory_ids)))
        df = self.frame(stmt)
        if df.empty:  # the columns of a full read
            df = pd.DataFrame(columns=["quest_id", *_ASSESSMENT, "cat_version"])
        df["start_date"] = pd.to_datetime(df["start_date"])
        return df

    def questions_frame(self) -> pd.DataFrame:
        """The question catalogue as exports spelt it."""
        q = m.Question
        return self.frame(
            select(
                q.id.label("question_ref"),
                q.question_id,
                q.question_label,
                q.compliance_point,
                q.cluster,
                q.question_type,
                q.tags,
                q.public_disclosure,
            ).order_by(q.id)
        )

    def findings_frame(
        self,
        *,
        country: str | None = None,
        factory_ids: Sequence[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
        cycles: Sequence[int] | None = None,
        ncq_only: bool = False,
    ) -> pd.DataFrame:
        """Findings in the export's shape (code names), filtered in the database."""
        # one query: each finding with its assessment and its question, each column from the
        # first of them that has it
        a, q, f = m.Assessment, m.Question, m.Finding
        names = [*FINDING_FRAME_COLUMNS, "fact"]
        stmt = (
            select(*(getattr(next(t for t in (a, q, f) if hasattr(t, c)), c) for c in names))
            .join(a, a.quest_id == f.quest_id)
            .join(q, q.id == f.question_ref)
            .order_by(f.quest_id, f.question_ref)
        )
        if country:
            stmt = stmt.where(a.country == country)
        if factory_ids is not None:
            stmt = stmt.where(a.factory_id.in_(list(factory_ids)))
        if start:
            stmt = stmt.where(a.start_date >= start)
        if end:
            stmt = stmt.where(a.start_date <= end)
        if cycles is not None:
            stmt = stmt.where(a.cycle.in_(list(cycles)))
        if ncq_only:
            stmt = stmt.where(q.question_type == "NCQ")
        out = self.frame(stmt)
        if out.empty:  # the types of a full read
            out = out.astype({c: "str" for c in names if c not in _FINDING_TYPES})
            out = out.astype(_FINDING_TYPES)
        out["start_date"] = pd.to_datetime(out["start_date"])
        out["finding"] = pd.to_numeric(out["finding"]).astype("Int64")
        return out.sort_values(["quest_id", "question_id"], ignore_index=True)

    def count_findings(self) -> int:
        """How many findings the store holds."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(m.Finding)).scalar() or 0)

    def export_assessments_rows(self) -> list[tuple[int, str, int, str, str, dt.date]]:
        """Every assessment: quest_id, country, cycle, factory_id, factory_name, start_date."""
        a = m.Assessment
        stmt = select(a.quest_id, a.country, a.cycle, a.factory_id, a.factory_name, a.start_date)
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(stmt)]  # type: ignore[misc]

    def export_question_rows(self) -> list[tuple[int, str, str, str, str, str, str | None]]:
        """Every question: id, question_type, question_label, question_id, CP, cluster, tags."""
        q = m.Question
        stmt = select(
            q.id, q.question_type, q.question_label, q.question_id, q.compliance_point, q.cluster,
            q.tags,
        )  # fmt: skip
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(stmt)]  # type: ignore[misc]

    def iter_findings(
        self, batch: int = 50_000
    ) -> Iterator[Sequence[tuple[int, int, int | None, str | None]]]:
        """Every finding as (quest_id, question_ref, finding, fact), in that order, streamed a
        batch at a time (a server-side cursor on PostgreSQL: memory stays one batch)."""
        f = m.Finding
        stmt = select(f.quest_id, f.question_ref, f.finding, f.fact).order_by(
            f.quest_id, f.question_ref
        )
        with self.engine.connect() as conn:
            # The driver's own cursor: millions of plain tuples, without a Row made for each
            # (3.5x the read through SQLAlchemy's stream)
            sql = str(stmt.compile(dialect=conn.dialect))
            raw: Any = conn.connection.driver_connection
            pg = conn.dialect.name == "postgresql"
            cursor = raw.cursor(name="bwcases_findings") if pg else raw.cursor()
            try:
                cursor.execute(sql)
                while part := cursor.fetchmany(batch):
                    yield part
            finally:
                cursor.close()

    def iter_export(self, batch: int = 200) -> Iterator[pd.DataFrame]:
        """Findings in the export's shape, a batch of assessments at a time."""
        with self.engine.connect() as conn:
            quests = conn.execute(select(m.Assessment.quest_id).order_by(m.Assessment.quest_id))
            ids = [int(q) for q in quests.scalars()]
        questions = self.questions_frame().drop(columns=["public_disclosure"], errors="ignore")
        assessments = self.assessments_frame().drop(columns=["cat_version"], errors="ignore")
        for part in chunked(ids, batch):
            f = m.Finding
            stmt = select(f.quest_id, f.question_ref, f.finding, f.fact).where(
                f.quest_id.between(part[0], part[-1])
            )
            df = self.frame(stmt)
            if df.empty:
                continue
            df = df.merge(assessments, on="quest_id").merge(questions, on="question_ref")
            yield df.sort_values(["quest_id", "question_ref"], ignore_index=True)
