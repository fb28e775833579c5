"""Importers of the programme's files, by kind: check every row, then write all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from bwcases.core.catalogue import QuestionType
from bwcases.core.domain import ITEM_TEXT_LIMITS, ItemSource, PartnerType, Status
from bwcases.core.errors import InputError, Problem, UsageError
from bwcases.core.formats import (
    ASSESSMENT_COLUMNS,
    DATE_FORMAT,
    IMPROVEMENT_PLAN_COLUMNS,
    IMPROVEMENT_PLAN_REQUIRED,
    MAX_PROBLEMS,
    PARTNER_COLUMNS,
)
from bwcases.core.safe_text import shortened
from bwcases.io.readers import ROW, Table
from bwcases.store import Store

MAX_ID = 2**53  # larger whole numbers do not survive a spreadsheet
MAX_CYCLE = 100
Importer = Callable[..., str]  # (store, path, actor, **options) -> a one-line summary
IMPORTERS: dict[str, Importer] = {}
# Kinds whose import merges a file with what the app changed since, unless told to overwrite.
OVERWRITABLE: set[str] = set()

# The longest text the store keeps in each column (bwcases/store/models.py).
ASSESSMENT_LENGTHS = {
    "Country": 100,
    "Factory.Assessed.ID": 64,
    "Factory.Assessed.Name": 400,
    "Question.ID": 100,
    "CP": 200,
    "Cluster": 200,
    "Tags": 400,
}
# A plan's texts are held to the advisor form's limits: one rule, wherever an item comes from.
PLAN_LENGTHS = {
    "Question.ID": 100,
    **{
        column: ITEM_TEXT_LIMITS[field]
        for column, field in IMPROVEMENT_PLAN_COLUMNS.items()
        if field in ITEM_TEXT_LIMITS
    },
}
PARTNER_LENGTHS = {"Partner.ID": 64, "Partner.Name": 400}


def importer(kind: str, *, overwritable: bool = False) -> Callable[[Importer], Importer]:
    """Register an importer under the name the CLI uses for its kind of file."""

    def register(fn: Importer) -> Importer:
        IMPORTERS[kind] = fn
        if overwritable:
            OVERWRITABLE.add(kind)
        return fn

    return register


def import_file(
    store: Store, kind: str, path: str | Path, actor: str = "import", *, overwrite: bool = False
) -> str:
    """Import one file of a kind; returns a one-line summary or raises a BwcasesError."""
    if kind not in IMPORTERS:
        known = ", ".join(sorted(IMPORTERS))
        raise InputError([Problem(Path(path).name, None, None, kind, f"is not one of {known}")])
    if not overwrite:
        return IMPORTERS[kind](store, Path(path), actor)
    if kind not in OVERWRITABLE:
        kinds = ", ".join(sorted(OVERWRITABLE))
        raise UsageError(f"--overwrite is for {kinds} files, not {kind}")
    return IMPORTERS[kind](store, Path(path), actor, overwrite=True)


class Problems:
    """The problems of one file: the first MAX_PROBLEMS by row are kept, the rest counted."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Problem] = []
        self.more = 0

    def __bool__(self) -> bool:
        return bool(self.items)

    def add(self, problems: Iterable[Problem]) -> None:
        """Record problems, keeping the first MAX_PROBLEMS by row."""
        self.items.extend(problems)
        self.items.sort(key=lambda p: (p.row or 0, p.column or ""))
        self.more += max(len(self.items) - MAX_PROBLEMS, 0)
        del self.items[MAX_PROBLEMS:]

    def where(self, rows: pd.DataFrame, bad: pd.Series, column: str, reason: str) -> pd.Series:
        """Record a problem in `column` of each row where `bad` holds; returns `bad`."""
        count = int(bad.sum())
        if count:
            shown = rows.loc[bad, [ROW, column]].head(MAX_PROBLEMS)
            self.more += count - len(shown)
            self.add(
                Problem(self.file, int(row), column, shortened(str(value).strip()), reason)
                for row, value in shown.itertuples(index=False)
            )
        return bad

    def raise_if_any(self) -> None:
        """Raise InputError with every problem recorded, if there is one."""
        if self.items:
            raise InputError(self.items, self.more)


def _shown(value: Any) -> Any:
    """A value as a problem shows it: a long text shortened."""
    return shortened(value) if isinstance(value, str) else value


# -- checks of a frame of text, one column at a time ----------------------------------------


def _stripped(rows: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text without surrounding blanks: what every check below and the store see."""
    return rows.assign(**{c: rows[c].astype(str).str.strip() for c in rows.columns if c != ROW})


def _required(found: Problems, rows: pd.DataFrame, columns: Iterable[str]) -> pd.Series:
    bad = pd.Series(False, index=rows.index)
    for column in columns:
        bad |= found.where(rows, rows[column] == "", column, "is empty; a value is needed")
    return bad


def _too_long(found: Problems, rows: pd.DataFrame, lengths: dict[str, int]) -> pd.Series:
    bad = pd.Series(False, index=rows.index)
    for column, longest in lengths.items():
        if column in rows:
            reason = f"is longer than {longest} characters"
            bad |= found.where(rows, rows[column].str.len() > longest, column, reason)
    return bad


def _distinct(text: pd.Series) -> tuple[Any, pd.Index]:
    """Codes and distinct values of a column (few distinct values: dates, IDs, cycles)."""
    codes, uniques = pd.factorize(text)
    return codes, pd.Index(uniques)


class Distinct(NamedTuple):
    """A column of text as codes into its distinct values, without surrounding blanks: an
    export's 13 columns hold millions of cells but a few thousand values at most, so each check
    runs once per value and its answer is spread to the rows by code."""

    codes: np.ndarray
    values: np.ndarray  # of str

    @classmethod
    def of(cls, column: pd.Series) -> Distinct:
        """The stripped distinct values of a column and each row's code."""
        if isinstance(column.dtype, pd.CategoricalDtype) and column.notna().all():
            codes, raw = column.cat.codes.to_numpy(), column.cat.categories
        else:
            codes, raw = pd.factorize(column.fillna(""))
        stripped = np.array([str(v).strip() for v in raw.tolist()], dtype=object)
        merged, values = pd.factorize(stripped)  # " a" and "a " are one value once stripped
        return cls(merged[codes], np.asarray(values, dtype=object))

    def spread(self, per_value: Any) -> np.ndarray:
        """An answer per distinct value as an answer per row."""
        return np.asarray(per_value)[self.codes]

    def column(self, index: pd.Index) -> pd.Series:
        """The stripped column, as codes into its distinct values (no copy of each text)."""
        values = pd.Index(self.values, dtype=object)  # as they are: nothing inferred
        return pd.Series(pd.Categorical.from_codes(self.codes, values, validate=False), index=index)

    def lengths(self) -> np.ndarray:
        """The length of each distinct value."""
        return np.fromiter(map(len, self.values), dtype=np.int64, count=len(self.values))


def _categorical(codes: np.ndarray, per_value: Any, index: pd.Index) -> pd.Series:
    """Values given once per code as a Categorical column (None: missing)."""
    merged, values = pd.factorize(pd.Series(per_value, dtype=object))  # None -> -1
    values = pd.Index(values, dtype=object)  # as they are: nothing inferred
    column = pd.Categorical.from_codes(merged[codes], values, validate=False)
    return pd.Series(column, index=index)


def _whole_numbers(
    found: Problems,
    rows: pd.DataFrame,
    column: str,
    low: int = 1,
    high: int = MAX_ID,
    distinct: Distinct | None = None,
) -> tuple[pd.Series, pd.Series]:
    """The numbers in `column` (NaN where empty or bad) and where they are bad."""
    codes, uniques = (
        (distinct.codes, pd.Index(distinct.values)) if distinct else _distinct(rows[column])
    )
    numbers = pd.to_numeric(pd.Series(uniques), errors="coerce")
    good = numbers.notna() & (numbers % 1 == 0) & (numbers >= low) & (numbers <= high)
    numbers = numbers.where(good)
    values = pd.Series(numbers.to_numpy()[codes], index=rows.index)
    bad = pd.Series(((uniques != "") & ~good.to_numpy())[codes], index=rows.index)
    upto = f" to {high}" if high < MAX_ID else ""
    found.where(rows, bad, column, f"is not a whole number from {low}{upto}")
    return values, bad


def _dates(
    found: Problems, rows: pd.DataFrame, column: str, distinct: Distinct | None = None
) -> tuple[pd.Series, pd.Series]:
    """The dates in `column` (None where empty or bad) and where they are bad."""
    codes, uniques = (
        (distinct.codes, pd.Index(distinct.values)) if distinct else _distinct(rows[column])
    )
    text = pd.Series(uniques, dtype=object)
    parsed = pd.to_datetime(text, format=DATE_FORMAT, errors="coerce")
    dates = pd.Series([d.date() if pd.notna(d) else None for d in parsed], dtype=object)
    wrong = (text != "") & parsed.isna()
    shaped = text.str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}").astype(bool)

    def where(mask: pd.Series) -> pd.Series:
        return pd.Series(mask.to_numpy()[codes], index=rows.index)

    found.where(rows, where(wrong & shaped), column, "is not a date that exists (dd/mm/yyyy)")
    reason = "is not a date written dd/mm/yyyy, e.g. 15/03/2023"
    found.where(rows, where(wrong & ~shaped), column, reason)
    if distinct:  # millions of rows, a few thousand dates
        return _categorical(codes, dates, rows.index), where(wrong)
    return pd.Series(dates.to_numpy()[codes], index=rows.index), where(wrong)


def _read_all(table: Table, found: Problems) -> pd.DataFrame:
    """Every record of a small file (plans, partners), with the problems of unreadable rows."""
    parts = []
    for chunk in table.chunks():
        found.add(chunk.problems)
        parts.append(chunk.rows)
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if rows.empty:
        found.raise_if_any()
        raise InputError([Problem(table.name, None, None, None, "has a header but no rows")])
    return _stripped(rows)


def _conflicts(
    found: Problems, rows: pd.DataFrame, key: list[str], columns: dict[str, str], what: str
) -> pd.Series:
    """Where a row repeats an earlier row's key; a repeat with other values is a problem."""
    first: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    repeat = pd.Series(False, index=rows.index)
    names = list(columns)
    for i, rec in zip(rows.index, rows[[ROW, *key, *names]].itertuples(index=False), strict=True):
        ident = tuple(rec[1 : 1 + len(key)])
        if ident not in first:
            first[ident] = tuple(rec)
            continue
        earlier = first[ident]
        repeat[i] = True
        for n, name in enumerate(names, start=1 + len(key)):
            if rec[n] != earlier[n]:
                reason = (
                    f"differs from {_shown(earlier[n])!r} at row {earlier[0]} for the same "
                    f"{what} ({', '.join(str(_shown(k)) for k in ident if k)})"
                )
                value = _shown(rec[n])
                found.add([Problem(found.file, int(rec[0]), columns[name], value, reason)])
                break
    return repeat


# -- assessments ----------------------------------------------------------------------------

_ASSESSMENT_OPTIONAL = ("Q.Label", "Finding", "Tags")


def validate_assessments(found: Problems, chunk: pd.DataFrame) -> pd.DataFrame:
    """The rows of a chunk of the assessment export that pass every check, typed."""
    required = [c for c in ASSESSMENT_COLUMNS if c not in _ASSESSMENT_OPTIONAL]
    distinct = {c: Distinct.of(chunk[c]) for c in ASSESSMENT_COLUMNS}
    chunk = chunk.assign(**{c: d.column(chunk.index) for c, d in distinct.items()})
    bad = np.zeros(len(chunk), dtype=bool)

    def check(column: str, per_value: Any, reason: str) -> np.ndarray:
        """Where the values of `column` fail, each such row a problem."""
        rows = distinct[column].spread(per_value)
        found.where(chunk, pd.Series(rows, index=chunk.index), column, reason)
        return rows

    for column in required:
        bad |= check(column, distinct[column].values == "", "is empty; a value is needed")
    for column, longest in ASSESSMENT_LENGTHS.items():
        reason = f"is longer than {longest} characters"
        bad |= check(column, distinct[column].lengths() > longest, reason)
    quest, wrong = _whole_numbers(found, chunk, "Quest.ID", distinct=distinct["Quest.ID"])
    bad |= wrong.to_numpy()
    cycle, wrong = _whole_numbers(found, chunk, "Cycle", 1, MAX_CYCLE, distinct["Cycle"])
    bad |= wrong.to_numpy()
    date = distinct["Assesment.Start.Date"]
    start, wrong = _dates(found, chunk, "Assesment.Start.Date", distinct=date)
    bad |= wrong.to_numpy()
    kinds = distinct["Question.type"]
    upper = np.array([v.upper() for v in kinds.values], dtype=object)
    known = np.isin(upper, [t.value for t in QuestionType])
    bad |= check("Question.type", (upper != "") & ~known, "is not NCQ or FGW")
    qtype = _categorical(kinds.codes, upper, chunk.index)
    ncq = kinds.spread(upper == QuestionType.NCQ.value)
    findings = distinct["Finding"]
    empty = findings.spread(findings.values == "")
    reason = "is empty; an NCQ row needs its finding, 0 or 1"
    bad |= found.where(
        chunk, pd.Series(ncq & empty, index=chunk.index), "Finding", reason
    ).to_numpy()
    binary = findings.spread(np.isin(findings.values, ["0", "1"]))
    reason = "is not 0 or 1 (the finding of an NCQ question)"
    wrong_finding = pd.Series(ncq & ~empty & ~binary, index=chunk.index)
    bad |= found.where(chunk, wrong_finding, "Finding", reason).to_numpy()
    ok = ~bad
    finding = chunk["Finding"]
    df = chunk[ok].rename(columns=ASSESSMENT_COLUMNS)
    df["quest_id"] = quest[ok].astype("int64")
    df["cycle"] = cycle[ok].astype("int64")
    df["start_date"] = start[ok]
    df["question_type"] = qtype[ok]
    # Checked above: an NCQ finding is "0" or "1"; FGW rows carry a fact instead.
    df["finding"] = pd.array((finding[ok] == "1").astype("int8"), dtype="Int8")
    df.loc[~ncq[ok], "finding"] = pd.NA
    df["fact"] = finding[ok].where(~ncq[ok])
    return df.reset_index(drop=True)


@importer("assessments")
def import_assessments(store: Store, path: Path, actor: str) -> str:
    """The programme's assessment export, CSV or XLSX; importing it again adds nothing."""
    table = Table(path)
    table.require(ASSESSMENT_COLUMNS)
    records = 0
    with store.assessment_loader(actor, table.name) as loader:
        for chunk in table.chunks(distinct=True):
            records += len(chunk.rows) + len(chunk.problems)
            found = Problems(table.name)
            found.add(chunk.problems)
            clean = validate_assessments(found, chunk.rows) if len(chunk.rows) else chunk.rows
            if found:
                loader.add_problems(found.items, found.more)
            if len(clean):
                loader.add(clean)  # goes on after a problem: every problem of the file is found
        if records == 0:
            loader.problem(None, None, None, "has a header but no rows")
    return f"{table.name}: {loader.summary}"


# -- Improvement Plans ----------------------------------------------------------------------


def _status(text: str) -> str | None:
    try:
        return Status.parse(text).value
    except ValueError:
        return None


def _plan_links(store: Store, found: Problems, rows: pd.DataFrame, factory: pd.Series) -> None:
    """Check that each item from a finding names an assessment of its factory and its question."""
    quest, bad = _whole_numbers(found, rows, "Quest.ID")
    question = rows["Question.ID"]
    given = rows["Quest.ID"] != ""
    both = "give both (an item from a finding) or neither (an item from self-diagnosis)"
    found.where(
        rows, given & (question == ""), "Question.ID", f"is empty but Quest.ID is given; {both}"
    )
    found.where(
        rows, ~given & (question != ""), "Quest.ID", f"is empty but Question.ID is given; {both}"
    )
    linked = given & ~bad & (question != "")
    stored = store.known_assessments(int(q) for q in quest[linked])
    found.where(
        rows,
        linked & ~quest.isin(list(stored)),
        "Quest.ID",
        "is not an assessment in the store (import the assessment export first)",
    )
    problems = []
    asked: set[tuple[int, str]] = set()
    owners = sorted({fid for fid, _ in stored.values()})
    if owners:
        frame = store.findings_frame(factory_ids=owners)
        asked = set(zip(frame["quest_id"].astype(int), frame["question_id"], strict=True))
    for i in rows.index[linked & quest.isin(list(stored))]:
        qid, row = int(quest[i]), int(rows.at[i, ROW])
        owner = stored[qid][0]
        if owner != factory[i]:
            reason = f"is an assessment of factory {owner}, not of {factory[i]}"
            problems.append(Problem(found.file, row, "Quest.ID", rows.at[i, "Quest.ID"], reason))
        elif (qid, question[i]) not in asked:
            reason = f"is not a question of assessment {qid}"
            problems.append(Problem(found.file, row, "Question.ID", question[i], reason))
    found.add(problems)


@importer("improvement-plan", overwritable=True)
def import_improvement_plan(
    store: Store, path: Path, actor: str, *, overwrite: bool = False
) -> str:
    """Improvement Plan items: new ones added, stored ones merged with the app's changes."""
    table = Table(path)
    from bwcases.io import plan_workbook  # here: it builds on this module

    # items named by ID, as seen at a version; a factory's person brings back only such a file
    if plan_workbook.is_plan_workbook(table.header) or plan_workbook.proposes(store, actor):
        return plan_workbook.import_plan_workbook(store, path, actor, overwrite=overwrite)
    table.require(IMPROVEMENT_PLAN_REQUIRED)
    found = Problems(table.name)
    rows = _read_all(table, found)
    given = [c for c in IMPROVEMENT_PLAN_COLUMNS if c in rows]
    for col in IMPROVEMENT_PLAN_COLUMNS:
        if col not in rows:
            rows[col] = ""
    _required(found, rows, IMPROVEMENT_PLAN_REQUIRED)
    _too_long(found, rows, PLAN_LENGTHS)
    status = rows["Status"].map(_status)
    reason = "is not Pending, In Progress or Completed"
    found.where(rows, status.isna() & (rows["Status"] != ""), "Status", reason)
    due, _ = _dates(found, rows, "Due.Date")
    factory = rows["Factory.ID"]
    known = store.known_factories(factory[factory != ""])
    reason = "is not a factory in the store (import the assessment export first)"
    found.where(rows, (factory != "") & ~factory.isin(list(known)), "Factory.ID", reason)
    _plan_links(store, found, rows, factory)
    items = pd.DataFrame(
        {
            ROW: rows[ROW],
            "factory_id": factory,
            "quest_id": pd.to_numeric(rows["Quest.ID"], errors="coerce"),
            "question_id": rows["Question.ID"],
            "compliance_point": rows["Compliance.point"],
            "issue": rows["Issue"],
            "action": rows["Action"],
            "responsible": rows["Responsible"],
            "due_date": due,
            "status": status,
            "notes": rows["Notes"],
        }
    )
    from_finding = items["quest_id"].notna()
    items["source"] = ItemSource.SELF_DIAGNOSIS.value
    items.loc[from_finding, "source"] = ItemSource.FINDING.value
    # The key the store finds an item by: its finding, or its compliance point and issue.
    items["key_a"] = items["quest_id"].astype(str).where(from_finding, items["compliance_point"])
    items["key_b"] = items["question_id"].where(from_finding, items["issue"])
    # Only the columns the file has: a slim file must not blank what advisors wrote.
    fields = {
        IMPROVEMENT_PLAN_COLUMNS[c]: c
        for c in given
        if c not in ("Factory.ID", "Quest.ID", "Question.ID")
    }
    repeat = _conflicts(found, items, ["factory_id", "key_a", "key_b"], fields, "item")
    found.raise_if_any()
    kept = items[~repeat].to_dict("records")
    records = [
        {
            "factory_id": rec["factory_id"],
            "quest_id": int(rec["quest_id"]) if pd.notna(rec["quest_id"]) else None,
            "question_id": rec["question_id"] or None,
            "source": rec["source"],
            **{f: rec[f] for f in fields},
        }
        for rec in kept
    ]
    added, changed = store.save_plan_items(
        records, actor, overwrite=overwrite, file=table.name, rows=[int(r[ROW]) for r in kept]
    )
    return f"{table.name}: {len(records)} items read, {added} added, {changed} updated"


# -- partners -------------------------------------------------------------------------------


@importer("partners")
def import_partners(store: Store, path: Path, actor: str) -> str:
    """Partners and their factory links with consent; one row per link; idempotent."""
    table = Table(path)
    table.require(PARTNER_COLUMNS)
    found = Problems(table.name)
    rows = _read_all(table, found)
    _required(found, rows, ["Partner.ID", "Partner.Name", "Partner.Type"])
    _too_long(found, rows, PARTNER_LENGTHS)
    ptype = rows["Partner.Type"].str.lower()
    reason = "is not buyer or governance"
    known_type = ptype.isin([t.value for t in PartnerType])
    found.where(rows, (ptype != "") & ~known_type, "Partner.Type", reason)
    factory = rows["Factory.ID"]
    consent = rows["Consent"].str.lower()
    linked = factory != ""
    found.where(rows, linked & ~consent.isin(["yes", "no"]), "Consent", "is not yes or no")
    known = store.known_factories(factory[linked])
    reason = "is not a factory in the store (import the assessment export first)"
    found.where(rows, linked & ~factory.isin(list(known)), "Factory.ID", reason)
    frame = pd.DataFrame(
        {
            ROW: rows[ROW],
            "partner_id": rows["Partner.ID"],
            "partner_name": rows["Partner.Name"],
            "partner_type": ptype,
            "factory_id": factory,
            "consent": consent,
        }
    )
    named = frame[frame["partner_id"] != ""]
    columns = {"partner_name": "Partner.Name", "partner_type": "Partner.Type"}
    partners = named[~_conflicts(found, named, ["partner_id"], columns, "partner")]
    links = named[named["factory_id"] != ""]
    columns = {"consent": "Consent"}
    links = links[~_conflicts(found, links, ["partner_id", "factory_id"], columns, "link")]
    found.raise_if_any()
    changed_partners, changed_links = store.save_partners(
        partners[["partner_id", "partner_name", "partner_type"]].to_dict("records"),
        [
            {"partner_id": p, "factory_id": f, "consent": c == "yes"}
            for p, f, c in links[["partner_id", "factory_id", "consent"]].itertuples(index=False)
        ],
        actor,
    )
    return (
        f"{table.name}: {len(partners)} partners and {len(links)} links read; "
        f"{changed_partners} partners and {changed_links} links added or changed"
    )
