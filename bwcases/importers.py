"""Importers of the programme's files, by kind: validate every row, then write all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from bwcases.catalogue import QuestionType
from bwcases.domain import ItemSource, PartnerType, Priority, Status
from bwcases.errors import InputError, Problem
from bwcases.formats import (
    ASSESSMENT_COLUMNS,
    DATE_FORMAT,
    IMPROVEMENT_PLAN_COLUMNS,
    IMPROVEMENT_PLAN_REQUIRED,
    PARTNER_COLUMNS,
)
from bwcases.readers import ROW, Table, problems_where
from bwcases.store import Store

MAX_PROBLEMS = 50
Importer = Callable[[Store, Path, str], str]
IMPORTERS: dict[str, Importer] = {}


def importer(kind: str) -> Callable[[Importer], Importer]:
    """Register an importer under the name the CLI uses for its kind of file."""

    def register(fn: Importer) -> Importer:
        IMPORTERS[kind] = fn
        return fn

    return register


def import_file(store: Store, kind: str, path: str | Path, actor: str = "import") -> str:
    """Import one file of a kind; returns a one-line summary or raises InputError."""
    if kind not in IMPORTERS:
        raise InputError([Problem(str(path), None, None, kind, "is not a kind of file to import")])
    return IMPORTERS[kind](store, Path(path), actor)


class Problems:
    """Problems of one file, capped."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.more = 0

    def extend(self, problems: list[Problem]) -> None:
        room = MAX_PROBLEMS - len(self.items)
        self.items.extend(problems[: max(room, 0)])
        self.more += max(len(problems) - max(room, 0), 0)

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(self.items, self.more)


def _blank(chunk: pd.DataFrame, column: str) -> pd.Series:
    return chunk[column].str.strip() == ""


def _required(file: str, chunk: pd.DataFrame, columns: list[str]) -> list[Problem]:
    out: list[Problem] = []
    for col in columns:
        out += problems_where(file, chunk, _blank(chunk, col), col, "is empty; a value is required")
    return out


def _integers(
    file: str, chunk: pd.DataFrame, column: str, minimum: int = 0
) -> tuple[pd.Series, list[Problem]]:
    values = pd.to_numeric(chunk[column].str.strip(), errors="coerce")
    bad = ~_blank(chunk, column) & (values.isna() | (values % 1 != 0) | (values < minimum))
    reason = f"is not a whole number of at least {minimum}"
    return values, problems_where(file, chunk, bad, column, reason)


def _dates(file: str, chunk: pd.DataFrame, column: str) -> tuple[pd.Series, list[Problem]]:
    text = chunk[column].str.strip()
    parsed = pd.to_datetime(text, format=DATE_FORMAT, errors="coerce")
    bad = (text != "") & parsed.isna()
    problems = problems_where(file, chunk, bad, column, "is not a date written dd/mm/yyyy")
    return parsed.dt.date, problems


# -- assessments ----------------------------------------------------------------------------


def validate_assessments(file: str, chunk: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """A chunk of the assessment export, typed, with every problem found in it."""
    df = chunk.rename(columns=ASSESSMENT_COLUMNS)
    problems = _required(
        file,
        chunk,
        [c for c in ASSESSMENT_COLUMNS if c not in ("Tags", "Finding", "Q.Label")],
    )
    quest, p = _integers(file, chunk, "Quest.ID", 1)
    problems += p
    cycle, p = _integers(file, chunk, "Cycle", 1)
    problems += p
    start, p = _dates(file, chunk, "Assesment.Start.Date")
    problems += p
    qtype = chunk["Question.type"].str.strip().str.upper()
    bad_type = ~qtype.isin([t.value for t in QuestionType]) & (qtype != "")
    problems += problems_where(file, chunk, bad_type, "Question.type", "is not NCQ or FGW")
    finding_text = chunk["Finding"].str.strip()
    ncq = qtype == QuestionType.NCQ.value
    bad_finding = ncq & ~finding_text.isin(["0", "1"])
    problems += problems_where(
        file, chunk, bad_finding, "Finding", "is not 0 or 1 (the finding of an NCQ question)"
    )
    problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    if problems:
        return df, problems
    for col in (
        "country",
        "factory_id",
        "factory_name",
        "question_id",
        "compliance_point",
        "cluster",
        "question_label",
        "tags",
    ):
        df[col] = df[col].str.strip()
    df["quest_id"] = quest.astype("int64")
    df["cycle"] = cycle.astype("int64")
    df["start_date"] = start
    df["question_type"] = qtype
    df["finding"] = pd.to_numeric(finding_text.where(ncq), errors="coerce").astype("Int8")
    df["fact"] = chunk["Finding"].where(~ncq)
    return df, []


@importer("assessments")
def import_assessments(store: Store, path: Path, actor: str) -> str:
    """The programme's assessment export, CSV or XLSX; idempotent."""
    table = Table(path)
    table.require(ASSESSMENT_COLUMNS)
    with store.assessment_loader(actor, table.name) as loader:
        for chunk in table.chunks():
            clean, problems = validate_assessments(table.name, chunk)
            if problems:
                loader.add_problems(problems)
            elif not loader.problems:
                loader.add(clean)
            else:
                loader.summary.rows_read += len(chunk)
        if loader.summary.rows_read == 0:
            loader.problem(None, None, None, "has a header but no rows")
    return f"{table.name}: {loader.summary}"


# -- Improvement Plans ----------------------------------------------------------------------


def _read_all(table: Table) -> pd.DataFrame:
    parts = list(table.chunks())
    if not parts or sum(len(p) for p in parts) == 0:
        raise InputError([Problem(table.name, None, None, None, "has a header but no rows")])
    return pd.concat(parts, ignore_index=True)


@importer("improvement-plan")
def import_improvement_plan(store: Store, path: Path, actor: str) -> str:
    """Improvement Plan items; an item already stored is updated, not added again."""
    table = Table(path)
    table.require(IMPROVEMENT_PLAN_REQUIRED)
    rows = _read_all(table)
    for col in IMPROVEMENT_PLAN_COLUMNS:
        if col not in rows:
            rows[col] = ""
    name = table.name
    found = Problems()
    found.extend(_required(name, rows, ["Factory.ID", "Compliance.point", "Status"]))
    statuses = rows["Status"].map(_status)
    bad = statuses.isna() & ~_blank(rows, "Status")
    found.extend(
        problems_where(name, rows, bad, "Status", "is not Pending, In Progress or Completed")
    )
    due, p = _dates(name, rows, "Due.Date")
    found.extend(p)
    quest, p = _integers(name, rows, "Quest.ID", 1)
    found.extend(p)
    factory_ids = rows["Factory.ID"].str.strip()
    known = store.known_factories(factory_ids[factory_ids != ""])
    unknown = (factory_ids != "") & ~factory_ids.isin(known)
    found.extend(problems_where(name, rows, unknown, "Factory.ID", "is not a factory in the store"))
    has_quest = quest.notna()
    assessments = store.known_assessments(int(q) for q in quest.dropna())
    records: list[dict[str, Any]] = []
    for i, rec in rows.iterrows():
        row = int(rec[ROW])
        qid = int(quest[i]) if has_quest[i] and quest[i] % 1 == 0 else None
        question = rec["Question.ID"].strip() or None
        if qid is not None:
            stored = assessments.get(qid)
            if stored is None:
                found.extend(
                    [
                        Problem(
                            name,
                            row,
                            "Quest.ID",
                            rec["Quest.ID"],
                            "is not an assessment in the store",
                        )
                    ]
                )
            elif stored[0] != factory_ids[i]:
                found.extend(
                    [
                        Problem(
                            name,
                            row,
                            "Quest.ID",
                            rec["Quest.ID"],
                            f"is an assessment of factory {stored[0]}, not {factory_ids[i]}",
                        )
                    ]
                )
            if question is None:
                found.extend(
                    [Problem(name, row, "Question.ID", "", "is empty but Quest.ID is given")]
                )
        elif question is not None:
            found.extend([Problem(name, row, "Quest.ID", "", "is empty but Question.ID is given")])
        records.append(
            {
                "factory_id": factory_ids[i],
                "quest_id": qid,
                "question_id": question if qid is not None else None,
                "source": (
                    ItemSource.FINDING if qid is not None else ItemSource.SELF_DIAGNOSIS
                ).value,
                "compliance_point": rec["Compliance.point"].strip(),
                "issue": rec["Issue"].strip(),
                "action": rec["Action"].strip(),
                "responsible": rec["Responsible"].strip(),
                "due_date": due[i] if pd.notna(due[i]) else None,
                "status": statuses[i],
                "notes": rec["Notes"].strip(),
                "priority": Priority.MEDIUM.value,
            }
        )
    found.items.sort(key=lambda p: (p.row or 0, p.column or ""))
    found.raise_if_any()
    added, changed = store.save_plan_items(records, actor)
    return f"{name}: {len(records)} items read, {added} added, {changed} updated"


def _status(text: str) -> str | None:
    try:
        return Status.parse(text).value
    except ValueError:
        return None


# -- partners -------------------------------------------------------------------------------


@importer("partners")
def import_partners(store: Store, path: Path, actor: str) -> str:
    """Partners and their consented factory links; one row per link."""
    table = Table(path)
    table.require(PARTNER_COLUMNS)
    rows = _read_all(table)
    name = table.name
    found = Problems()
    found.extend(_required(name, rows, ["Partner.ID", "Partner.Name", "Partner.Type"]))
    ptype = rows["Partner.Type"].str.strip().str.lower()
    bad = ~ptype.isin([t.value for t in PartnerType]) & (ptype != "")
    found.extend(problems_where(name, rows, bad, "Partner.Type", "is not buyer or governance"))
    consent = rows["Consent"].str.strip().str.lower()
    has_link = rows["Factory.ID"].str.strip() != ""
    bad = has_link & ~consent.isin(["yes", "no"])
    found.extend(problems_where(name, rows, bad, "Consent", "is not yes or no"))
    factory_ids = rows["Factory.ID"].str.strip()
    known = store.known_factories(factory_ids[has_link])
    unknown = has_link & ~factory_ids.isin(known)
    found.extend(problems_where(name, rows, unknown, "Factory.ID", "is not a factory in the store"))
    partners: dict[str, dict[str, Any]] = {}
    first_row: dict[str, int] = {}
    links: dict[tuple[str, str], dict[str, Any]] = {}
    for i, rec in rows.iterrows():
        pid = rec["Partner.ID"].strip()
        if not pid:
            continue
        values = {
            "partner_id": pid,
            "partner_name": rec["Partner.Name"].strip(),
            "partner_type": ptype[i],
        }
        if pid in partners and partners[pid] != values:
            for key, col in (("partner_name", "Partner.Name"), ("partner_type", "Partner.Type")):
                if partners[pid][key] != values[key]:
                    found.extend(
                        [
                            Problem(
                                name,
                                int(rec[ROW]),
                                col,
                                rec[col].strip(),
                                f"differs from {partners[pid][key]!r} for partner "
                                f"{pid} at row {first_row[pid]}",
                            )
                        ]
                    )
        partners.setdefault(pid, values)
        first_row.setdefault(pid, int(rec[ROW]))
        if has_link[i]:
            links[(pid, factory_ids[i])] = {
                "partner_id": pid,
                "factory_id": factory_ids[i],
                "consent": consent[i] == "yes",
            }
    found.items.sort(key=lambda p: (p.row or 0, p.column or ""))
    found.raise_if_any()
    changed_p, changed_l = store.save_partners(list(partners.values()), list(links.values()), actor)
    return (
        f"{name}: {len(partners)} partners and {len(links)} links read; "
        f"{changed_p} partners and {changed_l} links added or changed"
    )
